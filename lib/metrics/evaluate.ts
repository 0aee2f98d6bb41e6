/**
 * `evaluate()`: every metric of a trained model on the test set, as one plain JSON-able object.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { checkInterrupt } from "../train/cancel.ts";
import { type ImageSet, imagesToTensor, KMNIST_CLASSES } from "../data/mod.ts";
import { type Autoencoder, isVariational } from "../models/mod.ts";
import { accuracy, KMNIST_PIXEL_KNN_BASELINE, knnClassify } from "./knn.ts";
import { likelihoodReport, negativeElbo } from "./likelihood.ts";
import { bcePerImage, mean, msePerImage, psnr } from "./pixel.ts";
import { ssimPerImage } from "./ssim.ts";
import { bootstrapMeanInterval, wilsonInterval } from "./intervals.ts";

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** The test images (all 10,000 for reported numbers; never used in training). */
  test: ImageSet;
  /** Reference set of the k-NN probe (the training images); the probe is skipped without it. */
  train?: ImageSet;
  /** k of the k-NN probe (default 4, as in the KMNIST paper's baseline); 0 skips the probe. */
  knnK?: number;
  /** VAE: importance samples per image for -log p(x) (default 100); 0 skips the estimate. */
  iwaeSamples?: number;
  /** VAE: how many test images (the first ones, a fixed subset) the estimate uses (default 500). */
  iwaeImages?: number;
  /** Seed of the VAE's sampling in the ELBO and IWAE estimates (default 0). */
  seed?: number;
}

/** One class's reconstruction errors. */
export interface ClassMetrics {
  /** Class index 0..9. */
  index: number;
  /** The hiragana. */
  char: string;
  /** Its romanisation. */
  romaji: string;
  /** Test images of the class. */
  count: number;
  /** Mean MSE per pixel over the class. */
  mse: number;
  /** Mean SSIM over the class. */
  ssim: number;
}

/** Everything {@link evaluate} measures (plain numbers, JSON-able). */
export interface EvaluationReport {
  /** Model family. */
  kind: string;
  /** Latent size. */
  latentDim: number;
  /** Trainable parameters. */
  parameters: number;
  /** Test images evaluated. */
  testImages: number;
  /** Mean squared error per pixel (mean over images of the per-image means). */
  mse: number;
  /** Binary cross-entropy per pixel, nats (outputs clipped to [1e-7, 1 - 1e-7]). */
  bce: number;
  /** Mean over images of the per-image PSNR, dB (data range 1; capped at 100 dB). */
  psnr: number;
  /** PSNR of the overall MSE, dB (10 log10(1 / mse)). */
  psnrOfMeanMse: number;
  /** Mean SSIM (11x11 Gaussian, sigma 1.5, K1 0.01, K2 0.03, data range 1). */
  ssim: number;
  /** Per-class reconstruction error. */
  perClass: ClassMetrics[];
  /** VAE only: likelihood metrics in nats per image. */
  vae?: {
    /** Negative ELBO on all test images (one seeded sample each). */
    negativeElbo: number;
    /** Its reconstruction term. */
    reconstruction: number;
    /** Its KL term. */
    kl: number;
    /** IWAE estimate of -log p(x) on the first `iwaeImages` test images (absent if skipped). */
    iwaeNll?: number;
    /** Its standard error over those images. */
    iwaeNllStandardError?: number;
    /** -ELBO on the same images from the same importance draws, comparable with `iwaeNll`. */
    iwaeNegativeElbo?: number;
    /** Its standard error over those images. */
    iwaeNegativeElboStandardError?: number;
    /** Importance samples per image. */
    iwaeSamples?: number;
    /** Images in the IWAE subset. */
    iwaeImages?: number;
  };
  /** The k-NN probe of the latent codes (absent without a reference set). */
  knn?: {
    /** Neighbours. */
    k: number;
    /** Test accuracy of k-NN on the codes, the training codes as references. */
    accuracy: number;
    /** Reference codes. */
    referenceCount: number;
    /** The KMNIST paper's raw-pixel 4-NN accuracy (0.921). */
    rawPixelBaseline: number;
  };
  /**
   * 95% intervals of the test metrics (see {@link testInterval}, {@link accuracyInterval});
   * absent in records written before they were measured.
   */
  intervals?: TestIntervals;
  /** Wall seconds of the evaluation. */
  seconds: number;
  /** Wall seconds of each pass (absent in records written before they were kept). */
  passSeconds?: EvaluationPassSeconds;
}

