/**
 * The experiments of the notebooks: their settings in one place, the data each one trains on, and
 * the records (metrics.json) and checkpoints they leave in `runs/`, which later notebooks and
 * `deno task report` read.
 *
 * ```ts
 * import { experimentSettings, loadExperimentData, saveExperimentRecord } from "../lib/experiments.ts";
 * const settings = experimentSettings("convolutional"); // KMNIST_QUICK=1 selects quick mode
 * const data = await loadExperimentData(settings);       // fit / validation / test sets
 * // ... build, train (checkpointDirectory: settings.runDirectory), evaluate ...
 * await saveExperimentRecord(settings, { model, result, evaluation });
 * ```
 *
 * Full runs: 10 epochs, batches of 128, Adam 1e-3, 5,000 validation images carved from the 60,000
 * training images (seeded), all 10,000 test images for evaluation, seed 0; written to
 * `runs/<name>/`. Quick mode (`KMNIST_QUICK=1`, for tests): 3,000 training, 500 validation and
 * 1,000 test images, one epoch, smaller likelihood estimates; written to `runs/quick/<name>/` so
 * it never overwrites a full run.
 *
 * @module
 */
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import {
  type ImageSet,
  imagesToTensor,
  KMNIST_CLASSES,
  type KmnistClass,
  loadKmnist,
  PROJECT_ROOT,
  shuffledIndices,
  splitTrainValidation,
  takeSubset,
  writeFileAtomic,
} from "./data/mod.ts";
import type { Autoencoder, AutoencoderKind } from "./models/mod.ts";
import type { EvaluationReport } from "./metrics/mod.ts";
import { gaussianNoise, type TrainResult } from "./train/mod.ts";

/** The four experiments, named as their notebooks (`01_vanilla.ipynb` ... `04_variational`). */
export type ExperimentName = "vanilla" | "multilayer" | "convolutional" | "variational";

/** The experiments in notebook order. */
export const EXPERIMENT_NAMES: readonly ExperimentName[] = [
  "vanilla",
  "multilayer",
  "convolutional",
  "variational",
];

/** Everything that defines one experiment's run. */
export interface ExperimentSettings {
  /** Experiment name (its notebook is `notebooks/NN_<name>.ipynb`). */
  name: ExperimentName;
  /** Human-readable model name, e.g. "Convolutional autoencoder". */
  title: string;
  /** Notebook file name. */
  notebook: string;
  /** Model family for `buildModel`. */
  kind: AutoencoderKind;
  /** Latent size (32 for the deterministic models, 2 for the VAE, whose latent space is drawn). */
  latentDim: number;
  /** Seed of the initialisers, the shuffling and the VAE's sampling. */
  seed: number;
  /** Seed of the train/validation split (the same for every experiment). */
  splitSeed: number;
  /** Training epochs. */
  epochs: number;
  /** Images per batch. */
  batchSize: number;
  /** Adam's step size. */
  learningRate: number;
  /** Validation images carved from the training images. */
  validationSize: number;
  /** Training images used (after the split); undefined = all. */
  trainImages?: number;
  /** Test images used; undefined = all 10,000. */
  testImages?: number;
  /** k of the k-NN probe of the latent codes. */
  knnK: number;
  /** VAE: importance samples per image for the IWAE estimate. */
  iwaeSamples: number;
  /** VAE: test images in the IWAE estimate. */
  iwaeImages: number;
  /** Denoising experiment (convolutional notebook): Gaussian noise standard deviation. */
  noiseStddev: number;
  /** Whether these are quick-mode settings. */
  quick: boolean;
  /** Checkpoint and record folder (absolute). */
  runDirectory: string;
  /** The record written by {@link saveExperimentRecord} (absolute). */
  metricsFile: string;
}

/** Settings shared by every full run. */
export const FULL_RUN = {
  epochs: 10,
  batchSize: 128,
  learningRate: 1e-3,
  validationSize: 5000,
  seed: 0,
  splitSeed: 0,
  knnK: 4,
  iwaeSamples: 100,
  iwaeImages: 500,
  noiseStddev: 0.3,
} as const;

/** What quick mode changes (a smoke test of the notebooks, not results). */
export const QUICK_RUN = {
  epochs: 1,
  validationSize: 500,
  trainImages: 3000,
  testImages: 1000,
  iwaeSamples: 20,
  iwaeImages: 100,
} as const;

