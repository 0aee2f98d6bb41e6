/**
 * Decoder-driven figures: the VAE manifold over Normal quantiles, interpolation strips between
 * two codes, and samples from the prior. They take a `decode` callback, so this folder does not
 * depend on lib/models.
 *
 * @module
 */
import type { SKRSContext2D } from "@napi-rs/canvas";
import { type Box, drawFigureTitle } from "./axes.ts";
import { Figure } from "./figure.ts";
import { font, measureText } from "./fonts.ts";
import { imageGrid, type ImageGridLayout } from "./image_grid.ts";
import {
  checkFiniteArray,
  checkPositiveInteger,
  imageAt,
  type ImagesInput,
  type ImageStack,
  isTensorLike,
  toImageStack,
} from "./input.ts";
import { normalCdf, normalQuantile, normalSamples } from "./normal.ts";
import { formatNumber } from "../format/number_format.ts";
import { INK } from "./palette.ts";
import { type Colormap, drawImageValues } from "./raster.ts";

/**
 * Maps `count` latent codes (`z`, row-major `count*latentDim`) to `count` images. May return a
 * tfjs tensor (e.g. `(z, n) => tf.tidy(() => model.decode(tf.tensor2d(z, [n, 2])))`); a returned
 * tensor is read and then disposed by the figure.
 */
export type DecodeFunction = (z: Float32Array, count: number) => ImagesInput;

/** Runs `decode` and checks that it produced `count` images. */
export function decodeImages(
  where: string,
  decode: DecodeFunction,
  z: Float32Array,
  count: number,
  imageShape?: readonly [number, number],
): ImageStack {
  if (typeof decode !== "function") {
    throw new Error(`${where}: decode must be a function (z: Float32Array, count) => images.`);
  }
  const output = decode(z, count);
  try {
    const stack = toImageStack(where, output, { imageShape, name: "decode(z) output" });
    if (stack.count !== count) {
      throw new Error(
        `${where}: decode returned ${stack.count} images for ${count} codes; it must return ` +
          `one image per code.`,
      );
    }
    return stack;
  } finally {
    if (isTensorLike(output) && typeof (output as { dispose?: unknown }).dispose === "function") {
      (output as unknown as { dispose(): void }).dispose();
    }
  }
}

/** Options of {@link manifold}. */
export interface ManifoldOptions {
  /** The decoder of a model with a 2-D latent space. */
  decode: DecodeFunction;
  /** Images per side (default 15). */
  gridSize?: number;
  /**
   * Normal quantiles of the first and last grid lines (default [0.05, 0.95]); see also
   * `zRange`.
   */
  quantileRange?: readonly [number, number];
  /**
   * The grid's first and last z on both axes, symmetric: ±zRange (e.g. the reach of a model's
   * codes); the grid lines stay at equal steps of the prior's quantiles between Φ(−zRange) and
   * Φ(zRange). Overrides `quantileRange`.
   */
  zRange?: number;
  /** Figure title (default "VAE manifold: decoder over Φ⁻¹ grid"). */
  title?: string;
  /** Side of each image in logical pixels (default 28). */
  cellSize?: number;
  /** `[height, width]` of flat decoder outputs (default 28x28). */
  imageShape?: readonly [number, number];
  /** `gray` (default) or `gray-inverted`. */
  colormap?: Colormap;
  /** PNG scale (default 2). */
  scale?: number;
}

/** Geometry of a {@link manifold} figure. */
export interface ManifoldLayout {
  /** `cells[i][j]`: image of row i (top to bottom, z2 decreasing), column j (z1 increasing). */
  cells: Box[][];
  /** z1 of each column. */
  z1: number[];
  /** z2 of each row. */
  z2: number[];
  /** The codes decoded, row-major `(i*gridSize + j)*2`. */
  codes: Float32Array;
  /** The quantiles of the first and last grid lines. */
  quantileRange: [number, number];
  /**
   * Axis ticks at whole z values: `offset` is the tick's place in cells from the first cell's
   * centre (fractional: the grid is uniform in Φ(z), so whole z values are not evenly spaced).
   */
  ticks: { z: number; offset: number }[];
}

/**
 * The decoder swept over a `gridSize x gridSize` grid of standard Normal quantiles of its 2-D
 * latent space, with the z values on the axes.
 *
 * @throws Error if `decode` is missing, returns the wrong number of images or bad values.
 */
