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
import { batchIndices, type ImageSet, imagesToTensor } from "../data/mod.ts";
import { type Autoencoder, deriveSeed, type LossTerms } from "../models/mod.ts";
import { createOptimizer } from "./optimizer.ts";
import {
  autoProgress,
  type EpochRecord,
  jupyterProgress,
  terminalProgress,
  type TrainBeginInfo,
  type TrainingCallbacks,
} from "./progress.ts";
import {
  cleanCheckpointLeftovers,
  hasCheckpoint,
  removeCheckpoint,
  saveCheckpoint,
} from "./checkpoint/mod.ts";
import { collapseCheck, collapseWarning } from "./collapse.ts";
import {
  imageFingerprint,
  type NoiseOptions,
  resumeConflicts,
  type TrainingState,
} from "./state.ts";
import { acquireRunLock, displayPath, type RunLock } from "../io/mod.ts";

/**
 * A corruption of the inputs: training feeds `corrupt(x, step)` to the model and asks for `x`.
 * `step` is the global step (negative during validation); use it to seed any randomness.
 */
export type CorruptFn = (clean: tf.Tensor4D, step: number) => tf.Tensor4D;

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

/** Thrown when the loss stops being finite: names the epoch and the step. */
export class NonFiniteLossError extends Error {
  /** 1-based epoch where it happened. */
  readonly epoch: number;
  /** 1-based batch within the epoch. */
  readonly batch: number;
  /** Global optimizer step (1-based) that produced it. */
  readonly step: number;
  /** The loss value (NaN or ±Infinity). */
  readonly loss: number;

  /** @param details where and what. */
  constructor(details: { epoch: number; batch: number; step: number; loss: number; lr: number }) {
    super(
      `Training stopped: the loss is ${details.loss} at epoch ${details.epoch}, batch ` +
        `${details.batch} (global step ${details.step}). The weights were not updated with this ` +
        `step. Lower the learning rate (now ${details.lr}) or check the inputs for NaN/Infinity.`,
    );
    this.name = "NonFiniteLossError";
    this.epoch = details.epoch;
    this.batch = details.batch;
    this.step = details.step;
    this.loss = details.loss;
  }
}

