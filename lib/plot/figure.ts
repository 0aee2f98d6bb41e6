/**
 * The {@link Figure}: a drawing in logical (CSS) pixels that renders to PNG at any scale, to SVG,
 * saves itself atomically, and displays itself in a Deno Jupyter cell.
 *
 * @module
 */
import { createCanvas, type SKRSContext2D, SvgExportFlag } from "@napi-rs/canvas";
import { extname, resolve } from "node:path";
import { ensureFonts } from "./fonts.ts";
import { writeFileAtomicSync } from "../io/atomic_write.ts";
import { bytesToBase64, escapeHtml } from "../format/mod.ts";

/** `Symbol.for("Jupyter.display")`: the method Deno's Jupyter kernel calls to show an object. */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for("Jupyter.display") as never;

/** Draws a figure's content on a context whose units are logical pixels. */
export type DrawFunction = (ctx: SKRSContext2D) => void;

/** Options of the {@link Figure} constructor (figure functions build these for you). */
export interface FigureOptions<L> {
  /** Logical width in pixels: the width the figure is shown at in a notebook. */
  width: number;
  /** Logical height in pixels. */
  height: number;
  /** Paints the content; called once per render. */
  draw: DrawFunction;
  /** Device pixels per logical pixel of {@link Figure.toPng} and the notebook display (default 2). */
  scale?: number;
  /** A short description used as alt text and in the plain-text display. */
  title?: string;
  /** Geometry of what was drawn (data-to-pixel transforms, cell boxes), in logical pixels. */
  layout: L;
  /** Background colour (default white). */
  background?: string;
}

/** The MIME bundle a figure shows in Jupyter. */
export interface MimeBundle {
  /** The PNG at {@link Figure.scale}, base64. */
  "image/png": string;
  /** The same PNG in an `<img>` whose width is the logical width, so 2x renders look sharp. */
  "text/html": string;
  /** A one-line description. */
  "text/plain": string;
}

function checkSize(name: string, value: number, max = 20000): void {
  if (!Number.isFinite(value) || value <= 0 || value > max) {
    throw new Error(`Figure: ${name} must be a number in (0, ${max}], got ${value}.`);
  }
}

/**
 * A rendered-on-demand figure. Every figure function (`imageGrid`, `learningCurves`, ...) returns
 * one; `layout` tells where things were drawn.
 *
 * ```ts
 * const fig = learningCurves({ series: [{ name: "train", values: [0.3, 0.2, 0.15] }] });
 * fig;                               // last expression of a notebook cell: shows the plot
 * fig.save("runs/curves.png");       // or .svg
 * const png: Uint8Array = fig.toPng();
 * ```
 */
export class Figure<L = unknown> {
  /** Logical width in pixels. */
  readonly width: number;
  /** Logical height in pixels. */
  readonly height: number;
  /** Device pixels per logical pixel of PNG output (default 2: sharp on high-DPI screens). */
  scale: number;
  /** Short description (alt text). */
  readonly title: string;
  /** Where things were drawn, in logical pixels (multiply by the PNG scale for PNG pixels). */
  readonly layout: L;
  readonly #draw: DrawFunction;
  readonly #background: string;

  /** Builds a figure from a draw function; see {@link FigureOptions}. */
  constructor(options: FigureOptions<L>) {
    checkSize("width", options.width);
    checkSize("height", options.height);
    const scale = options.scale ?? 2;
    checkSize("scale", scale, 8);
    ensureFonts();
    this.width = Math.ceil(options.width);
    this.height = Math.ceil(options.height);
    this.scale = scale;
    this.title = options.title ?? "figure";
    this.layout = options.layout;
    this.#draw = options.draw;
    this.#background = options.background ?? "#ffffff";
  }

  #paint(ctx: SKRSContext2D, scale: number): void {
    ctx.save();
    ctx.scale(scale, scale);
    ctx.fillStyle = this.#background;
    ctx.fillRect(0, 0, this.width, this.height);
    this.#draw(ctx);
    ctx.restore();
  }

  /**
   * The figure as PNG bytes, `width*scale` by `height*scale` pixels.
   *
   * @param options.scale device pixels per logical pixel (default {@link Figure.scale}).
   */
  toPng(options: { scale?: number } = {}): Uint8Array {
    const scale = options.scale ?? this.scale;
    checkSize("scale", scale, 8);
    const canvas = createCanvas(Math.round(this.width * scale), Math.round(this.height * scale));
    this.#paint(canvas.getContext("2d"), scale);
    return new Uint8Array(canvas.encodeSync("png"));
  }

  /** The figure as an SVG document (text converted to paths, so no font is needed to view it). */
  toSvg(): string {
    const canvas = createCanvas(this.width, this.height, SvgExportFlag.ConvertTextToPaths);
    this.#paint(canvas.getContext("2d"), 1);
    // Keep image pixels square when a browser scales the embedded bitmaps.
    return new TextDecoder().decode(canvas.getContent())
      .replaceAll("<image ", '<image style="image-rendering:pixelated" ');
  }

  /**
   * Writes the figure atomically (temporary file, then rename), creating the folder if needed.
   * `.png` writes a PNG at {@link Figure.scale} (or `options.scale`), `.svg` an SVG.
   *
   * @returns the absolute path written.
   */
  save(path: string, options: { scale?: number } = {}): string {
    const extension = extname(path).toLowerCase();
    let bytes: Uint8Array;
    if (extension === ".png") bytes = this.toPng(options);
    else if (extension === ".svg") bytes = new TextEncoder().encode(this.toSvg());
    else {
      throw new Error(
        `Figure.save: "${path}" has extension "${extension}"; use .png or .svg.`,
      );
    }
    writeFileAtomicSync(path, bytes);
    return resolve(path);
  }

  /**
   * The Jupyter MIME bundle (Deno's kernel calls this for the last expression of a cell and for
   * `Deno.jupyter.display(fig)`). Deno sends no display metadata, so the logical size is carried
   * by the `text/html` `<img width>`; `image/png` is there for frontends without HTML.
   */
  [JUPYTER_DISPLAY](): MimeBundle {
    return this.toMimeBundle();
  }

  /** The MIME bundle of {@link Figure[JUPYTER_DISPLAY]} (PNG, HTML `<img>`, plain text). */
  toMimeBundle(): MimeBundle {
    const data = bytesToBase64(this.toPng());
    const alt = escapeHtml(this.title);
    return {
      "image/png": data,
      "text/html": `<img src="data:image/png;base64,${data}" width="${this.width}" ` +
        `height="${this.height}" alt="${alt}" style="max-width:100%;height:auto"/>`,
      "text/plain": `Figure "${this.title}" (${this.width}x${this.height} px)`,
    };
  }
}