export function manifold(options: ManifoldOptions): Figure<ManifoldLayout> {
  const where = "manifold";
  const n = options.gridSize ?? 15;
  checkPositiveInteger(where, "gridSize", n);
  if (n < 2) throw new Error(`${where}: gridSize must be at least 2, got ${n}.`);
  if (options.zRange !== undefined && !(options.zRange > 0 && options.zRange < 8.2)) {
    throw new Error(`${where}: zRange must lie in (0, 8.2), got ${options.zRange}.`);
  }
  const [q0, q1] = options.zRange !== undefined
    ? [normalCdf(-options.zRange), normalCdf(options.zRange)]
    : options.quantileRange ?? [0.05, 0.95];
  if (!(q0 > 0 && q1 < 1 && q0 < q1)) {
    throw new Error(`${where}: quantileRange must satisfy 0 < low < high < 1, got [${q0}, ${q1}].`);
  }
  const zValues = Array.from(
    { length: n },
    (_, k) => normalQuantile(q0 + ((q1 - q0) * k) / (n - 1)),
  );
  const z1 = zValues;
  const z2 = [...zValues].reverse();
  const codes = new Float32Array(n * n * 2);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      codes[(i * n + j) * 2] = z1[j];
      codes[(i * n + j) * 2 + 1] = z2[i];
    }
  }
  const stack = decodeImages(where, options.decode, codes, n * n, options.imageShape);
  const cell = options.cellSize ?? 28;
  const cellH = cell * (stack.height / stack.width);
  const title = options.title ?? "VAE manifold: decoder over a grid of Normal quantiles";
  const top = title ? 40 : 12;
  const left = 64;
  const cells: Box[][] = [];
  for (let i = 0; i < n; i++) {
    cells.push(
      Array.from({ length: n }, (_, j) => ({
        x: left + j * cell,
        y: top + i * cellH,
        width: cell,
        height: cellH,
      })),
    );
  }
  const gridW = n * cell;
  const gridH = n * cellH;
  // Ticks at whole z values, placed where Φ(z) falls between the grid's quantiles: their uneven
  // spacing shows the quantile grid honestly (equal steps of probability, not of z).
  const ticks: { z: number; offset: number }[] = [];
  for (let z = Math.ceil(z1[0] - 1e-4); z <= z1[n - 1] + 1e-4; z++) {
    ticks.push({ z, offset: ((normalCdf(z) - q0) / (q1 - q0)) * (n - 1) });
  }
  const axisNote = `grid at equal steps of the prior's Φ(z), ${
    formatNumber(q0, { significant: 2, percent: true })
  } to ${formatNumber(q1, { significant: 3, percent: true })}: z = ${
    formatNumber(z1[0], { decimals: 2 })
  } to ${formatNumber(z1[n - 1], { decimals: 2 })}`;
  const noteHalf = measureText(axisNote, font(10)) / 2 + 8;
  const noteX = Math.max(left + gridW / 2, noteHalf);
  const width = Math.max(
    left + gridW + 24,
    noteX + noteHalf,
    title ? measureText(title, font(15, "bold")) + 24 : 0,
  );
  const height = top + gridH + 56;
  const labelFont = font(10);
  const draw = (ctx: SKRSContext2D) => {
    if (title) drawFigureTitle(ctx, title, width);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        drawImageValues(
          ctx,
          imageAt(stack, i * n + j),
          stack.height,
          stack.width,
          cells[i][j],
          options.colormap ?? "gray",
        );
      }
    }
    ctx.save();
    ctx.strokeStyle = INK.axis;
    ctx.fillStyle = INK.muted;
    ctx.font = labelFont;
    ctx.lineWidth = 1;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const tick of ticks) {
      const px = left + (tick.offset + 0.5) * cell;
      ctx.beginPath();
      ctx.moveTo(px, top + gridH);
      ctx.lineTo(px, top + gridH + 4);
      ctx.stroke();
      ctx.fillText(formatNumber(tick.z, { decimals: 0 }), px, top + gridH + 6);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const tick of ticks) {
      // Rows run from the largest z2 down.
      const py = top + (n - 1 - tick.offset + 0.5) * cellH;
      ctx.beginPath();
      ctx.moveTo(left - 4, py);
      ctx.lineTo(left, py);
      ctx.stroke();
      ctx.fillText(formatNumber(tick.z, { decimals: 0 }), left - 6, py);
    }
    ctx.fillStyle = INK.text;
    ctx.font = font(12);
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    ctx.fillText("z1", left + gridW / 2, top + gridH + 20);
    ctx.font = font(10);
    ctx.fillStyle = INK.muted;
    ctx.fillText(axisNote, noteX, top + gridH + 36);
    ctx.fillStyle = INK.text;
    ctx.font = font(12);
    ctx.save();
    ctx.translate(left - 44, top + gridH / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "bottom";
    ctx.fillText("z2", 0, 0);
    ctx.restore();
    ctx.restore();
  };
  return new Figure<ManifoldLayout>({
    width,
    height,
    draw,
    scale: options.scale,
    title,
    layout: { cells, z1, z2, codes, quantileRange: [q0, q1], ticks },
  });
}

