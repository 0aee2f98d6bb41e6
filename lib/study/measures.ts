/**
 * The study's measurements beyond reconstruction (measurement version 3): 95% intervals on the
 * test metrics, the VAE's latent usage, and sample quality as the project's classifier sees it.
 *
 * - Intervals (from `evaluate`): percentile bootstrap over the test images (1,000 resamples,
 *   seed 0) for MSE, SSIM and −ELBO; Wilson's binomial interval for the k-NN accuracy.
 * - Latent usage (VAEs): active units (Burda et al. 2016: Cov_x(E_q[z_i]) > 0.01) and the KL of
 *   each dimension, on the test images.
 * - Sample quality: one sample per test image (10,000 in full runs) from the model's prior (VAEs)
 *   or from a 10-component Gaussian mixture fitted to 10,000 training codes (the deterministic
 *   autoencoders and PCA: ex-post density estimation, Ghosh et al. 2020), decoded and passed
 *   through the classifier: the Fréchet distance between its penultimate features of the samples
 *   and of the test images (the training images' distance is the floor), the class histogram,
 *   classes covered, the histogram's entropy and the mean confidence. The distance carries its
 *   bootstrap standard error and normal 95% interval (100 resamples of both feature sets,
 *   lib/metrics/frechet_interval.ts; the test images' resamples are shared by every trial).
 *
 * The classifier is the project's (runs/classifier/, trained once on the 60,000 training images and
 * reused by every report; a reduced study trains a one-epoch one on its few images, in memory).
 *
 * @module
 */
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { IMAGE_PIXELS, type ImageSet, imagesToTensor } from "../data/mod.ts";
import { type Autoencoder, type Classifier, deriveSeed, isVariational } from "../models/mod.ts";
import {
  classHistogram,
  type ClassifierOutputs,
  type CodeModel,
  deadUnits,
  decodeExPostSamples,
  type FeatureClassifier,
  featuresOf,
  fitExPostPrior,
  type FrechetInterval,
  frechetInterval,
  type FrechetReference,
  frechetReference,
  latentUsage,
} from "../metrics/mod.ts";
import { classifierAccuracy, ensureClassifier, trainClassifier } from "../train/mod.ts";
import { RUNS_DIRECTORY } from "../experiments/mod.ts";

/**
 * The version of the measurements a trial record carries. Records of an earlier version are
 * measured again (from their checkpoints; PCA and the pixels refitted), never retrained.
 */
export const MEASURES_VERSION = 3;

/** Mixture components of the ex-post prior (Ghosh et al. 2020 use 10). */
export const EX_POST_COMPONENTS = 10;

/** Training codes the ex-post mixture is fitted to (the first ones). */
export const EX_POST_FIT_CODES = 10_000;

/** A VAE's use of its code on the test images. */
export interface TrialLatent {
  /** Dimensions with Cov_x(E_q[z_i]) > 0.01. */
  activeUnits: number;
  /** Code size. */
  dims: number;
  /** Mean KL of each dimension, nats, largest first. */
  klPerDimension: number[];
  /**
   * The keras-io design only: units of its 16-unit ReLU layer before the mean and log-variance
   * heads that no test image activates (dead units pass no signal and get no gradient).
   */
  deadBottleneckUnits?: { dead: number; units: number };
}

/** The keras-io design's layer before the heads (lib/models/variational.ts). */
export const KERAS_BOTTLENECK_LAYER = "enc_dense";

/** Sample quality of a trial. */
export interface TrialGeneration {
  /** Where the samples come from. */
  source: "prior" | "ex-post mixture";
  /** Samples measured (one per test image). */
  samples: number;
  /** Fréchet distance of the classifier features to the test images'. */
  frechet: number;
  /** Its bootstrap standard error and 95% interval (measurement version 3 on). */
  frechetInterval?: FrechetIntervalRecord;
  /** The training images' distance to the test images: what a perfect generator reaches. */
  floor: number;
  /** The floor's bootstrap interval (measurement version 3 on). */
  floorInterval?: FrechetIntervalRecord;
  /** Samples the classifier puts in each class. */
  classCounts: number[];
  /** Classes with at least 1% of the samples. */
  classesCovered: number;
  /** Entropy of the class shares over ln 10: 1 for a uniform histogram. */
  normalisedEntropy: number;
  /** Mean largest class probability. */
  meanConfidence: number;
}

