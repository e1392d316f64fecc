/**
 * Renders Vega-Lite specs headlessly: compile to Vega, run a `View` with no renderer, write
 * SVG; rasterize the SVG to PNG with resvg using an explicit font file (with no font resvg
 * silently drops all text).
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import { compile } from "vega-lite";
import type { ChartSpec } from "./charts/common.ts";
import { FONT } from "./charts/common.ts";

/** DejaVu Sans as installed by Debian's `fonts-dejavu-core`. */
export const DEJAVU_SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/** Throws a clear error when the font file PNG rendering needs is missing. */
export function requireFont(path = DEJAVU_SANS): string {
  if (!existsSync(path)) {
    throw new Error(
      `font file ${path} not found: PNG charts need DejaVu Sans. Install the Debian package ` +
        "fonts-dejavu-core (apt-get install -y fonts-dejavu-core).",
    );
  }
  return path;
}

/** Compiles a Vega-Lite spec to a Vega spec; Vega-Lite warnings become errors. */
export function compileSpec(spec: ChartSpec): vega.Spec {
  const warnings: string[] = [];
  const logger = {
    level: (_?: number) => logger,
    error: (...args: unknown[]) => {
      throw new Error(`Vega-Lite: ${args.join(" ")}`);
    },
    warn: (...args: unknown[]) => {
      warnings.push(args.join(" "));
      return logger;
    },
    info: () => logger,
    debug: () => logger,
  };
  // deno-lint-ignore no-explicit-any
  const out = compile(spec, { logger: logger as any }).spec;
  if (warnings.length > 0) throw new Error(`Vega-Lite warnings: ${warnings.join("; ")}`);
  return out;
}

/** Renders a Vega-Lite spec to an SVG document string. */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  const view = new vega.View(vega.parse(compileSpec(spec)), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterizes an SVG document to PNG at `scale` times its size, with DejaVu Sans as the font. */
export function svgToPng(
  svg: string,
  options: { scale?: number; fontFile?: string } = {},
): Uint8Array {
  const fontFile = requireFont(options.fontFile ?? DEJAVU_SANS);
  // Read the bytes once here, so that a missing or unreadable file fails loudly.
  readFileSync(fontFile);
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: options.scale ?? 2 },
    background: "white",
    font: {
      fontFiles: [fontFile],
      loadSystemFonts: false,
      defaultFontFamily: FONT,
      sansSerifFamily: FONT,
    },
  });
  return resvg.render().asPng();
}
