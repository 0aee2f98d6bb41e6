/**
 * The design study's records read as the numbers its figures and tables show: the code-size sweep
 * of each architecture, the raw-pixel baseline, the β-VAE's rate and distortion, cost against test
 * MSE with the Pareto front, the sample reconstructions decoded back to intensities, and one table
 * row per trial. lib/plot only draws what these return.
 *
 * @module
 */
import { greyToUnit } from "../data/mod.ts";
import { base64ToBytes } from "../format/mod.ts";
import { type ComparisonRow, METRIC_COLUMNS } from "../experiments/mod.ts";
import { isPlainVaeTrial } from "./grid.ts";
import { VAE_DESIGNS, type VaeDesign } from "../models/mod.ts";
import { type TrialRecord, trialTimingFlag } from "./records.ts";
import { BUSY_OTHER_CORES, type TimingFlag } from "../io/mod.ts";

/** The line order of the code-size sweep: PCA first, then the autoencoders. */
export const SWEEP_ARCHITECTURES = [
  "pca",
  "vanilla",
  "multilayer",
  "convolutional",
  "variational",
] as const;

/** How an architecture is named in figures and tables ("PCA", "vanilla", ...). */
export function architectureName(architecture: string): string {
  return architecture === "pca" ? "PCA" : architecture;
}

/**
 * The VAE design of the code-size sweep: the design whose plain trials (β = 1, no warm-up, no free
 * bits) cover the most code sizes (the recommended one; "keras" in records of the older grid).
 */
export function sweepDesign(records: readonly TrialRecord[]): VaeDesign {
  let best: VaeDesign = "keras", most = 0;
  for (const design of VAE_DESIGNS) {
    const sizes = new Set(
      records.filter((r) =>
        r.settings.architecture === "variational" && (r.settings.beta ?? 1) === 1 &&
        isPlainVaeTrial(r.settings, design)
      ).map((r) => r.settings.latentDim),
    );
    if (sizes.size > most) [best, most] = [design, sizes.size];
  }
  return best;
}

/**
 * The code-size sweep of one architecture: its β = 1 trials, by increasing code size; for the VAE
 * the plain trials of the sweep's design ({@link sweepDesign}), so the design study's other
 * designs and options at z = 32 are not points of the line; seed replicates never are.
 */
export function codeSizeSweep(
  records: readonly TrialRecord[],
  architecture: string,
): TrialRecord[] {
  const design = architecture === "variational" ? sweepDesign(records) : undefined;
  return records.filter((r) =>
    r.settings.architecture === architecture && (r.settings.beta ?? 1) === 1 &&
    !r.settings.replicate && (design === undefined || isPlainVaeTrial(r.settings, design))
  ).sort((a, b) => a.settings.latentDim - b.settings.latentDim);
}

/** One line of a code-size figure. */
export interface CodeSizeLine {
  /** Name in the legend. */
  name: string;
  /** Code sizes (x). */
  codeSizes: number[];
  /** The measure at each code size (y). */
  values: number[];
  /** Drawn dashed (the PCA baseline). */
  dashed: boolean;
}

function checkReconstructions(where: string, records: readonly TrialRecord[]): void {
  if (!records.some((r) => r.results.mse !== undefined)) {
    throw new Error(`${where}: no finished trials with reconstructions; run the study first.`);
  }
}

/** One line per architecture (in {@link SWEEP_ARCHITECTURES} order) of a measure by code size. */
export function linesByCodeSize(
  records: readonly TrialRecord[],
  value: (r: TrialRecord) => number | undefined,
): CodeSizeLine[] {
  return SWEEP_ARCHITECTURES.flatMap((a) => {
    const points = codeSizeSweep(records, a).filter((r) => value(r) !== undefined);
    return points.length === 0 ? [] : [{
      name: architectureName(a),
      codeSizes: points.map((r) => r.settings.latentDim),
      values: points.map((r) => value(r)!),
      dashed: a === "pca",
    }];
  });
}

/** Test MSE by code size, one line per architecture and PCA. */
export function mseLines(records: readonly TrialRecord[]): CodeSizeLine[] {
  checkReconstructions("mseLines", records);
  return linesByCodeSize(records, (r) => r.results.mse);
}

/** k-NN accuracy (%) of the codes by code size, with the raw pixels' accuracy (%) when run. */
export function knnLines(
  records: readonly TrialRecord[],
): { lines: CodeSizeLine[]; pixels?: number } {
  checkReconstructions("knnLines", records);
  const pixels = records.find((r) => r.settings.architecture === "pixels");
  return {
    lines: linesByCodeSize(records, (r) => r.results.knnAccuracy * 100),
    ...(pixels ? { pixels: pixels.results.knnAccuracy * 100 } : {}),
  };
}

