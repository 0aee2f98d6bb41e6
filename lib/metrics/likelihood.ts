/**
 * Likelihood metrics of the VAE: the negative ELBO and an importance-weighted (IWAE, Burda et al.
 * 2016) estimate of -log p(x), both in nats per image under the Bernoulli decoder. KMNIST pixels
 * are grey levels in [0,1], not binary, so the Bernoulli "likelihood" is a cross-entropy, not a
 * normalised density: the numbers compare models here, not with binarised-MNIST papers.
 *
 * {@link likelihoodReport} measures both bounds on the same images from the same k draws (per-image
 * values, means, standard errors) and checks convergence in k on the first images. The k draws go
 * through the decoder in calls of at most 1,000 rows, every tensor disposed.
 *
 * ```ts
 * const report = likelihoodReport(vae, testImages, { samples: 100, checkSamples: 1000 });
 * report.negativeElbo.mean, report.negativeIwae.standardError, report.check?.improvement.mean;
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { checkInterrupt } from "../train/cancel.ts";
import {
  binaryCrossEntropyPerImage,
  deriveSeed,
  gaussianKl,
  type VariationalAutoencoder,
} from "../models/mod.ts";
import { BCE_CLIP } from "./pixel.ts";

/** log(mean(exp(values))), computed stably (max-shifted). */
export function logMeanExp(values: ArrayLike<number>): number {
  if (values.length === 0) throw new Error("logMeanExp: no values.");
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]);
  if (!Number.isFinite(max)) return max;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.exp(values[i] - max);
  return max + Math.log(sum / values.length);
}

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * What the likelihood bounds need of a model: a Gaussian posterior and a Bernoulli decoder. The
 * VAE of lib/models fits as it is; a conditional model reads `labels` (the rows' class labels, in
 * the order of the tensor's rows).
 */
export interface LikelihoodModel {
  /** q(z|x) = N(mean, exp(logVar)); the caller disposes both tensors. */
  posterior(
    images: tf.Tensor4D,
    labels?: Int32Array,
  ): { mean: tf.Tensor2D; logVar: tf.Tensor2D };
  /** The decoder's pixel probabilities p(x = 1 | z), `[n, 28, 28, 1]`; the caller disposes it. */
  decode(codes: tf.Tensor2D, labels?: Int32Array): tf.Tensor4D;
}

/** Options of {@link importanceWeights}. */
export interface ImportanceWeightOptions {
  /** Importance samples per image, k (default 100). */
  samples?: number;
  /** Seed of the samples (default 0). */
  seed?: number;
  /**
   * Most (image, sample) rows per decoder call (default 1,000): images are grouped
   * floor(rows / k) at a time, or one image's k samples split over ceil(k / rows) calls. The draws
   * depend on this value (their seeds follow the calls), the numbers only by Monte Carlo noise.
   */
  chunkRows?: number;
  /** Class label of each image, for conditional models. */
  labels?: ArrayLike<number>;
}

/**
 * The log importance weights log w_ik = log p(x_i|z_ik) + log N(z_ik; 0, I) - log q(z_ik|x_i),
 * z_ik ~ q(z|x_i), as a row-major `n x k` float64 array (image-major); every tensor disposed.
 */
export function importanceWeights(
  model: LikelihoodModel,
  images: tf.Tensor4D,
  options: ImportanceWeightOptions = {},
): Float64Array {
  const { samples = 100, seed = 0, chunkRows = 1000 } = options;
  if (!Number.isInteger(samples) || samples < 1) {
    throw new Error(`importanceWeights: samples must be a positive integer, got ${samples}.`);
  }
  if (!Number.isInteger(chunkRows) || chunkRows < 1) {
    throw new Error(`importanceWeights: chunkRows must be a positive integer, got ${chunkRows}.`);
  }
  const n = images.shape[0];
  if (options.labels && options.labels.length !== n) {
    throw new Error(`importanceWeights: ${options.labels.length} labels for ${n} images.`);
  }
  const logW = new Float64Array(n * samples);
  const imagesPerCall = Math.max(1, Math.floor(chunkRows / samples));
  const samplesPerCall = Math.min(samples, chunkRows);
  let call = 0;
  for (let start = 0; start < n; start += imagesPerCall) {
    checkInterrupt({ task: "IWAE", where: `image ${start + 1} of ${n}` });
    const size = Math.min(imagesPerCall, n - start);
    const labels = options.labels
      ? Int32Array.from({ length: size }, (_, i) => options.labels![start + i])
      : undefined;
    for (let first = 0; first < samples; first += samplesPerCall) {
      const k = Math.min(samplesPerCall, samples - first);
      const rows = size * k;
      const repeatedLabels = labels
        ? Int32Array.from({ length: rows }, (_, r) => labels[Math.floor(r / k)])
        : undefined;
      const values = tf.tidy(() => {
        const x = tf.slice(images, [start, 0, 0, 0], [size, -1, -1, -1]);
        const { mean, logVar } = model.posterior(x, labels);
        const dim = mean.shape[1];
        // Broadcasting, not tiling (tfjs's tile of these shapes costs more than the MLP decoder):
        // posterior parameters [size, 1, dim] against the noise [size, k, dim], image-major rows.
        const m = tf.reshape(mean, [size, 1, dim]), v = tf.reshape(logVar, [size, 1, dim]);
        const eps = tf.randomNormal([size, k, dim], 0, 1, "float32", deriveSeed(seed, call));
        const z = tf.add(m, tf.mul(tf.exp(tf.mul(0.5, v)), eps));
        const probabilities = model.decode(
          tf.reshape(z, [rows, dim]) as tf.Tensor2D,
          repeatedLabels,
        );
        // log p(x|z): the Bernoulli log-likelihood summed over pixels, outputs clipped as in BCE.
        const pixels = x.size / size;
        const target = tf.reshape(x, [size, 1, pixels]);
        const p = tf.clipByValue(
          tf.reshape(probabilities, [size, k, pixels]),
          BCE_CLIP,
          1 - BCE_CLIP,
        );
        const logPxz = tf.sum(
          tf.add(tf.mul(target, tf.log(p)), tf.mul(tf.sub(1, target), tf.log(tf.sub(1, p)))),
          2,
        );
        const logPz = tf.mul(-0.5, tf.sum(tf.add(tf.square(z), LOG_2PI), 2));
        // log q(z|x) with z = m + sigma eps: -1/2 sum(log 2pi + v + eps^2).
        const logQ = tf.mul(-0.5, tf.sum(tf.add(tf.add(v, tf.square(eps)), LOG_2PI), 2));
        return tf.reshape(tf.sub(tf.add(logPxz, logPz), logQ), [rows]);
      });
      const data = values.dataSync();
      values.dispose();
      for (let r = 0; r < rows; r++) {
        const image = start + Math.floor(r / k);
        logW[image * samples + first + (r % k)] = data[r];
      }
      call++;
    }
  }
  return logW;
}

/** Per-image bounds from the same k importance samples, in nats (positive: -log). */
export interface PerImageBounds {
  /** Importance samples per image. */
  samples: number;
  /** -(1/k) sum_k log w_ik: the negative ELBO, estimated from the k draws. */
  negativeElbo: Float64Array;
  /** -log (1/k) sum_k w_ik: the negative importance-weighted bound (IWAE, Burda et al. 2016). */
  negativeIwae: Float64Array;
}

/** Both bounds of every image from one `n x k` table of log weights. */
export function boundsFromWeights(logW: Float64Array, samples: number): PerImageBounds {
  const n = logW.length / samples;
  if (!Number.isInteger(n)) {
    throw new Error(`boundsFromWeights: ${logW.length} weights are not rows of ${samples}.`);
  }
  const negativeElbo = new Float64Array(n), negativeIwae = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const row = logW.subarray(i * samples, (i + 1) * samples);
    let sum = 0;
    for (let s = 0; s < samples; s++) sum += row[s];
    negativeElbo[i] = -sum / samples;
    negativeIwae[i] = -logMeanExp(row);
  }
  return { samples, negativeElbo, negativeIwae };
}

