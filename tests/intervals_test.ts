/**
 * lib/metrics/intervals.ts against known values (normal quantiles, Newcombe's 1998 table of
 * binomial intervals) and by coverage on synthetic data with a known mean or proportion.
 */
import assert from "node:assert/strict";
import { createRandom } from "../lib/data/mod.ts";
import {
  binomialCdf,
  bootstrapMeanInterval,
  clopperPearsonInterval,
  intervalsSeparate,
  meanSd,
  normalCdf,
  normalMeanInterval,
  normalQuantile,
  pairedDifferenceInterval,
  standardError,
  wilsonInterval,
} from "../lib/metrics/mod.ts";

function close(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} vs ${expected} (tolerance ${tolerance})`,
  );
}

Deno.test("normalCdf and normalQuantile match tabulated values", () => {
  close(normalCdf(0), 0.5, 1e-15, "Φ(0)");
  close(normalCdf(1), 0.8413447460685429, 1e-14, "Φ(1)");
  close(normalCdf(-1.96), 0.024997895148220435, 1e-14, "Φ(-1.96)");
  close(normalCdf(-3.5), 2.3262907903552504e-4, 1e-15, "Φ(-3.5) (continued fraction)");
  close(1 - normalCdf(5), 2.866515718791939e-7, 1e-13, "1 - Φ(5)");
  close(normalQuantile(0.975), 1.959963984540054, 1e-12, "z 0.975");
  close(normalQuantile(0.995), 2.5758293035489004, 1e-12, "z 0.995");
  close(normalQuantile(0.05), -1.6448536269514722, 1e-12, "z 0.05");
  assert.throws(() => normalQuantile(1), /p must be in \(0, 1\)/);
});

Deno.test("meanSd, standardError and the normal interval of known values", () => {
  const v = [2, 4, 4, 4, 5, 5, 7, 9];
  const { mean, sd, count } = meanSd(v);
  assert.equal(mean, 5);
  assert.equal(count, 8);
  close(sd, Math.sqrt(32 / 7), 1e-15, "sd (n - 1)");
  close(standardError(v), Math.sqrt(32 / 7 / 8), 1e-15, "se");
  const ci = normalMeanInterval(v);
  close(ci.upper - 5, 1.959963984540054 * Math.sqrt(32 / 7 / 8), 1e-11, "half width");
  assert.equal(meanSd([3]).sd, 0, "one seed: sd 0");
  assert.throws(() => meanSd([1, NaN]), /value 1 is NaN/);
});

Deno.test("Wilson and Clopper-Pearson intervals match Newcombe (1998), Table I", () => {
  // [successes, trials, Wilson lower, Wilson upper, exact lower, exact upper], 4 decimals.
  const table: number[][] = [
    [81, 263, 0.2553, 0.3662, 0.2527, 0.3676],
    [15, 148, 0.0624, 0.1605, 0.0578, 0.1617],
    [0, 20, 0, 0.1611, 0, 0.1684],
    [1, 29, 0.0061, 0.1718, 0.0009, 0.1776],
  ];
  for (const [s, n, wl, wu, cl, cu] of table) {
    const w = wilsonInterval(s, n), c = clopperPearsonInterval(s, n);
    close(w.lower, wl, 6e-5, `Wilson lower ${s}/${n}`);
    close(w.upper, wu, 6e-5, `Wilson upper ${s}/${n}`);
    close(c.lower, cl, 6e-5, `exact lower ${s}/${n}`);
    close(c.upper, cu, 6e-5, `exact upper ${s}/${n}`);
    assert.equal(w.estimate, s / n);
  }
  assert.throws(() => wilsonInterval(11, 10), /successes must be an integer in \[0, 10\]/);
});

Deno.test("binomialCdf sums the mass function exactly, even at 10,000 trials", () => {
  // n = 4, p = 0.3: P(X <= 1) = 0.7^4 + 4 * 0.3 * 0.7^3.
  close(binomialCdf(1, 4, 0.3), 0.7 ** 4 + 4 * 0.3 * 0.7 ** 3, 1e-15, "small n");
  // Symmetric case: P(X <= 4999) + P(X <= 5000) = 1 for n = 10,000 and p = 1/2.
  close(binomialCdf(4999, 10000, 0.5) + binomialCdf(5000, 10000, 0.5), 1, 1e-10, "symmetry");
  assert.equal(binomialCdf(-1, 10, 0.5), 0);
  assert.equal(binomialCdf(10, 10, 0.5), 1);
});

Deno.test("Wilson and Clopper-Pearson cover a known proportion about 95% of the time", () => {
  const random = createRandom(11);
  const p = 0.3, n = 100, trials = 2000;
  let wilson = 0, exact = 0;
  for (let t = 0; t < trials; t++) {
    let s = 0;
    for (let i = 0; i < n; i++) if (random() < p) s++;
    const w = wilsonInterval(s, n), c = clopperPearsonInterval(s, n);
    if (w.lower <= p && p <= w.upper) wilson++;
    if (c.lower <= p && p <= c.upper) exact++;
  }
  assert.ok(wilson / trials > 0.93 && wilson / trials < 0.97, `Wilson coverage ${wilson / trials}`);
  assert.ok(exact / trials >= 0.94, `Clopper-Pearson coverage ${exact / trials} (conservative)`);
});

Deno.test("bootstrapMeanInterval: seeded, and covers a known mean about 95% of the time", () => {
  const random = createRandom(3);
  // Exponential data, mean 1 (skewed, like per-image losses).
  const draw = (n: number) => Float64Array.from({ length: n }, () => -Math.log(1 - random()));
  const once = draw(500);
  const a = bootstrapMeanInterval(once, { seed: 5 }), b = bootstrapMeanInterval(once, { seed: 5 });
  assert.deepEqual(a, b, "same seed, same interval");
  assert.notDeepEqual(bootstrapMeanInterval(once, { seed: 6 }), a, "another seed differs");
  assert.ok(a.lower < a.estimate && a.estimate < a.upper);
  close(a.standardError, standardError(once), 0.15 * standardError(once), "bootstrap se ~ sd/√n");
  let covered = 0;
  const trials = 300;
  for (let t = 0; t < trials; t++) {
    const ci = bootstrapMeanInterval(draw(200), { seed: t, resamples: 500 });
    if (ci.lower <= 1 && 1 <= ci.upper) covered++;
  }
  assert.ok(covered / trials > 0.89 && covered / trials < 0.99, `coverage ${covered / trials}`);
  assert.throws(() => bootstrapMeanInterval([1]), /at least 2 values/);
});

Deno.test("intervalsSeparate: overlap is no difference, a gap is", () => {
  assert.equal(intervalsSeparate({ lower: 1, upper: 2 }, { lower: 2.5, upper: 3 }), true);
  assert.equal(intervalsSeparate({ lower: 2.5, upper: 3 }, { lower: 1, upper: 2 }), true);
  assert.equal(intervalsSeparate({ lower: 1, upper: 2 }, { lower: 1.9, upper: 3 }), false);
  assert.equal(intervalsSeparate({ lower: 1, upper: 4 }, { lower: 2, upper: 3 }), false);
  assert.throws(() => intervalsSeparate({ lower: 2, upper: 1 }, { lower: 0, upper: 1 }), /lower 2/);
});

Deno.test("pairedDifferenceInterval resolves a small shift that separate intervals cannot", () => {
  const random = createRandom(8);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  // Per-image losses with a large shared difficulty; model b is better by 0.5 on every image.
  const difficulty = Float64Array.from({ length: 2000 }, () => 300 + 40 * normal());
  const a = difficulty.map((d) => d + 0.5 + 0.2 * normal());
  const b = difficulty.map((d) => d + 0.2 * normal());
  assert.equal(intervalsSeparate(bootstrapMeanInterval(a), bootstrapMeanInterval(b)), false);
  const paired = pairedDifferenceInterval(a, b, { seed: 1 });
  assert.ok(paired.lower > 0.4 && paired.upper < 0.6, `${paired.lower}..${paired.upper}`);
  assert.throws(() => pairedDifferenceInterval([1, 2], [1]), /2 and 1 values/);
});