/** Wall seconds of each pass of {@link evaluate}. */
export interface EvaluationPassSeconds {
  /** Reconstructing the test images, MSE, BCE, PSNR, SSIM, per class and their bootstraps. */
  reconstruction: number;
  /** VAE: the −ELBO of every test image and its bootstrap. */
  elbo?: number;
  /** VAE: the importance-weighted bound on the first `iwaeImages`. */
  iwae?: number;
  /** Encoding the training and test images and the k-NN probe. */
  knn?: number;
}

/** The lower and upper end of a 95% interval. */
export interface IntervalBounds {
  /** Lower end. */
  lower: number;
  /** Upper end. */
  upper: number;
}

/** 95% intervals of {@link evaluate}'s test metrics. */
export interface TestIntervals {
  /** MSE per pixel: percentile bootstrap over the test images. */
  mse: IntervalBounds;
  /** SSIM: bootstrap. */
  ssim: IntervalBounds;
  /** k-NN accuracy: Wilson's binomial interval. */
  knnAccuracy?: IntervalBounds;
  /** VAE −ELBO, nats per image: bootstrap. */
  negativeElbo?: IntervalBounds;
}

/** Resamples of every test-image bootstrap. */
export const TEST_BOOTSTRAP_RESAMPLES = 1000;

/** The 95% percentile-bootstrap interval of a mean over test images (1,000 resamples, seed 0). */
export function testInterval(values: ArrayLike<number>): IntervalBounds {
  const { lower, upper } = bootstrapMeanInterval(values, {
    resamples: TEST_BOOTSTRAP_RESAMPLES,
    seed: 0,
  });
  return { lower, upper };
}

/** Wilson's 95% interval of an accuracy measured on `count` test images. */
export function accuracyInterval(accuracy: number, count: number): IntervalBounds {
  const { lower, upper } = wilsonInterval(Math.round(accuracy * count), count);
  return { lower, upper };
}

/** Latent codes of a whole set, as one row-major array. */
function encodeSet(model: Autoencoder, set: ImageSet): Float32Array {
  const dim = model.config.latentDim;
  const codes = new Float32Array(set.count * dim);
  for (let start = 0; start < set.count; start += 1000) {
    checkInterrupt({ task: "encoding", where: `image ${start + 1} of ${set.count}` });
    const size = Math.min(1000, set.count - start);
    const indices = Int32Array.from({ length: size }, (_, i) => start + i);
    const block = tf.tidy(() => model.encode(imagesToTensor(set, indices)));
    codes.set(block.dataSync(), start * dim);
    block.dispose();
  }
  return codes;
}

/**
 * Measures a trained model on the test images: MSE, BCE, PSNR and SSIM per pixel/image, per-class
 * errors, for the VAE the negative ELBO and an IWAE estimate of -log p(x), and the k-NN accuracy of
 * the latent codes (training codes as references) against the paper's raw-pixel baseline.
 */