/** One line of the rate-distortion figure: nats per test image, in the order of β or code size. */
export interface RateDistortionLine {
  /** Name in the legend. */
  name: string;
  /** KL terms (x). */
  rates: number[];
  /** Reconstruction terms (y). */
  distortions: number[];
  /** Each point's label (β or code size). */
  labels: string[];
  /** Drawn dashed (the code-size sweep). */
  dashed: boolean;
}

/** The β sweep's and the code-size sweep's VAEs, rate against distortion. */
export function rateDistortionLines(records: readonly TrialRecord[]): RateDistortionLine[] {
  const vaes = records.filter((r) => r.settings.architecture === "variational" && r.results.vae);
  if (vaes.length === 0) {
    throw new Error("rateDistortionLines: no finished variational trials; run the study first.");
  }
  // Each line in the order of its setting (β, code size), so the legend lists them in order and
  // each point's label names it. The sweeps are plain trials (no warm-up, no free bits) of the
  // β trials' design.
  const betaTrial = vaes.find((r) => (r.settings.beta ?? 1) !== 1)?.settings;
  const betaSize = betaTrial?.latentDim;
  const design = betaTrial?.design ?? "keras";
  const plain = vaes.filter((r) => isPlainVaeTrial(r.settings, design) && !r.settings.replicate);
  const betas = plain.filter((r) => r.settings.latentDim === betaSize)
    .sort((a, b) => (a.settings.beta ?? 1) - (b.settings.beta ?? 1));
  const sizes = plain.filter((r) => (r.settings.beta ?? 1) === 1)
    .sort((a, b) => a.settings.latentDim - b.settings.latentDim);
  const line = (
    name: string,
    trials: TrialRecord[],
    label: (r: TrialRecord) => string,
    dashed: boolean,
  ) => ({
    name,
    rates: trials.map((r) => r.results.vae!.rate),
    distortions: trials.map((r) => r.results.vae!.distortion),
    labels: trials.map(label),
    dashed,
  });
  const lines: RateDistortionLine[] = [];
  if (betas.length > 0) {
    lines.push(line(
      `β sweep, z=${betaSize} (β ${betas.map((r) => r.settings.beta ?? 1).join(", ")})`,
      betas,
      (r) => `β=${r.settings.beta ?? 1}`,
      false,
    ));
  }
  lines.push(line(
    `β=1, z=${sizes.map((r) => r.settings.latentDim).join(", ")}`,
    sizes,
    (r) => `z=${r.settings.latentDim}`,
    true,
  ));
  return lines;
}

/** A point of a cost figure. */
export interface CostPoint {
  /** Trial label. */
  name: string;
  /** Cost (parameters or seconds per epoch). */
  cost: number;
  /** Test MSE. */
  mse: number;
  /** Seconds per epoch only: whether that time was taken on a quiet machine (records.ts). */
  timing?: TimingFlag;
}

/** What a cost figure's panel measures the cost in. */
export type CostMeasure = "parameters" | "secondsPerEpoch";

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
export function costPoints(records: readonly TrialRecord[], cost: CostMeasure): CostPoint[] {
  return SWEEP_ARCHITECTURES.flatMap((a) => codeSizeSweep(records, a)).flatMap((r) => {
    const value = cost === "parameters" ? r.results.parameters : r.timing.secondsPerEpoch;
    if (value === undefined || !(value > 0) || r.results.mse === undefined) return [];
    const point: CostPoint = { name: r.label, cost: value, mse: r.results.mse };
    if (cost === "secondsPerEpoch") point.timing = trialTimingFlag(r);
    return [point];
  });
}

/**
 * The Pareto front of a cost: on seconds per epoch, over the trials timed on a quiet machine only
 * (a busy machine's seconds are inflated by an unknown amount); over all of them when none was
 * quiet (then {@link timingNote} says the front is only indicative).
 */
export function costFront(records: readonly TrialRecord[], cost: CostMeasure): CostPoint[] {
  const points = costPoints(records, cost);
  if (cost === "parameters") return paretoFront(points);
  const quiet = points.filter((p) => p.timing === "quiet");
  return paretoFront(quiet.length > 0 ? quiet : points);
}

/**
 * What the seconds-per-epoch figures can be trusted for, as a sentence (undefined when every
 * timed trial was timed on a quiet machine): how many were timed on a busy machine or with no
 * load recorded, and what the front uses.
 */
