/**
 * One training loop for all four autoencoders: seeded shuffling, a validation pass per epoch,
 * history, throughput, progress callbacks, checkpoints, resumption and a stop on non-finite loss.
 *
 * With `checkpointDirectory` the run owns that folder: it holds the folder's run lock while it
 * trains (a second run into it is refused, naming the holder), cleans what an interrupted save
 * left, refuses to start over an existing checkpoint unless `overwrite` or `resume` says what to
 * do, and saves a checkpoint after every epoch as one unit. A resumed run takes every setting
 * that shapes training from the saved state and refuses one that contradicts it. A training
 * that collapsed to all-black outputs ends with a warning.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ImageSet } from "../data/mod.ts";
import { type Autoencoder, deriveSeed } from "../models/mod.ts";
import { createOptimizer } from "./optimizer.ts";
import {
  autoProgress,
  type EpochRecord,
  jupyterProgress,
  terminalProgress,
  type TrainBeginInfo,
  type TrainingCallbacks,
} from "./progress.ts";
import { saveCheckpoint } from "./checkpoint/mod.ts";
import { collapseCheck, collapseWarning } from "./collapse.ts";
import {
  imageFingerprint,
  type NoiseOptions,
  type PartialEpoch,
  resumeConflicts,
  type TrainingState,
} from "./state.ts";
import type { RunLock } from "../io/mod.ts";
import { type CorruptFn, runEpochs } from "./loop.ts";
import { takeRunFolder } from "./run_folder.ts";
import { interruptible, isInterrupted } from "./cancel.ts";

export { type CorruptFn, epochShuffleSeed, evaluateLoss, NonFiniteLossError } from "./loop.ts";

/** Progress reporting choice: a reporter kind, or none. */
export type ProgressKind = "auto" | "terminal" | "jupyter" | "none";

/** Options for {@link train}. */
export interface TrainOptions {
  /** Training images (shuffled every epoch). */
  train: ImageSet;
  /**
   * Validation images, evaluated after every epoch (optional). With `noise`/`corrupt` the
   * validation inputs are corrupted too (the same noise every epoch) and the targets stay clean.
   */
  validation?: ImageSet;
  /** Epoch to stop after, counting resumed ones (default 10; more than a resumed state's). */
  epochs?: number;
  /** Images per batch (default 128). */
  batchSize?: number;
  /** Seed of the shuffling (default 0; epoch e shuffles with a seed derived from it and e). */
  seed?: number;
  /**
   * Adam's step size (default 1e-3, or the resumed state's). With `optimizer` or `resume` it must
   * equal theirs (it is checked, never silently ignored).
   */
  learningRate?: number;
  /** The optimizer to use (the caller keeps and disposes it); a fresh Adam otherwise. */
  optimizer?: tf.Optimizer;
  /** Continue from this state (e.g. `loadCheckpoint(...).state`, with its optimizer). */
  resume?: TrainingState;
  /** Denoising: train on noisy inputs against clean targets (default: the resumed state's). */
  noise?: NoiseOptions;
  /** Denoising with any corruption (overrides `noise`); the function must not keep its input. */
  corrupt?: CorruptFn;
  /** Hooks called during training (in addition to the progress reporter). */
  callbacks?: TrainingCallbacks | TrainingCallbacks[];
  /** Shorthand for a callbacks object with just `onBatchEnd`. */
  onProgress?: TrainingCallbacks["onBatchEnd"];
  /** Built-in progress reporter (default "auto": Jupyter in the kernel, else terminal). */
  progress?: ProgressKind;
  /** Images per validation chunk (default 1000). */
  validationBatchSize?: number;
  /**
   * Run folder: a checkpoint is saved here after every epoch (as one unit; see `saveCheckpoint`),
   * under the folder's run lock (a second run into it is refused). A folder that already holds a
   * checkpoint is refused unless `resume` (from that checkpoint) or `overwrite` is given.
   */
  checkpointDirectory?: string;
  /** Replace the checkpoint already in `checkpointDirectory` (removed before training). */
  overwrite?: boolean;
  /** The run lock of `checkpointDirectory` when the caller already holds it (it stays held). */
  runLock?: RunLock;
}

/** What {@link train} returns. */
export interface TrainResult {
  /** One record per epoch, resumed ones included. */
  history: EpochRecord[];
  /** Where training stopped (pass as `resume` to continue). */
  state: TrainingState;
  /** Wall seconds of this call. */
  wallSeconds: number;
  /** Training images per second over this call (validation excluded). */
  imagesPerSecond: number;
  /** Warnings about the result (a collapsed model); also printed unless `progress` is "none". */
  warnings: string[];
}

