/**
 * Principal component analysis for projecting latent codes to 2-D (covariance matrix + power
 * iteration with deflation; deterministic, no random start).
 *
 * @module
 */
import { type CodesInput, toCodeMatrix } from "./input.ts";

/** The result of {@link pca}. */
export interface PcaResult {
  /** `count*components` projected coordinates, row-major. */
  projected: Float64Array;
  /** Number of points. */
  count: number;
  /** Number of components kept. */
  components: number;
  /** The principal axes, each a unit vector of length `dims` (sign: largest entry positive). */
  axes: Float64Array[];
  /** The per-dimension mean subtracted before projecting. */
  mean: Float64Array;
  /** Variance along each axis. */
  variances: number[];
  /** Share of the total variance each axis explains, in [0, 1]. */
  explainedVarianceRatio: number[];
}

/**
 * Projects codes onto their first `components` principal axes.
 *
 * @param codes `n*dims` values (flat with `options.dims`, rows, or a `[n, dims]` tensor).
 * @param options.components number of axes to keep (default 2, at most dims).
 * @throws Error for empty or non-finite codes, or fewer than 2 points.
 */
export function pca(
  codes: CodesInput,
  options: { dims?: number; components?: number } = {},
): PcaResult {
  const { count, dims, data } = toCodeMatrix("pca", codes, { dims: options.dims });
  const k = options.components ?? 2;
  if (!Number.isInteger(k) || k < 1 || k > dims) {
    throw new Error(`pca: components must be an integer in [1, ${dims}], got ${k}.`);
  }
  if (count < 2) throw new Error(`pca: need at least 2 points, got ${count}.`);
  const mean = new Float64Array(dims);
  for (let i = 0; i < count; i++) for (let j = 0; j < dims; j++) mean[j] += data[i * dims + j];
  for (let j = 0; j < dims; j++) mean[j] /= count;
  const cov = new Float64Array(dims * dims);
  const row = new Float64Array(dims);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dims; j++) row[j] = data[i * dims + j] - mean[j];
    for (let a = 0; a < dims; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      for (let b = a; b < dims; b++) cov[a * dims + b] += ra * row[b];
    }
  }
  for (let a = 0; a < dims; a++) {
    for (let b = a; b < dims; b++) {
      cov[a * dims + b] /= count - 1;
      cov[b * dims + a] = cov[a * dims + b];
    }
  }
  let total = 0;
  for (let a = 0; a < dims; a++) total += cov[a * dims + a];
  const axes: Float64Array[] = [];
  const variances: number[] = [];
  const work = Float64Array.from(cov);
  for (let c = 0; c < k; c++) {
    // Start from the column with the largest diagonal entry: deterministic and never orthogonal
    // to the top eigenvector in practice.
    let best = 0;
    for (let a = 1; a < dims; a++) if (work[a * dims + a] > work[best * dims + best]) best = a;
    let v: Float64Array = new Float64Array(dims);
    for (let a = 0; a < dims; a++) v[a] = work[a * dims + best] + (a === best ? 1e-12 : 0);
    let lambda = 0;
    for (let iter = 0; iter < 500; iter++) {
      const w: Float64Array = new Float64Array(dims);
      for (let a = 0; a < dims; a++) {
        let s = 0;
        for (let b = 0; b < dims; b++) s += work[a * dims + b] * v[b];
        w[a] = s;
      }
      const norm = Math.hypot(...w);
      if (norm === 0) break;
      for (let a = 0; a < dims; a++) w[a] /= norm;
      let change = 0;
      for (let a = 0; a < dims; a++) change = Math.max(change, Math.abs(w[a] - v[a]));
      v = w;
      lambda = norm;
      if (change < 1e-12) break;
    }
    if (Math.hypot(...v) === 0 || !Number.isFinite(lambda)) v = unitVector(dims, c);
    let largest = 0;
    for (let a = 1; a < dims; a++) if (Math.abs(v[a]) > Math.abs(v[largest])) largest = a;
    if (v[largest] < 0) { for (let a = 0; a < dims; a++) v[a] = -v[a]; }
    let rayleigh = 0;
    for (let a = 0; a < dims; a++) {
      let s = 0;
      for (let b = 0; b < dims; b++) s += cov[a * dims + b] * v[b];
      rayleigh += v[a] * s;
    }
    axes.push(v);
    variances.push(Math.max(0, rayleigh));
    for (let a = 0; a < dims; a++) {
      for (let b = 0; b < dims; b++) work[a * dims + b] -= rayleigh * v[a] * v[b];
    }
  }
  const projected = new Float64Array(count * k);
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < dims; j++) s += (data[i * dims + j] - mean[j]) * axes[c][j];
      projected[i * k + c] = s;
    }
  }
  return {
    projected,
    count,
    components: k,
    axes,
    mean,
    variances,
    explainedVarianceRatio: variances.map((v) => (total > 0 ? v / total : 0)),
  };
}

function unitVector(dims: number, index: number): Float64Array {
  const v = new Float64Array(dims);
  v[index % dims] = 1;
  return v;
}
