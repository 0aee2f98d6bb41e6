/**
 * The experiments' settings: every value that defines a notebook's run, full and quick, in one place.
 *
 * @module
 */
import * as path from "node:path";
import type { AutoencoderKind } from "../models/mod.ts";
import { PROJECT_ROOT, quickModeSetting } from "../io/mod.ts";
import type { RecordSettings } from "../records/mod.ts";

/** The four experiments, named as their notebooks (`01_vanilla.ipynb` ... `04_variational`). */
export type ExperimentName = "vanilla" | "multilayer" | "convolutional" | "variational";

/** The experiments in notebook order. */
export const EXPERIMENT_NAMES: readonly ExperimentName[] = [
  "vanilla",
  "multilayer",
  "convolutional",
  "variational",
];

/** Everything that defines one experiment's run (the run record's settings and the notebook's). */
export interface ExperimentSettings extends RecordSettings {
  /** Experiment name (its notebook is `notebooks/NN_<name>.ipynb`). */
  name: ExperimentName;
  /** Human-readable model name, e.g. "Convolutional autoencoder". */
  title: string;
  /** Notebook file name. */
  notebook: string;
  /** Model family for `buildModel`. */
  kind: AutoencoderKind;
  /** Seed of the train/validation split (the same for every experiment). */
  splitSeed: number;
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

/**
 * True when `KMNIST_QUICK=1`: the notebooks then run in quick mode ("0" or unset: full runs).
 *
 * @throws Error for any other value, naming it and the two that work.
 */
export function isQuickMode(): boolean {
  return quickModeSetting();
}

/** The run folder of an experiment: `runs/<name>`, or `runs/quick/<name>` in quick mode. */
export function runDirectory(name: ExperimentName, quick: boolean = isQuickMode()): string {
  return quick ? path.join(RUNS_DIRECTORY, "quick", name) : path.join(RUNS_DIRECTORY, name);
}

export function checkName(name: string): ExperimentName {
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