export function evaluate(model: Autoencoder, options: EvaluateOptions): EvaluationReport {
  const started = performance.now();
  const { test } = options;
  if (test.count < 1) throw new Error("evaluate: the test set is empty.");
  const mse = new Float64Array(test.count);
  const bce = new Float64Array(test.count);
  const ssim = new Float64Array(test.count);
  for (let start = 0; start < test.count; start += 1000) {
    checkInterrupt({ task: "evaluation", where: `test image ${start + 1} of ${test.count}` });
    const size = Math.min(1000, test.count - start);
    const indices = Int32Array.from({ length: size }, (_, i) => start + i);
    const clean = imagesToTensor(test, indices);
    const output = model.reconstruct(clean);
    const target = clean.dataSync(), recon = output.dataSync();
    tf.dispose([clean, output]);
    mse.set(msePerImage(target, recon), start);
    bce.set(bcePerImage(target, recon), start);
    ssim.set(ssimPerImage(target, recon), start);
  }
  const psnrs = Array.from(mse, (m) => psnr(m));
  const perClass: ClassMetrics[] = KMNIST_CLASSES.map((c) => {
    let count = 0, sumMse = 0, sumSsim = 0;
    for (let i = 0; i < test.count; i++) {
      if (test.labels[i] !== c.index) continue;
      count++;
      sumMse += mse[i];
      sumSsim += ssim[i];
    }
    return {
      index: c.index,
      char: c.char,
      romaji: c.romaji,
      count,
      mse: count ? sumMse / count : NaN,
      ssim: count ? sumSsim / count : NaN,
    };
  });
  const meanMse = mean(mse);
  const intervals: TestIntervals = { mse: testInterval(mse), ssim: testInterval(ssim) };
  const passSeconds: EvaluationPassSeconds = { reconstruction: 0 };
  let passStarted = started;
  const endPass = (name: keyof EvaluationPassSeconds) => {
    const now = performance.now();
    passSeconds[name] = (now - passStarted) / 1000;
    passStarted = now;
  };
  endPass("reconstruction");
  const report: EvaluationReport = {
    kind: model.kind,
    latentDim: model.config.latentDim,
    parameters: model.countParams(),
    testImages: test.count,
    mse: meanMse,
    bce: mean(bce),
    psnr: mean(psnrs),
    psnrOfMeanMse: psnr(meanMse),
    ssim: mean(ssim),
    perClass,
    intervals,
    seconds: 0,
    passSeconds,
  };

  if (isVariational(model)) {
    const seed = options.seed ?? 0;
    const images = imagesToTensor(test);
    try {
      const { perImage, ...elbo } = negativeElbo(model, images, { seed });
      report.vae = { ...elbo };
      intervals.negativeElbo = testInterval(perImage);
      endPass("elbo");
      const samples = options.iwaeSamples ?? 100;
      const subset = Math.min(options.iwaeImages ?? 500, test.count);
      if (samples > 0 && subset > 0) {
        const first = tf.slice(images, [0, 0, 0, 0], [subset, -1, -1, -1]);
        try {
          const bounds = likelihoodReport(model, first, { samples, seed, checkSamples: 0 });
          report.vae.iwaeNll = bounds.negativeIwae.mean;
          report.vae.iwaeNllStandardError = bounds.negativeIwae.standardError;
          report.vae.iwaeNegativeElbo = bounds.negativeElbo.mean;
          report.vae.iwaeNegativeElboStandardError = bounds.negativeElbo.standardError;
          report.vae.iwaeSamples = samples;
          report.vae.iwaeImages = subset;
        } finally {
          first.dispose();
        }
        endPass("iwae");
      }
    } finally {
      images.dispose();
    }
  }

  const k = options.knnK ?? 4;
  if (options.train && k > 0) {
    const dim = model.config.latentDim;
    const predictions = knnClassify({
      reference: encodeSet(model, options.train),
      referenceLabels: options.train.labels,
      query: encodeSet(model, test),
      dim,
      k,
    });
    report.knn = {
      k,
      accuracy: accuracy(predictions, test.labels),
      referenceCount: options.train.count,
      rawPixelBaseline: KMNIST_PIXEL_KNN_BASELINE,
    };
    intervals.knnAccuracy = accuracyInterval(report.knn.accuracy, test.count);
    endPass("knn");
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}
