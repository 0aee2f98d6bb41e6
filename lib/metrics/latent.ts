/**
 * How much of a VAE's latent space is used: the active units of Burda et al. (2016) — dimension i
 * is active when Cov_x(E_q[z_i | x]) > 0.01, i.e. its posterior mean moves with the input — and the
 * KL divergence KL(q(z_i | x) || N(0, 1)) per dimension, averaged over images. A collapsed
 * dimension has ~0 nats of KL and ~0 variance of its mean.
 *
 * ```ts
 * const usage = latentUsage(vae, images);   // { activeUnits, activity, klPerDimension, ... }
 * ```
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { pointCount } from "./covariance.ts";

/** Burda et al.'s threshold on Cov_x(E_q[z_i]). */
export const ACTIVE_UNIT_THRESHOLD = 0.01;

/** Active units of a set of posterior means. */
export interface ActiveUnits {
  /** Latent size. */
  dims: number;
  /** Dimensions whose activity exceeds the threshold. */
  count: number;
  /** Per dimension: the variance over inputs of the posterior mean (population, n). */
  activity: Float64Array;
  /** Per dimension: whether it is active. */
  active: boolean[];
  /** The threshold used. */
  threshold: number;
}

/** Options of {@link activeUnits}. */
export interface ActiveUnitOptions {
  /** Latent size. */
  dims: number;
  /** Activity threshold (default 0.01). */
  threshold?: number;
}

/** Counts the active units of `count x dims` posterior means E_q[z | x] (row-major). */
export function activeUnits(means: ArrayLike<number>, options: ActiveUnitOptions): ActiveUnits {
  const { dims, threshold = ACTIVE_UNIT_THRESHOLD } = options;
  const count = pointCount("activeUnits", means, dims);
  if (count < 2) throw new Error(`activeUnits: need at least 2 images, got ${count}.`);
  const mean = new Float64Array(dims), activity = new Float64Array(dims);
  for (let i = 0; i < count; i++) for (let j = 0; j < dims; j++) mean[j] += means[i * dims + j];
  for (let j = 0; j < dims; j++) mean[j] /= count;
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dims; j++) activity[j] += (means[i * dims + j] - mean[j]) ** 2;
  }
  for (let j = 0; j < dims; j++) activity[j] /= count;
  const active = Array.from(activity, (v) => v > threshold);
  return { dims, count: active.filter(Boolean).length, activity, active, threshold };
}

/**
 * Mean over images of KL(N(m_i, exp(v_i)) || N(0, 1)) = 0.5 (m_i^2 + exp(v_i) - 1 - v_i) for each
 * dimension i, in float64, from row-major `count x dims` means and log-variances. The entries sum
 * to the model's mean KL term.
 */
export function klPerDimension(
  means: ArrayLike<number>,
  logVars: ArrayLike<number>,
  dims: number,
): Float64Array {
  const count = pointCount("klPerDimension", means, dims);
  if (logVars.length !== means.length) {
    throw new Error(
      `klPerDimension: ${means.length} means but ${logVars.length} log-variances.`,
    );
  }
  if (count < 1) throw new Error("klPerDimension: no images.");
  const out = new Float64Array(dims);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dims; j++) {
      const m = means[i * dims + j], v = logVars[i * dims + j];
      out[j] += 0.5 * (m * m + Math.exp(v) - 1 - v);
    }
  }
  for (let j = 0; j < dims; j++) out[j] /= count;
  return out;
}

/** A model with a Gaussian posterior, e.g. lib/models' VariationalAutoencoder. */
export interface GaussianEncoder {
  /** q(z|x) = N(mean, exp(logVar)) of a batch; the caller disposes both tensors. */
  posterior(images: tf.Tensor4D): { mean: tf.Tensor2D; logVar: tf.Tensor2D };
}

/** Latent usage of a VAE on a set of images. */
export interface LatentUsage extends ActiveUnits {
  /** Mean KL per dimension, nats. */
  klPerDimension: Float64Array;
  /** Their sum: the mean KL term, nats per image. */
  kl: number;
}

/**
 * Active units and KL per dimension of `model` on `images`, the posterior computed in chunks of
 * <= 1,000 images and every tensor disposed.
 */
export function latentUsage(
  model: GaussianEncoder,
  images: tf.Tensor4D,
  options: { threshold?: number; chunk?: number } = {},
): LatentUsage {
  const n = images.shape[0];
  const chunk = options.chunk ?? 1000;
  let dims = 0;
  let means = new Float32Array(0), logVars = new Float32Array(0);
  for (let start = 0; start < n; start += chunk) {
    const size = Math.min(chunk, n - start);
    const x = images.slice([start, 0, 0, 0], [size, -1, -1, -1]);
    const { mean, logVar } = model.posterior(x);
    x.dispose();
    if (start === 0) {
      dims = mean.shape[1];
      means = new Float32Array(n * dims);
      logVars = new Float32Array(n * dims);
    }
    means.set(mean.dataSync(), start * dims);
    logVars.set(logVar.dataSync(), start * dims);
    mean.dispose();
    logVar.dispose();
  }
  const units = activeUnits(means, { dims, threshold: options.threshold });
  const kl = klPerDimension(means, logVars, dims);
  return { ...units, klPerDimension: kl, kl: kl.reduce((a, b) => a + b, 0) };
}
