/**
 * Where a training run stands ({@link TrainingState}, stored in checkpoints) and the check that a
 * resumed run continues the same run: every setting that shapes training must match the saved one.
 *
 * This file imports nothing from the rest of lib/train, so that train.ts and checkpoint/ both
 * depend on it and not on each other's types.
 *
 * @module
 */
import type { ImageSet } from "../data/mod.ts";
import type { EpochRecord } from "./progress.ts";

/** Gaussian input noise for denoising: inputs become clip(x + stddev * N(0, 1), 0, 1). */
export interface NoiseOptions {
  /** Standard deviation of the noise (in units of the [0,1] pixel range). */
  stddev: number;
  /** Seed of the noise; each step draws from a seed derived from it and the step. Default 0. */
  seed?: number;
  /** Clip the noisy image to [0,1] (default true). */
  clip?: boolean;
}

/** Where training stands: JSON-able, stored in checkpoints, and what resuming continues from. */
export interface TrainingState {
  /** Epochs completed. */
  epoch: number;
  /** Optimizer steps taken. */
  step: number;
  /** One record per completed epoch. */
  history: EpochRecord[];
  /** Seed of the batch shuffling. */
  seed: number;
  /** Images per batch. */
  batchSize: number;
  /** Adam's step size (the one the optimizer used). */
  learningRate: number;
  /** Training images per epoch. */
  trainCount: number;
  /** Validation images per epoch (absent in states saved before it was recorded). */
  validationCount?: number;
  /** {@link imageFingerprint} of the training images (absent in older states). */
  trainFingerprint?: string;
  /** {@link imageFingerprint} of the validation images (absent in older states). */
  validationFingerprint?: string;
  /** The denoising noise, when training used it. */
  noise?: NoiseOptions;
}

/** The settings of a run that a resumed run must share with the saved one. */
export interface RunSettings {
  /** Seed of the batch shuffling. */
  seed?: number;
  /** Images per batch. */
  batchSize?: number;
  /** Adam's step size. */
  learningRate?: number;
  /** Training images per epoch. */
  trainCount?: number;
  /** Validation images per epoch (0: none). */
  validationCount?: number;
  /** Fingerprint of the training images. */
  trainFingerprint?: string;
  /** Fingerprint of the validation images. */
  validationFingerprint?: string;
  /** Denoising noise (null: explicitly none). */
  noise?: NoiseOptions | null;
}

/** One setting where a resumed run differs from its checkpoint. */
export interface SettingConflict {
  /** The setting's name in {@link RunSettings}. */
  setting: keyof RunSettings;
  /** The value the checkpoint holds, as text. */
  saved: string;
  /** The value given now, as text. */
  given: string;
}

function describeNoise(noise: NoiseOptions | null | undefined): string {
  if (!noise) return "none";
  return `stddev ${noise.stddev}, seed ${noise.seed ?? 0}${
    noise.clip === false ? ", no clip" : ""
  }`;
}

function sameNoise(a: NoiseOptions | null | undefined, b: NoiseOptions | null | undefined) {
  if (!a || !b) return !a && !b;
  return a.stddev === b.stddev && (a.seed ?? 0) === (b.seed ?? 0) &&
    (a.clip ?? true) === (b.clip ?? true);
}

/**
 * The settings in `given` that differ from the checkpoint's `saved` state. A setting left
 * undefined in `given` is not compared (the saved one applies); one missing from an older saved
 * state is not compared either.
 */
export function resumeConflicts(saved: TrainingState, given: RunSettings): SettingConflict[] {
  const conflicts: SettingConflict[] = [];
  const compare = (setting: keyof RunSettings, a: unknown, b: unknown) => {
    if (a === undefined || b === undefined || a === b) return;
    conflicts.push({ setting, saved: String(a), given: String(b) });
  };
  compare("seed", saved.seed, given.seed);
  compare("batchSize", saved.batchSize, given.batchSize);
  compare("learningRate", saved.learningRate, given.learningRate);
  compare("trainCount", saved.trainCount, given.trainCount);
  compare("validationCount", saved.validationCount, given.validationCount);
  if (saved.trainCount === given.trainCount) {
    compare("trainFingerprint", saved.trainFingerprint, given.trainFingerprint);
  }
  if (saved.validationCount === given.validationCount) {
    compare("validationFingerprint", saved.validationFingerprint, given.validationFingerprint);
  }
  if (given.noise !== undefined && !sameNoise(saved.noise, given.noise)) {
    conflicts.push({
      setting: "noise",
      saved: describeNoise(saved.noise),
      given: describeNoise(given.noise),
    });
  }
  return conflicts;
}

/**
 * A short fingerprint of an image set's pixels (FNV-1a, 32 bits, over the count and every byte):
 * a resumed run on other images than its checkpoint's is caught even when the count is the same.
 */
export function imageFingerprint(set: ImageSet): string {
  let hash = 0x811c9dc5 ^ set.count;
  const bytes = set.images;
  for (let i = 0; i < bytes.length; i++) {
    hash = Math.imul(hash ^ bytes[i], 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}