const MODELS: Record<ExperimentName, { title: string; kind: AutoencoderKind; latentDim: number }> =
  {
    vanilla: { title: "Vanilla autoencoder", kind: "vanilla", latentDim: 32 },
    multilayer: { title: "Multilayer autoencoder", kind: "multilayer", latentDim: 32 },
    convolutional: { title: "Convolutional autoencoder", kind: "convolutional", latentDim: 32 },
    variational: { title: "Variational autoencoder", kind: "variational", latentDim: 2 },
  };

/** Root of the run folders. */
export const RUNS_DIRECTORY: string = path.join(PROJECT_ROOT, "runs");

/** True when `KMNIST_QUICK` is "1" (or "true"): the notebooks then run in quick mode. */
export function isQuickMode(): boolean {
  const value = Deno.env.get("KMNIST_QUICK")?.toLowerCase();
  return value === "1" || value === "true";
}

/** The run folder of an experiment: `runs/<name>`, or `runs/quick/<name>` in quick mode. */
export function runDirectory(name: ExperimentName, quick: boolean = isQuickMode()): string {
  return quick ? path.join(RUNS_DIRECTORY, "quick", name) : path.join(RUNS_DIRECTORY, name);
}

function checkName(name: string): ExperimentName {
  if (!(EXPERIMENT_NAMES as readonly string[]).includes(name)) {
    throw new Error(
      `Unknown experiment "${name}": use one of ${EXPERIMENT_NAMES.join(", ")}.`,
    );
  }
  return name as ExperimentName;
}

/**
 * The settings of one experiment; quick mode when `options.quick` says so, else when
 * `KMNIST_QUICK=1`.
 */
export function experimentSettings(
  name: ExperimentName,
  options: { quick?: boolean } = {},
): ExperimentSettings {
  const checked = checkName(name);
  const quick = options.quick ?? isQuickMode();
  const model = MODELS[checked];
  const index = EXPERIMENT_NAMES.indexOf(checked) + 1;
  const directory = runDirectory(checked, quick);
  return {
    name: checked,
    title: model.title,
    notebook: `${String(index).padStart(2, "0")}_${checked}.ipynb`,
    kind: model.kind,
    latentDim: model.latentDim,
    seed: FULL_RUN.seed,
    splitSeed: FULL_RUN.splitSeed,
    epochs: quick ? QUICK_RUN.epochs : FULL_RUN.epochs,
    batchSize: FULL_RUN.batchSize,
    learningRate: FULL_RUN.learningRate,
    validationSize: quick ? QUICK_RUN.validationSize : FULL_RUN.validationSize,
    trainImages: quick ? QUICK_RUN.trainImages : undefined,
    testImages: quick ? QUICK_RUN.testImages : undefined,
    knnK: FULL_RUN.knnK,
    iwaeSamples: quick ? QUICK_RUN.iwaeSamples : FULL_RUN.iwaeSamples,
    iwaeImages: quick ? QUICK_RUN.iwaeImages : FULL_RUN.iwaeImages,
    noiseStddev: FULL_RUN.noiseStddev,
    quick,
    runDirectory: directory,
    metricsFile: path.join(directory, "metrics.json"),
  };
}

/** The sets one experiment uses. */
export interface ExperimentData {
  /** Training images (the fit part of the split; a subset in quick mode). */
  train: ImageSet;
  /** Validation images (for the learning curves; never for final numbers). */
  validation: ImageSet;
  /** Test images (final evaluation only). */
  test: ImageSet;
  /** The ten classes. */
  classes: readonly KmnistClass[];
  /** Folder the KMNIST files were read from. */
  directory: string;
}

/**
 * Loads KMNIST and makes the experiment's sets: a seeded split of the training images into fit
 * and validation, and in quick mode seeded subsets (the test subset is the first N images).
 */
