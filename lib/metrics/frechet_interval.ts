/**
 * How sure a Fréchet distance is: a seeded bootstrap over both feature sets (the samples and the
 * real images they are compared with), giving the distance's standard error and a normal 95%
 * interval around it (Efron & Tibshirani 1993, ch. 13).
 *
 * Each resample draws `n` rows with replacement from each set and recomputes the distance. The
 * distance of finite sets is biased upward (Chong & Forsyth 2020), and resampling with replacement
 * adds more of the same bias, so the resampled distances sit above the estimate: their spread is
 * the standard error, their mean minus the estimate is reported as `bias`, and the interval is
 * centred on the estimate (a percentile interval would be shifted by that bias). The interval
 * measures the sampling noise of a distance between 10,000 samples and 10,000 test images, not the
 * bias every such distance shares.
 *
 * The real images' resamples (their statistics and covariance square roots) are computed once in
 * a {@link FrechetReference} and shared by every model measured against them, so the models'
 * intervals use the same resampled test sets.
 *
 * ```ts
 * const reference = frechetReference(test.features, { dims: 128 });      // 100 resamples, seed 0
 * const fd = frechetInterval(reference, samples.features, { seed: 1 });
 * fd.estimate; fd.lower; fd.upper; fd.standardError;                      // e.g. 260.1 [255.3, 264.9]
 * ```
 *
 * @module
 */
import { deriveSeed } from "../models/common.ts";
import { createRandom } from "../data/mod.ts";
import { type GaussianStatistics, gaussianStatistics, pointCount } from "./covariance.ts";
import { frechetDistance, frechetDistanceWithRoot, sqrtPsd } from "./frechet.ts";
import { type Interval, meanSd, normalQuantile } from "./intervals.ts";

/** Bootstrap resamples by default: enough for a standard error (Efron & Tibshirani: 50-200). */
export const FRECHET_RESAMPLES = 100;

/** The real images' side of the bootstrap, computed once and shared by every model. */
export interface FrechetReference {
  /** Feature size. */
  dims: number;
  /** Statistics of the whole set (the point estimate's). */
  statistics: GaussianStatistics;
  /** Per resample: its statistics and the square root of its covariance. */
  resamples: { statistics: GaussianStatistics; root: Float64Array }[];
}

/** A Fréchet distance with its bootstrap standard error and interval. */
export interface FrechetInterval extends Interval {
  /** Standard deviation of the resampled distances. */
  standardError: number;
  /** Mean of the resampled distances minus the estimate (resampling's own upward bias). */
  bias: number;
  /** Bootstrap resamples. */
  resamples: number;
}

/** Options of {@link frechetReference}. */
export interface FrechetReferenceOptions {
  /** Values per row. */
  dims: number;
  /** Bootstrap resamples (default {@link FRECHET_RESAMPLES}; at least 2). */
  resamples?: number;
  /** Seed of the resampling (default 0). */
  seed?: number;
}

/** `count` rows of `data` drawn with replacement. */
function resampleRows(
  data: ArrayLike<number>,
  count: number,
  dims: number,
  random: () => number,
): Float32Array {
  const out = new Float32Array(count * dims);
  for (let i = 0; i < count; i++) {
    const row = Math.floor(random() * count) * dims;
    for (let j = 0; j < dims; j++) out[i * dims + j] = data[row + j];
  }
  return out;
}

/**
 * The reference side of the bootstrap: the statistics of `features` (`count x dims`, row-major)
 * and of `resamples` seeded resamples of its rows, each with its covariance's square root.
 *
 * @throws Error for fewer than 2 resamples, fewer than 2 rows or a non-finite value.
 */
export function frechetReference(
  features: ArrayLike<number>,
  options: FrechetReferenceOptions,
): FrechetReference {
  const { dims, resamples = FRECHET_RESAMPLES, seed = 0 } = options;
  if (!Number.isInteger(resamples) || resamples < 2) {
    throw new Error(`frechetReference: resamples must be an integer >= 2, got ${resamples}.`);
  }
  const count = pointCount("frechetReference", features, dims);
  const statistics = gaussianStatistics(features, { dims });
  const random = createRandom(seed);
  const drawn: FrechetReference["resamples"] = [];
  for (let b = 0; b < resamples; b++) {
    const resampled = gaussianStatistics(resampleRows(features, count, dims, random), { dims });
    drawn.push({ statistics: resampled, root: sqrtPsd(resampled.covariance, dims) });
  }
  return { dims, statistics, resamples: drawn };
}

/**
 * The Fréchet distance from `features` (`count x dims` samples, row-major) to the reference set,
 * with its bootstrap standard error and a normal interval: estimate ± z·se (a distance is never
 * negative, so the lower end is at least 0). The estimate is
 * `frechetDistance(statistics of features, reference statistics)`, the value
 * `frechetOfOutputs(samples, reference)` reports. Each resample pairs the reference's resample b
 * with a seeded resample of the samples' rows (seed `deriveSeed(seed, b)`).
 *
 * @throws Error when the feature sizes differ, for a bad level, or a non-finite value.
 */
export function frechetInterval(
  reference: FrechetReference,
  features: ArrayLike<number>,
  options: { seed?: number; level?: number } = {},
): FrechetInterval {
  const { seed = 1, level = 0.95 } = options;
  if (!(level > 0 && level < 1)) {
    throw new Error(`frechetInterval: level must be in (0, 1), e.g. 0.95, got ${level}.`);
  }
  const dims = reference.dims;
  if (features.length % dims !== 0) {
    throw new Error(
      `frechetInterval: ${features.length} values are not rows of the reference's ${dims} ` +
        `features; measure the samples with the same classifier as the reference.`,
    );
  }
  const count = features.length / dims;
  const estimate = frechetDistance(gaussianStatistics(features, { dims }), reference.statistics)
    .distance;
  const distances = reference.resamples.map((drawn, b) => {
    const random = createRandom(deriveSeed(seed, b));
    const resampled = gaussianStatistics(resampleRows(features, count, dims, random), { dims });
    return frechetDistanceWithRoot(drawn.statistics, drawn.root, resampled).distance;
  });
  const spread = meanSd(distances), standardError = spread.sd;
  const half = normalQuantile(0.5 + level / 2) * standardError;
  return {
    estimate,
    lower: Math.max(0, estimate - half),
    upper: estimate + half,
    level,
    standardError,
    bias: spread.mean - estimate,
    resamples: spread.count,
  };
}
