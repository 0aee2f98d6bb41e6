/**
 * The design study's figures (notebook 06), drawn from numbers they are given (lib/study's
 * analysis prepares them from the trial records): a measure against code size with one line per
 * architecture, the β-VAE's rate against distortion, cost against test MSE with the Pareto front
 * on log axes, and reconstructions at every code size.
 *
 * The code-size axis is drawn in log2 of the size and labelled with the sizes (2, 4, 8, ...).
 *
 * @module
 */
import { formatNumber } from "../format/mod.ts";
import type { Figure } from "./figure.ts";
import { imageGrid, type ImageGridLayout } from "./image_grid.ts";
import { type CurveSeries, learningCurves, type LearningCurvesLayout } from "./learning_curves.ts";

/** One line of a code-size figure. */
export interface CodeSizeLineData {
  /** Name in the legend. */
  name: string;
  /** Code sizes (powers of two in the study). */
  codeSizes: readonly number[];
  /** The measure at each code size. */
  values: readonly number[];
  /** Drawn dashed (a baseline such as PCA). */
  dashed?: boolean;
}

/** Options of {@link codeSizeFigure}. */
export interface CodeSizeFigureOptions {
  /** Figure title. */
  title: string;
  /** The lines, one per architecture. */
  lines: readonly CodeSizeLineData[];
  /** y axis label. */
  yLabel: string;
  /** Log y axis (default false). */
  logY?: boolean;
  /** A flat reference line across the code sizes (e.g. the raw pixels' accuracy). */
  baseline?: { name: string; value: number };
}

const CODE_SIZE_AXIS = "code size (log2 axis)";

/** Labels a tick of a log2 code-size axis with the code size itself (1 -> "2", 5 -> "32"). */
function codeSizeLabel(log2Size: number): string {
  return formatNumber(2 ** log2Size, { decimals: 0 });
}

/** A measure against code size (log2 axis labelled with the sizes), one line per architecture. */
export function codeSizeFigure(options: CodeSizeFigureOptions): Figure<LearningCurvesLayout> {
  if (options.lines.length === 0) {
    throw new Error(`codeSizeFigure "${options.title}": no lines to draw; run the study first.`);
  }
  const series: CurveSeries[] = options.lines.map((line) => ({
    name: line.name,
    epochs: line.codeSizes.map(Math.log2),
    values: line.values,
    dashed: line.dashed ?? false,
  }));
  if (options.baseline) {
    const xs = series.flatMap((s) => Array.from(s.epochs ?? []));
    const low = Math.min(...xs), high = Math.max(...xs);
    series.push({
      name: options.baseline.name,
      epochs: [low, high],
      values: [options.baseline.value, options.baseline.value],
      dashed: true,
      color: "#444444",
    });
  }
  return learningCurves({
    title: options.title,
    series,
    xLabel: CODE_SIZE_AXIS,
    xTickLabel: codeSizeLabel,
    yLabel: options.yLabel,
    logY: options.logY ?? false,
    markers: true,
    panelSize: [520, 320],
  });
}

/** One line of the rate-distortion figure (nats per image). */
export interface RateDistortionLineData {
  /** Name in the legend. */
  name: string;
  /** KL terms (x). */
  rates: readonly number[];
  /** Reconstruction terms (y). */
  distortions: readonly number[];
  /** Drawn dashed. */
  dashed?: boolean;
  /** A label beside each point (e.g. "z=8"); coinciding points share one. */
  labels?: readonly string[];
}

/** A VAE's rate (KL) against its distortion (reconstruction term), one line per sweep. */
export function rateDistortionFigure(
  lines: readonly RateDistortionLineData[],
): Figure<LearningCurvesLayout> {
  if (lines.length === 0) {
    throw new Error("rateDistortionFigure: no lines to draw; run the study first.");
  }
  return learningCurves({
    title: "VAE: rate against distortion (nats per test image)",
    series: lines.map((line) => ({
      name: line.name,
      epochs: line.rates,
      values: line.distortions,
      dashed: line.dashed ?? false,
      ...(line.labels ? { pointLabels: line.labels } : {}),
    })),
    xLabel: "rate: KL(q(z|x) || p(z)), nats",
    yLabel: "distortion: −E log p(x|z), nats",
    markers: true,
    panelSize: [520, 320],
  });
}

/** A point of a cost figure: a cost and its test MSE. */
export interface CostPointData {
  /** Cost (parameters, seconds per epoch). */
  cost: number;
  /** Test MSE. */
  mse: number;
  /** Draw the marker hollow (e.g. a time taken on a busy machine). */
  hollow?: boolean;
}

/** One panel of {@link costFigure}. */
export interface CostPanelData {
  /** Panel title: what the cost is. */
  title: string;
  /** One line per architecture. */
  lines: readonly { name: string; points: readonly CostPointData[] }[];
  /** The Pareto front, by increasing cost. */
  front: readonly CostPointData[];
}

/**
 * Test MSE against cost, one panel per cost, each with its Pareto front (dashed): both axes are
 * log scales (costs span decades), labelled with the costs themselves. Points marked `hollow`
 * are drawn as rings.
 */
export function costFigure(panels: readonly CostPanelData[]): Figure<LearningCurvesLayout> {
  if (panels.length === 0 || panels.every((p) => p.lines.length === 0)) {
    throw new Error("costFigure: no cost points to draw; run the study first.");
  }
  return learningCurves({
    title: "Cost: test MSE against parameters and training time",
    panels: panels.map((panel) => ({
      title: panel.title,
      series: [
        ...panel.lines.map((line) => ({
          name: line.name,
          epochs: line.points.map((p) => p.cost),
          values: line.points.map((p) => p.mse),
          ...(line.points.some((p) => p.hollow)
            ? { hollow: line.points.map((p) => p.hollow ?? false) }
            : {}),
        })),
        {
          name: "Pareto front",
          epochs: panel.front.map((p) => p.cost),
          values: panel.front.map((p) => p.mse),
          dashed: true,
          color: "#444444",
        },
      ],
    })),
    xLabel: "cost (log axis)",
    yLabel: "test MSE (log)",
    logX: true,
    logY: true,
    markers: true,
    columns: 2,
    panelSize: [400, 300],
  });
}

/** Options of {@link reconstructionsByCodeSize}. */
export interface ReconstructionsByCodeSizeOptions {
  /** Figure title. */
  title: string;
  /** The sample images (`n * 784` values in [0, 1]). */
  originals: Float32Array;
  /** One row per code size: its reconstructions of the same images. */
  rows: readonly { codeSize: number; images: Float32Array }[];
}

/**
 * The same test images reconstructed at every code size by one architecture: the originals on
 * top, then one row per code size.
 */
export function reconstructionsByCodeSize(
  options: ReconstructionsByCodeSizeOptions,
): Figure<ImageGridLayout> {
  if (options.rows.length === 0) {
    throw new Error(`reconstructionsByCodeSize "${options.title}": no rows to draw.`);
  }
  return imageGrid({
    title: options.title,
    rows: [
      { title: "original", images: options.originals },
      ...options.rows.map((r) => ({ title: `z = ${r.codeSize}`, images: r.images })),
    ],
    cellSize: 40,
  });
}