/** A Fréchet distance's interval as a record keeps it (the estimate is the distance beside it). */
export type FrechetIntervalRecord = Omit<FrechetInterval, "estimate">;

function intervalRecord(interval: FrechetInterval): FrechetIntervalRecord {
  const { estimate: _, ...rest } = interval;
  return rest;
}

/** The share of samples a class needs to count as covered. */
export const COVERAGE_SHARE = 0.01;

/** A VAE's active units and KL per dimension on the test images. */
export function trialLatent(model: Autoencoder, test: ImageSet): TrialLatent | undefined {
  if (!isVariational(model)) return undefined;
  const images = imagesToTensor(test);
  try {
    const usage = latentUsage(model, images);
    const bottleneck = (model.config.design ?? "keras") === "keras"
      ? deadUnits(model.encoder, KERAS_BOTTLENECK_LAYER, images)
      : undefined;
    return {
      activeUnits: usage.count,
      dims: usage.dims,
      klPerDimension: Array.from(usage.klPerDimension).sort((a, b) => b - a),
      ...(bottleneck
        ? { deadBottleneckUnits: { dead: bottleneck.count, units: bottleneck.units } }
        : {}),
    };
  } finally {
    images.dispose();
  }
}

/** The classifier's view of the test and training images, shared by every trial. */
export interface SampleQualityInstrument {
  /** The classifier, as the generation metrics see it. */
  classifier: FeatureClassifier;
  /** How many test images it measured: each trial draws one sample per test image. */
  testCount: number;
  /** The test features' bootstrap resamples, shared by every trial's interval. */
  reference: FrechetReference;
  /** Fréchet distance between the training images' features and the test images'. */
  floor: number;
  /** The floor's bootstrap interval. */
  floorInterval: FrechetIntervalRecord;
  /** Its test accuracy, from its record. */
  testAccuracy: number;
  /** The classifier's folder (undefined for a reduced study's in-memory classifier). */
  directory?: string;
  /** Frees the classifier. */
  dispose(): void;
}

/** The project's classifier folder (trained on all 60,000 training images): runs/classifier/. */
export const CLASSIFIER_DIRECTORY: string = path.join(RUNS_DIRECTORY, "classifier");

/** Epochs of the small classifier of a reduced study (quick mode, or fewer training images). */
export const REDUCED_CLASSIFIER_EPOCHS = 1;

/** The classifier as a {@link FeatureClassifier}. */
export function asFeatureClassifier(classifier: Classifier): FeatureClassifier {
  return {
    classify: (images) => {
      const features = classifier.features(images);
      const probabilities = tf.tidy(() =>
        tf.softmax(classifier.head.predict(features) as tf.Tensor)
      );
      return { features, probabilities: probabilities as tf.Tensor2D };
    },
  };
}

/**
 * The project's classifier: loaded from `directory` (default runs/classifier/), or trained there
 * first on all 60,000 training images; for a reduced run (quick mode, or a subset of the training
 * images) a small one trained on `data.train` for one epoch, in memory, never saved.
 */
export async function projectClassifier(options: {
  /** The sets: `allTraining` trains the full classifier, `train` the reduced one. */
  data: { train: ImageSet; test: ImageSet; allTraining: ImageSet };
  /** Whether the run is reduced. */
  reduced: boolean;
  /** The full classifier's folder (default runs/classifier/). */
  directory?: string;
  /** Progress lines. */
  log?: (line: string) => void;
}): Promise<{ classifier: Classifier; testAccuracy: number; directory?: string }> {
  const { data } = options;
  if (options.reduced) {
    const trained = await trainClassifier({ train: data.train, epochs: REDUCED_CLASSIFIER_EPOCHS });
    return {
      classifier: trained.classifier,
      testAccuracy: classifierAccuracy(trained.classifier, data.test),
    };
  }
  const directory = options.directory ?? CLASSIFIER_DIRECTORY;
  const ensured = await ensureClassifier({
    directory,
    train: data.allTraining,
    test: data.test,
    log: options.log,
  });
  return { classifier: ensured.classifier, testAccuracy: ensured.record.testAccuracy, directory };
}