/** A {@link CorruptFn} adding seeded Gaussian noise (see {@link NoiseOptions}). */
export function gaussianNoise(options: NoiseOptions): CorruptFn {
  const { stddev, seed = 0, clip = true } = options;
  if (!(stddev >= 0)) throw new Error(`noise.stddev must be >= 0, got ${stddev}.`);
  return (clean, step) =>
    tf.tidy(() => {
      const noisy = tf.add(
        clean,
        tf.randomNormal(clean.shape, 0, stddev, "float32", deriveSeed(seed, step + (1 << 22))),
      );
      return (clip ? tf.clipByValue(noisy, 0, 1) : noisy) as tf.Tensor4D;
    });
}

function checkOptions(options: TrainOptions, epochs: number, batchSize: number): void {
  if (!Number.isInteger(epochs) || epochs < 1) {
    throw new Error(`train: epochs must be a positive integer, got ${epochs}.`);
  }
  const resumed = options.resume?.epoch;
  if (resumed !== undefined && epochs <= resumed) {
    throw new Error(
      `train: cannot resume to epoch ${epochs}: the checkpoint has already trained ${resumed} ` +
        `epoch(s). Ask for more epochs than ${resumed} (deno task train --epochs), or evaluate ` +
        `the checkpoint as it is (--evaluate-only).`,
    );
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`train: batchSize must be a positive integer, got ${batchSize}.`);
  }
  if (options.train.count < 1) throw new Error("train: the training set is empty.");
}

function resolveCallbacks(options: TrainOptions): TrainingCallbacks[] {
  const list: TrainingCallbacks[] = [];
  const progress = options.progress ?? "auto";
  if (progress === "auto") list.push(autoProgress());
  else if (progress === "terminal") list.push(terminalProgress());
  else if (progress === "jupyter") list.push(jupyterProgress());
  if (options.callbacks) {
    list.push(...(Array.isArray(options.callbacks) ? options.callbacks : [options.callbacks]));
  }
  if (options.onProgress) list.push({ onBatchEnd: options.onProgress });
  return list;
}

/** The run's settings, resolved from the options and the resumed state, checked. */
interface ResolvedRun {
  epochs: number;
  batchSize: number;
  seed: number;
  learningRate: number;
  noise?: NoiseOptions;
  corrupt?: CorruptFn;
  trainFingerprint: string;
  validationCount: number;
  validationFingerprint?: string;
}

function resolveRun(options: TrainOptions): ResolvedRun {
  const resume = options.resume;
  const epochs = options.epochs ?? 10;
  const batchSize = options.batchSize ?? resume?.batchSize ?? 128;
  const seed = options.seed ?? resume?.seed ?? 0;
  const optimizerRate = options.optimizer
    ? Number(options.optimizer.getConfig().learningRate)
    : undefined;
  const learningRate = Number.isFinite(optimizerRate)
    ? optimizerRate!
    : options.learningRate ?? resume?.learningRate ?? 1e-3;
  checkOptions(options, epochs, batchSize);
  if (options.learningRate !== undefined && options.learningRate !== learningRate) {
    throw new Error(
      `train: learningRate ${options.learningRate} differs from the given optimizer's ` +
        `${learningRate}: pass one of them only.`,
    );
  }
  const noise = options.noise ?? (options.corrupt ? undefined : resume?.noise);
  const trainFingerprint = imageFingerprint(options.train);
  const validationCount = options.validation?.count ?? 0;
  const validationFingerprint = options.validation && validationCount > 0
    ? imageFingerprint(options.validation)
    : undefined;
  if (resume) {
    const conflicts = resumeConflicts(resume, {
      batchSize,
      seed,
      learningRate,
      trainCount: options.train.count,
      validationCount,
      trainFingerprint,
      validationFingerprint,
      noise: options.corrupt ? undefined : noise ?? null,
    });
    if (conflicts.length > 0) {
      throw new Error(
        `train: cannot resume: ${
          conflicts.map((c) => `${c.setting} was ${c.saved}, now ${c.given}`).join("; ")
        }. Resume with the settings of the original run (leave them out to reuse the saved ones).`,
      );
    }
    const partial = resume.partialEpoch;
    const batches = Math.ceil(options.train.count / batchSize);
    if (partial && !(Number.isInteger(partial.batches) && partial.batches <= batches)) {
      throw new Error(
        `train: cannot resume: the state stopped after batch ${partial.batches} of an epoch of ` +
          `${batches} batches; it does not belong to this training set.`,
      );
    }
  }
  const corrupt = options.corrupt ?? (noise ? gaussianNoise(noise) : undefined);
  return {
    epochs,
    batchSize,
    seed,
    learningRate,
    noise,
    corrupt,
    trainFingerprint,
    validationCount,
    validationFingerprint,
  };
}