export function timingNote(records: readonly TrialRecord[]): string | undefined {
  const points = costPoints(records, "secondsPerEpoch");
  const count = (flag: TimingFlag) => points.filter((p) => p.timing === flag).length;
  const busy = count("busy"), unknown = count("unknown"), quiet = count("quiet");
  if (busy + unknown === 0) return undefined;
  const parts = [
    ...(busy > 0
      ? [`${busy} timed on a busy machine (other work above ${BUSY_OTHER_CORES} cores)`]
      : []),
    ...(unknown > 0 ? [`${unknown} with no load recorded`] : []),
  ];
  return `Seconds per epoch: of ${points.length} timed trials, ${parts.join(" and ")}; drawn ` +
    `hollow and marked in the table. ` +
    (quiet > 0
      ? `The seconds front uses the ${quiet} quiet one${quiet === 1 ? "" : "s"} only.`
      : `None was timed on a quiet machine: the seconds front is over all of them and only ` +
        `indicative.`);
}

/** One panel of the cost figure: a line per architecture and the Pareto front. */
export interface CostPanel {
  /** "parameters" or "seconds per epoch". */
  title: string;
  /** One line per architecture (in sweep order). */
  lines: { name: string; points: CostPoint[] }[];
  /** The front over the panel's points (on seconds: the quiet ones, {@link costFront}). */
  front: CostPoint[];
}

/** The cost figure's panels: test MSE against parameters, and against seconds per epoch. */
export function costPanels(records: readonly TrialRecord[]): CostPanel[] {
  checkReconstructions("costPanels", records);
  const panel = (cost: CostMeasure, title: string): CostPanel => ({
    title,
    lines: SWEEP_ARCHITECTURES.flatMap((a) => {
      const points = costPoints(codeSizeSweep(records, a), cost);
      return points.length === 0 ? [] : [{ name: architectureName(a), points }];
    }),
    front: costFront(records, cost),
  });
  const flagged = costPoints(records, "secondsPerEpoch").some((p) => p.timing !== "quiet");
  return [
    panel("parameters", "parameters"),
    panel(
      "secondsPerEpoch",
      `seconds per epoch${flagged ? " (hollow: busy or unknown load)" : ""}`,
    ),
  ];
}

/** A record's sample reconstructions as intensities in [0, 1] (`n * 784` values). */
export function sampleReconstructions(record: TrialRecord): Float32Array {
  const samples = record.results.samples;
  if (!samples) throw new Error(`sampleReconstructions: ${record.label} holds no samples.`);
  return greyToUnit(base64ToBytes(samples.reconstructions));
}

/** One row of a reconstruction grid: a code size and its reconstructions of the samples. */
export interface ReconstructionRow {
  /** Code size. */
  codeSize: number;
  /** `n * 784` intensities in [0, 1]. */
  images: Float32Array;
}

/** One architecture's sample reconstructions at every code size of its sweep. */
export function reconstructionRows(
  records: readonly TrialRecord[],
  architecture: string,
): ReconstructionRow[] {
  const rows = codeSizeSweep(records, architecture).filter((r) => r.results.samples);
  if (rows.length === 0) {
    throw new Error(
      `reconstructionRows: no finished ${architecture} trials with samples; run the study.`,
    );
  }
  return rows.map((r) => ({ codeSize: r.settings.latentDim, images: sampleReconstructions(r) }));
}

/** The columns of the study's table (the project's metric columns, all of them). */
export const STUDY_COLUMNS: typeof METRIC_COLUMNS = METRIC_COLUMNS;

/**
 * One row per trial with every measure (k-NN in percent): the raw pixels, then the sweep's
 * architectures by β and code size.
 */
export function studyRows(records: readonly TrialRecord[]): ComparisonRow[] {
  return studyOrder(records).map((r) => trialRow(r));
}

/** The records in the study table's order: the raw pixels, then by architecture, β, code size. */
export function studyOrder(records: readonly TrialRecord[]): TrialRecord[] {
  const order = (r: TrialRecord) => {
    const a = ["pixels", ...SWEEP_ARCHITECTURES].indexOf(r.settings.architecture as "pca");
    return a * 1e6 + (r.settings.beta ?? 1) * 1e3 + r.settings.latentDim;
  };
  return [...records].sort((a, b) => order(a) - order(b));
}

/** A trial as a table row (k-NN accuracy in percent); `name` defaults to its label. */
export function trialRow(record: TrialRecord, name: string = record.label): ComparisonRow {
  const r = record.results;
  return {
    name,
    values: {
      parameters: r.parameters,
      secondsPerEpoch: record.timing.secondsPerEpoch,
      mse: r.mse,
      bce: r.bce,
      psnr: r.psnr,
      ssim: r.ssim,
      knnAccuracy: r.knnAccuracy * 100,
      negativeElbo: r.vae?.negativeElbo,
      rate: r.vae?.rate,
      distortion: r.vae?.distortion,
      iwaeNll: r.vae?.iwaeNll,
    },
  };
}
