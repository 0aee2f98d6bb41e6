/**
 * Likelihood metrics of the VAE: the negative ELBO and an importance-weighted (IWAE, Burda et al.
 * 2016) estimate of -log p(x), both in nats per image under the Bernoulli decoder. KMNIST pixels
 * are grey levels in [0,1], not binary, so the Bernoulli "likelihood" is a cross-entropy, not a
 * normalised density: the numbers compare models here, not with binarised-MNIST papers.
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

/** Options of {@link importanceWeightedNll}. */
export interface ImportanceOptions {
  /** Importance samples per image (default 100). */
  samples?: number;
  /** Seed of the samples (default 0). */
  seed?: number;
  /** Images per decoder call group (samples x images <= ~1000 values keeps memory small). */
  imagesPerChunk?: number;
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
  model: VariationalAutoencoder,
  images: tf.Tensor4D,
  options: ImportanceOptions = {},
): ImportanceResult {
  const { samples = 100, seed = 0 } = options;
  const perChunk = options.imagesPerChunk ?? Math.max(1, Math.floor(1000 / samples));
  const n = images.shape[0];
  const dim = model.config.latentDim;
  const perImage = new Float64Array(n);
  let elboSum = 0;
  for (let start = 0; start < n; start += perChunk) {
    checkInterrupt({ task: "IWAE", where: `image ${start + 1} of ${n}` });
    const size = Math.min(perChunk, n - start);
    const logW = tf.tidy(() => {
      const x = tf.slice(images, [start, 0, 0, 0], [size, -1, -1, -1]);
      const [mean, logVar] = model.encoder.predict(x) as tf.Tensor2D[];
      // Repeat each image's posterior `samples` times: rows are image-major.
      const repeat = (t: tf.Tensor2D) =>
        tf.reshape(tf.tile(tf.expandDims(t, 1), [1, samples, 1]), [size * samples, dim]);
      const m = repeat(mean), v = repeat(logVar);
      const eps = tf.randomNormal([size * samples, dim], 0, 1, "float32", deriveSeed(seed, start));
      const z = tf.add(m, tf.mul(tf.exp(tf.mul(0.5, v)), eps)) as tf.Tensor2D;
      const probabilities = model.decoder.predict(z) as tf.Tensor4D;
      const targets = tf.reshape(tf.tile(tf.expandDims(x, 1), [1, samples, 1, 1, 1]), [
        size * samples,
        28,
        28,
        1,
      ]);
      const logPxz = tf.neg(binaryCrossEntropyPerImage(targets, probabilities));
      const logPz = tf.mul(-0.5, tf.sum(tf.add(tf.square(z), LOG_2PI), 1));
      const logQ = tf.mul(-0.5, tf.sum(tf.add(tf.add(v, tf.square(eps)), LOG_2PI), 1));
      return tf.sub(tf.add(logPxz, logPz), logQ);
    });
    const values = logW.dataSync();
    logW.dispose();
    for (let i = 0; i < size; i++) {
      const row = values.subarray(i * samples, (i + 1) * samples);
      perImage[start + i] = -logMeanExp(row);
      for (let s = 0; s < samples; s++) elboSum -= row[s];
    }
  }
  let total = 0;
  for (const v of perImage) total += v;
  return { nll: total / n, negativeElbo: elboSum / (n * samples), perImage, samples };
}

/** The negative ELBO (one posterior sample per image) and its two terms, nats per image. */
export interface ElboResult {
  /** Reconstruction (BCE summed over the pixels) + KL. */
  negativeElbo: number;
  /** The reconstruction term. */
  reconstruction: number;
  /** The analytic KL term. */
  kl: number;
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
  for (let start = 0; start < n; start += 1000) {
    checkInterrupt({ task: "ELBO", where: `image ${start + 1} of ${n}` });
    const size = Math.min(1000, n - start);
    const sums = tf.tidy(() => {
      const x = tf.slice(images, [start, 0, 0, 0], [size, -1, -1, -1]);
      const [mean, logVar] = model.encoder.predict(x) as tf.Tensor2D[];
      const eps = tf.randomNormal(mean.shape, 0, 1, "float32", deriveSeed(seed, 7919 + start));
      const z = tf.add(mean, tf.mul(tf.exp(tf.mul(0.5, logVar)), eps)) as tf.Tensor2D;
      const probabilities = model.decoder.predict(z) as tf.Tensor4D;
      return tf.stack([
        tf.sum(binaryCrossEntropyPerImage(x, probabilities)),
        tf.sum(gaussianKl(mean, logVar)),
      ]);
    });
    const [r, k] = sums.dataSync();
    sums.dispose();
    rec += r;
    kl += k;
  }
  return { negativeElbo: (rec + kl) / n, reconstruction: rec / n, kl: kl / n };
}