/** A mean over images with its standard error (sd / sqrt(n)). */
export interface MeanWithError {
  /** Mean over images. */
  mean: number;
  /** Standard error of the mean (0 for one image). */
  standardError: number;
  /** Images. */
  count: number;
}

/** Mean and standard error of per-image values. */
export function meanWithError(values: ArrayLike<number>): MeanWithError {
  const n = values.length;
  if (n === 0) throw new Error("meanWithError: no values.");
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i] - mean) ** 2;
  return { mean, standardError: n > 1 ? Math.sqrt(squares / (n - 1) / n) : 0, count: n };
}

/** Options of {@link likelihoodReport}. */
export interface LikelihoodReportOptions {
  /** Importance samples per image on every image (default 100). */
  samples?: number;
  /** Importance samples of the convergence check (default 1,000; 0 skips the check). */
  checkSamples?: number;
  /** Images of the convergence check: the first ones (default 1,000). */
  checkImages?: number;
  /** Seed (default 0); the check uses a derived seed, so its draws are independent. */
  seed?: number;
  /** Most rows per decoder call (default 1,000). */
  chunkRows?: number;
  /** Class labels, for conditional models. */
  labels?: ArrayLike<number>;
}

/** ELBO and IWAE on the same images, with standard errors and a convergence check in k. */
export interface LikelihoodReport {
  /** Images. */
  images: number;
  /** Importance samples per image. */
  samples: number;
  /** -ELBO (from the k draws), nats per image. */
  negativeElbo: MeanWithError;
  /** -IWAE bound with k samples: the estimate of -log p(x), nats per image. */
  negativeIwae: MeanWithError;
  /** Per image -ELBO - (-IWAE) >= 0: the gap, paired (its standard error is the paired one). */
  gap: MeanWithError;
  /** The per-image values (image order). */
  perImage: PerImageBounds;
  /** The check on the first `images` images with `samples` draws (absent when skipped). */
  check?: {
    images: number;
    samples: number;
    /** -IWAE with the main k on these images (from the main run). */
    negativeIwaeAtMain: MeanWithError;
    /** -IWAE with the check's k on these images (independent draws). */
    negativeIwae: MeanWithError;
    /** Per image main - check: > 0 where more samples tightened the bound; paired error. */
    improvement: MeanWithError;
  };
  /** Wall seconds. */
  seconds: number;
}

