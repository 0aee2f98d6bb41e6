/**
 * Ex-post density estimation (lib/metrics/gaussian_mixture.ts): EM recovers a known mixture, its
 * log-likelihood never falls, the density integrates like one, and seeded fits and samples repeat.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@kmnist/tfjs-blas";
import { createRandom } from "../lib/data/mod.ts";
import {
  fitGaussianMixture,
  gaussianStatistics,
  mixtureLogDensity,
  sampleGaussianMixture,
} from "../lib/metrics/mod.ts";

await initBackend({ backend: "blas" });

function close(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} vs ${expected} (tolerance ${tolerance})`,
  );
}

/** A known 2-D mixture of three correlated Gaussians. */
const TRUTH = {
  weights: [0.5, 0.3, 0.2],
  means: [[0, 0], [6, 1], [-3, 7]],
  // Cholesky factors [l00, l10, l11] of the covariances.
  lower: [[1, 0.5, 0.8], [0.6, -0.3, 1.2], [1.5, 0, 0.4]],
};

function drawTruth(count: number, seed: number): Float32Array {
  const random = createRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const out = new Float32Array(count * 2);
  for (let i = 0; i < count; i++) {
    let u = random(), c = 0;
    while (c < 2 && u >= TRUTH.weights[c]) u -= TRUTH.weights[c++];
    const [l00, l10, l11] = TRUTH.lower[c];
    const e0 = normal(), e1 = normal();
    out[i * 2] = TRUTH.means[c][0] + l00 * e0;
    out[i * 2 + 1] = TRUTH.means[c][1] + l10 * e0 + l11 * e1;
  }
  return out;
}

Deno.test("fitGaussianMixture recovers a known mixture's weights, means and covariances", () => {
  const data = drawTruth(6000, 1);
  const gmm = fitGaussianMixture(data, { dims: 2, components: 3, seed: 0 });
  assert.ok(gmm.converged, `converged in ${gmm.iterations} iterations`);
  for (let t = 0; t < 3; t++) {
    // Match each true component to the nearest fitted mean.
    let c = 0, best = Infinity;
    for (let k = 0; k < 3; k++) {
      const dist = (gmm.means[k * 2] - TRUTH.means[t][0]) ** 2 +
        (gmm.means[k * 2 + 1] - TRUTH.means[t][1]) ** 2;
      if (dist < best) [best, c] = [dist, k];
    }
    close(gmm.weights[c], TRUTH.weights[t], 0.03, `weight ${t}`);
    close(gmm.means[c * 2], TRUTH.means[t][0], 0.1, `mean ${t} x`);
    close(gmm.means[c * 2 + 1], TRUTH.means[t][1], 0.1, `mean ${t} y`);
    const [l00, l10, l11] = TRUTH.lower[t];
    const cov = [l00 * l00, l00 * l10, l00 * l10, l10 * l10 + l11 * l11];
    for (let i = 0; i < 4; i++) {
      close(gmm.covariances[c * 4 + i], cov[i], 0.12 * Math.max(1, Math.abs(cov[i])), `cov ${t}`);
    }
  }
  // The mean log-density of fresh data from the truth is close to the fit's training value.
  const fresh = mixtureLogDensity(gmm, drawTruth(4000, 2));
  const average = fresh.reduce((a, b) => a + b, 0) / fresh.length;
  close(average, gmm.logLikelihoods.at(-1)!, 0.1, "held-out log-likelihood");
});

Deno.test("EM's log-likelihood never decreases, with 10 components on 32-D data", () => {
  const random = createRandom(5);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const d = 32, n = 3000;
  const centres = Array.from({ length: 6 * d }, () => 3 * normal());
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = i % 6;
    for (let j = 0; j < d; j++) data[i * d + j] = centres[c * d + j] + normal() * (1 + j / d);
  }
  const tensors = tf.memory().numTensors;
  const gmm = fitGaussianMixture(data, {
    dims: d,
    components: 10,
    seed: 3,
    maxIterations: 40,
    tolerance: 1e-7,
  });
  assert.equal(tf.memory().numTensors, tensors, "every tensor disposed");
  const trace = gmm.logLikelihoods;
  assert.ok(trace.length >= 10, `${trace.length} E-steps`);
  assert.ok(
    trace.at(-1)! > trace[0] + 0.1,
    `EM improved on k-means: ${trace[0]} -> ${trace.at(-1)}`,
  );
  for (let i = 1; i < trace.length; i++) {
    assert.ok(trace[i] >= trace[i - 1] - 1e-5, `step ${i}: ${trace[i - 1]} -> ${trace[i]}`);
  }
  let sum = 0;
  for (const w of gmm.weights) sum += w;
  close(sum, 1, 1e-12, "weights sum to 1");
});