/**
 * The instrument of a study. A full study (all training images) uses the project's classifier,
 * loaded from `directory` (default runs/classifier/) or trained there first on all 60,000
 * training images. A reduced study (quick mode, or a subset of the training images) trains a
 * small one on its own training images for one epoch, in memory: a smoke test must never leave a
 * weak classifier where the full study would take it for the project's.
 */
export async function prepareInstrument(options: {
  /** The study's sets: `allTraining` trains the full classifier, `train` the reduced one. */
  data: { train: ImageSet; test: ImageSet; allTraining: ImageSet };
  /** Whether the study is reduced (quick, or fewer training images). */
  reduced: boolean;
  /** The full classifier's folder (default runs/classifier/). */
  directory?: string;
  /** Progress lines. */
  log?: (line: string) => void;
}): Promise<SampleQualityInstrument> {
  const { data } = options;
  const { classifier, testAccuracy, directory } = await projectClassifier(options);
  const instrument = asFeatureClassifier(classifier);
  const test = featuresOf(instrument, data.test);
  const train = featuresOf(instrument, firstImages(data.train, data.test.count));
  const reference = frechetReference(test.features, { dims: test.featureDims });
  const floor = frechetInterval(reference, train.features);
  return {
    classifier: instrument,
    testCount: test.count,
    reference,
    floor: floor.estimate,
    floorInterval: intervalRecord(floor),
    testAccuracy,
    directory,
    dispose: () => classifier.dispose(),
  };
}

/** The first `count` images of a set (all when it has fewer). */
function firstImages(set: ImageSet, count: number): ImageSet {
  const n = Math.min(count, set.count);
  return {
    ...set,
    count: n,
    images: set.images.subarray(0, n * IMAGE_PIXELS),
    labels: set.labels.subarray(0, n),
  };
}

/** Decodes `count` seeded draws from N(0, I) of a VAE's code, in chunks of 1,000. */
export function priorSamples(model: Autoencoder, count: number, seed: number): tf.Tensor4D {
  const dims = model.config.latentDim;
  const parts: tf.Tensor4D[] = [];
  try {
    for (let start = 0; start < count; start += 1000) {
      const size = Math.min(1000, count - start);
      parts.push(
        tf.tidy(() =>
          model.decode(tf.randomNormal([size, dims], 0, 1, "float32", deriveSeed(seed, start)))
        ),
      );
    }
    return tf.concat(parts, 0);
  } finally {
    tf.dispose(parts);
  }
}

/**
 * Samples a model (the prior for a VAE, the ex-post mixture otherwise) and measures them with the
 * instrument: one sample per test image.
 */
export function trialGeneration(
  model: Autoencoder | (CodeModel & { variational?: false }),
  instrument: SampleQualityInstrument,
  train: ImageSet,
  seed: number,
): TrialGeneration {
  const count = instrument.testCount;
  const variational = "kind" in model && isVariational(model as Autoencoder);
  const samples = variational
    ? priorSamples(model as Autoencoder, count, deriveSeed(seed, 4099))
    : decodeExPostSamples(
      model,
      fitExPostPrior(model, firstImages(train, EX_POST_FIT_CODES), {
        components: EX_POST_COMPONENTS,
        seed,
        maxIterations: 50,
      }),
      count,
      { seed: deriveSeed(seed, 4099) },
    );
  let outputs: ClassifierOutputs;
  try {
    outputs = featuresOf(instrument.classifier, samples);
  } finally {
    samples.dispose();
  }
  const histogram = classHistogram(outputs.probabilities, {
    classes: outputs.classes,
    minimumShare: COVERAGE_SHARE,
  });
  const frechet = frechetInterval(instrument.reference, outputs.features, {
    seed: deriveSeed(seed, 4133),
  });
  return {
    source: variational ? "prior" : "ex-post mixture",
    samples: count,
    frechet: frechet.estimate,
    frechetInterval: intervalRecord(frechet),
    floor: instrument.floor,
    floorInterval: instrument.floorInterval,
    classCounts: Array.from(histogram.counts),
    classesCovered: histogram.covered,
    normalisedEntropy: histogram.normalisedEntropy,
    meanConfidence: histogram.meanConfidence,
  };
}