export async function loadExperimentData(settings: ExperimentSettings): Promise<ExperimentData> {
  const kmnist = await loadKmnist();
  const split = splitTrainValidation(kmnist.train, {
    validationSize: settings.validationSize,
    seed: settings.splitSeed,
  });
  let train = split.train;
  if (settings.trainImages !== undefined && settings.trainImages < train.count) {
    train = takeSubset(train, Int32Array.from({ length: settings.trainImages }, (_, i) => i));
  }
  let test = kmnist.test;
  if (settings.testImages !== undefined && settings.testImages < test.count) {
    test = takeSubset(test, Int32Array.from({ length: settings.testImages }, (_, i) => i));
  }
  return {
    train,
    validation: split.validation,
    test,
    classes: kmnist.classes,
    directory: kmnist.directory,
  };
}

/** A text table of the sets' sizes and the run settings (for the first cells of a notebook). */
export function describeExperiment(settings: ExperimentSettings, data: ExperimentData): string {
  const n = (v: number) => v.toLocaleString("en-US");
  return [
    `${settings.title}${settings.quick ? "  [QUICK MODE: KMNIST_QUICK=1, not results]" : ""}`,
    `train ${n(data.train.count)}, validation ${n(data.validation.count)}, test ${
      n(data.test.count)
    } images (from ${data.directory})`,
    `epochs ${settings.epochs}, batch ${settings.batchSize}, Adam lr ${settings.learningRate}, ` +
    `latent ${settings.latentDim}, seed ${settings.seed}`,
    `checkpoints and metrics: ${path.relative(PROJECT_ROOT, settings.runDirectory)}/`,
  ].join("\n");
}

/**
 * Example images of every class: `perClass` rows of ten indices, row k holding the k-th image of
 * each class in the set (class order お, き, す, つ, な, は, ま, や, れ, を).
 */
export function examplesPerClass(set: ImageSet, perClass = 1): Int32Array[] {
  const rows = Array.from({ length: perClass }, () => new Int32Array(KMNIST_CLASSES.length));
  for (const c of KMNIST_CLASSES) {
    let found = 0;
    for (let i = 0; i < set.count && found < perClass; i++) {
      if (set.labels[i] === c.index) rows[found++][c.index] = i;
    }
    if (found < perClass) {
      throw new Error(
        `examplesPerClass: the set has ${found} images of class ${c.char}, not ${perClass}.`,
      );
    }
  }
  return rows;
}

/** Captions "お o" ... "を wo" for a row of {@link examplesPerClass}. */
export function classCaptions(): string[] {
  return KMNIST_CLASSES.map((c) => `${c.char} ${c.romaji}`);
}

/** `count` distinct seeded random indices into a set of `size` images. */
export function sampleIndices(size: number, count: number, seed: number): Int32Array {
  return shuffledIndices(size, seed).slice(0, Math.min(count, size));
}

/** Images of a set as floats in [0, 1] (row-major, image after image). */
export function imagesAsFloats(set: ImageSet, indices: ArrayLike<number>): Float32Array {
  const out = new Float32Array(indices.length * 784);
  for (let i = 0; i < indices.length; i++) {
    const base = indices[i] * 784;
    for (let p = 0; p < 784; p++) out[i * 784 + p] = set.images[base + p] / 255;
  }
  return out;
}

/** Reconstructions of the chosen images (floats in [0, 1]); no tensor is left behind. */
export function reconstructImages(
  model: Autoencoder,
  set: ImageSet,
  indices: ArrayLike<number>,
): Float32Array {
  const output = tf.tidy(() => model.reconstruct(imagesToTensor(set, indices)));
  try {
    return output.dataSync() as Float32Array;
  } finally {
    output.dispose();
  }
}

/** Latent codes (row-major `[count, latentDim]`) of the chosen images, with their labels. */
export function encodeImages(
  model: Autoencoder,
  set: ImageSet,
  indices: ArrayLike<number>,
): { codes: Float32Array; labels: Uint8Array; dim: number } {
  const codes = tf.tidy(() => model.encode(imagesToTensor(set, indices)));
  try {
    const labels = Uint8Array.from({ length: indices.length }, (_, i) => set.labels[indices[i]]);
    return { codes: codes.dataSync() as Float32Array, labels, dim: model.config.latentDim };
  } finally {
    codes.dispose();
  }
}

/**
 * A decode function for the plotting helpers (`manifold`, `priorSamples`,
 * `interpolationStrip`): latent codes in, images out as floats; no tensor is left behind.
 */
