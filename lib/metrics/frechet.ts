/**
 * The Fréchet distance between two Gaussians fitted to feature sets (the FID of Heusel et al. 2017
 * when the features are an Inception network's; here the project's KMNIST classifier's):
 *
 *   FD = |m1 - m2|^2 + tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2)
 *
 * The square roots come from ml-matrix's symmetric eigendecomposition (negative eigenvalues of a
 * rounded positive semi-definite matrix are clamped to 0), all in float64.
 *
 * @module
 */
import { EigenvalueDecomposition, Matrix } from "ml-matrix";
import { type GaussianStatistics, gaussianStatistics } from "./covariance.ts";

function toMatrix(values: ArrayLike<number>, dims: number): Matrix {
  const rows: number[][] = [];
  for (let a = 0; a < dims; a++) {
    const row = new Array<number>(dims);
    for (let b = 0; b < dims; b++) row[b] = (values[a * dims + b] + values[b * dims + a]) / 2;
    rows.push(row);
  }
  return new Matrix(rows);
}

function eigenvalues(matrix: Matrix): number[] {
  return new EigenvalueDecomposition(matrix, { assumeSymmetric: true }).realEigenvalues;
}

/**
 * The principal square root of a symmetric positive semi-definite `dims x dims` matrix (row-major),
 * V diag(sqrt(max(λ, 0))) Vᵀ.
 */
export function sqrtPsd(values: ArrayLike<number>, dims: number): Float64Array {
  if (values.length !== dims * dims) {
    throw new Error(
      `sqrtPsd: expected ${dims * dims} values for ${dims} x ${dims}, got ${values.length}.`,
    );
  }
  const evd = new EigenvalueDecomposition(toMatrix(values, dims), { assumeSymmetric: true });
  const lambda = evd.realEigenvalues, vectors = evd.eigenvectorMatrix;
  const out = new Float64Array(dims * dims);
  for (let k = 0; k < dims; k++) {
    const root = Math.sqrt(Math.max(0, lambda[k]));
    if (root === 0) continue;
    const v = vectors.getColumn(k);
    for (let a = 0; a < dims; a++) {
      const va = v[a] * root;
      for (let b = 0; b < dims; b++) out[a * dims + b] += va * v[b];
    }
  }
  return out;
}

/** The Fréchet distance and its two parts. */
export interface FrechetResult {
  /** |m1 - m2|^2 + tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2). */
  distance: number;
  /** |m1 - m2|^2. */
  meanTerm: number;
  /** The trace term. */
  covarianceTerm: number;
}

/** The Fréchet distance between the Gaussians N(m1, S1) and N(m2, S2) of two statistics. */
export function frechetDistance(a: GaussianStatistics, b: GaussianStatistics): FrechetResult {
  if (a.dims !== b.dims) {
    throw new Error(`frechetDistance: the feature sets have ${a.dims} and ${b.dims} dimensions.`);
  }
  return frechetDistanceWithRoot(a, sqrtPsd(a.covariance, a.dims), b);
}

/**
 * {@link frechetDistance} given `rootOfA = sqrtPsd(a.covariance)`: for many distances from one
 * set (the bootstrap of lib/metrics/frechet_interval.ts) the square root is taken once.
 */
export function frechetDistanceWithRoot(
  a: GaussianStatistics,
  rootOfA: Float64Array,
  b: GaussianStatistics,
): FrechetResult {
  if (a.dims !== b.dims || rootOfA.length !== a.dims * a.dims) {
    throw new Error(
      `frechetDistanceWithRoot: sets of ${a.dims} and ${b.dims} dimensions with a root of ` +
        `${rootOfA.length} values; all three must match.`,
    );
  }
  const d = a.dims;
  let meanTerm = 0;
  for (let j = 0; j < d; j++) meanTerm += (a.mean[j] - b.mean[j]) ** 2;
  const root = toMatrix(rootOfA, d);
  const product = root.mmul(toMatrix(b.covariance, d)).mmul(root);
  let crossTrace = 0;
  for (const lambda of eigenvalues(toMatrix(product.to1DArray(), d))) {
    crossTrace += Math.sqrt(Math.max(0, lambda));
  }
  let traces = 0;
  for (let j = 0; j < d; j++) traces += a.covariance[j * d + j] + b.covariance[j * d + j];
  const covarianceTerm = traces - 2 * crossTrace;
  return { distance: meanTerm + covarianceTerm, meanTerm, covarianceTerm };
}

/** The Fréchet distance between two `count x dims` feature sets (statistics on the backend). */
export function frechetDistanceOfSets(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: { dims: number; exact?: boolean },
): FrechetResult {
  return frechetDistance(gaussianStatistics(a, options), gaussianStatistics(b, options));
}