Deno.test("the mixture's density integrates to 1 (2-D grid)", () => {
  const gmm = fitGaussianMixture(drawTruth(2000, 4), { dims: 2, components: 3, seed: 1 });
  const step = 0.1, grid: number[] = [];
  for (let x = -12; x < 14; x += step) for (let y = -6; y < 12; y += step) grid.push(x, y);
  const logs = mixtureLogDensity(gmm, grid);
  let mass = 0;
  for (const v of logs) mass += Math.exp(v) * step * step;
  close(mass, 1, 1e-3, "integral of the density");
});

Deno.test("seeded fits and samples repeat bit for bit; samples follow the mixture", () => {
  const data = drawTruth(3000, 6);
  const a = fitGaussianMixture(data, { dims: 2, components: 3, seed: 7 });
  const b = fitGaussianMixture(data, { dims: 2, components: 3, seed: 7 });
  assert.deepEqual(a.means, b.means);
  assert.deepEqual(a.covariances, b.covariances);
  const s1 = sampleGaussianMixture(a, 20000, { seed: 2 });
  assert.deepEqual(s1, sampleGaussianMixture(a, 20000, { seed: 2 }), "same seed");
  assert.notDeepEqual(s1.subarray(0, 10), sampleGaussianMixture(a, 10, { seed: 3 }), "new seed");
  // The samples' mean and covariance match the mixture's moments.
  const moments = gaussianStatistics(s1, { dims: 2, exact: true });
  const mean = [0, 0];
  for (let k = 0; k < 3; k++) {
    for (let j = 0; j < 2; j++) mean[j] += a.weights[k] * a.means[k * 2 + j];
  }
  const cov = [0, 0, 0, 0];
  for (let k = 0; k < 3; k++) {
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 2; j++) {
        cov[i * 2 + j] += a.weights[k] *
          (a.covariances[k * 4 + i * 2 + j] +
            (a.means[k * 2 + i] - mean[i]) * (a.means[k * 2 + j] - mean[j]));
      }
    }
  }
  for (let j = 0; j < 2; j++) close(moments.mean[j], mean[j], 0.08, `sample mean ${j}`);
  for (let i = 0; i < 4; i++) {
    close(moments.covariance[i], cov[i], 0.05 * Math.abs(cov[i]) + 0.1, `cov ${i}`);
  }
});

Deno.test("fitGaussianMixture refuses bad input with the fix", () => {
  assert.throws(() => fitGaussianMixture([1, 2, 3], { dims: 2 }), /not a whole number of 2-D/);
  assert.throws(() => fitGaussianMixture([1, 2, 3, 4], { dims: 2, components: 3 }), /2 points/);
  assert.throws(
    () =>
      fitGaussianMixture(Float32Array.from({ length: 40 }, (_, i) => (i === 7 ? NaN : i)), {
        dims: 2,
        components: 2,
      }),
    /value 7 is NaN/,
  );
});

Deno.test("a collapsed code (a constant and a near-constant dimension) still fits and samples", () => {
  const random = createRandom(12);
  const n = 3000, d = 4;
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    data[i * d] = 0.25; // a dimension that never moves (a collapsed VAE's posterior mean)
    data[i * d + 1] = 3 + 1e-6 * random();
    data[i * d + 2] = random() + (i % 3);
    data[i * d + 3] = random() - (i % 2);
  }
  const gmm = fitGaussianMixture(data, { dims: d, seed: 0 });
  const samples = sampleGaussianMixture(gmm, 1000, { seed: 0 });
  for (let i = 0; i < 1000; i++) {
    // Only the floor (1e-6 x the mean variance, sd ~ 5e-4 here) spreads it.
    assert.ok(Math.abs(samples[i * d] - 0.25) < 5e-3, `constant dimension: ${samples[i * d]}`);
    assert.ok(Number.isFinite(samples[i * d + 2]));
  }
});
