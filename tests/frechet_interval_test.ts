/**
 * The Fréchet distance's bootstrap interval (lib/metrics/frechet_interval.ts): its estimate is the
 * plain distance bit for bit, its resamples are seeded, and its standard error matches the spread
 * the distance really has over independent draws of both sets (so the 95% intervals cover the
 * distance's mean about 95% of the time), on Gaussians whose distance is known.
 */
import assert from "node:assert/strict";
import { initBackend } from "@kmnist/tfjs-blas";
import { createRandom } from "../lib/data/mod.ts";
import {
  frechetDistanceOfSets,
  frechetInterval,
  frechetReference,
  meanSd,
} from "../lib/metrics/mod.ts";

await initBackend({ backend: "blas" });

/** `count` rows of N(mean, diag(variances)), seeded. */
function gaussianRows(
  count: number,
  mean: number[],
  variances: number[],
  seed: number,
): Float32Array {
  const random = createRandom(seed);
  const d = mean.length, out = new Float32Array(count * d);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < d; j++) {
      const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      out[i * d + j] = mean[j] + Math.sqrt(variances[j]) * normal;
    }
  }
  return out;
}

const DIMS = 4;
const SHIFTED = [0.5, 0, 0, 0], WIDER = [1.5, 1, 1, 1];
const ORIGIN = [0, 0, 0, 0], UNIT = [1, 1, 1, 1];

Deno.test("frechetInterval: the plain distance as estimate, seeded, narrower with more points", () => {
  const test = gaussianRows(2000, ORIGIN, UNIT, 1);
  const samples = gaussianRows(2000, SHIFTED, WIDER, 2);
  const reference = frechetReference(test, { dims: DIMS, resamples: 50, seed: 3 });
  const interval = frechetInterval(reference, samples, { seed: 4 });
  // frechetOfOutputs(samples, test) is frechetDistance(samples' statistics, test's): the same bits.
  assert.equal(interval.estimate, frechetDistanceOfSets(samples, test, { dims: DIMS }).distance);
  assert.ok(interval.lower < interval.estimate && interval.estimate < interval.upper);
  assert.equal(interval.resamples, 50);
  assert.equal(interval.level, 0.95);
  // Symmetric around the estimate: estimate ± 1.96 standard errors.
  assert.ok(
    Math.abs(interval.upper - interval.estimate - 1.959964 * interval.standardError) < 1e-5,
  );
  assert.ok(
    Math.abs(interval.estimate - interval.lower - 1.959964 * interval.standardError) < 1e-5,
  );
  // Resampling with replacement raises the distance of finite sets: the bias is positive.
  assert.ok(interval.bias > 0, `bias ${interval.bias}`);
  // Seeded: the same seeds give the same interval, another sample seed another one.
  const again = frechetInterval(
    frechetReference(test, { dims: DIMS, resamples: 50, seed: 3 }),
    samples,
    {
      seed: 4,
    },
  );
  assert.deepEqual(again, interval);
  assert.notEqual(
    frechetInterval(reference, samples, { seed: 5 }).standardError,
    interval.standardError,
  );
  // A 99% interval is wider than the 95% one around the same estimate.
  const wide = frechetInterval(reference, samples, { seed: 4, level: 0.99 });
  assert.ok(wide.upper - wide.lower > interval.upper - interval.lower);
  // A quarter of the points: about twice the standard error (1/sqrt(n)).
  const few = frechetInterval(
    frechetReference(test.subarray(0, 500 * DIMS), { dims: DIMS, resamples: 50, seed: 3 }),
    samples.subarray(0, 500 * DIMS),
    { seed: 4 },
  );
  const ratio = few.standardError / interval.standardError;
  assert.ok(ratio > 1.4 && ratio < 2.8, `standard error ratio ${ratio} for 4x fewer points`);
});

Deno.test("frechetInterval: the bootstrap standard error is the distance's spread over fresh draws", () => {
  // 40 independent experiments: fresh test and sample sets of 400 points each time. The true
  // distance here is 0.25 + (1.5 + 1 - 2 sqrt(1.5)) = 0.2505, and the finite-set estimate is biased
  // above it; the intervals must cover the estimates' own mean about 95% of the time, and the
  // bootstrap standard error must match the estimates' spread.
  const experiments = 40, n = 400;
  const estimates: number[] = [], errors: number[] = [];
  const intervals: { lower: number; upper: number }[] = [];
  for (let e = 0; e < experiments; e++) {
    const test = gaussianRows(n, ORIGIN, UNIT, 100 + e);
    const samples = gaussianRows(n, SHIFTED, WIDER, 200 + e);
    const interval = frechetInterval(
      frechetReference(test, { dims: DIMS, resamples: 100, seed: e }),
      samples,
      { seed: 1000 + e },
    );
    estimates.push(interval.estimate);
    errors.push(interval.standardError);
    intervals.push(interval);
  }
  const spread = meanSd(estimates);
  const typicalError = meanSd(errors).mean;
  const ratio = typicalError / spread.sd;
  assert.ok(
    ratio > 0.7 && ratio < 1.45,
    `bootstrap standard error ${typicalError} vs the estimates' sd ${spread.sd} (ratio ${ratio})`,
  );
  const covered = intervals.filter((i) => i.lower <= spread.mean && spread.mean <= i.upper).length;
  assert.ok(covered >= 34, `${covered} of ${experiments} intervals cover the estimates' mean`);
  assert.ok(spread.mean > 0.2505, "the finite-set distance is biased above the true one");
});

Deno.test("frechetInterval: bad input is refused with the fix; the lower end is never negative", () => {
  const test = gaussianRows(200, ORIGIN, UNIT, 7);
  assert.throws(
    () => frechetReference(test, { dims: DIMS, resamples: 1 }),
    /resamples must be an integer >= 2, got 1/,
  );
  assert.throws(() => frechetReference(test, { dims: 3 }), /not a whole number of 3-D points/);
  const reference = frechetReference(test, { dims: DIMS, resamples: 20 });
  assert.throws(
    () => frechetInterval(reference, new Float32Array(30)),
    /30 values are not rows of the reference's 4 features; measure the samples with the same/,
  );
  assert.throws(() => frechetInterval(reference, test, { level: 1 }), /level must be in \(0, 1\)/);
  // The same distribution, few points: a distance near 0 whose interval would reach below it.
  const same = frechetInterval(reference, gaussianRows(200, ORIGIN, UNIT, 8));
  assert.ok(same.lower >= 0, `lower end ${same.lower}`);
  assert.ok(same.estimate - 1.96 * same.standardError < 0, "the clamp was needed here");
});
