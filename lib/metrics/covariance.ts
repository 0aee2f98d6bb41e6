/**
 * Mean and covariance of a set of feature vectors (classifier features, latent codes), the
 * sufficient statistics of the Fréchet distance and of a Gaussian fit. The cross-products of centred
 * float32 blocks run on the backend's matrix product (OpenBLAS sgemm on `blas`) and are accumulated
 * in float64; `exact: true` sums everything in float64 JavaScript instead (small sets, references).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The first two moments of a set of points. */
export interface GaussianStatistics {
  /** Values per point. */
  dims: number;
  /** Points summarised. */
  count: number;
  /** Per-dimension mean. */
  mean: Float64Array;
  /** Row-major `dims x dims` sample covariance (n - 1), exactly symmetric. */
  covariance: Float64Array;
}

/** Options of {@link gaussianStatistics}. */
export interface StatisticsOptions {
  /** Values per point. */
  dims: number;
  /** Rows per backend matrix product (default 4,096). */
  blockRows?: number;
  /** Sum in float64 JavaScript instead of float32 backend blocks (default false). */
  exact?: boolean;
}

/** Number of `dims`-D points in a row-major array, with clear errors for bad shapes or values. */
export function pointCount(where: string, data: ArrayLike<number>, dims: number): number {
  if (!Number.isInteger(dims) || dims < 1) {
    throw new Error(`${where}: dims must be a positive integer, got ${dims}.`);
  }
  const count = data.length / dims;
  if (!Number.isInteger(count)) {
    throw new Error(`${where}: ${data.length} values are not a whole number of ${dims}-D points.`);
  }
  return count;
}

/**
 * Mean and sample covariance of `count x dims` row-major points.
 *
 * @throws Error for fewer than 2 points or a non-finite value.
 */
export function gaussianStatistics(
  data: ArrayLike<number>,
  options: StatisticsOptions,
): GaussianStatistics {
  const { dims, blockRows = 4096, exact = false } = options;
  const count = pointCount("gaussianStatistics", data, dims);
  if (count < 2) throw new Error(`gaussianStatistics: need at least 2 points, got ${count}.`);
  const mean = new Float64Array(dims);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dims; j++) {
      const v = data[i * dims + j];
      if (!Number.isFinite(v)) {
        throw new Error(
          `gaussianStatistics: value ${i * dims + j} is ${v}; every value must be finite.`,
        );
      }
      mean[j] += v;
    }
  }
  for (let j = 0; j < dims; j++) mean[j] /= count;
  const sums = new Float64Array(dims * dims);
  if (exact) {
    const row = new Float64Array(dims);
    for (let i = 0; i < count; i++) {
      for (let j = 0; j < dims; j++) row[j] = data[i * dims + j] - mean[j];
      for (let a = 0; a < dims; a++) {
        const ra = row[a];
        for (let b = a; b < dims; b++) sums[a * dims + b] += ra * row[b];
      }
    }
    for (let a = 0; a < dims; a++) {
      for (let b = 0; b < a; b++) sums[a * dims + b] = sums[b * dims + a];
    }
  } else {
    for (let start = 0; start < count; start += blockRows) {
      const rows = Math.min(blockRows, count - start);
      const block = new Float32Array(rows * dims);
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < dims; j++) block[i * dims + j] = data[(start + i) * dims + j] - mean[j];
      }
      const product = tf.tidy(() => {
        const x = tf.tensor2d(block, [rows, dims]);
        return tf.matMul(x, x, true, false);
      });
      const values = product.dataSync();
      product.dispose();
      for (let i = 0; i < sums.length; i++) sums[i] += values[i];
    }
  }
  const covariance = new Float64Array(dims * dims);
  for (let a = 0; a < dims; a++) {
    for (let b = 0; b < dims; b++) {
      covariance[a * dims + b] = (sums[a * dims + b] + sums[b * dims + a]) / 2 / (count - 1);
    }
  }
  return { dims, count, mean, covariance };
}