export function decoderOf(model: Autoencoder): (z: Float32Array, count: number) => Float32Array {
  return (z, count) => {
    const images = tf.tidy(() => model.decode(tf.tensor2d(z, [count, model.config.latentDim])));
    try {
      return images.dataSync() as Float32Array;
    } finally {
      images.dispose();
    }
  };
}

/** Training figures kept in a record. */
export interface TrainingSummary {
  /** Epochs trained. */
  epochs: number;
  /** Mean wall seconds per epoch (validation included). */
  secondsPerEpoch: number;
  /** Wall seconds of the whole training call. */
  wallSeconds: number;
  /** Training images per second. */
  imagesPerSecond: number;
  /** Per-epoch losses (see lib/train's EpochRecord). */
  history: TrainResult["history"];
  /** The backend that trained it ("blas", "wasm" or "cpu"). */
  backend: string;
}

/** The metrics.json of one experiment. */
export interface ExperimentRecord {
  /** Always "kmnist-experiment". */
  format: "kmnist-experiment";
  /** Experiment name. */
  name: ExperimentName;
  /** Model name. */
  title: string;
  /** Whether it was a quick-mode run. */
  quick: boolean;
  /** The settings it ran with. */
  settings: ExperimentSettings;
  /** Training figures. */
  training: TrainingSummary;
  /** Test metrics (lib/metrics `evaluate`). */
  evaluation: EvaluationReport;
  /** Extra results of the notebook (e.g. the denoising experiment). */
  extra?: Record<string, unknown>;
  /** ISO time of writing. */
  savedAt: string;
}

/** What {@link saveExperimentRecord} needs. */
export interface RecordContents {
  /** The trained model's training result. */
  result: TrainResult;
  /** Its test metrics. */
  evaluation: EvaluationReport;
  /** Extra JSON-able results. */
  extra?: Record<string, unknown>;
  /** The backend it trained on, as `initBackend` named it (default: `tf.getBackend()`). */
  backend?: string;
}

/** Summarises a training result for the record. */
export function summarizeTraining(result: TrainResult, backend?: string): TrainingSummary {
  const seconds = result.history.map((h) => h.seconds);
  return {
    epochs: result.history.length,
    secondsPerEpoch: seconds.length ? seconds.reduce((a, b) => a + b, 0) / seconds.length : NaN,
    wallSeconds: result.wallSeconds,
    imagesPerSecond: result.imagesPerSecond,
    history: result.history,
    backend: backend ?? tf.getBackend(),
  };
}

/** Writes the experiment's metrics.json (atomically) and returns the record. */
export async function saveExperimentRecord(
  settings: ExperimentSettings,
  contents: RecordContents,
): Promise<ExperimentRecord> {
  const record: ExperimentRecord = {
    format: "kmnist-experiment",
    name: settings.name,
    title: settings.title,
    quick: settings.quick,
    settings,
    training: summarizeTraining(contents.result, contents.backend),
    evaluation: contents.evaluation,
    ...(contents.extra ? { extra: contents.extra } : {}),
    savedAt: new Date().toISOString(),
  };
  await Deno.mkdir(settings.runDirectory, { recursive: true });
  await writeFileAtomic(
    settings.metricsFile,
    new TextEncoder().encode(JSON.stringify(record, null, 2) + "\n"),
  );
  return record;
}

/**
 * Reads an experiment's metrics.json; undefined when that run has not been made yet. Throws when
 * the file exists but is not a record.
 */
export async function loadExperimentRecord(
  name: ExperimentName,
  options: { quick?: boolean } = {},
): Promise<ExperimentRecord | undefined> {
  const file = experimentSettings(name, options).metricsFile;
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const record = JSON.parse(text) as ExperimentRecord;
  if (record.format !== "kmnist-experiment") {
    throw new Error(
      `${file} is not an experiment record; delete it and re-run ${name}'s notebook.`,
    );
  }
  return record;
}

/** Records of the experiments before `name` (notebook order) that have been run. */
export async function previousRecords(
  name: ExperimentName,
  options: { quick?: boolean } = {},
): Promise<ExperimentRecord[]> {
  const before = EXPERIMENT_NAMES.slice(0, EXPERIMENT_NAMES.indexOf(checkName(name)));
  const records = await Promise.all(before.map((n) => loadExperimentRecord(n, options)));
  return records.filter((r): r is ExperimentRecord => r !== undefined);
}