/** The collapse warning, if the trained model outputs (nearly) the same image for everything. */
function collapseWarnings(model: Autoencoder, options: TrainOptions, history: EpochRecord[]) {
  const warnings: string[] = [];
  const check = collapseCheck(
    model,
    options.validation?.count ? options.validation : options.train,
  );
  if (check.collapsed) {
    const last = history.at(-1)!;
    const learningRate = options.learningRate ?? options.resume?.learningRate ?? 1e-3;
    warnings.push(
      collapseWarning(model, check, { learningRate, loss: last.valLoss ?? last.trainLoss }),
    );
  }
  return warnings;
}

/**
 * Trains `model` in place with Adam on mini-batches, validating after every epoch.
 *
 * Reproducible: the batch order of epoch e depends only on (seed, e), the VAE's sampling noise and
 * the denoising noise only on their seeds and the global step, so a run resumed from a checkpoint
 * (`resume` + the saved optimizer) gives the same history as an uninterrupted one.
 *
 * Interruptible: Jupyter's Stop or Ctrl-C (lib/train/cancel.ts) stops it at the end of the current
 * batch with an `InterruptedError` naming the epoch, batch and last loss; the model and optimizer
 * hold that step, the last checkpoint stays as saved, and the error's `details` (also
 * `lastInterruption().details`) hold `state` and `optimizer`: `train(model, { ...the same
 * options, resume: state, optimizer })` continues to the bit-identical result of an uninterrupted
 * run. Its own optimizer is then handed over, not disposed.
 *
 * @throws NonFiniteLossError when a batch's loss is NaN or infinite (before applying that step).
 * @throws InterruptedError after Stop / Ctrl-C.
 */
export function train(model: Autoencoder, options: TrainOptions): Promise<TrainResult> {
  return interruptible(() => trainNow(model, options));
}

async function trainNow(model: Autoencoder, options: TrainOptions): Promise<TrainResult> {
  const resume = options.resume;
  const run = resolveRun(options);
  const { epochs, batchSize, seed, learningRate, noise } = run;
  const callbacks = resolveCallbacks(options);
  const history: EpochRecord[] = resume ? resume.history.map((r) => ({ ...r })) : [];
  const train = options.train;
  const info: TrainBeginInfo = {
    kind: model.kind,
    startEpoch: resume?.epoch ?? 0,
    epochs,
    batchesPerEpoch: Math.ceil(train.count / batchSize),
    trainCount: train.count,
    validationCount: run.validationCount,
  };
  let step = resume?.step ?? 0;
  const state = (partial?: PartialEpoch): TrainingState => ({
    epoch: history.length,
    step,
    history: history.map((r) => ({ ...r })),
    seed,
    batchSize,
    learningRate,
    trainCount: train.count,
    validationCount: run.validationCount,
    trainFingerprint: run.trainFingerprint,
    ...(run.validationFingerprint ? { validationFingerprint: run.validationFingerprint } : {}),
    ...(noise ? { noise: { ...noise } } : {}),
    ...(partial ? { partialEpoch: { ...partial } } : {}),
  });

  const directory = options.checkpointDirectory;
  const lock = directory === undefined ? undefined : await takeRunFolder({
    directory,
    resume,
    overwrite: options.overwrite,
    runLock: options.runLock,
  });

  // Made once the run folder is ours, so that a refused run leaves no optimizer behind.
  const ownOptimizer = options.optimizer === undefined;
  const optimizer = options.optimizer ?? createOptimizer({ learningRate });
  const started = performance.now();
  let handedOver = false;
  let totals;
  try {
    for (const cb of callbacks) await cb.onTrainBegin?.(info);
    const ctx = {
      model,
      optimizer,
      train,
      validation: options.validation,
      validationBatchSize: options.validationBatchSize,
      corrupt: run.corrupt,
      callbacks,
      info,
      epochs,
      batchSize,
      seed,
      learningRate,
      history,
      get step() {
        return step;
      },
      set step(value: number) {
        step = value;
      },
      partial: resume?.partialEpoch,
      state,
      onEpochSaved: directory === undefined
        ? undefined
        : () => saveCheckpoint(directory, { model, optimizer, state: state() }),
    };
    totals = await runEpochs(ctx);
    for (const cb of callbacks) await cb.onTrainEnd?.(history);
  } catch (error) {
    // An interrupted run hands its optimizer to the caller for the resume.
    if (isInterrupted(error) && error.details.optimizer === optimizer) handedOver = true;
    throw error;
  } finally {
    if (ownOptimizer && !handedOver) optimizer.dispose();
    lock?.release();
  }
  const warnings = collapseWarnings(model, { ...options, learningRate }, history);
  if ((options.progress ?? "auto") !== "none") { for (const w of warnings) console.warn(w); }
  return {
    history: history.map((r) => ({ ...r })),
    state: state(),
    wallSeconds: (performance.now() - started) / 1000,
    imagesPerSecond: totals.trainImages / Math.max(totals.trainSeconds, 1e-9),
    warnings,
  };
}
