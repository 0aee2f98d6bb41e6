/**
 * Ex-post density estimation (Ghosh et al. 2020, "From variational to deterministic autoencoders"):
 * a Gaussian mixture with full covariances fitted by EM to a model's training codes and sampled, so
 * that a deterministic autoencoder gets a generator (decode the samples) and a generation row.
 *
 * EM started from a seeded k-means++ seeding refined by a few Lloyd steps. The costly products run
 * on the backend (float32 matrix products: the whitened distances of the E-step, the weighted
 * cross-products of the M-step in blocks of rows), everything they are summed into in float64
 * (log-likelihoods, masses, covariances, Cholesky factors). Every covariance gets a small floor on
 * its diagonal (`regularization` × the data's mean per-dimension variance) so that no component
 * collapses onto a point. Same data and seed give the same mixture and the same samples, bit for
 * bit.
 *
 * ```ts
 * const gmm = fitGaussianMixture(trainCodes, { dims: 32, seed: 0 });     // 10 components
 * const codes = sampleGaussianMixture(gmm, 10_000, { seed: 1 });          // decode these
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { createRandom } from "../data/mod.ts";
import { gaussianStatistics, pointCount } from "./covariance.ts";

const LOG_2PI = Math.log(2 * Math.PI);

/** A fitted Gaussian mixture. */
export interface GaussianMixture {
  /** Values per point. */
  dims: number;
  /** Components. */
  components: number;
  /** Mixing weights (sum 1). */
  weights: Float64Array;
  /** Row-major `components x dims` means. */
  means: Float64Array;
  /** `components` row-major `dims x dims` covariances, concatenated. */
  covariances: Float64Array;
  /** Mean log-likelihood per point after each E-step (non-decreasing up to rounding). */
  logLikelihoods: number[];
  /** Whether the gain per point fell below the tolerance before `maxIterations`. */
  converged: boolean;
  /** EM iterations run (M-steps). */
  iterations: number;
}

/** Options of {@link fitGaussianMixture}. */
export interface GaussianMixtureOptions {
  /** Values per point. */
  dims: number;
  /** Components (default 10). */
  components?: number;
  /** Seed of the k-means++ start (default 0). */
  seed?: number;
  /** Most EM iterations (default 100). */
  maxIterations?: number;
  /** Stop when the mean log-likelihood per point changes by less than this (default 1e-3 nats). */
  tolerance?: number;
  /** Lloyd iterations after the k-means++ seeding (default 10). */
  kmeansIterations?: number;
  /** Diagonal floor of every covariance, relative to the mean per-dimension variance (default 1e-6). */
  regularization?: number;
}

/** Lower Cholesky factor of a symmetric positive definite `d x d` matrix, in place into `out`. */
function cholesky(matrix: Float64Array, offset: number, d: number, out: Float64Array): void {
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = matrix[offset + i * d + j];
      for (let k = 0; k < j; k++) s -= out[i * d + k] * out[j * d + k];
      if (i === j) {
        if (!(s > 0)) {
          throw new Error(
            "fitGaussianMixture: a covariance is not positive definite; raise `regularization`.",
          );
        }
        out[i * d + i] = Math.sqrt(s);
      } else {
        out[i * d + j] = s / out[j * d + j];
      }
    }
    for (let j = i + 1; j < d; j++) out[i * d + j] = 0;
  }
}

/** Per component: its Cholesky factor L, L's inverse, and log w - d/2 log 2π - 1/2 log|S|. */
interface Factors {
  lower: Float64Array[];
  inverseLower: Float64Array[];
  logNorm: Float64Array;
}

function factorise(gmm: GaussianMixture): Factors {
  const { dims: d, components: k } = gmm;
  const lower: Float64Array[] = [], inverseLower: Float64Array[] = [];
  const logNorm = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    const l = new Float64Array(d * d);
    cholesky(gmm.covariances, c * d * d, d, l);
    // Inverse of the lower-triangular L, column by column (forward substitution).
    const inv = new Float64Array(d * d);
    for (let col = 0; col < d; col++) {
      for (let i = col; i < d; i++) {
        let s = i === col ? 1 : 0;
        for (let j = col; j < i; j++) s -= l[i * d + j] * inv[j * d + col];
        inv[i * d + col] = s / l[i * d + i];
      }
    }
    let logDet = 0;
    for (let i = 0; i < d; i++) logDet += 2 * Math.log(l[i * d + i]);
    lower.push(l);
    inverseLower.push(inv);
    logNorm[c] = Math.log(gmm.weights[c]) - 0.5 * (d * LOG_2PI + logDet);
  }
  return { lower, inverseLower, logNorm };
}

