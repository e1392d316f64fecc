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

/** A rasterized SVG: the PNG file and the raw RGBA pixels. */
export interface Raster {
  png: Uint8Array;
  width: number;
  height: number;
  /** RGBA, row-major, `width * height * 4` bytes. */
  pixels: Uint8Array;
}

/** Rasterizes an SVG document at `scale` times its size on white, with DejaVu Sans as the font. */
export function rasterizeSvg(
  svg: string,
  options: { scale?: number; fontFile?: string } = {},
): Raster {
  const fontFile = requireFont(options.fontFile ?? DEJAVU_SANS);
  // Read the bytes once here, so that an unreadable file fails loudly rather than dropping text.
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
  const image = resvg.render();
  return {
    png: image.asPng(),
    width: image.width,
    height: image.height,
    pixels: new Uint8Array(image.pixels),
  };
}

/** Rasterizes an SVG document to PNG (see `rasterizeSvg`). */
export function svgToPng(
  svg: string,
  options: { scale?: number; fontFile?: string } = {},
): Uint8Array {
  return rasterizeSvg(svg, options).png;
}
