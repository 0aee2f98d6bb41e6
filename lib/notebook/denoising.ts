/**
 * The convolutional notebook's denoising study as notebook steps: train a second model of the
 * same architecture on noisy inputs (clean targets), compare it with the plain model on the same
 * seeded noise, show both, and add the numbers to the experiment's record.
 *
 * @module
 */
import { formatNumber } from "../format/mod.ts";
import * as path from "node:path";
import type { Autoencoder } from "../models/mod.ts";
import type { TrainResult } from "../train/mod.ts";
import { type Figure, imageGrid } from "../plot/mod.ts";
import {
  type DenoisingResult,
  denoisingStudy,
  type ExperimentRecord,
  saveExperimentRecord,
} from "../experiments/mod.ts";
import { summarizeTraining } from "../records/mod.ts";
import { buildExperimentModel, type ExperimentRun, trainExperiment } from "./experiment.ts";
import { shownTestImages } from "./figures.ts";
import type { EvaluationReport } from "../metrics/mod.ts";

/** A denoising model with its training result. */
export interface Denoiser {
  /** The model trained on noisy inputs. */
  model: Autoencoder;
  /** Its training result. */
  result: TrainResult;
}

/**
 * Trains the denoising model: the experiment's architecture with the next seed, on inputs with
 * Gaussian noise (σ from the settings), into the run folder's `denoising/` subfolder.
 */
export async function trainDenoiser(run: ExperimentRun): Promise<Denoiser> {
  const { settings } = run;
  const model = buildExperimentModel(run, 1);
  const result = await trainExperiment(run, model, {
    noise: { stddev: settings.noiseStddev, seed: settings.seed + 1 },
    checkpointDirectory: path.join(settings.runDirectory, "denoising"),
  });
  return { model, result };
}

/**
 * Both models on the same seeded noise over the test set (a noise stream never used in training);
 * prints the four MSEs against the clean images.
 */
export function compareDenoising(
  run: ExperimentRun,
  denoiser: Denoiser,
  plain: Autoencoder,
): DenoisingResult {
  const { settings } = run;
  const result = denoisingStudy({
    denoiser: denoiser.model,
    plain,
    test: run.data.test,
    stddev: settings.noiseStddev,
    seed: settings.seed + 2,
    shown: shownTestImages(run).slice(0, 8),
  });
  console.log(
    `MSE vs clean: noisy input ${formatNumber(result.noisyMse, { decimals: 4 })}, ` +
      `denoising AE ${formatNumber(result.denoisedMse, { decimals: 4 })}, ` +
      `plain AE on noisy input ${formatNumber(result.plainOnNoisyMse, { decimals: 4 })} ` +
      `(plain AE on clean input ${formatNumber(result.plainOnCleanMse, { decimals: 4 })})`,
  );
  return result;
}

/** Noisy inputs, the denoiser's output, the plain model's output and the clean images. */
export function denoisingFigure(run: ExperimentRun, result: DenoisingResult): Figure<unknown> {
  return imageGrid({
    title: `Denoising (Gaussian noise, std ${run.settings.noiseStddev})`,
    rows: [
      { title: "noisy", images: result.shown.noisy },
      { title: "denoised", images: result.shown.denoised },
      { title: "plain AE", images: result.shown.plain },
      { title: "clean", images: result.shown.clean },
    ],
  });
}

/** Saves the experiment's record again with the denoising numbers added (images left out). */
export async function recordDenoising(
  run: ExperimentRun,
  contents: { result: TrainResult; evaluation: EvaluationReport },
  denoiser: Denoiser,
  denoising: DenoisingResult,
): Promise<ExperimentRecord> {
  const { shown: _images, ...numbers } = denoising;
  return await saveExperimentRecord(run.settings, {
    ...contents,
    backend: run.backend,
    extra: {
      denoising: {
        ...numbers,
        secondsPerEpoch: summarizeTraining(denoiser.result).secondsPerEpoch,
      },
    },
  });
}