/**
 * log w_c + log N(x; m_c, S_c) of every point (rows of `x`) and component: `[n, components]`,
 * with |L⁻¹(x - m)|² from one matrix product per component.
 */
function logJoint(gmm: GaussianMixture, factors: Factors, x: tf.Tensor2D): tf.Tensor2D {
  const { dims: d, components: k } = gmm;
  return tf.tidy(() => {
    const columns: tf.Tensor1D[] = [];
    for (let c = 0; c < k; c++) {
      const mean = tf.tensor1d(Float32Array.from(gmm.means.subarray(c * d, (c + 1) * d)));
      // y = L⁻¹ (x - m) for every row: (x - m) (L⁻¹)ᵀ.
      const whiten = tf.tensor2d(Float32Array.from(factors.inverseLower[c]), [d, d]);
      const y = tf.matMul(tf.sub(x, mean), whiten, false, true);
      columns.push(tf.sub(factors.logNorm[c], tf.mul(0.5, tf.sum(tf.square(y), 1))));
    }
    return tf.stack(columns, 1) as tf.Tensor2D;
  });
}

/** The E-step: per-point log-likelihoods (float64) and the responsibilities `[n, components]`. */
function expectation(
  gmm: GaussianMixture,
  x: tf.Tensor2D,
): { logLikelihood: Float64Array; responsibilities: tf.Tensor2D } {
  const joint = logJoint(gmm, factorise(gmm), x);
  const perPoint = tf.logSumExp(joint, 1, true);
  const responsibilities = tf.tidy(() => tf.exp(tf.sub(joint, perPoint))) as tf.Tensor2D;
  const logLikelihood = Float64Array.from(perPoint.dataSync());
  tf.dispose([joint, perPoint]);
  return { logLikelihood, responsibilities };
}

/** log p(x) of every point under a mixture. */
export function mixtureLogDensity(gmm: GaussianMixture, data: ArrayLike<number>): Float64Array {
  const count = pointCount("mixtureLogDensity", data, gmm.dims);
  const x = tf.tensor2d(Float32Array.from(data), [count, gmm.dims]);
  try {
    const { logLikelihood, responsibilities } = expectation(gmm, x);
    responsibilities.dispose();
    return logLikelihood;
  } finally {
    x.dispose();
  }
}

/** Seeded k-means++ seeding and Lloyd refinement; returns each point's cluster. */
function kmeans(
  data: ArrayLike<number>,
  x: tf.Tensor2D,
  count: number,
  d: number,
  k: number,
  iterations: number,
  random: () => number,
): Int32Array {
  const centres = new Float64Array(k * d);
  const nearest = new Float64Array(count).fill(Infinity);
  const distance = (i: number, c: number) => {
    let s = 0;
    for (let a = 0; a < d; a++) s += (data[i * d + a] - centres[c * d + a]) ** 2;
    return s;
  };
  let pick = Math.floor(random() * count);
  for (let c = 0; c < k; c++) {
    for (let a = 0; a < d; a++) centres[c * d + a] = data[pick * d + a];
    let total = 0;
    for (let i = 0; i < count; i++) {
      nearest[i] = Math.min(nearest[i], distance(i, c));
      total += nearest[i];
    }
    if (c === k - 1) break;
    // Next centre with probability proportional to the squared distance to the nearest centre.
    let target = random() * total;
    pick = count - 1;
    for (let i = 0; i < count; i++) {
      target -= nearest[i];
      if (target < 0) {
        pick = i;
        break;
      }
    }
  }
  let labels = new Int32Array(count);
  const sums = new Float64Array(k * d), sizes = new Float64Array(k);
  // Assignments on the backend: |x - c|^2 = |x|^2 - 2 x.c + |c|^2 from one matrix product, the
  // data centred first so that the expansion loses no precision to a far-off origin.
  const origin = tf.tidy(() => tf.mean(x, 0, true));
  const centred = tf.sub(x, origin);
  const squares = tf.tidy(() => tf.sum(tf.square(centred), 1, true));
  try {
    for (let it = 0; it <= iterations; it++) {
      const assigned = tf.tidy(() => {
        const c = tf.sub(tf.tensor2d(Float32Array.from(centres), [k, d]), origin);
        const cross = tf.mul(2, tf.matMul(centred, c, false, true));
        const distances = tf.add(
          tf.sub(squares, cross),
          tf.reshape(tf.sum(tf.square(c), 1), [1, k]),
        );
        return tf.argMin(distances, 1);
      });
      const next = Int32Array.from(assigned.dataSync());
      assigned.dispose();
      let changed = it === 0;
      for (let i = 0; i < count && !changed; i++) changed = next[i] !== labels[i];
      labels = next;
      if (!changed || it === iterations) break;
      sums.fill(0);
      sizes.fill(0);
      for (let i = 0; i < count; i++) {
        sizes[labels[i]]++;
        for (let a = 0; a < d; a++) sums[labels[i] * d + a] += data[i * d + a];
      }
      for (let c = 0; c < k; c++) {
        if (sizes[c] === 0) continue; // an empty cluster keeps its centre
        for (let a = 0; a < d; a++) centres[c * d + a] = sums[c * d + a] / sizes[c];
      }
    }
  } finally {
    tf.dispose([origin, centred, squares]);
  }
  return labels;
}

