/**
 * The project's one PCA (lib/metrics/pca.ts) against independent computations: a float64
 * covariance and power iteration in plain JS, the eigen-equation, orthonormal axes, and the
 * Eckart-Young identity (the reconstruction error is the variance of the dropped axes).
 */
import assert from "node:assert/strict";
import { initBackend } from "@kmnist/tfjs-blas";
import { fitPca, pcaProject, pcaReconstruct } from "../lib/metrics/pca.ts";
import { createRandom, loadKmnist } from "../lib/data/mod.ts";

await initBackend({ backend: "blas" });

/** Seeded correlated data: n points in d dims, a random mixing of independent scaled normals. */
function correlated(n: number, d: number, seed: number): Float64Array {
  const random = createRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const mixing = Array.from({ length: d * d }, () => normal());
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: d }, (_, j) => normal() * (d - j));
    for (let a = 0; a < d; a++) {
      let s = 0.5 * a;
      for (let b = 0; b < d; b++) s += mixing[a * d + b] * z[b];
      out[i * d + a] = s;
    }
  }
  return out;
}

/** Covariance (n - 1) in float64, by the definition. */
function covariance(data: Float64Array, d: number): Float64Array {
  const n = data.length / d;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j] / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) {
        cov[a * d + b] += (data[i * d + a] - mean[a]) * (data[i * d + b] - mean[b]) / (n - 1);
      }
    }
  }
  return cov;
}

function multiply(cov: Float64Array, v: ArrayLike<number>, d: number): Float64Array {
  const out = new Float64Array(d);
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) out[a] += cov[a * d + b] * v[b];
  return out;
}

Deno.test("fitPca matches a float64 covariance: eigen-equation, orthonormal axes, power iteration", () => {
  const d = 12, n = 3000;
  const data = correlated(n, d, 7);
  const model = fitPca(data, { dims: d });
  const cov = covariance(data, d);
  let trace = 0;
  for (let a = 0; a < d; a++) trace += cov[a * d + a];
  assert.ok(Math.abs(model.totalVariance - trace) / trace < 1e-5, "total variance");
  for (let c = 0; c < d; c++) {
    const axis = model.axes[c];
    const cv = multiply(cov, axis, d);
    for (let a = 0; a < d; a++) {
      assert.ok(
        Math.abs(cv[a] - model.variances[c] * axis[a]) <= 1e-4 * model.variances[0],
        `C v = lambda v for axis ${c}`,
      );
    }
    for (let e = 0; e <= c; e++) {
      let dot = 0;
      for (let a = 0; a < d; a++) dot += axis[a] * model.axes[e][a];
      assert.ok(Math.abs(dot - (c === e ? 1 : 0)) < 1e-9, `axes ${c}.${e} = ${dot}`);
    }
    if (c > 0) assert.ok(model.variances[c] <= model.variances[c - 1], "decreasing variance");
  }
  // Power iteration on the float64 covariance: the top axis and its variance, independently.
  let v = new Float64Array(d).fill(1);
  for (let iter = 0; iter < 2000; iter++) {
    const w = multiply(cov, v, d);
    const norm = Math.hypot(...w);
    v = w.map((x) => x / norm);
  }
  const lambda = multiply(cov, v, d).reduce((s, x, a) => s + x * v[a], 0);
  assert.ok(Math.abs(lambda - model.variances[0]) / lambda < 1e-5, `top variance ${lambda}`);
  const dot = v.reduce((s, x, a) => s + x * model.axes[0][a], 0);
  assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-6, `top axis agrees (|dot| ${dot})`);
});

Deno.test("PCA reconstruction error is the variance of the dropped axes (Eckart-Young)", () => {
  const d = 10, n = 2000;
  const data = correlated(n, d, 3);
  const model = fitPca(data, { dims: d });
  for (const k of [1, 4, 10]) {
    const codes = pcaProject(model, data, { components: k });
    const back = pcaReconstruct(model, codes, { components: k });
    let sse = 0;
    for (let i = 0; i < data.length; i++) sse += (data[i] - back[i]) ** 2;
    const dropped = model.variances.slice(k).reduce((a, b) => a + b, 0) * (n - 1);
    assert.ok(
      Math.abs(sse - dropped) <= 1e-4 * model.totalVariance * n,
      `k=${k}: ${sse} vs ${dropped}`,
    );
  }
});

Deno.test("PCA of KMNIST pixels: 64 components explain most of the variance; reconstructions clip to [0, 1]", async () => {
  const kmnist = await loadKmnist();
  const pixels = kmnist.train.images.subarray(0, 5000 * 784);
  const model = fitPca(pixels, { dims: 784, components: 64, scale: 1 / 255 });
  const explained = model.explainedVarianceRatio.reduce((a, b) => a + b, 0);
  assert.ok(explained > 0.5 && explained < 1, `64 components explain ${explained}`);
  const codes = pcaProject(model, pixels.subarray(0, 10 * 784), { scale: 1 / 255 });
  const images = pcaReconstruct(model, codes, { clip: [0, 1] });
  assert.ok(images.every((p) => p >= 0 && p <= 1));
});

Deno.test("fitPca and pcaProject name bad input", () => {
  assert.throws(() => fitPca([1, 2, 3], { dims: 2 }), /not a whole number of 2-D points/);
  assert.throws(() => fitPca([1, 2], { dims: 2 }), /at least 2 points/);
  assert.throws(() => fitPca([1, 2, 3, 4], { dims: 2, components: 3 }), /components/);
  assert.throws(() => fitPca([1, NaN, 3, 4], { dims: 2 }), /value 1 is NaN/);
  const model = fitPca([1, 2, 3, 5, 0, 1], { dims: 2, components: 1 });
  assert.throws(() => pcaProject(model, [1, 2], { components: 2 }), /components must be/);
});
