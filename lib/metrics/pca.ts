/**
 * Principal component analysis, the project's one PCA: the linear baseline of the design study (an
 * autoencoder that does not beat PCA at the same code size has learned nothing a matrix
 * factorisation could not) and the 2-D projection of codes in lib/plot.
 *
 * The covariance is summed from centred float32 blocks on the backend's matrix product (OpenBLAS
 * sgemm on `blas`) and accumulated in float64; its eigen-decomposition is ml-matrix's symmetric
 * EVD (Householder tridiagonalisation + QL, the JAMA algorithm), not a hand-rolled solver.
 *
 * ```ts
 * const model = fitPca(pixels, { dims: 784, components: 32 });
 * const codes = pcaProject(model, testPixels);            // n x 32
 * const images = pcaReconstruct(model, codes);            // n x 784
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { EigenvalueDecomposition, Matrix } from "ml-matrix";

/** A fitted PCA. */
export interface PcaModel {
  /** Input size. */
  dims: number;
  /** Components kept. */
  components: number;
  /** Points it was fitted on. */
  count: number;
  /** Per-dimension mean subtracted before projecting. */
  mean: Float64Array;
  /** The principal axes, unit vectors of length `dims`, by decreasing variance (sign: largest entry positive). */
  axes: Float64Array[];
  /** Variance along each axis (sample covariance, n - 1). */
  variances: number[];
  /** Share of the total variance each axis explains, in [0, 1]. */
  explainedVarianceRatio: number[];
  /** Total variance (trace of the covariance). */
  totalVariance: number;
}

/** Options of {@link fitPca}. */
export interface FitPcaOptions {
  /** Values per point. */
  dims: number;
  /** Components to keep (default all: `dims`). */
  components?: number;
  /** Scale applied to every value first (e.g. 1/255 for grey levels; default 1). */
  scale?: number;
  /** Rows per covariance block (default 4096). */
  blockRows?: number;
}

function checkData(where: string, data: ArrayLike<number>, dims: number): number {
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
 * Fits a PCA to `count x dims` row-major points.
 *
 * @throws Error for fewer than 2 points, a bad `components` or non-finite values.
 */
export function fitPca(data: ArrayLike<number>, options: FitPcaOptions): PcaModel {
  const { dims, scale = 1, blockRows = 4096 } = options;
  const count = checkData("fitPca", data, dims);
  const components = options.components ?? dims;
  if (!Number.isInteger(components) || components < 1 || components > dims) {
    throw new Error(`fitPca: components must be an integer in [1, ${dims}], got ${components}.`);
  }
  if (count < 2) throw new Error(`fitPca: need at least 2 points, got ${count}.`);
  const mean = new Float64Array(dims);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dims; j++) {
      const v = data[i * dims + j] * scale;
      if (!Number.isFinite(v)) {
        throw new Error(`fitPca: value ${i * dims + j} is ${v}; every value must be finite.`);
      }
      mean[j] += v;
    }
  }
  for (let j = 0; j < dims; j++) mean[j] /= count;
  const cov = new Float64Array(dims * dims);
  for (let start = 0; start < count; start += blockRows) {
    const rows = Math.min(blockRows, count - start);
    const block = new Float32Array(rows * dims);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < dims; j++) {
        block[i * dims + j] = data[(start + i) * dims + j] * scale - mean[j];
      }
    }
    const product = tf.tidy(() => {
      const x = tf.tensor2d(block, [rows, dims]);
      return tf.matMul(x, x, true, false);
    });
    const values = product.dataSync();
    product.dispose();
    for (let i = 0; i < cov.length; i++) cov[i] += values[i];
  }
  const rows: number[][] = [];
  for (let a = 0; a < dims; a++) {
    const row = new Array<number>(dims);
    // Symmetrise (the float32 blocks are symmetric up to rounding) and divide by n - 1.
    for (let b = 0; b < dims; b++) {
      row[b] = (cov[a * dims + b] + cov[b * dims + a]) / 2 / (count - 1);
    }
    rows.push(row);
  }
  const evd = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const eigenvalues = evd.realEigenvalues;
  const vectors = evd.eigenvectorMatrix;
  const order = eigenvalues.map((_, i) => i).sort((a, b) =>
    eigenvalues[b] - eigenvalues[a] || a - b
  );
  let total = 0;
  for (let a = 0; a < dims; a++) total += rows[a][a];
  const axes: Float64Array[] = [];
  const variances: number[] = [];
  for (const index of order.slice(0, components)) {
    const axis = Float64Array.from(vectors.getColumn(index));
    let largest = 0;
    for (let a = 1; a < dims; a++) if (Math.abs(axis[a]) > Math.abs(axis[largest])) largest = a;
    if (axis[largest] < 0) { for (let a = 0; a < dims; a++) axis[a] = -axis[a]; }
    axes.push(axis);
    variances.push(Math.max(0, eigenvalues[index]));
  }
  return {
    dims,
    components,
    count,
    mean,
    axes,
    variances,
    explainedVarianceRatio: variances.map((v) => (total > 0 ? v / total : 0)),
    totalVariance: total,
  };
}

/** Options of {@link pcaProject}. */
export interface PcaProjectOptions {
  /** Components to use (default all the model's). */
  components?: number;
  /** Scale applied to every value first (default 1; use the one the model was fitted with). */
  scale?: number;
}

function checkComponents(model: PcaModel, components: number): void {
  if (!Number.isInteger(components) || components < 1 || components > model.components) {
    throw new Error(
      `PCA: components must be an integer in [1, ${model.components}], got ${components}.`,
    );
  }
}

/** Projects `count x dims` points onto the first axes: `count x components` codes. */
export function pcaProject(
  model: PcaModel,
  data: ArrayLike<number>,
  options: PcaProjectOptions = {},
): Float64Array {
  const { dims } = model;
  const components = options.components ?? model.components;
  const scale = options.scale ?? 1;
  checkComponents(model, components);
  const count = checkData("pcaProject", data, dims);
  const codes = new Float64Array(count * components);
  const row = new Float64Array(dims);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dims; j++) row[j] = data[i * dims + j] * scale - model.mean[j];
    for (let c = 0; c < components; c++) {
      const axis = model.axes[c];
      let s = 0;
      for (let j = 0; j < dims; j++) s += row[j] * axis[j];
      codes[i * components + c] = s;
    }
  }
  return codes;
}

/**
 * Maps `count x components` codes back to `count x dims` points (mean + codes . axes), optionally
 * clipped to a range (the images' [0, 1], as the autoencoders' sigmoid outputs are).
 */
export function pcaReconstruct(
  model: PcaModel,
  codes: ArrayLike<number>,
  options: { components?: number; clip?: [number, number] } = {},
): Float32Array {
  const components = options.components ?? model.components;
  checkComponents(model, components);
  const count = checkData("pcaReconstruct", codes, components);
  const { dims } = model;
  const out = new Float32Array(count * dims);
  const row = new Float64Array(dims);
  for (let i = 0; i < count; i++) {
    row.set(model.mean);
    for (let c = 0; c < components; c++) {
      const v = codes[i * components + c];
      const axis = model.axes[c];
      for (let j = 0; j < dims; j++) row[j] += v * axis[j];
    }
    for (let j = 0; j < dims; j++) {
      const v = row[j];
      out[i * dims + j] = options.clip
        ? Math.min(options.clip[1], Math.max(options.clip[0], v))
        : v;
    }
  }
  return out;
}