/** Rows per block of the M-step's weighted cross-products. */
const BLOCK_ROWS = 4096;

/**
 * The M-step: weights, means and floored covariances from responsibilities `[n, components]`.
 * A component left with (almost) no mass restarts on a random point with the data's covariance.
 */
function maximise(
  gmm: GaussianMixture,
  data: ArrayLike<number>,
  x: tf.Tensor2D,
  responsibilities: tf.Tensor2D,
  floor: number,
  dataCovariance: Float64Array,
  random: () => number,
): void {
  const { dims: d, components: k } = gmm;
  const count = x.shape[0];
  const resp = responsibilities.dataSync();
  const mass = new Float64Array(k), means = new Float64Array(k * d);
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < k; c++) {
      const r = resp[i * k + c];
      if (r === 0) continue;
      mass[c] += r;
      for (let a = 0; a < d; a++) means[c * d + a] += r * data[i * d + a];
    }
  }
  for (let c = 0; c < k; c++) for (let a = 0; a < d; a++) means[c * d + a] /= mass[c] || 1;
  // Sum_i r_ic (x_i - m_c)(x_i - m_c)ᵀ in blocks: one batched product per block, float64 sums.
  const sums = new Float64Array(k * d * d);
  const meanTensor = tf.tensor3d(Float32Array.from(means), [k, 1, d]);
  for (let start = 0; start < count; start += BLOCK_ROWS) {
    const rows = Math.min(BLOCK_ROWS, count - start);
    const block = tf.tidy(() => {
      const xb = tf.slice(x, [start, 0], [rows, d]);
      const rb = tf.slice(responsibilities, [start, 0], [rows, k]);
      // [k, rows, d]: sqrt(r_ic) (x_i - m_c).
      const centred = tf.sub(tf.expandDims(xb, 0), meanTensor);
      const weights = tf.expandDims(tf.transpose(tf.sqrt(rb)), 2);
      const weighted = tf.mul(centred, weights);
      return tf.matMul(weighted, weighted, true, false);
    });
    const values = block.dataSync();
    block.dispose();
    for (let i = 0; i < values.length; i++) sums[i] += values[i];
  }
  meanTensor.dispose();
  for (let c = 0; c < k; c++) {
    const cov = gmm.covariances.subarray(c * d * d, (c + 1) * d * d);
    if (mass[c] < 1e-8 * count || mass[c] < 1e-6) {
      const i = Math.floor(random() * count);
      for (let a = 0; a < d; a++) gmm.means[c * d + a] = data[i * d + a];
      cov.set(dataCovariance);
      gmm.weights[c] = 1 / count;
      continue;
    }
    gmm.means.set(means.subarray(c * d, (c + 1) * d), c * d);
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) {
        const s = (sums[c * d * d + a * d + b] + sums[c * d * d + b * d + a]) / 2;
        cov[a * d + b] = s / mass[c] + (a === b ? floor : 0);
      }
    }
    gmm.weights[c] = mass[c] / count;
  }
  let total = 0;
  for (let c = 0; c < k; c++) total += gmm.weights[c];
  for (let c = 0; c < k; c++) gmm.weights[c] /= total;
}

