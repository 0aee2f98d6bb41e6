/**
 * Latent scatter: 2-D codes coloured by class, with a legend of each class's character and
 * romaji; codes of more than two dimensions are projected by PCA (stated in the title).
 *
 * @module
 */
import type { SKRSContext2D } from "@napi-rs/canvas";
import { KMNIST_CLASSES } from "../data/classes.ts";
import { createRandom } from "../data/random.ts";
import { type Box, drawAxes, drawFigureTitle, linearScale, type Scale } from "./axes.ts";
import { Figure } from "./figure.ts";
import { measureText } from "./fonts.ts";
import { type CodesInput, toCodeMatrix } from "./input.ts";
import { drawLegend, type LegendEntry, type LegendLayout, legendLayout } from "./legend.ts";
import { INK, seriesColor } from "./palette.ts";
import { formatNumber } from "../format/number_format.ts";
import { pca } from "./pca.ts";
import { font } from "./fonts.ts";

/** A class as shown in legends and axis labels (KmnistClass fits). */
export interface ClassLabel {
  /** The character, e.g. "お". */
  char: string;
  /** Its romaji, e.g. "o". */
  romaji: string;
}

/** Options of {@link latentScatter}. */
export interface LatentScatterOptions {
  /** `n` codes: flat `n*dims` (with `dims`), rows, or a `[n, dims]` tensor. */
  codes: CodesInput;
  /** Class index of each code, `0..classes.length-1`. */
  labels: ArrayLike<number>;
  /** Values per code for flat `codes`. */
  dims?: number;
  /** Class names (default the ten KMNIST classes). */
  classes?: readonly ClassLabel[];
  /** Figure title (default "Latent codes" / "PCA of D-D codes"), the projection is appended. */
  title?: string;
  /** At most this many points are drawn, a seeded random subset (default 5000). */
  maxPoints?: number;
  /** Seed of the subset and drawing order (default 0). */
  seed?: number;
  /** Dot radius in logical pixels (default 2.2). */
  pointRadius?: number;
  /**
   * Quantiles of each coordinate that the axes span (default [0.005, 0.995]), so that a few
   * outlying codes do not shrink the rest into a corner; the figure states how many codes lie
   * outside. `false` spans every code.
   */
  clipQuantiles?: readonly [number, number] | false;
  /** Side of the square plot area (default 420). */
  size?: number;
  /** PNG scale (default 2). */
  scale?: number;
}

/** Geometry of a {@link latentScatter} figure. */
export interface LatentScatterLayout {
  /** The plot area. */
  area: Box;
  /** Horizontal scale (first coordinate). */
  x: Scale;
  /** Vertical scale (second coordinate). */
  y: Scale;
  /** 2-D point to logical pixel. */
  toPixel(u: number, v: number): [number, number];
  /** The 2-D coordinates plotted for every input code (after PCA when dims > 2), `n*2`. */
  points: Float64Array;
  /** "identity" for 2-D codes, "pca" otherwise. */
  projection: "identity" | "pca";
  /** Explained variance share of the two axes when projected. */
  explainedVarianceRatio?: [number, number];
  /** The legend geometry (entry i is class i). */
  legend: LegendLayout;
  /** The colour of each class. */
  colors: string[];
  /** The title drawn. */
  title: string;
  /** Codes outside the plotted square (clipped by `clipQuantiles`). */
  outside: number;
  /** The note under the plot saying what was clipped ("" when nothing was). */
  note: string;
}

/** The value at quantile `q` of `values` (sorted copy, nearest rank). */
function quantileOf(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
}

/**
 * Scatter of latent codes coloured by class.
 *
 * ```ts
 * latentScatter({ codes: encoderMeans, labels: test.labels }); // [n, 2] tensor, or PCA if wider
 * ```
 *
 * @throws Error for empty or non-finite codes, 1-D codes, a label count different from the code
 *   count, or labels outside the class list.
 */
