/**
 * Uncertainty of headline numbers: a seeded percentile bootstrap of a per-image metric's mean, the
 * normal-approximation standard error, Wilson and Clopper-Pearson intervals for accuracies, mean ±
 * sd over seeds, and the one rule the study uses to call a difference a difference: the two 95%
 * intervals separate.
 *
 * ```ts
 * const ci = bootstrapMeanInterval(perImageElbo, { seed: 0 });   // { mean, lower, upper, ... }
 * const acc = wilsonInterval(9612, 10000);                        // { estimate: 0.9612, lower, upper }
 * intervalsSeparate(ci, otherCi);                                 // false: not a difference
 * pairedDifferenceInterval(perImageA, perImageB);                  // same images, paired
 * ```
 *
 * @module
 */
import { createRandom } from "../data/mod.ts";

/** A two-sided interval around an estimate. */
export interface Interval {
  /** The point estimate (a mean, a proportion). */
  estimate: number;
  /** Lower end. */
  lower: number;
  /** Upper end. */
  upper: number;
  /** Nominal coverage, e.g. 0.95. */
  level: number;
}

function checkLevel(where: string, level: number): void {
  if (!(level > 0 && level < 1)) {
    throw new Error(`${where}: level must be in (0, 1), e.g. 0.95, got ${level}.`);
  }
}

function checkValues(where: string, values: ArrayLike<number>, atLeast: number): void {
  if (values.length < atLeast) {
    throw new Error(`${where}: need at least ${atLeast} values, got ${values.length}.`);
  }
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new Error(`${where}: value ${i} is ${values[i]}; every value must be finite.`);
    }
  }
}

/** erf(x) by its Maclaurin series (|x| <= 3) or the continued fraction of erfc (|x| > 3). */
function erf(x: number): number {
  const a = Math.abs(x);
  if (a <= 3) {
    let term = a, sum = a;
    for (let n = 1; n < 200; n++) {
      term *= -a * a / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * sum * 2 / Math.sqrt(Math.PI);
  }
  // erfc(a) = exp(-a^2)/sqrt(pi) * 1/(a + 1/2/(a + 1/(a + 3/2/(a + ...)))), evaluated bottom-up.
  let f = a;
  for (let n = 60; n >= 1; n--) f = a + (n / 2) / f;
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

/** The standard normal distribution function Φ(x). */
export function normalCdf(x: number): number {
  return 0.5 * (1 + erf(x / Math.SQRT2));
}

/** The standard normal quantile Φ⁻¹(p) for p in (0, 1), by bisection on {@link normalCdf}. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`normalQuantile: p must be in (0, 1), got ${p}.`);
  let lo = -40, hi = 40;
  for (let i = 0; i < 200 && hi - lo > 1e-15; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Mean and sample standard deviation (n - 1) of some values. */
export interface MeanSd {
  /** Mean. */
  mean: number;
  /** Sample standard deviation (n - 1; 0 for one value). */
  sd: number;
  /** How many values. */
  count: number;
}

/** Mean ± sample sd, e.g. of one metric over training seeds. */
export function meanSd(values: ArrayLike<number>): MeanSd {
  checkValues("meanSd", values, 1);
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i] - mean) ** 2;
  return { mean, sd: n > 1 ? Math.sqrt(squares / (n - 1)) : 0, count: n };
}

/** Standard error of a mean: sd / sqrt(n). */
export function standardError(values: ArrayLike<number>): number {
  checkValues("standardError", values, 2);
  const { sd, count } = meanSd(values);
  return sd / Math.sqrt(count);
}

/** The normal-approximation interval mean ± z sd/sqrt(n). */
export function normalMeanInterval(values: ArrayLike<number>, level = 0.95): Interval {
  checkLevel("normalMeanInterval", level);
  const { mean } = meanSd(values);
  const half = normalQuantile(0.5 + level / 2) * standardError(values);
  return { estimate: mean, lower: mean - half, upper: mean + half, level };
}

/** Options of {@link bootstrapMeanInterval}. */
export interface BootstrapOptions {
  /** Resamples (default 1,000). */
  resamples?: number;
  /** Seed of the resampling (default 0). */
  seed?: number;
  /** Nominal coverage (default 0.95). */
  level?: number;
}

/** A bootstrap interval, with the spread of the resampled means. */
export interface BootstrapInterval extends Interval {
  /** Standard deviation of the resampled means (the bootstrap standard error). */
  standardError: number;
  /** Resamples drawn. */
  resamples: number;
}

/**
 * Percentile bootstrap interval of the mean of per-item values (e.g. per-test-image -ELBO): B
 * resamples of n items with replacement, seeded; the interval is the (1-level)/2 and (1+level)/2
 * quantiles of the resampled means (linear interpolation between order statistics).
 */
