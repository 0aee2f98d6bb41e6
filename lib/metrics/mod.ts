/**
 * Honest metrics of the autoencoders, on the test images only.
 *
 * ```ts
 * import { evaluate } from "../lib/metrics/mod.ts";
 * const report = evaluate(model, { test: kmnist.test, train: kmnist.train });
 * console.log(report.mse, report.ssim, report.knn?.accuracy);
 * ```
 *
 * @module
 */
export {
  type ClassMetrics,
  evaluate,
  type EvaluateOptions,
  type EvaluationReport,
} from "./evaluate.ts";
export {
  accuracy,
  KMNIST_PIXEL_KNN_BASELINE,
  KNN_MAX_CHUNK,
  knnClassify,
  type KnnOptions,
  type KnnWeights,
  pixelKnnAccuracy,
  type PixelKnnOptions,
  voteLabel,
} from "./knn.ts";
export {
  type ElboResult,
  type ImportanceOptions,
  type ImportanceResult,
  importanceWeightedNll,
  logMeanExp,
  negativeElbo,
} from "./likelihood.ts";
export {
  BCE_CLIP,
  bcePerImage,
  mean,
  msePerImage,
  type PixelOptions,
  psnr,
  PSNR_CAP_DB,
} from "./pixel.ts";
export { gaussianKernel, type SsimOptions, ssimPerImage } from "./ssim.ts";
export { type ConditionalAccuracy, conditionalAccuracy } from "./conditional.ts";
