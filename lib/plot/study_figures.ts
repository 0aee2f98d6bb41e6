/**
 * The design study's figures (notebook 06), drawn with the library's public figure functions from
 * the study's trial records: test MSE and k-NN accuracy against code size, the β-VAE's rate
 * against distortion, cost (parameters, seconds per epoch) against MSE with the Pareto front,
 * reconstructions at every code size, and the table of every trial.
 *
 * Axes with powers of two or of ten are drawn in their logarithm (log2 code size, log10 of
 * parameters and of seconds), labelled as such.
 *
 * @module
 */
import type { TrialRecord } from "../study/records.ts";
import type { Figure } from "./figure.ts";
import { imageGrid, type ImageGridLayout } from "./image_grid.ts";
import { type CurveSeries, learningCurves, type LearningCurvesLayout } from "./learning_curves.ts";
import { type MetricRow, metricsTable, type MetricsTableLayout } from "./metrics_table.ts";
import { formatNumber } from "../format/number_format.ts";

/** Line order and names of the study's architectures. */
const ARCHITECTURES = ["pca", "vanilla", "multilayer", "convolutional", "variational"] as const;

/** The code-size sweep's records (β = 1), by architecture, sorted by code size. */
function sweep(records: readonly TrialRecord[], architecture: string): TrialRecord[] {
  return records.filter((r) =>
    r.settings.architecture === architecture && (r.settings.beta ?? 1) === 1
  ).sort((a, b) => a.settings.latentDim - b.settings.latentDim);
}

function checkRecords(where: string, records: readonly TrialRecord[]): void {
  if (!records.some((r) => r.results.mse !== undefined)) {
    throw new Error(`${where}: no finished trials with reconstructions; run the study first.`);
  }
}

function bySize(
  records: readonly TrialRecord[],
  value: (r: TrialRecord) => number | undefined,
): CurveSeries[] {
  const series: CurveSeries[] = [];
  for (const a of ARCHITECTURES) {
    const points = sweep(records, a).filter((r) => value(r) !== undefined);
    if (points.length === 0) continue;
    series.push({
      name: a === "pca" ? "PCA" : a,
      epochs: points.map((r) => Math.log2(r.settings.latentDim)),
      values: points.map((r) => value(r)!),
      dashed: a === "pca",
    });
  }
  return series;
}

const CODE_SIZE_AXIS = "code size (log2 axis)";

/** Labels a tick of a log2 code-size axis with the code size itself (1 -> "2", 5 -> "32"). */
function codeSizeLabel(log2Size: number): string {
  return formatNumber(2 ** log2Size, { decimals: 0 });
}

/** Test MSE against code size, one line per architecture and PCA (log y). */
export function mseByCodeSize(records: readonly TrialRecord[]): Figure<LearningCurvesLayout> {
  checkRecords("mseByCodeSize", records);
  return learningCurves({
    title: "Rate-distortion: test MSE against code size",
    series: bySize(records, (r) => r.results.mse),
    xLabel: CODE_SIZE_AXIS,
    xTickLabel: codeSizeLabel,
    yLabel: "test MSE per pixel (log)",
    logY: true,
    markers: true,
    panelSize: [520, 320],
  });
}

/**
 * k-NN accuracy (%) of the codes against code size, with the raw-pixel baseline (same references,
 * same protocol) as a flat line.
 */
export function knnByCodeSize(records: readonly TrialRecord[]): Figure<LearningCurvesLayout> {
  checkRecords("knnByCodeSize", records);
  const series = bySize(records, (r) => r.results.knnAccuracy * 100);
  const pixels = records.find((r) => r.settings.architecture === "pixels");
  if (pixels) {
    const xs = series.flatMap((s) => Array.from(s.epochs ?? []));
    const low = Math.min(...xs), high = Math.max(...xs);
    series.push({
      name: "raw pixels",
      epochs: [low, high],
      values: [pixels.results.knnAccuracy * 100, pixels.results.knnAccuracy * 100],
      dashed: true,
      color: "#444444",
    });
  }
  return learningCurves({
    title: "4-NN accuracy of the codes (distance-weighted votes)",
    series,
    xLabel: CODE_SIZE_AXIS,
    xTickLabel: codeSizeLabel,
    yLabel: "test accuracy, %",
    markers: true,
    panelSize: [520, 320],
  });
}