export function bootstrapMeanInterval(
  values: ArrayLike<number>,
  options: BootstrapOptions = {},
): BootstrapInterval {
  const { resamples = 1000, seed = 0, level = 0.95 } = options;
  checkLevel("bootstrapMeanInterval", level);
  checkValues("bootstrapMeanInterval", values, 2);
  if (!Number.isInteger(resamples) || resamples < 2) {
    throw new Error(`bootstrapMeanInterval: resamples must be an integer >= 2, got ${resamples}.`);
  }
  const n = values.length;
  const data = Float64Array.from(values);
  const random = createRandom(seed);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += data[Math.floor(random() * n)];
    means[b] = sum / n;
  }
  means.sort();
  const { sd } = meanSd(means);
  let total = 0;
  for (let i = 0; i < n; i++) total += data[i];
  return {
    estimate: total / n,
    lower: quantileSorted(means, (1 - level) / 2),
    upper: quantileSorted(means, (1 + level) / 2),
    level,
    standardError: sd,
    resamples,
  };
}

/**
 * Percentile bootstrap interval of mean(a_i - b_i) for two models measured on the same items (the
 * same test images resampled together): tighter than comparing two separate intervals, since the
 * images' shared difficulty cancels. A difference whose interval excludes 0 is resolved.
 */
export function pairedDifferenceInterval(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: BootstrapOptions = {},
): BootstrapInterval {
  if (a.length !== b.length) {
    throw new Error(
      `pairedDifferenceInterval: ${a.length} and ${b.length} values; pair the same images.`,
    );
  }
  return bootstrapMeanInterval(Float64Array.from(a, (v, i) => v - b[i]), options);
}

/** The p-quantile of ascending values, interpolating linearly between order statistics. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) throw new Error("quantileSorted: no values.");
  const position = p * (sorted.length - 1);
  const below = Math.floor(position), above = Math.min(sorted.length - 1, below + 1);
  return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
}

function checkCounts(where: string, successes: number, trials: number): void {
  if (!Number.isInteger(trials) || trials < 1) {
    throw new Error(`${where}: trials must be a positive integer, got ${trials}.`);
  }
  if (!Number.isInteger(successes) || successes < 0 || successes > trials) {
    throw new Error(`${where}: successes must be an integer in [0, ${trials}], got ${successes}.`);
  }
}

/**
 * Wilson score interval of a proportion (an accuracy): the recommended binomial interval, good
 * coverage even near 0 or 1 where the normal (Wald) interval fails.
 */
export function wilsonInterval(successes: number, trials: number, level = 0.95): Interval {
  checkCounts("wilsonInterval", successes, trials);
  checkLevel("wilsonInterval", level);
  const z = normalQuantile(0.5 + level / 2);
  const p = successes / trials, z2 = z * z;
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (z / (1 + z2 / trials)) *
    Math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials));
  return {
    estimate: p,
    lower: Math.max(0, centre - half),
    upper: Math.min(1, centre + half),
    level,
  };
}

/** P(X <= k) for X ~ Binomial(n, p): the terms in log space (recursion from j = 0), log-sum-exp. */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  const step = Math.log(p) - Math.log1p(-p);
  const logs = new Float64Array(k + 1);
  logs[0] = n * Math.log1p(-p);
  let max = logs[0];
  for (let j = 0; j < k; j++) {
    logs[j + 1] = logs[j] + Math.log((n - j) / (j + 1)) + step;
    if (logs[j + 1] > max) max = logs[j + 1];
  }
  let sum = 0;
  for (let j = 0; j <= k; j++) sum += Math.exp(logs[j] - max);
  return Math.min(1, Math.exp(max) * sum);
}

/**
 * Clopper-Pearson ("exact") binomial interval: the p whose binomial tails equal (1 - level)/2,
 * found by bisection; conservative (coverage >= level).
 */
export function clopperPearsonInterval(successes: number, trials: number, level = 0.95): Interval {
  checkCounts("clopperPearsonInterval", successes, trials);
  checkLevel("clopperPearsonInterval", level);
  const alpha = (1 - level) / 2;
  // The binomial CDF P(X <= k | p) falls as p grows: bisect for the p where it equals `target`.
  const solve = (k: number, target: number) => {
    let lo = 0, hi = 1;
    for (let i = 0; i < 100; i++) {
      const mid = (lo + hi) / 2;
      if (binomialCdf(k, trials, mid) > target) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  };
  // Lower end: P(X >= s | p) = alpha, i.e. P(X <= s - 1 | p) = 1 - alpha.
  const lower = successes === 0 ? 0 : solve(successes - 1, 1 - alpha);
  // Upper end: P(X <= s | p) = alpha.
  const upper = successes === trials ? 1 : solve(successes, alpha);
  return { estimate: successes / trials, lower, upper, level };
}

/** Whether two intervals do not overlap: the study's rule for calling a difference a difference. */
export function intervalsSeparate(
  a: Pick<Interval, "lower" | "upper">,
  b: Pick<Interval, "lower" | "upper">,
): boolean {
  for (const i of [a, b]) {
    if (!(i.lower <= i.upper)) {
      throw new Error(`intervalsSeparate: an interval has lower ${i.lower} > upper ${i.upper}.`);
    }
  }
  return a.upper < b.lower || b.upper < a.lower;
}
