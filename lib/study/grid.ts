/**
 * The design study's grid: which trials it runs (the four architectures at every code size, PCA at
 * the same sizes, the raw-pixel baseline, a β sweep of the VAE), their settings, checks of those
 * settings, and each trial's key (a hash of its full settings).
 *
 * @module
 */
import { IMAGE_PIXELS } from "../data/mod.ts";
import { AUTOENCODER_KINDS, type AutoencoderKind } from "../models/mod.ts";
import { FULL_RUN, QUICK_RUN } from "../experiments/mod.ts";
import { sha256Hex } from "../format/mod.ts";

/** What a trial measures: an autoencoder, the PCA baseline, or k-NN on the raw pixels. */
export type StudyArchitecture = AutoencoderKind | "pca" | "pixels";

/** Every architecture a study's settings may name. */
export const STUDY_ARCHITECTURES: readonly StudyArchitecture[] = [
  ...AUTOENCODER_KINDS,
  "pca",
  "pixels",
];

/** The settings that define a whole study (its grid and how every trial trains). */
export interface StudySettings {
  /** Architectures swept over the code sizes (autoencoders and "pca"). */
  architectures: StudyArchitecture[];
  /** Code sizes of the sweep. */
  codeSizes: number[];
  /** Code size of the β sweep of the variational model. */
  betaCodeSize: number;
  /** Weights of the KL term in the β sweep (empty: no sweep). */
  betas: number[];
  /** Whether to add the raw-pixel k-NN baseline as a trial. */
  pixelBaseline: boolean;
  /** Training epochs. */
  epochs: number;
  /** Images per batch. */
  batchSize: number;
  /** Adam's step size. */
  learningRate: number;
  /** Validation images carved from the training images. */
  validationSize: number;
  /** Seed of initialisers, shuffling and sampling. */
  seed: number;
  /** Seed of the train/validation split. */
  splitSeed: number;
  /** Training images used (after the split); omitted = all. */
  trainImages?: number;
  /** Test images used (the first N); omitted = all 10,000. */
  testImages?: number;
  /** k of the k-NN probe. */
  knnK: number;
  /** VAE: importance samples per image. */
  iwaeSamples: number;
  /** VAE: test images in the importance-weighted estimate. */
  iwaeImages: number;
  /** Whether these are the quick settings (a smoke test, not results). */
  quick: boolean;
}

/** One trial's full settings: everything its result depends on (hashed into its key). */
export interface TrialSettings {
  /** What is measured. */
  architecture: StudyArchitecture;
  /** Code size (784 for the raw pixels). */
  latentDim: number;
  /** Variational only: weight of the KL term (1 = the plain VAE). */
  beta?: number;
  /** Autoencoders: epochs, batch, step size, validation size, seed. */
  epochs?: number;
  /** Images per batch. */
  batchSize?: number;
  /** Adam's step size. */
  learningRate?: number;
  /** Validation images carved from the training images. */
  validationSize: number;
  /** Seed of initialisers, shuffling and sampling. */
  seed?: number;
  /** Seed of the train/validation split. */
  splitSeed: number;
  /** Training images used; omitted = all. */
  trainImages?: number;
  /** Test images used; omitted = all. */
  testImages?: number;
  /** k of the k-NN probe (distance-weighted votes, the baseline's protocol). */
  knnK: number;
  /** Variational only: importance samples per image. */
  iwaeSamples?: number;
  /** Variational only: test images of the importance-weighted estimate. */
  iwaeImages?: number;
}

/** The code sizes of the full study. */
export const STUDY_CODE_SIZES: readonly number[] = [2, 4, 8, 16, 32, 64];

/** The β values of the full study's β sweep. */
export const STUDY_BETAS: readonly number[] = [0.25, 0.5, 1, 2, 4];

/**
 * The study's settings: the full grid (10 epochs on 55,000 images, as notebooks 1-4), or in quick
 * mode a reduced grid (code sizes 2 and 32, β 2, 3,000 images, one epoch) that runs in well under
 * a minute.
 */
export function studySettings(options: { quick?: boolean } = {}): StudySettings {
  const quick = options.quick ?? false;
  return {
    architectures: [...AUTOENCODER_KINDS, "pca"],
    codeSizes: quick ? [2, 32] : [...STUDY_CODE_SIZES],
    betaCodeSize: 32,
    betas: quick ? [2] : [...STUDY_BETAS],
    pixelBaseline: true,
    epochs: quick ? QUICK_RUN.epochs : FULL_RUN.epochs,
    batchSize: FULL_RUN.batchSize,
    learningRate: FULL_RUN.learningRate,
    validationSize: quick ? QUICK_RUN.validationSize : FULL_RUN.validationSize,
    seed: FULL_RUN.seed,
    splitSeed: FULL_RUN.splitSeed,
    ...(quick ? { trainImages: QUICK_RUN.trainImages, testImages: QUICK_RUN.testImages } : {}),
    knnK: FULL_RUN.knnK,
    iwaeSamples: quick ? QUICK_RUN.iwaeSamples : FULL_RUN.iwaeSamples,
    iwaeImages: quick ? QUICK_RUN.iwaeImages : FULL_RUN.iwaeImages,
    quick,
  };
}

function checkCodeSize(size: unknown, where: string): void {
  if (!Number.isInteger(size) || (size as number) < 1 || (size as number) > IMAGE_PIXELS) {
    throw new Error(
      `Unknown code size ${JSON.stringify(size)} in the study's ${where}: a code size is an ` +
        `integer in 1..${IMAGE_PIXELS}; the study uses ${STUDY_CODE_SIZES.join(", ")}.`,
    );
  }
}

