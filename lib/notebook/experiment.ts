/**
 * The steps every experiment notebook (01-04) takes, each one short call: open the experiment
 * (settings and data), build its model, train it, evaluate it and save its record, and compare it
 * with the notebooks run before. The settings come from lib/experiments, so the four notebooks
 * are trained the same way; a change of these steps is a change here, not in four notebooks.
 *
 * ```ts
 * const backend = await initBackend();
 * const run = await openExperiment("convolutional", { backend: backend.name });
 * const model = buildExperimentModel(run);
 * const result = await trainExperiment(run, model);
 * const { evaluation, record } = await evaluateExperiment(run, model, result);
 * await conclusion(run, record); // markdown from the records
 * ```
 *
 * @module
 */
import { formatNumber } from "../format/mod.ts";
import * as tf from "@tensorflow/tfjs";
import { type Autoencoder, buildModel } from "../models/mod.ts";
import { train, type TrainOptions, type TrainResult } from "../train/mod.ts";
import { evaluate, type EvaluationReport } from "../metrics/mod.ts";
import {
  compareWithPrevious,
  describeExperiment,
  type ExperimentData,
  type ExperimentName,
  type ExperimentRecord,
  type ExperimentSettings,
  experimentSettings,
  loadExperimentData,
  previousRecords,
  type RecordContents,
  saveExperimentRecord,
} from "../experiments/mod.ts";
import { countOf } from "./display.ts";
import { bulletList, markdown, type MarkdownDisplay } from "./prose.ts";

/** One experiment as a notebook runs it. */
export interface ExperimentRun {
  /** Its settings (lib/experiments/settings.ts; quick mode with `KMNIST_QUICK=1`). */
  settings: ExperimentSettings;
  /** Its training, validation and test images. */
  data: ExperimentData;
  /** The backend it runs on, as `initBackend` named it ("blas", "wasm", "cpu"). */
  backend: string;
}

/** Options of {@link openExperiment}. */
export interface OpenExperimentOptions {
  /** The backend's name as `initBackend` reported it (default: `tf.getBackend()`). */
  backend?: string;
  /** Print the description of the sets and settings (default true). */
  print?: boolean;
}

/**
 * The settings and data of an experiment; prints the sets' sizes, the settings, the run folder
 * and the backend.
 */
export async function openExperiment(
  name: ExperimentName,
  options: OpenExperimentOptions = {},
): Promise<ExperimentRun> {
  const settings = experimentSettings(name);
  const data = await loadExperimentData(settings);
  const backend = options.backend ?? tf.getBackend();
  if (options.print ?? true) {
    console.log(`${describeExperiment(settings, data)}\ntfjs backend: ${backend}`);
  }
  return { settings, data, backend };
}

/** A fresh, seeded model of the experiment's kind and latent size (`seedOffset` for a second). */
export function buildExperimentModel(run: ExperimentRun, seedOffset = 0): Autoencoder {
  const { kind, latentDim, seed } = run.settings;
  return buildModel({ kind, latentDim, seed: seed + seedOffset });
}

/** Options of {@link trainExperiment}. */
export interface TrainExperimentOptions {
  /** Run folder of this training (default: the experiment's). */
  checkpointDirectory?: string;
  /** Train on noisy inputs (the denoising study). */
  noise?: TrainOptions["noise"];
  /** Print the one-line summary after training (default true). */
  print?: boolean;
}

/**
 * Trains the model with the experiment's settings (epochs, batch, Adam step, seed), with a live
 * progress display and a checkpoint in the run folder after every epoch (a notebook run replaces
 * the folder's earlier checkpoint: `overwrite`); prints a summary line and any warning.
 */
export async function trainExperiment(
  run: ExperimentRun,
  model: Autoencoder,
  options: TrainExperimentOptions = {},
): Promise<TrainResult> {
  const { settings, data } = run;
  const result = await train(model, {
    train: data.train,
    validation: data.validation,
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    learningRate: settings.learningRate,
    seed: settings.seed,
    checkpointDirectory: options.checkpointDirectory ?? settings.runDirectory,
    // Running a notebook again trains the model again: the run folder's checkpoint is replaced.
    overwrite: true,
    ...(options.noise ? { noise: options.noise } : {}),
  });
  if (options.print ?? true) {
    console.log(
      `${countOf(result.history.length, "epoch")} in ${
        formatNumber(result.wallSeconds, { decimals: 1 })
      } s, ` +
        `${formatNumber(result.imagesPerSecond, { decimals: 0 })} images/s`,
    );
  }
  return result;
}

/** What {@link evaluateExperiment} returns. */
export interface ExperimentEvaluation {
  /** The test metrics. */
  evaluation: EvaluationReport;
  /** The record saved to the run folder's metrics.json. */
  record: ExperimentRecord;
}

/**
 * Evaluates the model on the test images (MSE, BCE, PSNR, SSIM, k-NN probe of the codes, and the
 * VAE's ELBO and importance-weighted likelihood) and saves the experiment's record.
 */
export async function evaluateExperiment(
  run: ExperimentRun,
  model: Autoencoder,
  result: TrainResult,
  extra?: RecordContents["extra"],
): Promise<ExperimentEvaluation> {
  const { settings, data } = run;
  const evaluation = evaluate(model, {
    test: data.test,
    train: data.train,
    knnK: settings.knnK,
    iwaeSamples: settings.iwaeSamples,
    iwaeImages: settings.iwaeImages,
    seed: settings.seed,
  });
  const record = await saveExperimentRecord(settings, {
    result,
    evaluation,
    backend: run.backend,
    ...(extra ? { extra } : {}),
  });
  return { evaluation, record };
}

/**
 * Sentences comparing this experiment's record with those of the notebooks before it, rendered as
 * markdown (the numbers come from the saved records, so the text follows every re-run).
 */
export async function conclusion(
  run: ExperimentRun,
  record: ExperimentRecord,
): Promise<MarkdownDisplay> {
  const previous = await previousRecords(run.settings.name, { quick: run.settings.quick });
  const lines = compareWithPrevious(record, previous).split("\n");
  const against = lines.filter((line) => line.startsWith("vs "));
  const rest = lines.filter((line) => !line.startsWith("vs "));
  return markdown(
    rest[0],
    against.length > 0 ? `Against the notebooks before it:\n\n${bulletList(against)}` : "",
    ...rest.slice(1).map((line) => line.startsWith("(") ? `_${line}_` : line),
  );
}
