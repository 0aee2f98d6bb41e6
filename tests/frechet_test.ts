/**
 * The Fréchet distance (lib/metrics/frechet.ts) and the statistics it needs (covariance.ts)
 * against closed forms (identical sets, diagonal Gaussians, shifted means, the 2 x 2 trace formula)
 * and an independent float64 matrix square root (Denman-Beavers iteration on S1 S2).
 */
import assert from "node:assert/strict";
import { initBackend } from "@kmnist/tfjs-blas";
import { inverse, Matrix } from "ml-matrix";
import { createRandom } from "../lib/data/mod.ts";
import {
  frechetDistance,
  frechetDistanceOfSets,
  type GaussianStatistics,
  gaussianStatistics,
  sqrtPsd,
} from "../lib/metrics/mod.ts";

await initBackend({ backend: "blas" });

function close(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} vs ${expected} (tolerance ${tolerance})`,
  );
}

function normals(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** A random symmetric positive definite d x d matrix A Aᵀ + d/10 I, row-major. */
function randomSpd(d: number, seed: number): Float64Array {
  const normal = normals(createRandom(seed));
  const a = Array.from({ length: d * d }, () => normal());
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = i === j ? d / 10 : 0;
      for (let k = 0; k < d; k++) s += a[i * d + k] * a[j * d + k];
      out[i * d + j] = s;
    }
  }
  return out;
}

function stats(mean: number[], covariance: Float64Array): GaussianStatistics {
  return { dims: mean.length, count: 1000, mean: Float64Array.from(mean), covariance };
}

function diagonal(values: number[]): Float64Array {
  const d = values.length, out = new Float64Array(d * d);
  values.forEach((v, i) => (out[i * d + i] = v));
  return out;
}

Deno.test("sqrtPsd squares back to its matrix", () => {
  const d = 7, s = randomSpd(d, 1), r = sqrtPsd(s, d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let v = 0;
      for (let k = 0; k < d; k++) v += r[i * d + k] * r[k * d + j];
      close(v, s[i * d + j], 1e-10 * d * d, `(R R)[${i},${j}]`);
      close(r[i * d + j], r[j * d + i], 1e-12, "symmetric");
    }
  }
  assert.throws(() => sqrtPsd([1, 2, 3], 2), /expected 4 values/);
});

Deno.test("Fréchet distance: identical Gaussians 0, diagonal and shifted ones in closed form", () => {
  const d = 6, s = randomSpd(d, 2);
  const same = frechetDistance(stats([1, 2, 3, 4, 5, 6], s), stats([1, 2, 3, 4, 5, 6], s));
  close(same.distance, 0, 1e-9, "identical");
  const shifted = frechetDistance(stats([0, 0, 0, 0, 0, 0], s), stats([1, -2, 0, 0, 3, 0], s));
  close(shifted.distance, 14, 1e-9, "shift: |m1 - m2|^2");
  close(shifted.covarianceTerm, 0, 1e-9, "shift: no covariance term");
  // Diagonal: FD = |m1 - m2|^2 + sum (sigma1 - sigma2)^2.
  const v1 = [1, 4, 9, 0.25], v2 = [4, 1, 9, 2.25];
  const fd = frechetDistance(stats([0, 1, 0, 0], diagonal(v1)), stats([2, 1, 0, -1], diagonal(v2)));
  const expected = 4 + 1 + v1.reduce((a, v, i) => a + (Math.sqrt(v) - Math.sqrt(v2[i])) ** 2, 0);
  close(fd.distance, expected, 1e-12, "diagonal Gaussians");
  assert.throws(
    () => frechetDistance(stats([0], diagonal([1])), stats([0, 0], diagonal([1, 1]))),
    /1 and 2 dimensions/,
  );
});

Deno.test("Fréchet distance: the 2 x 2 trace formula and a Denman-Beavers square root", () => {
  // 2 x 2: tr sqrt(S1^1/2 S2 S1^1/2) = sqrt(tr(S1 S2) + 2 sqrt(det S1 det S2)).
  const s1 = Float64Array.from([2, 0.7, 0.7, 1]), s2 = Float64Array.from([1.5, -0.4, -0.4, 3]);
  const tr12 = s1[0] * s2[0] + s1[1] * s2[2] + s1[2] * s2[1] + s1[3] * s2[3];
  const det = (m: Float64Array) => m[0] * m[3] - m[1] * m[2];
  const cross = Math.sqrt(tr12 + 2 * Math.sqrt(det(s1) * det(s2)));
  const fd = frechetDistance(stats([0, 0], s1), stats([0, 0], s2));
  close(fd.distance, 2 + 1 + 1.5 + 3 - 2 * cross, 1e-12, "2 x 2 closed form");

  // 9-D: tr sqrt(S1 S2) by the Denman-Beavers iteration (float64, no eigendecomposition).
  const d = 9, a = randomSpd(d, 3), b = randomSpd(d, 4);
  const toMatrix = (m: Float64Array) =>
    new Matrix(Array.from({ length: d }, (_, i) => Array.from(m.subarray(i * d, (i + 1) * d))));
  let y = toMatrix(a).mmul(toMatrix(b)), z = Matrix.eye(d);
  for (let i = 0; i < 50; i++) {
    const yNext = Matrix.add(y, inverse(z)).mul(0.5);
    z = Matrix.add(z, inverse(y)).mul(0.5);
    y = yNext;
  }
  let traces = 0;
  for (let i = 0; i < d; i++) traces += a[i * d + i] + b[i * d + i] - 2 * y.get(i, i);
  const fd9 = frechetDistance(stats(new Array(d).fill(0), a), stats(new Array(d).fill(0), b));
  close(fd9.distance, traces, 1e-9 * Math.abs(traces) + 1e-9, "9-D against Denman-Beavers");
});

Deno.test("gaussianStatistics: backend float32 blocks match float64; FD of sampled Gaussians", () => {
  const d = 16, n = 20000;
  const normal = normals(createRandom(9));
  const a = new Float32Array(n * d), b = new Float32Array(n * d);
  const sd = Array.from({ length: d }, (_, j) => 0.5 + j / d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      a[i * d + j] = normal();
      b[i * d + j] = 0.3 + sd[j] * normal();
    }
  }
  const fast = gaussianStatistics(a, { dims: d, blockRows: 4096 });
  const exact = gaussianStatistics(a, { dims: d, exact: true });
  for (let i = 0; i < d * d; i++) {
    close(fast.covariance[i], exact.covariance[i], 1e-5, `covariance ${i}`);
  }
  // Shifting a set moves only the mean term.
  const shifted = a.map((v, i) => v + (i % d === 0 ? 2 : 0));
  close(frechetDistanceOfSets(a, shifted, { dims: d }).distance, 4, 1e-3, "shift by 2 on axis 0");
  close(frechetDistanceOfSets(a, a, { dims: d }).distance, 0, 1e-6, "a set against itself");
  // Against the population value d * 0.09 + sum (1 - sd)^2, up to sampling error (~d^2 / n).
  const population = d * 0.09 + sd.reduce((s, v) => s + (1 - v) ** 2, 0);
  const sampled = frechetDistanceOfSets(a, b, { dims: d }).distance;
  close(sampled, population, 0.05 * population + 2 * d * d / n, "sampled vs population FD");
  assert.throws(() => gaussianStatistics([1, 2, 3], { dims: 2 }), /not a whole number of 2-D/);
  assert.throws(() => gaussianStatistics([1, NaN, 3, 4], { dims: 2 }), /value 1 is NaN/);
});

Deno.test("Fréchet distance with singular covariances (dead feature units) stays exact", () => {
  // Dimension 2 never varies in either set (a dead ReLU unit): the distance is that of the rest.
  const s1 = Float64Array.from([2, 0.5, 0, 0.5, 1, 0, 0, 0, 0]);
  const s2 = Float64Array.from([1, -0.2, 0, -0.2, 3, 0, 0, 0, 0]);
  const full = frechetDistance(stats([0, 1, 0], s1), stats([1, 1, 0], s2));
  const reduced = frechetDistance(
    stats([0, 1], Float64Array.from([2, 0.5, 0.5, 1])),
    stats([1, 1], Float64Array.from([1, -0.2, -0.2, 3])),
  );
  close(full.distance, reduced.distance, 1e-10, "zero-variance dimension");
});
