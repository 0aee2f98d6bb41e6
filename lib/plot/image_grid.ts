/**
 * Image grids: rows of images with row titles and captions (originals over reconstructions), an
 * optional |x - x̂| heat-map row with its colour scale.
 *
 * @module
 */
import type { SKRSContext2D } from "@napi-rs/canvas";
import { type Box, drawFigureTitle, linearScale } from "./axes.ts";
import { Figure } from "./figure.ts";
import { font, measureText } from "./fonts.ts";
import { imageAt, type ImagesInput, type ImageStack, toImageStack } from "./input.ts";
import { INK } from "./palette.ts";
import { type Colormap, drawImageValues } from "./raster.ts";

/** One row of an {@link imageGrid}. */
export interface ImageRow {
  /** Shown left of the row, e.g. "original". */
  title?: string;
  /** The row's images (see {@link ImagesInput}). */
  images: ImagesInput;
  /** Optional text under each image (at most one per image). */
  captions?: readonly string[];
}

/** Options of {@link imageGrid}. */
export interface ImageGridOptions {
  /** Rows of images, top to bottom. Rows may have different lengths. */
  rows: readonly ImageRow[];
  /** Figure title. */
  title?: string;
  /**
   * Adds a heat-map row of |row a - row b| per image (default rows 0 and 1) with a colour scale
   * from 0 to `max` (default 1). `true` means `{ between: [0, 1] }`.
   */
  difference?: boolean | { between?: readonly [number, number]; title?: string; max?: number };
  /** Side of each image in logical pixels (default 56: 2 per pixel of a 28x28 image). */
  cellSize?: number;
  /** Space between images (default 4). */
  gap?: number;
  /** `gray` (default: KMNIST as stored, white ink on black) or `gray-inverted`. */
  colormap?: Colormap;
  /** `[height, width]` of each image for flat inputs (default 28x28). */
  imageShape?: readonly [number, number];
  /** PNG scale (default 2). */
  scale?: number;
}

/** Where an {@link imageGrid} drew things, in logical pixels. */
export interface ImageGridLayout {
  /** `cells[i][j]`: the box of image j of row i (the difference row, if any, comes last). */
  cells: Box[][];
  /** Row titles as drawn (the difference row's included). */
  rowTitles: string[];
  /** The colour bar of the difference row. */
  colorbar?: Box;
  /** Height and width of each image in image pixels. */
  imageShape: [number, number];
}

interface PreparedRow {
  title: string;
  stack: ImageStack;
  captions: readonly string[];
  colormap: Colormap;
  scaleMax: number;
}

/**
 * A grid of images, one row per entry of `rows`.
 *
 * ```ts
 * imageGrid({
 *   title: "Conv AE: test reconstructions",
 *   rows: [{ title: "original", images: x }, { title: "reconstruction", images: xHat }],
 *   difference: true,
 * });
 * ```
 *
 * @throws Error for no rows, empty rows, rows of different image shapes, too many captions,
 *   or bad image values (see {@link toImageStack}).
 */