export function latentScatter(options: LatentScatterOptions): Figure<LatentScatterLayout> {
  const where = "latentScatter";
  const classes = options.classes ?? KMNIST_CLASSES;
  const matrix = toCodeMatrix(where, options.codes, { dims: options.dims });
  const { count, dims } = matrix;
  if (dims < 2) {
    throw new Error(`${where}: codes have ${dims} dimension; a scatter needs at least 2.`);
  }
  const labels = options.labels;
  if (!labels || labels.length !== count) {
    throw new Error(
      `${where}: ${count} codes but ${labels?.length ?? 0} labels; pass one label per code.`,
    );
  }
  for (let i = 0; i < count; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= classes.length) {
      throw new Error(
        `${where}: labels[${i}] is ${l}; labels must be class indices 0..${classes.length - 1}.`,
      );
    }
  }
  let points: Float64Array;
  let explained: [number, number] | undefined;
  if (dims === 2) points = matrix.data;
  else {
    const result = pca(matrix.data, { dims, components: 2 });
    points = result.projected;
    explained = [result.explainedVarianceRatio[0], result.explainedVarianceRatio[1]];
  }
  const base = options.title ?? (dims === 2 ? "Latent codes" : "");
  const projectionText = dims === 2 ? "" : `PCA of ${dims}-D codes`;
  const title = base && projectionText ? `${base}: ${projectionText}` : base || projectionText;

  // Equal aspect: both axes span the same range, that of the codes between the clip quantiles.
  const clip = options.clipQuantiles ?? [0.005, 0.995];
  if (clip !== false && !(clip[0] >= 0 && clip[0] < clip[1] && clip[1] <= 1)) {
    throw new Error(
      `${where}: clipQuantiles is [${clip[0]}, ${clip[1]}]; pass 0 <= low < high <= 1, or false.`,
    );
  }
  const [qLow, qHigh] = clip === false ? [0, 1] : clip;
  const xs = Float64Array.from({ length: count }, (_, i) => points[2 * i]).sort();
  const ys = Float64Array.from({ length: count }, (_, i) => points[2 * i + 1]).sort();
  const [x0, x1] = [quantileOf(xs, qLow), quantileOf(xs, qHigh)];
  const [y0, y1] = [quantileOf(ys, qLow), quantileOf(ys, qHigh)];
  const span = Math.max(x1 - x0, y1 - y0, 1e-9) * 1.04;
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  let outside = 0;
  for (let i = 0; i < count; i++) {
    if (
      Math.abs(points[2 * i] - cx) > span / 2 || Math.abs(points[2 * i + 1] - cy) > span / 2
    ) outside++;
  }
  const percent = (q: number) => formatNumber(q, { significant: 3, percent: true });
  const note = outside === 0 ? "" : `Axes span the ${percent(qLow)}–${percent(qHigh)} quantiles ` +
    `of each coordinate: ${formatNumber(outside, { decimals: 0 })} of ${
      formatNumber(count, { decimals: 0 })
    } codes lie outside and are not drawn.`;
  const size = options.size ?? 420;
  const top = title ? 40 : 14;
  const area: Box = { x: 64, y: top, width: size, height: size };
  const sx = linearScale([cx - span / 2, cx + span / 2], [area.x, area.x + size], { nice: false });
  const sy = linearScale([cy - span / 2, cy + span / 2], [area.y + size, area.y], { nice: false });

  const entries: LegendEntry[] = classes.map((c, i) => ({
    label: `${c.char}  ${c.romaji}`,
    color: seriesColor(i),
    kind: "dot",
  }));
  const legend = legendLayout(entries, area.x + size + 16, area.y, 13);
  const width = Math.max(
    legend.box.x + legend.box.width + 14,
    title ? measureText(title, font(15, "bold")) + 24 : 0,
    note ? area.x + measureText(note, font(11)) + 16 : 0,
  );
  const height = area.y + size + (note ? 76 : 56);

  const random = createRandom(options.seed ?? 0);
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const drawn = order.slice(0, Math.min(count, options.maxPoints ?? 5000));
  const radius = options.pointRadius ?? 2.2;
  const colors = classes.map((_, i) => seriesColor(i));
  const toPixel = (u: number, v: number): [number, number] => [sx.map(u), sy.map(v)];

  const draw = (ctx: SKRSContext2D) => {
    if (title) drawFigureTitle(ctx, title, width);
    const axisNames = dims === 2 ? ["z1", "z2"] : [
      `PC1 (${formatNumber(explained![0], { decimals: 1, percent: true })} of variance)`,
      `PC2 (${formatNumber(explained![1], { decimals: 1, percent: true })})`,
    ];
    drawAxes(ctx, area, sx, sy, { xLabel: axisNames[0], yLabel: axisNames[1] });
    ctx.save();
    ctx.beginPath();
    ctx.rect(area.x, area.y, area.width, area.height);
    ctx.clip();
    ctx.globalAlpha = 0.7;
    for (const i of drawn) {
      const [px, py] = toPixel(points[2 * i], points[2 * i + 1]);
      ctx.fillStyle = colors[labels[i]];
      ctx.beginPath();
      ctx.arc(px, py, radius, 0, Math.PI * 2);
      ctx.fill();
    }
    ctx.restore();
    drawLegend(ctx, entries, legend, 13);
    if (note) {
      ctx.font = font(11);
      ctx.fillStyle = INK.muted;
      ctx.textAlign = "left";
      ctx.textBaseline = "top";
      ctx.fillText(note, area.x, area.y + size + 54);
    }
  };
  return new Figure<LatentScatterLayout>({
    width,
    height,
    draw,
    scale: options.scale,
    title: title || "latent scatter",
    layout: {
      area,
      x: sx,
      y: sy,
      toPixel,
      points,
      projection: dims === 2 ? "identity" : "pca",
      explainedVarianceRatio: explained,
      legend,
      colors,
      title,
      outside,
      note,
    },
  });
}
