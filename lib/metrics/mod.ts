/**
 * Honest metrics of the autoencoders, on the test images only.
 *
 * ```ts
 * import { evaluate } from "../lib/metrics/mod.ts";
 * const report = evaluate(model, { test: kmnist.test, train: kmnist.train });
 * console.log(report.mse, report.ssim, report.knn?.accuracy);
 * ```
 *
 * Generative-model measures (issue #18): ELBO and IWAE on the same images ({@link likelihoodReport}),
 * active units and KL per dimension ({@link latentUsage}), dead ReLU units ({@link deadUnits}),
 * bootstrap and binomial intervals ({@link bootstrapMeanInterval}, {@link wilsonInterval}), the
 * Fréchet distance of classifier features with its bootstrap interval ({@link frechetInterval}) and
 * the class histogram ({@link generationReport}), and
 * ex-post Gaussian-mixture sampling ({@link fitGaussianMixture}).
 *
 * @module
 */
export {
  accuracyInterval,
  type ClassMetrics,
  evaluate,
  type EvaluateOptions,
  type EvaluationPassSeconds,
  type EvaluationReport,
  type IntervalBounds,
  TEST_BOOTSTRAP_RESAMPLES,
  testInterval,
  type TestIntervals,
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
  boundsFromWeights,
  type ElboResult,
  type ImportanceOptions,
  type ImportanceResult,
  importanceWeightedNll,
  type ImportanceWeightOptions,
  importanceWeights,
  type LikelihoodModel,
  type LikelihoodReport,
  likelihoodReport,
  type LikelihoodReportOptions,
  logMeanExp,
  type MeanWithError,
  meanWithError,
  negativeElbo,
  type PerImageBounds,
} from "./likelihood.ts";
export {
  ACTIVE_UNIT_THRESHOLD,
  type ActiveUnitOptions,
  type ActiveUnits,
  activeUnits,
  type GaussianEncoder,
  klPerDimension,
  type LatentUsage,
  latentUsage,
} from "./latent.ts";
export { type DeadUnits, deadUnits, deadUnitsOf } from "./dead_units.ts";
export {
  binomialCdf,
  type BootstrapInterval,
  bootstrapMeanInterval,
  type BootstrapOptions,
  clopperPearsonInterval,
  type Interval,
  intervalsSeparate,
  type MeanSd,
  meanSd,
  normalCdf,
  normalMeanInterval,
  normalQuantile,
  pairedDifferenceInterval,
  quantileSorted,
  standardError,
  wilsonInterval,
} from "./intervals.ts";
export {
  type GaussianStatistics,
  gaussianStatistics,
  pointCount,
  type StatisticsOptions,
} from "./covariance.ts";
export {
  frechetDistance,
  frechetDistanceOfSets,
  frechetDistanceWithRoot,
  type FrechetResult,
  sqrtPsd,
} from "./frechet.ts";
export {
  FRECHET_RESAMPLES,
  type FrechetInterval,
  frechetInterval,
  type FrechetReference,
  frechetReference,
  type FrechetReferenceOptions,
} from "./frechet_interval.ts";
export {
  type ClassHistogram,
  classHistogram,
  CLASSIFIER_BATCH,
  type ClassifierOutputs,
  type FeatureClassifier,
  featuresOf,
  frechetOfOutputs,
  type GenerationReport,
  generationReport,
  labelAgreement,
} from "./generation.ts";
export {
  fitGaussianMixture,
  type GaussianMixture,
  type GaussianMixtureOptions,
  mixtureLogDensity,
  type MixtureSampleOptions,
  sampleGaussianMixture,
} from "./gaussian_mixture.ts";
export { type CodeModel, decodeExPostSamples, encodeImageSet, fitExPostPrior } from "./ex_post.ts";
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
