/**
 * Training: one loop for all four autoencoders, progress reporters and checkpoints.
 *
 * ```ts
 * import { train } from "../lib/train/mod.ts";
 * const result = await train(model, { train, validation, epochs: 10, seed: 0 });
 * console.log(result.history.at(-1)?.valLoss, result.imagesPerSecond);
 * ```
 *
 * @module
 */
export {
  type CorruptFn,
  epochShuffleSeed,
  evaluateLoss,
  gaussianNoise,
  type NoiseOptions,
  NonFiniteLossError,
  type ProgressKind,
  train,
  type TrainingState,
  type TrainOptions,
  type TrainResult,
} from "./train.ts";
export {
  autoProgress,
  type BatchProgress,
  type EpochRecord,
  formatBatchLine,
  formatDuration,
  formatEpochLine,
  jupyterApi,
  type JupyterDisplay,
  jupyterProgress,
  type JupyterProgressOptions,
  terminalProgress,
  type TerminalProgressOptions,
  type TrainBeginInfo,
  type TrainingCallbacks,
} from "./progress.ts";
export {
  CHECKPOINT_FILES,
  type CheckpointContents,
  denoFileHandler,
  loadCheckpoint,
  type LoadedCheckpoint,
  loadModel,
  saveCheckpoint,
} from "./checkpoint.ts";
export { createOptimizer, type OptimizerOptions } from "./optimizer.ts";
