/**
 * Sample quality of a generative model, measured by a KMNIST classifier: the Fréchet distance
 * between the classifier's penultimate-layer features of generated samples and of real images
 * (with the training images' distance to the test images as the floor a perfect generator would
 * reach), and the classifier's view of the samples: class histogram, classes covered, entropy of the
 * histogram and mean confidence. For a conditional model, the share of samples labelled as the
 * class asked for.
 *
 * The classifier is an interface, so this file depends on no particular network: anything that
 * maps images to {features, probabilities}. Images go through it in batches of <= 1,000.
 *
 * ```ts
 * const samples = featuresOf(classifier, generated);          // { features, probabilities, ... }
 * const real = featuresOf(classifier, testImages);
 * frechetOfOutputs(samples, real).distance;                   // FD to the test images
 * classHistogram(samples.probabilities, { classes: 10 });     // { counts, covered, entropy, ... }
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type ImageSet, imagesToTensor } from "../data/mod.ts";
import { gaussianStatistics } from "./covariance.ts";
import { frechetDistance, type FrechetResult } from "./frechet.ts";
import { type Interval, wilsonInterval } from "./intervals.ts";

/** The measuring instrument: an image classifier that also exposes its penultimate layer. */
export interface FeatureClassifier {
  /**
   * Features (the penultimate layer, `[n, f]`) and class probabilities (`[n, classes]`, rows sum
   * to 1) of a batch of `[n, 28, 28, 1]` images in [0, 1]; the caller disposes both.
   */
  classify(images: tf.Tensor4D): { features: tf.Tensor2D; probabilities: tf.Tensor2D };
}

/** A classifier's outputs on a set of images, as row-major arrays. */
export interface ClassifierOutputs {
  /** Images. */
  count: number;
  /** Feature size. */
  featureDims: number;
  /** Classes. */
  classes: number;
  /** `count x featureDims` features. */
  features: Float32Array;
  /** `count x classes` probabilities. */
  probabilities: Float32Array;
}

/** Largest batch sent through the classifier (the wasm heap overflows near 10,000). */
export const CLASSIFIER_BATCH = 1000;

/**
 * Runs the classifier over images given as a tensor or an {@link ImageSet}, in batches of at most
 * `batch` (default and maximum 1,000), every tensor disposed.
 */
export function featuresOf(
  classifier: FeatureClassifier,
  images: tf.Tensor4D | ImageSet,
  options: { batch?: number } = {},
): ClassifierOutputs {
  const batch = options.batch ?? CLASSIFIER_BATCH;
  if (!Number.isInteger(batch) || batch < 1 || batch > CLASSIFIER_BATCH) {
    throw new Error(
      `featuresOf: batch must be an integer in [1, ${CLASSIFIER_BATCH}], got ${batch}.`,
    );
  }
  const isTensor = images instanceof tf.Tensor;
  const count = isTensor ? images.shape[0] : images.count;
  if (count < 1) throw new Error("featuresOf: no images.");
  let features = new Float32Array(0), probabilities = new Float32Array(0);
  let featureDims = 0, classes = 0;
  for (let start = 0; start < count; start += batch) {
    const size = Math.min(batch, count - start);
    const x = isTensor
      ? tf.slice(images, [start, 0, 0, 0], [size, -1, -1, -1])
      : imagesToTensor(images, Int32Array.from({ length: size }, (_, i) => start + i));
    let out: { features: tf.Tensor2D; probabilities: tf.Tensor2D };
    try {
      out = classifier.classify(x);
    } finally {
      x.dispose();
    }
    if (start === 0) {
      featureDims = out.features.shape[1];
      classes = out.probabilities.shape[1];
      features = new Float32Array(count * featureDims);
      probabilities = new Float32Array(count * classes);
    }
    if (out.features.shape[0] !== size || out.probabilities.shape[0] !== size) {
      tf.dispose([out.features, out.probabilities]);
      throw new Error(`featuresOf: the classifier returned the wrong number of rows for ${size}.`);
    }
    features.set(out.features.dataSync(), start * featureDims);
    probabilities.set(out.probabilities.dataSync(), start * classes);
    tf.dispose([out.features, out.probabilities]);
  }
  return { count, featureDims, classes, features, probabilities };
}