/**
 * Fits a full-covariance Gaussian mixture to `count x dims` row-major points by EM.
 *
 * @throws Error for fewer points than components, a non-finite value or bad options.
 */
export function fitGaussianMixture(
  data: ArrayLike<number>,
  options: GaussianMixtureOptions,
): GaussianMixture {
  const {
    dims: d,
    components: k = 10,
    seed = 0,
    maxIterations = 100,
    tolerance = 1e-3,
    kmeansIterations = 10,
    regularization = 1e-6,
  } = options;
  const count = pointCount("fitGaussianMixture", data, d);
  if (!Number.isInteger(k) || k < 1) {
    throw new Error(`fitGaussianMixture: components must be a positive integer, got ${k}.`);
  }
  if (count < Math.max(2, k)) {
    throw new Error(`fitGaussianMixture: ${count} points cannot fit ${k} components.`);
  }
  if (!Number.isInteger(maxIterations) || maxIterations < 1) {
    throw new Error(`fitGaussianMixture: maxIterations must be >= 1, got ${maxIterations}.`);
  }
  if (!(regularization >= 0)) {
    throw new Error(`fitGaussianMixture: regularization must be >= 0, got ${regularization}.`);
  }
  for (let i = 0; i < count * d; i++) {
    if (!Number.isFinite(data[i])) {
      throw new Error(`fitGaussianMixture: value ${i} is ${data[i]}; every value must be finite.`);
    }
  }
  const dataCovariance = gaussianStatistics(data, { dims: d }).covariance;
  let meanVariance = 0;
  for (let a = 0; a < d; a++) meanVariance += dataCovariance[a * d + a] / d;
  const floor = regularization * (meanVariance > 0 ? meanVariance : 1);
  for (let a = 0; a < d; a++) dataCovariance[a * d + a] += floor;

  const random = createRandom(seed);
  const gmm: GaussianMixture = {
    dims: d,
    components: k,
    weights: new Float64Array(k),
    means: new Float64Array(k * d),
    covariances: new Float64Array(k * d * d),
    logLikelihoods: [],
    converged: false,
    iterations: 0,
  };
  const x = tf.tensor2d(Float32Array.from(data), [count, d]);
  try {
    const labels = kmeans(data, x, count, d, k, kmeansIterations, random);
    const hard = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, "int32"), k).toFloat()) as tf.Tensor2D;
    maximise(gmm, data, x, hard, floor, dataCovariance, random);
    hard.dispose();
    for (let it = 0;; it++) {
      const { logLikelihood, responsibilities } = expectation(gmm, x);
      try {
        let total = 0;
        for (const v of logLikelihood) total += v;
        const average = total / count;
        const previous = gmm.logLikelihoods.at(-1);
        gmm.logLikelihoods.push(average);
        if (previous !== undefined && Math.abs(average - previous) < tolerance) {
          gmm.converged = true;
          break;
        }
        if (it === maxIterations) break;
        maximise(gmm, data, x, responsibilities, floor, dataCovariance, random);
        gmm.iterations++;
      } finally {
        responsibilities.dispose();
      }
    }
  } finally {
    x.dispose();
  }
  return gmm;
}

/** Options of {@link sampleGaussianMixture}. */
export interface MixtureSampleOptions {
  /** Seed of the component choices and the normal draws (default 0). */
  seed?: number;
}

/** `count` seeded draws from a mixture, as a row-major `count x dims` array. */
export function sampleGaussianMixture(
  gmm: GaussianMixture,
  count: number,
  options: MixtureSampleOptions = {},
): Float32Array {
  if (!Number.isInteger(count) || count < 0) {
    throw new Error(`sampleGaussianMixture: count must be a non-negative integer, got ${count}.`);
  }
  const { dims: d, components: k } = gmm;
  const { lower } = factorise(gmm);
  const random = createRandom(options.seed ?? 0);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const out = new Float32Array(count * d);
  const eps = new Float64Array(d);
  for (let i = 0; i < count; i++) {
    let u = random(), c = 0;
    while (c < k - 1 && u >= gmm.weights[c]) u -= gmm.weights[c++];
    for (let a = 0; a < d; a++) eps[a] = normal();
    const l = lower[c];
    for (let a = 0; a < d; a++) {
      let s = gmm.means[c * d + a];
      for (let b = 0; b <= a; b++) s += l[a * d + b] * eps[b];
      out[i * d + a] = s;
    }
  }
  return out;
}
