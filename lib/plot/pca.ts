/**
 * 2-D projections of latent codes for the figures, on the project's one PCA
 * (lib/metrics/pca.ts: covariance on the backend's matrix product, ml-matrix's symmetric EVD).
 *
 * @module
 */
import { fitPca, pcaProject } from "../metrics/pca.ts";
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
  const model = fitPca(data, { dims, components: k });
  return {
    projected: pcaProject(model, data),
    count,
    components: k,
    axes: model.axes,
    mean: model.mean,
    variances: model.variances,
    explainedVarianceRatio: model.explainedVarianceRatio,
  };
}