/** The Fréchet distance between the features of two classifier outputs. */
export function frechetOfOutputs(a: ClassifierOutputs, b: ClassifierOutputs): FrechetResult {
  return frechetDistance(
    gaussianStatistics(a.features, { dims: a.featureDims }),
    gaussianStatistics(b.features, { dims: b.featureDims }),
  );
}

/** The classifier's histogram of a set of samples. */
export interface ClassHistogram {
  /** Samples per predicted class (argmax). */
  counts: number[];
  /** counts / total. */
  shares: number[];
  /** Classes predicted at least `minimumShare` of the time. */
  covered: number;
  /** The share a class needs to count as covered. */
  minimumShare: number;
  /** Entropy of the shares, nats (ln 10 = 2.303 for ten equal classes). */
  entropy: number;
  /** entropy / ln(classes), in [0, 1]: 1 for a uniform histogram. */
  normalisedEntropy: number;
  /** Mean over samples of the largest probability. */
  meanConfidence: number;
  /** Samples. */
  total: number;
}

/**
 * Histogram, coverage, entropy and mean confidence of row-major `count x classes` probabilities.
 * A class is covered when it takes at least `minimumShare` of the samples (default: any sample).
 */
export function classHistogram(
  probabilities: ArrayLike<number>,
  options: { classes: number; minimumShare?: number },
): ClassHistogram {
  const { classes, minimumShare = 0 } = options;
  const total = probabilities.length / classes;
  if (!Number.isInteger(total) || total < 1) {
    throw new Error(`classHistogram: ${probabilities.length} values are not rows of ${classes}.`);
  }
  const counts = new Array<number>(classes).fill(0);
  let confidence = 0;
  for (let i = 0; i < total; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if (probabilities[i * classes + c] > probabilities[i * classes + best]) best = c;
    }
    counts[best]++;
    confidence += probabilities[i * classes + best];
  }
  const shares = counts.map((c) => c / total);
  let entropy = 0;
  for (const p of shares) if (p > 0) entropy -= p * Math.log(p);
  return {
    counts,
    shares,
    covered: shares.filter((p) => p > 0 && p >= minimumShare).length,
    minimumShare,
    entropy,
    normalisedEntropy: classes > 1 ? entropy / Math.log(classes) : 0,
    meanConfidence: confidence / total,
    total,
  };
}

/** Share of samples the classifier labels as the class they were asked for, with its interval. */
export function labelAgreement(
  probabilities: ArrayLike<number>,
  requested: ArrayLike<number>,
  options: { classes: number; level?: number },
): Interval & { agreeing: number; total: number } {
  const { classes } = options;
  const total = probabilities.length / classes;
  if (total !== requested.length) {
    throw new Error(`labelAgreement: ${requested.length} requested labels for ${total} samples.`);
  }
  let agreeing = 0;
  for (let i = 0; i < total; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if (probabilities[i * classes + c] > probabilities[i * classes + best]) best = c;
    }
    if (best === requested[i]) agreeing++;
  }
  return { ...wilsonInterval(agreeing, total, options.level ?? 0.95), agreeing, total };
}

/** The sample-quality row of one generative model. */
export interface GenerationReport {
  /** FD between the samples' and the test images' features. */
  frechet: FrechetResult;
  /** FD between training and test images' features: the floor (absent without training images). */
  floor?: FrechetResult;
  /** The classifier's histogram of the samples. */
  histogram: ClassHistogram;
  /** Samples measured. */
  samples: number;
}

/**
 * Measures generated samples against real images: FD to `test`, the `train` floor when given,
 * and the class histogram. Pass precomputed {@link ClassifierOutputs} for the real sets to
 * measure many models against the same references without recomputing them.
 */
export function generationReport(
  classifier: FeatureClassifier,
  samples: tf.Tensor4D | ImageSet | ClassifierOutputs,
  references: {
    test: tf.Tensor4D | ImageSet | ClassifierOutputs;
    train?: tf.Tensor4D | ImageSet | ClassifierOutputs;
  },
): GenerationReport {
  const outputs = (x: tf.Tensor4D | ImageSet | ClassifierOutputs) =>
    "featureDims" in x ? x : featuresOf(classifier, x);
  const generated = outputs(samples), test = outputs(references.test);
  const report: GenerationReport = {
    frechet: frechetOfOutputs(generated, test),
    histogram: classHistogram(generated.probabilities, { classes: generated.classes }),
    samples: generated.count,
  };
  if (references.train) report.floor = frechetOfOutputs(outputs(references.train), test);
  return report;
}
