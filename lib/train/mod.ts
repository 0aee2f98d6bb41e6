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
  NonFiniteLossError,
  type ProgressKind,
  train,
  type TrainOptions,
  type TrainResult,
} from "./train.ts";
export {
  imageFingerprint,
  type NoiseOptions,
  type PartialEpoch,
  resumeConflicts,
  type RunSettings,
  type SettingConflict,
  type TrainingState,
} from "./state.ts";
export {
  checkInterrupt,
  checkInterruptAsync,
  exitIfInterrupted,
  INTERRUPT_FILE_ENV,
  INTERRUPTED_EXIT_CODE,
  InterruptedError,
  interruptible,
  type InterruptPoint,
  interruptRequested,
  isInterrupted,
  lastInterruption,
  raiseInterrupted,
  requestInterrupt,
} from "./cancel.ts";
export { resumeMismatch, takeRunFolder } from "./run_folder.ts";
export { type CollapseCheck, collapseCheck, collapseWarning } from "./collapse.ts";
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
  CHECKPOINT_MANIFEST,
  CHECKPOINT_SAVE_STEPS,
  type CheckpointContents,
  checkpointFolder,
  cleanCheckpointLeftovers,
  denoFileHandler,
  hasCheckpoint,
  loadCheckpoint,
  type LoadedCheckpoint,
  loadModel,
  readCheckpointState,
  removeCheckpoint,
  saveCheckpoint,
} from "./checkpoint/mod.ts";
export { createOptimizer, type OptimizerOptions } from "./optimizer.ts";
export {
  checkKlSchedule,
  isPlainSchedule,
  type KlSchedule,
  klWeightAt,
  withKlSchedule,
} from "./schedules.ts";
export {
  CLASSIFIER_RECORD,
  CLASSIFIER_TRAINING,
  classifierAccuracy,
  type ClassifierRecord,
  type ClassifierTrainingSettings,
  defaultDecayEpochs,
  ensureClassifier,
  type EnsureClassifierOptions,
  hasClassifier,
  loadClassifier,
  saveClassifier,
  shiftImages,
  trainClassifier,
  type TrainClassifierOptions,
  type TrainedClassifier,
} from "./classifier.ts";
export {
  CONDITIONAL_RECORD,
  CONDITIONAL_TRAINING,
  type ConditionalEpoch,
  type ConditionalRecord,
  ensureConditional,
  evaluateConditional,
  hasSavedConditional,
  loadConditional,
  saveConditional,
  trainConditional,
  type TrainConditionalOptions,
} from "./conditional.ts";