function checkPositive(value: unknown, name: string, integer: boolean): void {
  const ok = typeof value === "number" && Number.isFinite(value) && value > 0 &&
    (!integer || Number.isInteger(value));
  if (!ok) {
    throw new Error(
      `The study's ${name} is ${JSON.stringify(value)}: it must be a positive ` +
        `${integer ? "integer" : "number"}.`,
    );
  }
}

/**
 * Checks a study's settings (e.g. read from a JSON file), throwing an error that names the bad
 * value and what to use instead.
 */
export function checkStudySettings(settings: StudySettings): StudySettings {
  if (!Array.isArray(settings.architectures) || settings.architectures.length === 0) {
    throw new Error(
      `The study's architectures must be a non-empty list of ${STUDY_ARCHITECTURES.join(", ")}.`,
    );
  }
  for (const a of settings.architectures) {
    if (!STUDY_ARCHITECTURES.includes(a) || a === "pixels") {
      throw new Error(
        `Unknown architecture ${JSON.stringify(a)} in the study's architectures: use ` +
          `${[...AUTOENCODER_KINDS, "pca"].join(", ")} (the raw-pixel baseline is ` +
          `"pixelBaseline": true).`,
      );
    }
  }
  if (!Array.isArray(settings.codeSizes) || settings.codeSizes.length === 0) {
    throw new Error(`The study's codeSizes must be a non-empty list, e.g. [2, 8, 32].`);
  }
  for (const size of settings.codeSizes) checkCodeSize(size, "codeSizes");
  if (!Array.isArray(settings.betas)) throw new Error(`The study's betas must be a list.`);
  if (settings.betas.length > 0) {
    checkCodeSize(settings.betaCodeSize, "betaCodeSize");
    for (const beta of settings.betas) checkPositive(beta, `β ${beta} (betas)`, false);
  }
  for (const name of ["epochs", "batchSize", "knnK", "validationSize"] as const) {
    checkPositive(settings[name], name, true);
  }
  checkPositive(settings.learningRate, "learningRate", false);
  for (const name of ["trainImages", "testImages"] as const) {
    if (settings[name] !== undefined) checkPositive(settings[name], name, true);
  }
  return settings;
}

function autoencoderTrial(
  settings: StudySettings,
  kind: AutoencoderKind,
  latentDim: number,
  beta?: number,
): TrialSettings {
  const variational = kind === "variational";
  return {
    architecture: kind,
    latentDim,
    ...(variational ? { beta: beta ?? 1 } : {}),
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    learningRate: settings.learningRate,
    validationSize: settings.validationSize,
    seed: settings.seed,
    splitSeed: settings.splitSeed,
    ...(settings.trainImages !== undefined ? { trainImages: settings.trainImages } : {}),
    ...(settings.testImages !== undefined ? { testImages: settings.testImages } : {}),
    knnK: settings.knnK,
    ...(variational ? { iwaeSamples: settings.iwaeSamples, iwaeImages: settings.iwaeImages } : {}),
  };
}

function baselineTrial(
  settings: StudySettings,
  architecture: "pca" | "pixels",
  latentDim: number,
): TrialSettings {
  return {
    architecture,
    latentDim,
    validationSize: settings.validationSize,
    splitSeed: settings.splitSeed,
    ...(settings.trainImages !== undefined ? { trainImages: settings.trainImages } : {}),
    ...(settings.testImages !== undefined ? { testImages: settings.testImages } : {}),
    knnK: settings.knnK,
  };
}

/**
 * Every trial of a study, once each, in a fixed order: the baselines (pixels, PCA), then the
 * autoencoders by architecture and code size, then the β sweep (β = 1 at the sweep's size is the
 * plain VAE's trial, listed once).
 */
export function studyGrid(settings: StudySettings): TrialSettings[] {
  checkStudySettings(settings);
  const trials: TrialSettings[] = [];
  const seen = new Set<string>();
  const add = (trial: TrialSettings) => {
    const id = canonicalJson(trial);
    if (!seen.has(id)) {
      seen.add(id);
      trials.push(trial);
    }
  };
  if (settings.pixelBaseline) add(baselineTrial(settings, "pixels", IMAGE_PIXELS));
  if (settings.architectures.includes("pca")) {
    for (const size of settings.codeSizes) add(baselineTrial(settings, "pca", size));
  }
  for (const a of settings.architectures) {
    if (a === "pca" || a === "pixels") continue;
    for (const size of settings.codeSizes) add(autoencoderTrial(settings, a, size));
  }
  for (const beta of settings.betas) {
    add(autoencoderTrial(settings, "variational", settings.betaCodeSize, beta));
  }
  return trials;
}

/** JSON with object keys sorted at every level (the same settings always give the same text). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** A trial's key: the first 16 hex digits of the SHA-256 of its canonical settings. */
export async function trialKey(trial: TrialSettings): Promise<string> {
  return (await sha256Hex(canonicalJson(trial))).slice(0, 16);
}

/** A short human name of a trial, e.g. "convolutional z=16" or "variational z=32 β=0.5". */
export function trialLabel(trial: TrialSettings): string {
  if (trial.architecture === "pixels") return "raw pixels";
  const beta = trial.beta !== undefined && trial.beta !== 1 ? ` β=${trial.beta}` : "";
  return `${trial.architecture} z=${trial.latentDim}${beta}`;
}