/** One row of the comparison tables (plain numbers; undefined where not measured). */
export interface ComparisonRow {
  /** Model name. */
  name: string;
  /** Values by column key. */
  values: Record<string, number | undefined>;
}

/** Columns of the comparison tables: key, label, decimals, and which direction is better. */
export const COMPARISON_COLUMNS: readonly {
  key: string;
  label: string;
  decimals: number;
  better?: "lower" | "higher";
}[] = [
  { key: "parameters", label: "params", decimals: 0 },
  { key: "secondsPerEpoch", label: "s / epoch", decimals: 1, better: "lower" },
  { key: "mse", label: "test MSE", decimals: 4, better: "lower" },
  { key: "bce", label: "BCE (nats/px)", decimals: 4, better: "lower" },
  { key: "psnr", label: "PSNR (dB)", decimals: 2, better: "higher" },
  { key: "ssim", label: "SSIM", decimals: 3, better: "higher" },
  { key: "knnAccuracy", label: "k-NN acc. (%)", decimals: 1, better: "higher" },
  { key: "negativeElbo", label: "−ELBO (nats)", decimals: 1, better: "lower" },
];

/** The columns of {@link COMPARISON_COLUMNS} that have a value in at least one of `rows`. */
export function columnsWithValues(rows: readonly ComparisonRow[]): typeof COMPARISON_COLUMNS {
  return COMPARISON_COLUMNS.filter((c) => rows.some((r) => r.values[c.key] !== undefined));
}

/** A record as a comparison row (k-NN accuracy in percent). */
export function comparisonRow(record: ExperimentRecord): ComparisonRow {
  const e = record.evaluation;
  return {
    name: record.title.replace(/ autoencoder$/, ""),
    values: {
      parameters: e.parameters,
      secondsPerEpoch: record.training.secondsPerEpoch,
      mse: e.mse,
      bce: e.bce,
      psnr: e.psnr,
      ssim: e.ssim,
      knnAccuracy: e.knn ? e.knn.accuracy * 100 : undefined,
      negativeElbo: e.vae?.negativeElbo,
    },
  };
}

/**
 * Sentences comparing a record with earlier ones (test MSE, SSIM, k-NN accuracy, parameters,
 * time per epoch), for a notebook's conclusion. Numbers come from the records, nothing is assumed.
 */
export function compareWithPrevious(
  current: ExperimentRecord,
  previous: readonly ExperimentRecord[],
): string {
  const c = current.evaluation;
  const pct = (a: number, b: number) => `${a < b ? "" : "+"}${((a / b - 1) * 100).toFixed(0)}%`;
  const lines = [
    `${current.title}: test MSE ${c.mse.toFixed(4)}, SSIM ${c.ssim.toFixed(3)}, PSNR ${
      c.psnr.toFixed(2)
    } dB` + (c.knn ? `, k-NN accuracy of the codes ${(c.knn.accuracy * 100).toFixed(1)}%` : "") +
    `, ${c.parameters.toLocaleString("en-US")} parameters, ` +
    `${current.training.secondsPerEpoch.toFixed(1)} s/epoch.`,
  ];
  if (previous.length === 0) {
    lines.push("No earlier experiment has been run yet (run the notebooks in order to compare).");
  }
  for (const p of previous) {
    const e = p.evaluation;
    lines.push(
      `vs ${p.title}: MSE ${e.mse.toFixed(4)} (${pct(c.mse, e.mse)}), SSIM ${e.ssim.toFixed(3)} ` +
        `(${c.ssim >= e.ssim ? "+" : ""}${(c.ssim - e.ssim).toFixed(3)})` +
        (c.knn && e.knn
          ? `, k-NN ${(e.knn.accuracy * 100).toFixed(1)}% (${
            ((c.knn.accuracy - e.knn.accuracy) * 100).toFixed(1)
          } points)`
          : "") +
        `, ${e.parameters.toLocaleString("en-US")} parameters (${
          pct(c.parameters, e.parameters)
        }), ${p.training.secondsPerEpoch.toFixed(1)} s/epoch.`,
    );
  }
  if (current.quick) lines.push("(Quick mode: one epoch on a few thousand images; not results.)");
  return lines.join("\n");
}

