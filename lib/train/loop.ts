/**
 * The epoch loop of {@link train}: seeded batches, one Adam step per batch, a validation pass and
 * a checkpoint per epoch, progress callbacks, a stop on non-finite loss and a cooperative stop
 * (Jupyter's Stop, Ctrl-C) at the end of a batch.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { batchIndices, type ImageSet, imagesToTensor } from "../data/mod.ts";
import { type Autoencoder, deriveSeed, type LossTerms } from "../models/mod.ts";
import type { EpochRecord, TrainBeginInfo, TrainingCallbacks } from "./progress.ts";
import { type CpuSample, intervalLoad, sampleCpu } from "../io/mod.ts";
import { checkInterrupt, type InterruptPoint, isInterrupted, raiseInterrupted } from "./cancel.ts";
import type { PartialEpoch, TrainingState } from "./state.ts";

/**
 * A corruption of the inputs: training feeds `corrupt(x, step)` to the model and asks for `x`.
 * `step` is the global step (negative during validation); use it to seed any randomness.
 */
export type CorruptFn = (clean: tf.Tensor4D, step: number) => tf.Tensor4D;

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
    checkInterrupt({ task: "evaluation", where: `chunk ${i + 1}/${batches.length}` });
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

/** Everything the loop needs; `history` and `step` are advanced in place. */
export interface LoopContext {
  model: Autoencoder;
  optimizer: tf.Optimizer;
  train: ImageSet;
  validation?: ImageSet;
  validationBatchSize?: number;
  corrupt?: CorruptFn;
  callbacks: TrainingCallbacks[];
  info: TrainBeginInfo;
  epochs: number;
  batchSize: number;
  seed: number;
  learningRate: number;
  /** Completed epochs' records (the resumed ones first); one is pushed per epoch. */
  history: EpochRecord[];
  /** Global optimizer step so far. */
  step: number;
  /** Where a resumed state stopped inside its epoch. */
  partial?: PartialEpoch;
  /** The training state now (`partial` for an interruption inside an epoch). */
  state(partial?: PartialEpoch): TrainingState;
  /** Called after each epoch's record is pushed (the checkpoint save). */
  onEpochSaved?: () => Promise<void>;
}

/** Training seconds and images of this call (validation excluded). */
export interface LoopTotals {
  trainSeconds: number;
  trainImages: number;
}

/** Lets the event loop run (Jupyter display messages, timers, a SIGINT listener). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** One Adam step on one batch: the loss terms (numbers), or a NonFiniteLossError's details. */
function trainStep(
  ctx: LoopContext,
  indices: Int32Array,
  epochProgress: number,
): { loss: number; rec?: number; kl?: number } {
  const { model, corrupt, step } = ctx;
  const clean = imagesToTensor(ctx.train, indices);
  let input: tf.Tensor4D = clean;
  let terms: LossTerms | undefined;
  let grads: tf.NamedTensorMap | undefined;
  try {
    input = corrupt ? corrupt(clean, step) : clean;
    const result = tf.variableGrads(() => {
      terms = model.lossTerms(input, { target: clean, step, epochProgress });
      if (terms.reconstruction) tf.keep(terms.reconstruction);
      if (terms.kl) tf.keep(terms.kl);
      return terms.loss;
    }, model.trainableVariables);
    grads = result.grads;
    const loss = result.value.dataSync()[0];
    result.value.dispose();
    const rec = terms?.reconstruction?.dataSync()[0];
    const kl = terms?.kl?.dataSync()[0];
    if (Number.isFinite(loss)) ctx.optimizer.applyGradients(grads);
    return { loss, rec, kl };
  } finally {
    // Whatever happened (a bad corrupt function, a NaN, an error in the model), nothing stays.
    tf.dispose([terms?.reconstruction, terms?.kl]);
    if (grads) tf.dispose(grads);
    if (input !== clean) input.dispose();
    clean.dispose();
  }
}

/** The epoch's record once its batches ran: train means, validation, seconds. */
function epochRecord(
  ctx: LoopContext,
  epoch: number,
  sums: PartialEpoch,
  trainSeconds: number,
  epochStart: number,
  startSample: CpuSample | undefined,
): EpochRecord {
  const record: EpochRecord = {
    epoch: epoch + 1,
    trainLoss: sums.sumLoss / sums.seen,
    seconds: 0,
    imagesPerSecond: sums.seen / Math.max(trainSeconds, 1e-9),
  };
  if (ctx.model.kind === "variational") {
    record.trainReconstruction = sums.sumReconstruction / sums.seen;
    record.trainKl = sums.sumKl / sums.seen;
  }
  if (ctx.validation && ctx.validation.count > 0) {
    const val = evaluateLoss(ctx.model, ctx.validation, {
      batchSize: ctx.validationBatchSize,
      corrupt: ctx.corrupt,
    });
    record.valLoss = val.loss;
    if (val.kl !== undefined) {
      record.valReconstruction = val.reconstruction;
      record.valKl = val.kl;
    }
  }
  record.seconds = (performance.now() - epochStart) / 1000;
  const endSample = sampleCpu();
  if (startSample && endSample) record.load = intervalLoad(startSample, endSample);
  return record;
}

