/**
 * Renders Vega-Lite specs headlessly: compile to Vega, run a `View` with no renderer, write
 * SVG; rasterize the SVG to PNG with resvg using an explicit font file (with no font resvg
 * silently drops all text).
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import type * as VegaModule from "vega";
import type * as VegaLiteModule from "vega-lite";
import type * as ResvgModule from "@resvg/resvg-js";
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

/** The rendering libraries, loaded on first use. */
interface Renderers {
  vega: typeof VegaModule;
  vegaLite: typeof VegaLiteModule;
  resvg: typeof ResvgModule;
}

let renderers: Renderers | undefined;

/**
 * Vega, Vega-Lite and resvg, imported on first use: they take most of a process's start-up, and
 * every stage module is loaded by every instance process, which mostly renders nothing.
 */
async function loadRenderers(): Promise<Renderers> {
  return renderers ??= {
    vega: await import("vega"),
    vegaLite: await import("vega-lite"),
    resvg: await import("@resvg/resvg-js"),
  };
}

/** Compiles a Vega-Lite spec to a Vega spec; Vega-Lite warnings become errors. */
export async function compileSpec(spec: ChartSpec): Promise<VegaModule.Spec> {
  const { vegaLite } = await loadRenderers();
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
  const out = vegaLite.compile(spec, { logger: logger as any }).spec;
  if (warnings.length > 0) throw new Error(`Vega-Lite warnings: ${warnings.join("; ")}`);
  return out;
}

/** Renders a Vega-Lite spec to an SVG document string. */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  const { vega } = await loadRenderers();
  const view = new vega.View(vega.parse(await compileSpec(spec)), { renderer: "none" });
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
export async function rasterizeSvg(
  svg: string,
  options: { scale?: number; fontFile?: string } = {},
): Promise<Raster> {
  const { resvg: { Resvg } } = await loadRenderers();
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
export async function svgToPng(
  svg: string,
  options: { scale?: number; fontFile?: string } = {},
): Promise<Uint8Array> {
  return (await rasterizeSvg(svg, options)).png;
}