/** Results of {@link denoisingStudy} on a test set. */
export interface DenoisingResult {
  /** Noise standard deviation (pixel range [0, 1]). */
  stddev: number;
  /** MSE per pixel between the noisy inputs and the clean images. */
  noisyMse: number;
  /** MSE of the denoising model's output (noisy in) against the clean images. */
  denoisedMse: number;
  /** MSE of the plain model's output (noisy in) against the clean images. */
  plainOnNoisyMse: number;
  /** MSE of the plain model's output (clean in) against the clean images. */
  plainOnCleanMse: number;
  /** Test images used. */
  images: number;
  /** For the figure: the noisy, denoised and plain-model images of `shown` (floats). */
  shown: { noisy: Float32Array; denoised: Float32Array; plain: Float32Array; clean: Float32Array };
}

/**
 * Compares a denoising autoencoder (trained on noisy inputs, clean targets) with the plain one on
 * the same seeded Gaussian noise over a test set, in chunks of 1,000 images.
 */
export function denoisingStudy(options: {
  denoiser: Autoencoder;
  plain: Autoencoder;
  test: ImageSet;
  stddev: number;
  seed: number;
  shown: ArrayLike<number>;
}): DenoisingResult {
  const { denoiser, plain, test, stddev, seed } = options;
  const corrupt = gaussianNoise({ stddev, seed });
  const sums = { noisy: 0, denoised: 0, plainNoisy: 0, plainClean: 0 };
  for (let start = 0; start < test.count; start += 1000) {
    const size = Math.min(1000, test.count - start);
    const indices = Int32Array.from({ length: size }, (_, i) => start + i);
    const [a, b, c, d] = tf.tidy(() => {
      const clean = imagesToTensor(test, indices);
      // Negative steps are the validation/evaluation noise streams (never used in training).
      const noisy = corrupt(clean, -1 - start);
      const mse = (x: tf.Tensor) => tf.sum(tf.squaredDifference(x, clean));
      return [
        mse(noisy),
        mse(denoiser.reconstruct(noisy)),
        mse(plain.reconstruct(noisy)),
        mse(plain.reconstruct(clean)),
      ];
    });
    sums.noisy += a.dataSync()[0];
    sums.denoised += b.dataSync()[0];
    sums.plainNoisy += c.dataSync()[0];
    sums.plainClean += d.dataSync()[0];
    tf.dispose([a, b, c, d]);
  }
  const pixels = test.count * 784;
  const shownImages = tf.tidy(() => {
    const clean = imagesToTensor(test, options.shown);
    const noisy = corrupt(clean, -1_000_000);
    return [noisy, denoiser.reconstruct(noisy), plain.reconstruct(noisy), clean];
  });
  const [noisy, denoised, plainOut, clean] = shownImages.map((t) => t.dataSync() as Float32Array);
  tf.dispose(shownImages);
  return {
    stddev,
    noisyMse: sums.noisy / pixels,
    denoisedMse: sums.denoised / pixels,
    plainOnNoisyMse: sums.plainNoisy / pixels,
    plainOnCleanMse: sums.plainClean / pixels,
    images: test.count,
    shown: { noisy, denoised, plain: plainOut, clean },
  };
}

/** Which model is best on each comparison column, as sentences (numbers from the records). */
export function rankingSummary(records: readonly ExperimentRecord[]): string {
  const rows = records.map(comparisonRow);
  const lines: string[] = [];
  for (const column of COMPARISON_COLUMNS) {
    if (!column.better) continue;
    const have = rows.filter((r) => r.values[column.key] !== undefined);
    if (have.length < 2) continue;
    const sorted = [...have].sort((a, b) =>
      column.better === "lower"
        ? a.values[column.key]! - b.values[column.key]!
        : b.values[column.key]! - a.values[column.key]!
    );
    const order = sorted.map((r) => `${r.name} ${r.values[column.key]!.toFixed(column.decimals)}`);
    lines.push(`${column.label}, best first: ${order.join(", ")}`);
  }
  if (records.some((r) => r.quick)) {
    lines.push("(Quick mode: one epoch on a few thousand images; not results.)");
  }
  return lines.join("\n");
}