/** The seed of the batch order of (0-based) epoch `epoch` for shuffling seed `seed`. */
export function epochShuffleSeed(seed: number, epoch: number): number {
  return deriveSeed(seed, epoch);
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

/** Mean loss terms of a model over a set, in chunks (no gradients). */
export function evaluateLoss(
  model: Autoencoder,
  set: ImageSet,
  options: { batchSize?: number; corrupt?: CorruptFn } = {},
): { loss: number; reconstruction?: number; kl?: number } {
  const chunk = options.batchSize ?? 1000;
  let loss = 0, reconstruction = 0, kl = 0;
  const batches = batchIndices(set.count, { batchSize: chunk, shuffle: false });
  batches.forEach((indices, i) => {
    const values = tf.tidy(() => {
      const clean = imagesToTensor(set, indices);
      // Validation uses fixed negative "steps": the same noise every epoch.
      const step = -(i + 1);
      const input = options.corrupt ? options.corrupt(clean, step) : clean;
      const terms = model.lossTerms(input, { target: clean, step });
      return tf.stack([terms.loss, terms.reconstruction ?? terms.loss, terms.kl ?? terms.loss]);
    });
    const [l, r, k] = values.dataSync();
    values.dispose();
    loss += l * indices.length;
    reconstruction += r * indices.length;
    kl += k * indices.length;
  });
  const n = set.count;
  if (model.kind !== "variational") return { loss: loss / n };
  return { loss: loss / n, reconstruction: reconstruction / n, kl: kl / n };
}

/** Lets the event loop run (Jupyter display messages, timers) without slowing training much. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Trains `model` in place with Adam on mini-batches, validating after every epoch.
 *
 * Reproducible: the batch order of epoch e depends only on (seed, e), the VAE's sampling noise and
 * the denoising noise only on their seeds and the global step, so a run resumed from a checkpoint
 * (`resume` + the saved optimizer) gives the same history as an uninterrupted one.
 *
 * @throws NonFiniteLossError when a batch's loss is NaN or infinite (before applying that step).
 */
export async function train(model: Autoencoder, options: TrainOptions): Promise<TrainResult> {
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
  }
  const corrupt = options.corrupt ?? (noise ? gaussianNoise(noise) : undefined);
  const callbacks = resolveCallbacks(options);
  const history: EpochRecord[] = resume ? resume.history.map((r) => ({ ...r })) : [];
  const startEpoch = resume?.epoch ?? 0;
  let step = resume?.step ?? 0;
  const train = options.train;
  const batchesPerEpoch = Math.ceil(train.count / batchSize);
  const info: TrainBeginInfo = {
    kind: model.kind,
    startEpoch,
    epochs,
    batchesPerEpoch,
    trainCount: train.count,
    validationCount: options.validation?.count ?? 0,
  };
  const state = (): TrainingState => ({
    epoch: history.length,
    step,
    history: history.map((r) => ({ ...r })),
    seed,
    batchSize,
    learningRate,
    trainCount: train.count,
    validationCount,
    trainFingerprint,
    ...(validationFingerprint ? { validationFingerprint } : {}),
    ...(noise ? { noise: { ...noise } } : {}),
  });

  const directory = options.checkpointDirectory;
  let lock: RunLock | undefined;
  if (directory !== undefined) {
    if (options.runLock && options.runLock.directory !== directory) {
      throw new Error(
        `train: runLock holds ${options.runLock.directory}, not the checkpointDirectory ` +
          `${directory}.`,
      );
    }
    lock = options.runLock ?? await acquireRunLock(directory, {
      hint: "choose another checkpointDirectory",
    });
    try {
      await cleanCheckpointLeftovers(directory);
      if (!resume && await hasCheckpoint(directory)) {
        if (!options.overwrite) {
          throw new Error(
            `train: ${displayPath(directory)} already holds a checkpoint: pass overwrite: true ` +
              `to replace it (deno task train --overwrite), or resume it (resume: the state of ` +
              `loadCheckpoint(...), with its optimizer; deno task train --resume).`,
          );
        }
        await removeCheckpoint(directory);
      }
    } catch (error) {
      if (!options.runLock) lock.release();
      throw error;
    }
  }

  // Made once the run folder is ours, so that a refused run leaves no optimizer behind.
  const ownOptimizer = options.optimizer === undefined;
  const optimizer = options.optimizer ?? createOptimizer({ learningRate });
  const started = performance.now();
  let trainSeconds = 0;
  let trainImages = 0;
  try {
    for (const cb of callbacks) await cb.onTrainBegin?.(info);
    let lastYield = performance.now();
    for (let epoch = startEpoch; epoch < epochs; epoch++) {
      const epochStart = performance.now();
      const batches = batchIndices(train.count, {
        batchSize,
        seed: epochShuffleSeed(seed, epoch),
      });
      let sumLoss = 0, sumRec = 0, sumKl = 0, seen = 0;
      for (let b = 0; b < batches.length; b++) {
        const indices = batches[b];
        step++;
        const clean = imagesToTensor(train, indices);
        const input = corrupt ? corrupt(clean, step) : clean;
        let terms: LossTerms | undefined;
        const { value, grads } = tf.variableGrads(() => {
          terms = model.lossTerms(input, { target: clean, step });
          if (terms.reconstruction) tf.keep(terms.reconstruction);
          if (terms.kl) tf.keep(terms.kl);
          return terms.loss;
        }, model.trainableVariables);
        const loss = value.dataSync()[0];
        const rec = terms?.reconstruction?.dataSync()[0];
        const kl = terms?.kl?.dataSync()[0];
        tf.dispose([value, terms?.reconstruction, terms?.kl]);
        if (input !== clean) input.dispose();
        clean.dispose();
        if (!Number.isFinite(loss)) {
          tf.dispose(grads);
          throw new NonFiniteLossError({
            epoch: epoch + 1,
            batch: b + 1,
            step,
            loss,
            lr: learningRate,
          });
        }
        optimizer.applyGradients(grads);
        tf.dispose(grads);
        sumLoss += loss * indices.length;
        if (rec !== undefined) sumRec += rec * indices.length;
        if (kl !== undefined) sumKl += kl * indices.length;
        seen += indices.length;
        const elapsed = (performance.now() - epochStart) / 1000;
        const rate = seen / Math.max(elapsed, 1e-9);
        for (const cb of callbacks) {
          await cb.onBatchEnd?.({
            epoch: epoch + 1,
            epochs,
            batch: b + 1,
            batches: batches.length,
            step,
            loss,
            meanLoss: sumLoss / seen,
            imagesPerSecond: rate,
            etaSeconds: (train.count - seen) / rate,
            totalEtaSeconds: ((epochs - epoch - 1) * train.count + train.count - seen) / rate,
          });
        }
        if (performance.now() - lastYield > 200) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
      }
      const epochTrainSeconds = (performance.now() - epochStart) / 1000;
      trainSeconds += epochTrainSeconds;
      trainImages += seen;
      const record: EpochRecord = {
        epoch: epoch + 1,
        trainLoss: sumLoss / seen,
        seconds: 0,
        imagesPerSecond: seen / Math.max(epochTrainSeconds, 1e-9),
      };
      if (model.kind === "variational") {
        record.trainReconstruction = sumRec / seen;
        record.trainKl = sumKl / seen;
      }
      if (options.validation && options.validation.count > 0) {
        const val = evaluateLoss(model, options.validation, {
          batchSize: options.validationBatchSize,
          corrupt,
        });
        record.valLoss = val.loss;
        if (val.kl !== undefined) {
          record.valReconstruction = val.reconstruction;
          record.valKl = val.kl;
        }
      }
      record.seconds = (performance.now() - epochStart) / 1000;
      history.push(record);
      if (directory !== undefined) {
        await saveCheckpoint(directory, { model, optimizer, state: state() });
      }
      for (const cb of callbacks) await cb.onEpochEnd?.(record, info);
    }
    for (const cb of callbacks) await cb.onTrainEnd?.(history);
  } finally {
    if (ownOptimizer) optimizer.dispose();
    if (lock && !options.runLock) lock.release();
  }
  const warnings: string[] = [];
  const check = collapseCheck(model, options.validation?.count ? options.validation : train);
  if (check.collapsed) {
    const last = history.at(-1)!;
    warnings.push(
      collapseWarning(model, check, { learningRate, loss: last.valLoss ?? last.trainLoss }),
    );
  }
  if ((options.progress ?? "auto") !== "none") { for (const w of warnings) console.warn(w); }
  return {
    history: history.map((r) => ({ ...r })),
    state: state(),
    wallSeconds: (performance.now() - started) / 1000,
    imagesPerSecond: trainImages / Math.max(trainSeconds, 1e-9),
    warnings,
  };
}