/** The β-VAE's rate (KL) against distortion (reconstruction), with the code-size sweep's VAEs. */
export function betaRateDistortion(records: readonly TrialRecord[]): Figure<LearningCurvesLayout> {
  const vaes = records.filter((r) => r.settings.architecture === "variational" && r.results.vae);
  if (vaes.length === 0) {
    throw new Error("betaRateDistortion: no finished variational trials; run the study first.");
  }
  const betaSize = vaes.filter((r) => (r.settings.beta ?? 1) !== 1)[0]?.settings.latentDim;
  // Each line in the order of its setting (β, code size), each point labelled with it; points
  // that coincide (collapsed VAEs) share one label.
  const betas = vaes.filter((r) => r.settings.latentDim === betaSize)
    .sort((a, b) => (a.settings.beta ?? 1) - (b.settings.beta ?? 1));
  const sizes = vaes.filter((r) => (r.settings.beta ?? 1) === 1)
    .sort((a, b) => a.settings.latentDim - b.settings.latentDim);
  const series: CurveSeries[] = [];
  if (betas.length > 0) {
    series.push({
      name: `β sweep, z=${betaSize} (β ${betas.map((r) => r.settings.beta ?? 1).join(", ")})`,
      epochs: betas.map((r) => r.results.vae!.rate),
      values: betas.map((r) => r.results.vae!.distortion),
      pointLabels: betas.map((r) => `β=${r.settings.beta ?? 1}`),
    });
  }
  series.push({
    name: `β=1, z=${sizes.map((r) => r.settings.latentDim).join(", ")}`,
    epochs: sizes.map((r) => r.results.vae!.rate),
    values: sizes.map((r) => r.results.vae!.distortion),
    dashed: true,
    pointLabels: sizes.map((r) => `z=${r.settings.latentDim}`),
  });
  return learningCurves({
    title: "VAE: rate against distortion (nats per test image)",
    series,
    xLabel: "rate: KL(q(z|x) || p(z)), nats",
    yLabel: "distortion: −E log p(x|z), nats",
    markers: true,
    panelSize: [520, 320],
  });
}

/** A point of a cost figure. */
export interface CostPoint {
  /** Trial label. */
  name: string;
  /** Cost (parameters or seconds per epoch). */
  cost: number;
  /** Test MSE. */
  mse: number;
}

/** The points no other point beats on both cost and MSE, by increasing cost. */
export function paretoFront(points: readonly CostPoint[]): CostPoint[] {
  const sorted = [...points].sort((a, b) => a.cost - b.cost || a.mse - b.mse);
  const front: CostPoint[] = [];
  let best = Infinity;
  for (const p of sorted) {
    if (p.mse < best) {
      front.push(p);
      best = p.mse;
    }
  }
  return front;
}

/** The cost points of the code-size sweep: parameters or seconds per epoch against test MSE. */
export function costPoints(
  records: readonly TrialRecord[],
  cost: "parameters" | "secondsPerEpoch",
): CostPoint[] {
  return ARCHITECTURES.flatMap((a) => sweep(records, a)).flatMap((r) => {
    const value = cost === "parameters" ? r.results.parameters : r.timing.secondsPerEpoch;
    return value !== undefined && value > 0 && r.results.mse !== undefined
      ? [{ name: r.label, cost: value, mse: r.results.mse }]
      : [];
  });
}

function costSeries(
  records: readonly TrialRecord[],
  cost: "parameters" | "secondsPerEpoch",
): CurveSeries[] {
  const series: CurveSeries[] = [];
  for (const a of ARCHITECTURES) {
    const points = costPoints(sweep(records, a), cost);
    if (points.length === 0) continue;
    series.push({
      name: a === "pca" ? "PCA" : a,
      epochs: points.map((p) => Math.log10(p.cost)),
      values: points.map((p) => p.mse),
    });
  }
  const front = paretoFront(costPoints(records, cost));
  series.push({
    name: "Pareto front",
    epochs: front.map((p) => Math.log10(p.cost)),
    values: front.map((p) => p.mse),
    dashed: true,
    color: "#444444",
  });
  return series;
}

