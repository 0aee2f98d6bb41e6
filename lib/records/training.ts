/**
 * A training result summarised for a run record.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { TrainResult } from "../train/mod.ts";
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
  };
}
