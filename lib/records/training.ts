/**
 * A training result (or a saved run's training state) summarised for a run record.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { combineLoads } from "../io/mod.ts";
import type { EpochRecord, TrainingState, TrainResult } from "../train/mod.ts";
import type { TrainingSummary } from "./format.ts";

/** Summarises a training result (`backend` defaults to `tf.getBackend()`). */
export function summarizeTraining(result: TrainResult, backend?: string): TrainingSummary {
  const seconds = result.history.map((h) => h.seconds);
  return {
    epochs: result.history.length,
    secondsPerEpoch: seconds.length ? seconds.reduce((a, b) => a + b, 0) / seconds.length : NaN,
    wallSeconds: result.wallSeconds,
    imagesPerSecond: result.imagesPerSecond,
    history: result.history,
    backend: backend ?? tf.getBackend(),
    ...withLoad(result.history),
  };
}

/**
 * The training figures of a saved run from its checkpoint's state: the per-epoch history, with
 * the wall time, throughput and backend of `timing` (e.g. `deno task train`'s history.json) when
 * given, else summed and averaged from the epochs ("unknown" backend).
 */
export function summarizeSavedTraining(
  state: TrainingState,
  timing: { wallSeconds?: number; imagesPerSecond?: number; backend?: string } | undefined,
): TrainingSummary {
  const seconds = state.history.map((h) => h.seconds);
  const total = seconds.reduce((a, b) => a + b, 0);
  const rates = state.history.map((h) => h.imagesPerSecond);
  return {
    epochs: state.epoch,
    secondsPerEpoch: seconds.length ? total / seconds.length : NaN,
    wallSeconds: timing?.wallSeconds ?? total,
    imagesPerSecond: timing?.imagesPerSecond ??
      (rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : NaN),
    history: state.history,
    backend: timing?.backend ?? "unknown",
    ...withLoad(state.history),
  };
}

/** `{ load }` of the epochs together, or nothing when any epoch's load is unknown. */
function withLoad(history: readonly EpochRecord[]): Pick<TrainingSummary, "load"> {
  const load = combineLoads(history.map((h) => h.load));
  return load ? { load } : {};
}