/**
 * ELBO and IWAE (k = `samples`) on the same images with per-image values, means and standard
 * errors, and the IWAE bound with `checkSamples` draws on the first `checkImages` images, to show
 * whether the bound has converged in k. The -ELBO here is the k-sample estimate E_q[-log w] (its
 * KL term sampled, not analytic); with k = 1 it equals the IWAE bound image by image.
 */
export function likelihoodReport(
  model: LikelihoodModel,
  images: tf.Tensor4D,
  options: LikelihoodReportOptions = {},
): LikelihoodReport {
  const started = performance.now();
  const { samples = 100, checkSamples = 1000, seed = 0, chunkRows = 1000, labels } = options;
  const n = images.shape[0];
  const logW = importanceWeights(model, images, { samples, seed, chunkRows, labels });
  const perImage = boundsFromWeights(logW, samples);
  const gap = perImage.negativeElbo.map((v, i) => v - perImage.negativeIwae[i]);
  const report: LikelihoodReport = {
    images: n,
    samples,
    negativeElbo: meanWithError(perImage.negativeElbo),
    negativeIwae: meanWithError(perImage.negativeIwae),
    gap: meanWithError(gap),
    perImage,
    seconds: 0,
  };
  const checkImages = Math.min(options.checkImages ?? 1000, n);
  if (checkSamples > 0 && checkImages > 0) {
    const first = tf.slice(images, [0, 0, 0, 0], [checkImages, -1, -1, -1]);
    try {
      const check = boundsFromWeights(
        importanceWeights(model, first, {
          samples: checkSamples,
          seed: deriveSeed(seed, 104_729),
          chunkRows,
          labels: labels ? Array.from({ length: checkImages }, (_, i) => labels[i]) : undefined,
        }),
        checkSamples,
      ).negativeIwae;
      const main = perImage.negativeIwae.subarray(0, checkImages);
      report.check = {
        images: checkImages,
        samples: checkSamples,
        negativeIwaeAtMain: meanWithError(main),
        negativeIwae: meanWithError(check),
        improvement: meanWithError(main.map((v, i) => v - check[i])),
      };
    } finally {
      first.dispose();
    }
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

/** Options of {@link importanceWeightedNll}. */
export interface ImportanceOptions {
  /** Importance samples per image (default 100). */
  samples?: number;
  /** Seed of the samples (default 0). */
  seed?: number;
  /** Most (image, sample) rows per decoder call (default 1,000). */
  chunkRows?: number;
}

/** Result of {@link importanceWeightedNll}. */
export interface ImportanceResult {
  /** Mean over images of -log (1/k sum_k w_k): the IWAE estimate of -log p(x), nats/image. */
  nll: number;
  /** Mean over images and samples of -log w: the sampled negative ELBO from the same draws. */
  negativeElbo: number;
  /** Per-image IWAE estimates. */
  perImage: Float64Array;
  /** Samples per image. */
  samples: number;
}

/**
 * Importance-weighted estimate of -log p(x) for each image: with z_k ~ q(z|x),
 * log w_k = log p(x|z_k) + log N(z_k; 0, I) - log q(z_k|x), and -log p(x) ~ -logMeanExp(log w).
 * By Jensen's inequality it never exceeds the negative ELBO of the same samples.
 */
export function importanceWeightedNll(
  model: LikelihoodModel,
  images: tf.Tensor4D,
  options: ImportanceOptions = {},
): ImportanceResult {
  const samples = options.samples ?? 100;
  const bounds = boundsFromWeights(importanceWeights(model, images, options), samples);
  return {
    nll: meanWithError(bounds.negativeIwae).mean,
    negativeElbo: meanWithError(bounds.negativeElbo).mean,
    perImage: bounds.negativeIwae,
    samples,
  };
}

/** The negative ELBO (one posterior sample per image) and its two terms, nats per image. */
export interface ElboResult {
  /** Reconstruction (BCE summed over the pixels) + KL. */
  negativeElbo: number;
  /** The reconstruction term. */
  reconstruction: number;
  /** The analytic KL term. */
  kl: number;
  /** −ELBO of each image (the intervals' bootstrap resamples these). */
  perImage: Float64Array;
}

/** The negative ELBO of `images` with one seeded posterior sample each, in chunks of 1000. */
export function negativeElbo(
  model: VariationalAutoencoder,
  images: tf.Tensor4D,
  options: { seed?: number } = {},
): ElboResult {
  const seed = options.seed ?? 0;
  const n = images.shape[0];
  let rec = 0, kl = 0;
  const perImage = new Float64Array(n);
  for (let start = 0; start < n; start += 1000) {
    checkInterrupt({ task: "ELBO", where: `image ${start + 1} of ${n}` });
    const size = Math.min(1000, n - start);
    const [sums, terms] = tf.tidy(() => {
      const x = tf.slice(images, [start, 0, 0, 0], [size, -1, -1, -1]);
      const [mean, logVar] = model.encoder.predict(x) as tf.Tensor2D[];
      const eps = tf.randomNormal(mean.shape, 0, 1, "float32", deriveSeed(seed, 7919 + start));
      const z = tf.add(mean, tf.mul(tf.exp(tf.mul(0.5, logVar)), eps)) as tf.Tensor2D;
      const probabilities = model.decoder.predict(z) as tf.Tensor4D;
      const reconstruction = binaryCrossEntropyPerImage(x, probabilities);
      const divergence = gaussianKl(mean, logVar);
      return [
        tf.stack([tf.sum(reconstruction), tf.sum(divergence)]),
        tf.add(reconstruction, divergence),
      ];
    });
    const [r, k] = sums.dataSync();
    perImage.set(terms.dataSync(), start);
    tf.dispose([sums, terms]);
    rec += r;
    kl += k;
  }
  return { negativeElbo: (rec + kl) / n, reconstruction: rec / n, kl: kl / n, perImage };
}