/**
 * Runs the epochs from `ctx.history.length` to `ctx.epochs` (continuing a partial epoch).
 *
 * @throws NonFiniteLossError before applying a step whose loss is not finite.
 * @throws InterruptedError (cancel.ts) at the end of the batch during which Stop or Ctrl-C came,
 *   with `details.state` (a {@link TrainingState} with `partialEpoch`) to resume from.
 */
export async function runEpochs(ctx: LoopContext): Promise<LoopTotals> {
  const { train, epochs, batchSize, callbacks, info } = ctx;
  const totals: LoopTotals = { trainSeconds: 0, trainImages: 0 };
  let lastYield = performance.now();
  let partial = ctx.partial;
  for (let epoch = ctx.history.length; epoch < epochs; epoch++) {
    const epochStart = performance.now();
    const startSample = sampleCpu();
    const batches = batchIndices(train.count, {
      batchSize,
      seed: epochShuffleSeed(ctx.seed, epoch),
    });
    const sums: PartialEpoch = partial
      ? { ...partial }
      : { batches: 0, seen: 0, sumLoss: 0, sumReconstruction: 0, sumKl: 0 };
    const seenBefore = sums.seen;
    partial = undefined;
    let lastLoss = NaN;
    const midEpochPoint = (where: string): InterruptPoint => ({
      task: "training",
      where: `${where} (global step ${ctx.step}, last batch loss ${lastLoss.toPrecision(5)})`,
      resume: "The model and optimizer hold that step; the last checkpoint is unchanged. " +
        "Continue with train(model, { ...the same options, resume: " +
        "lastInterruption().details.state, optimizer: lastInterruption().details.optimizer }) " +
        "(or from the last checkpoint: deno task train --resume).",
    });
    for (let b = sums.batches; b < batches.length; b++) {
      const indices = batches[b];
      ctx.step++;
      const { loss, rec, kl } = trainStep(ctx, indices, epoch + b / batches.length);
      if (!Number.isFinite(loss)) {
        throw new NonFiniteLossError({
          epoch: epoch + 1,
          batch: b + 1,
          step: ctx.step,
          loss,
          lr: ctx.learningRate,
        });
      }
      lastLoss = loss;
      sums.batches = b + 1;
      sums.sumLoss += loss * indices.length;
      if (rec !== undefined) sums.sumReconstruction += rec * indices.length;
      if (kl !== undefined) sums.sumKl += kl * indices.length;
      sums.seen += indices.length;
      const elapsed = (performance.now() - epochStart) / 1000;
      const rate = (sums.seen - seenBefore) / Math.max(elapsed, 1e-9);
      for (const cb of callbacks) {
        await cb.onBatchEnd?.({
          epoch: epoch + 1,
          epochs,
          batch: b + 1,
          batches: batches.length,
          step: ctx.step,
          loss,
          meanLoss: sums.sumLoss / sums.seen,
          imagesPerSecond: rate,
          etaSeconds: (train.count - sums.seen) / rate,
          totalEtaSeconds: ((epochs - epoch - 1) * train.count + train.count - sums.seen) / rate,
        });
      }
      if (performance.now() - lastYield > 200) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
      checkInterrupt(
        () => midEpochPoint(`epoch ${epoch + 1}/${epochs}, batch ${b + 1}/${batches.length}`),
        () => ({ state: ctx.state({ ...sums }), optimizer: ctx.optimizer }),
      );
    }
    const epochTrainSeconds = (performance.now() - epochStart) / 1000;
    totals.trainSeconds += epochTrainSeconds;
    totals.trainImages += sums.seen - seenBefore;
    let record: EpochRecord;
    try {
      record = epochRecord(ctx, epoch, sums, epochTrainSeconds, epochStart, startSample);
    } catch (error) {
      if (!isInterrupted(error)) throw error;
      // Stopped during validation: every batch of the epoch is applied; resuming re-validates.
      raiseInterrupted(
        midEpochPoint(`the validation of epoch ${epoch + 1}/${epochs}`),
        { state: ctx.state({ ...sums }), optimizer: ctx.optimizer },
      );
    }
    ctx.history.push(record);
    await ctx.onEpochSaved?.();
    for (const cb of callbacks) await cb.onEpochEnd?.(ctx.history.at(-1)!, info);
    if (epoch + 1 < epochs) {
      checkInterrupt(
        () => ({
          task: "training",
          where: `the end of epoch ${epoch + 1}/${epochs} (global step ${ctx.step}, last batch ` +
            `loss ${lastLoss.toPrecision(5)})`,
          resume: "The checkpoint of that epoch is saved (with checkpointDirectory). Continue " +
            "with train(model, { ...the same options, resume: lastInterruption().details.state, " +
            "optimizer: lastInterruption().details.optimizer }) (or deno task train --resume).",
        }),
        () => ({ state: ctx.state(), optimizer: ctx.optimizer }),
      );
    }
  }
  return totals;
}