/** Image layout options shared by the strip and grid figures of decoded codes. */
export interface DecodedGridOptions {
  /** `[height, width]` of flat decoder outputs (default 28x28). */
  imageShape?: readonly [number, number];
  /** Side of each image (default 56). */
  cellSize?: number;
  /** PNG scale (default 2). */
  scale?: number;
}

/** Options of {@link interpolationStrip}. */
export interface InterpolationOptions extends DecodedGridOptions {
  /** Decoder of the model. */
  decode: DecodeFunction;
  /** Start code (length = latent dimension). */
  from: ArrayLike<number>;
  /** End code (same length). */
  to: ArrayLike<number>;
  /** Number of images including both ends (default 10). */
  steps?: number;
  /** Optional images drawn at the two ends of the strip (e.g. the inputs that were encoded). */
  endpoints?: { from: ImagesInput; to: ImagesInput };
  /** Figure title (default "Interpolation in latent space"). */
  title?: string;
  /** Row title (default none). */
  rowTitle?: string;
}

/**
 * Decodes `steps` codes on the straight line from `from` to `to` (t = 0 .. 1, shown under each
 * image); with `endpoints`, the two input images are drawn at the ends.
 */
export function interpolationStrip(options: InterpolationOptions): Figure<ImageGridLayout> {
  const where = "interpolationStrip";
  checkFiniteArray(where, "from", options.from);
  checkFiniteArray(where, "to", options.to);
  if (options.from.length !== options.to.length) {
    throw new Error(
      `${where}: from has ${options.from.length} values but to has ${options.to.length}; ` +
        `both must be codes of the same latent dimension.`,
    );
  }
  const steps = options.steps ?? 10;
  checkPositiveInteger(where, "steps", steps);
  if (steps < 2) throw new Error(`${where}: steps must be at least 2, got ${steps}.`);
  const d = options.from.length;
  const z = new Float32Array(steps * d);
  const ts: number[] = [];
  for (let s = 0; s < steps; s++) {
    const t = s / (steps - 1);
    ts.push(t);
    for (let k = 0; k < d; k++) {
      z[s * d + k] = options.from[k] + t * (options.to[k] - options.from[k]);
    }
  }
  const stack = decodeImages(where, options.decode, z, steps, options.imageShape);
  const images: Float32Array[] = Array.from({ length: steps }, (_, s) => imageAt(stack, s));
  const captions = ts.map((t) => `t=${formatNumber(t, { decimals: 2 })}`);
  if (options.endpoints) {
    const shape = { imageShape: [stack.height, stack.width] as [number, number] };
    const a = toImageStack(where, options.endpoints.from, { ...shape, name: "endpoints.from" });
    const b = toImageStack(where, options.endpoints.to, { ...shape, name: "endpoints.to" });
    if (a.count !== 1 || b.count !== 1) {
      throw new Error(`${where}: endpoints.from and endpoints.to must be one image each.`);
    }
    images.unshift(a.data);
    images.push(b.data);
    captions.unshift("input A");
    captions.push("input B");
  }
  const rows = [{ title: options.rowTitle ?? "", images, captions }];
  return imageGrid({
    title: options.title ?? "Interpolation in latent space",
    rows,
    imageShape: [stack.height, stack.width],
    cellSize: options.cellSize,
    scale: options.scale,
  });
}

/** Options of {@link priorSamples}. */
export interface PriorSamplesOptions extends DecodedGridOptions {
  /** Decoder of the VAE. */
  decode: DecodeFunction;
  /** Dimension of the latent space. */
  latentDim: number;
  /** Number of samples (default 40). */
  count?: number;
  /** Images per row (default 10). */
  columns?: number;
  /** Seed of the Normal draws (default 0). */
  seed?: number;
  /** Figure title (default "Samples from the prior N(0, I)"). */
  title?: string;
}

/** Decodes `count` seeded draws z ~ N(0, I) and shows them as an image grid. */
export function priorSamples(options: PriorSamplesOptions): Figure<ImageGridLayout> {
  const where = "priorSamples";
  checkPositiveInteger(where, "latentDim", options.latentDim);
  const count = options.count ?? 40;
  const columns = options.columns ?? 10;
  checkPositiveInteger(where, "count", count);
  checkPositiveInteger(where, "columns", columns);
  const z = normalSamples(count * options.latentDim, options.seed ?? 0);
  const stack = decodeImages(where, options.decode, z, count, options.imageShape);
  const rows = [];
  for (let start = 0; start < count; start += columns) {
    const images = [];
    for (let s = start; s < Math.min(count, start + columns); s++) images.push(imageAt(stack, s));
    rows.push({ images });
  }
  return imageGrid({
    title: options.title ?? "Samples from the prior N(0, I)",
    rows,
    imageShape: [stack.height, stack.width],
    cellSize: options.cellSize,
    gap: 2,
    scale: options.scale,
  });
}