export function imageGrid(options: ImageGridOptions): Figure<ImageGridLayout> {
  const where = "imageGrid";
  if (!Array.isArray(options?.rows) || options.rows.length === 0) {
    throw new Error(`${where}: rows is empty; pass rows: [{ title, images }, ...].`);
  }
  const colormap = options.colormap ?? "gray";
  const rows: PreparedRow[] = options.rows.map((row, i) => {
    const stack = toImageStack(where, row.images, {
      imageShape: options.imageShape,
      name: `rows[${i}].images`,
    });
    const captions = row.captions ?? [];
    if (captions.length > stack.count) {
      throw new Error(
        `${where}: rows[${i}] has ${captions.length} captions for ${stack.count} images.`,
      );
    }
    return { title: row.title ?? "", stack, captions, colormap, scaleMax: 1 };
  });
  const [h, w] = [rows[0].stack.height, rows[0].stack.width];
  rows.forEach((row, i) => {
    if (row.stack.height !== h || row.stack.width !== w) {
      throw new Error(
        `${where}: rows[${i}] holds ${row.stack.height}x${row.stack.width} images but rows[0] ` +
          `holds ${h}x${w}; all rows must have the same image shape.`,
      );
    }
  });
  let differenceMax = 0;
  if (options.difference) {
    const spec = options.difference === true ? {} : options.difference;
    const [a, b] = spec.between ?? [0, 1];
    const ra = rows[a];
    const rb = rows[b];
    if (!ra || !rb) {
      throw new Error(
        `${where}: difference.between = [${a}, ${b}] but there are only ${rows.length} rows.`,
      );
    }
    if (ra.stack.count !== rb.stack.count) {
      throw new Error(
        `${where}: the difference needs rows ${a} and ${b} to have as many images, but they ` +
          `have ${ra.stack.count} and ${rb.stack.count}.`,
      );
    }
    const data = new Float32Array(ra.stack.data.length);
    for (let i = 0; i < data.length; i++) {
      data[i] = Math.abs(ra.stack.data[i] - rb.stack.data[i]);
    }
    differenceMax = spec.max ?? 1;
    if (!(differenceMax > 0)) {
      throw new Error(`${where}: difference.max must be positive, got ${differenceMax}.`);
    }
    rows.push({
      title: spec.title ?? "|difference|",
      stack: { ...ra.stack, data },
      captions: [],
      colormap: "viridis",
      scaleMax: differenceMax,
    });
  }

  const cell = options.cellSize ?? 56;
  const cellHeight = cell * (h / w);
  const gap = options.gap ?? 4;
  const titleFont = font(12);
  const captionFont = font(11);
  const titleWidth = Math.max(0, ...rows.map((r) => measureText(r.title, titleFont)));
  const left = Math.ceil(12 + (titleWidth > 0 ? titleWidth + 10 : 0));
  const top = options.title ? 40 : 12;
  const columns = Math.max(...rows.map((r) => r.stack.count));
  const colorbarSpace = differenceMax > 0 ? 70 : 0;
  const cells: Box[][] = [];
  let y = top;
  for (const row of rows) {
    const boxes: Box[] = [];
    for (let j = 0; j < row.stack.count; j++) {
      boxes.push({ x: left + j * (cell + gap), y, width: cell, height: cellHeight });
    }
    cells.push(boxes);
    y += cellHeight + gap + (row.captions.length > 0 ? 16 : 0);
  }
  const gridRight = left + columns * (cell + gap) - gap;
  const width = gridRight + 12 + colorbarSpace;
  const titleNeeds = options.title ? measureText(options.title, font(15, "bold")) + 24 : 0;
  const figureWidth = Math.max(width, titleNeeds);
  const height = y - gap + 12;
  let colorbar: Box | undefined;
  if (differenceMax > 0) {
    const last = cells[cells.length - 1][0];
    colorbar = { x: gridRight + 14, y: last.y, width: 10, height: cellHeight };
  }

  const draw = (ctx: SKRSContext2D) => {
    if (options.title) drawFigureTitle(ctx, options.title, figureWidth);
    rows.forEach((row, i) => {
      const boxes = cells[i];
      ctx.fillStyle = INK.text;
      ctx.font = titleFont;
      ctx.textAlign = "right";
      ctx.textBaseline = "middle";
      if (row.title && boxes.length > 0) {
        ctx.fillText(row.title, left - 10, boxes[0].y + cellHeight / 2);
      }
      for (let j = 0; j < row.stack.count; j++) {
        drawImageValues(ctx, imageAt(row.stack, j), h, w, boxes[j], row.colormap, row.scaleMax);
        const caption = row.captions[j];
        if (caption) {
          ctx.fillStyle = INK.muted;
          ctx.font = captionFont;
          ctx.textAlign = "center";
          ctx.textBaseline = "top";
          ctx.fillText(caption, boxes[j].x + cell / 2, boxes[j].y + cellHeight + 2, cell + gap);
        }
      }
    });
    if (colorbar) drawColorbar(ctx, colorbar, differenceMax);
  };
  return new Figure<ImageGridLayout>({
    width: figureWidth,
    height,
    draw,
    scale: options.scale,
    title: options.title ?? `image grid (${rows.length} rows)`,
    layout: { cells, rowTitles: rows.map((r) => r.title), colorbar, imageShape: [h, w] },
  });
}

/** Draws a vertical viridis colour bar for values 0..max with tick labels on its right. */
export function drawColorbar(ctx: SKRSContext2D, box: Box, max: number): void {
  const steps = 64;
  const ramp = new Float32Array(steps);
  for (let i = 0; i < steps; i++) ramp[i] = (steps - 1 - i) / (steps - 1);
  drawImageValues(ctx, ramp, steps, 1, box, "viridis", 1);
  ctx.save();
  ctx.strokeStyle = INK.axis;
  ctx.lineWidth = 0.8;
  ctx.strokeRect(box.x, box.y, box.width, box.height);
  const scale = linearScale([0, max], [box.y + box.height, box.y], { nice: false, tickCount: 2 });
  ctx.fillStyle = INK.muted;
  ctx.font = font(10);
  ctx.textAlign = "left";
  ctx.textBaseline = "middle";
  scale.ticks.forEach((t, i) => {
    const py = scale.map(t);
    ctx.beginPath();
    ctx.moveTo(box.x + box.width, py);
    ctx.lineTo(box.x + box.width + 3, py);
    ctx.stroke();
    ctx.fillText(scale.labels[i], box.x + box.width + 5, py);
  });
  ctx.restore();
}