/** Test MSE against parameters and against seconds per epoch, with each one's Pareto front. */
export function costFigure(records: readonly TrialRecord[]): Figure<LearningCurvesLayout> {
  checkRecords("costFigure", records);
  return learningCurves({
    title: "Cost: test MSE against parameters and training time",
    panels: [
      { title: "parameters", series: costSeries(records, "parameters") },
      { title: "seconds per epoch", series: costSeries(records, "secondsPerEpoch") },
    ],
    xLabel: "cost (log10 axis)",
    xTickLabel: (log10Cost) => formatNumber(10 ** log10Cost, { significant: 2 }),
    yLabel: "test MSE (log)",
    logY: true,
    markers: true,
    columns: 2,
    panelSize: [400, 300],
  });
}

function base64Floats(text: string): Float32Array {
  const raw = atob(text);
  return Float32Array.from(raw, (c) => c.charCodeAt(0) / 255);
}

/**
 * The same test images reconstructed at every code size by one architecture: the originals on
 * top, then one row per code size.
 *
 * @param originals the sample images (`n * 784` values in [0, 1]), the records' sample indices.
 */
export function reconstructionsByCodeSize(
  records: readonly TrialRecord[],
  architecture: string,
  originals: Float32Array,
): Figure<ImageGridLayout> {
  const rows = sweep(records, architecture).filter((r) => r.results.samples);
  if (rows.length === 0) {
    throw new Error(
      `reconstructionsByCodeSize: no finished ${architecture} trials with samples; run the study.`,
    );
  }
  return imageGrid({
    title: `${architecture === "pca" ? "PCA" : architecture}: test images at each code size`,
    rows: [
      { title: "original", images: originals },
      ...rows.map((r) => ({
        title: `z = ${r.settings.latentDim}`,
        images: base64Floats(r.results.samples!.reconstructions),
      })),
    ],
    cellSize: 40,
  });
}

/** One row per trial: every measure of the study. */
export function studyRows(records: readonly TrialRecord[]): MetricRow[] {
  const order = (r: TrialRecord) => {
    const a = ["pixels", ...ARCHITECTURES].indexOf(r.settings.architecture as "pca");
    return a * 1e6 + (r.settings.beta ?? 1) * 1e3 + r.settings.latentDim;
  };
  return [...records].sort((a, b) => order(a) - order(b)).map((r) => ({
    name: r.label,
    values: {
      parameters: r.results.parameters,
      secondsPerEpoch: r.timing.secondsPerEpoch,
      mse: r.results.mse,
      bce: r.results.bce,
      psnr: r.results.psnr,
      ssim: r.results.ssim,
      knn: r.results.knnAccuracy * 100,
      elbo: r.results.vae?.negativeElbo,
      rate: r.results.vae?.rate,
      distortion: r.results.vae?.distortion,
      iwae: r.results.vae?.iwaeNll,
    },
  }));
}

/** The results table: every trial, one row. */
export function studyTable(records: readonly TrialRecord[]): Figure<MetricsTableLayout> {
  if (records.length === 0) throw new Error("studyTable: no finished trials; run the study first.");
  const test = records[0].results.testImages.toLocaleString("en-US");
  return metricsTable({
    title: "The design study: every trial",
    note: `test set, ${test} images; k-NN: 4 neighbours, distance-weighted votes, training codes ` +
      `as references; VAE terms in nats per image`,
    columns: [
      { key: "parameters", label: "params", decimals: 0 },
      { key: "secondsPerEpoch", label: "s/epoch", decimals: 1, better: "lower" },
      { key: "mse", label: "MSE", decimals: 4, better: "lower" },
      { key: "bce", label: "BCE", decimals: 4, better: "lower" },
      { key: "psnr", label: "PSNR", decimals: 2, better: "higher" },
      { key: "ssim", label: "SSIM", decimals: 3, better: "higher" },
      { key: "knn", label: "k-NN %", decimals: 2, better: "higher" },
      { key: "elbo", label: "−ELBO", decimals: 1, better: "lower" },
      { key: "rate", label: "rate", decimals: 1 },
      { key: "distortion", label: "distortion", decimals: 1 },
      { key: "iwae", label: "−log p(x)", decimals: 1, better: "lower" },
    ],
    rows: studyRows(records),
  });
}
