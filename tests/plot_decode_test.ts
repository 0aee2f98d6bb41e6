/** Tests of the decoder figures: manifold, interpolation strip, prior samples. */
import assert from "node:assert/strict";
import {
  type DecodedImage,
  decodePng,
  interpolationStrip,
  manifold,
  normalCdf,
  normalQuantile,
  pixelAt,
  priorSamples,
} from "../lib/plot/mod.ts";

/** Grey value (0..255) at the centre of image pixel (r, c) of a cell box. */
function cellPixel(
  png: DecodedImage,
  box: { x: number; y: number; width: number; height: number },
  r: number,
  c: number,
  scale: number,
): number {
  const block = box.width / 28;
  return pixelAt(
    png,
    Math.floor((box.x + (c + 0.5) * block) * scale),
    Math.floor((box.y + (r + 0.5) * block) * scale),
  )[0];
}

/** Maps z in [-2, 2] to [0, 1]. */
const level = (z: number) => Math.min(1, Math.max(0, (z + 2) / 4));

Deno.test("manifold: decodes a Normal-quantile grid once and shows cell (i, j) = decode(z1[j], z2[i])", async () => {
  const calls: number[] = [];
  let disposed = 0;
  // left half of each image encodes z1, right half z2; returned as a tensor-like to be disposed
  const decode = (z: Float32Array, count: number) => {
    calls.push(count);
    assert.equal(z.length, count * 2);
    const data = new Float32Array(count * 784);
    for (let n = 0; n < count; n++) {
      for (let p = 0; p < 784; p++) data[n * 784 + p] = level(z[2 * n + (p % 28 < 14 ? 0 : 1)]);
    }
    return { shape: [count, 28, 28, 1], dataSync: () => data, dispose: () => disposed++ };
  };
  const n = 5;
  const fig = manifold({ decode, gridSize: n, quantileRange: [0.05, 0.95] });
  assert.deepEqual(calls, [n * n]);
  assert.equal(disposed, 1, "the returned tensor is disposed");
  const { z1, z2 } = fig.layout;
  assert.ok(Math.abs(z1[0] - -1.6448536) < 1e-6 && Math.abs(z1[n - 1] - 1.6448536) < 1e-6);
  assert.ok(Math.abs(z1[2]) < 1e-9, "centre of an odd grid is z = 0");
  assert.deepEqual(z2, [...z1].reverse(), "z2 decreases downwards");
  const png = await decodePng(fig.toPng());
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const box = fig.layout.cells[i][j];
      const left = cellPixel(png, box, 10, 5, fig.scale);
      const right = cellPixel(png, box, 10, 20, fig.scale);
      assert.ok(Math.abs(left - level(z1[j]) * 255) <= 1, `cell (${i}, ${j}) z1`);
      assert.ok(Math.abs(right - level(z2[i]) * 255) <= 1, `cell (${i}, ${j}) z2`);
    }
  }
});

Deno.test("normalQuantile matches known values and rejects p outside (0, 1)", () => {
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959963985) < 1e-8);
  assert.ok(Math.abs(normalQuantile(0.001) - -3.090232306) < 1e-8);
  assert.ok(Math.abs(normalQuantile(0.8413447461) - 1) < 1e-8);
  assert.throws(() => normalQuantile(0), /strictly between 0 and 1/);
  assert.throws(() => normalQuantile(1), /strictly between 0 and 1/);
});

Deno.test("interpolationStrip: t = 0..1 along the line, endpoints at the ends", async () => {
  // every image is uniformly z[0]
  const decode = (z: Float32Array, count: number) => {
    const dims = z.length / count;
    return Array.from({ length: count }, (_, k) => new Float32Array(784).fill(z[k * dims]));
  };
  const a = new Float32Array(784).fill(0.25);
  const b = new Float32Array(784).fill(0.75);
  const fig = interpolationStrip({
    decode,
    from: [0, 5, 5],
    to: [1, 5, 5],
    steps: 5,
    endpoints: { from: a, to: b },
  });
  const cells = fig.layout.cells[0];
  assert.equal(cells.length, 7);
  const png = await decodePng(fig.toPng());
  const want = [0.25, 0, 0.25, 0.5, 0.75, 1, 0.75];
  cells.forEach((box, j) => {
    const v = cellPixel(png, box, 14, 14, fig.scale);
    assert.ok(Math.abs(v - want[j] * 255) <= 1, `cell ${j}: ${v}`);
  });
  assert.throws(
    () => interpolationStrip({ decode, from: [0, 1], to: [0, 1, 2] }),
    /from has 2 values but to has 3/,
  );
  assert.throws(() => interpolationStrip({ decode, from: [0], to: [1], steps: 1 }), /at least 2/);
  assert.throws(
    () => interpolationStrip({ decode: () => new Float32Array(784), from: [0], to: [1], steps: 3 }),
    /returned 1 images for 3 codes/,
  );
});

Deno.test("priorSamples: seeded N(0, I) draws, deterministic figure, one row per `columns` images", () => {
  const seen: Float32Array[] = [];
  const decode = (z: Float32Array, count: number) => {
    seen.push(z.slice());
    return Array.from({ length: count }, (_, k) => new Float32Array(784).fill(level(z[k * 8])));
  };
  const fig = priorSamples({ decode, latentDim: 8, count: 200, columns: 20, seed: 3 });
  assert.equal(fig.layout.cells.length, 10);
  assert.equal(fig.layout.cells[0].length, 20);
  const z = seen[0];
  assert.equal(z.length, 1600);
  const mean = z.reduce((s, v) => s + v, 0) / z.length;
  const sd = Math.sqrt(z.reduce((s, v) => s + (v - mean) ** 2, 0) / z.length);
  assert.ok(Math.abs(mean) < 0.1 && Math.abs(sd - 1) < 0.1, `mean ${mean}, sd ${sd}`);
  const again = priorSamples({ decode, latentDim: 8, count: 200, columns: 20, seed: 3 });
  assert.deepEqual(seen[1], seen[0], "same seed, same draws");
  assert.deepEqual(again.toPng(), fig.toPng(), "same seed, same PNG");
  priorSamples({ decode, latentDim: 8, count: 200, columns: 20, seed: 4 });
  assert.notDeepEqual(seen[2], seen[0], "another seed, other draws");
  assert.throws(
    () => priorSamples({ decode, latentDim: 0 }),
    /latentDim must be a positive integer/,
  );
});

Deno.test("manifold rejects bad grids and decoders", () => {
  const decode = (_z: Float32Array, count: number) => new Float32Array(count * 784);
  assert.throws(() => manifold({ decode, gridSize: 1 }), /at least 2/);
  assert.throws(() => manifold({ decode, gridSize: 2.5 }), /positive integer/);
  assert.throws(() => manifold({ decode, quantileRange: [0, 0.9] }), /0 < low < high < 1/);
  assert.throws(
    () => manifold({ decode: (_z, n) => new Float32Array(n * 700), gridSize: 3 }),
    /whole number/,
  );
  assert.throws(
    () => manifold({ decode: (_z, n) => new Float32Array(n * 784).fill(NaN), gridSize: 3 }),
    /NaN/,
  );
  // deno-lint-ignore no-explicit-any
  assert.throws(() => manifold({ decode: undefined as any }), /decode must be a function/);
});

Deno.test("normalCdf inverts normalQuantile and matches known values", () => {
  assert.ok(Math.abs(normalCdf(0) - 0.5) < 1e-7);
  assert.ok(Math.abs(normalCdf(1.959963985) - 0.975) < 2e-7);
  assert.ok(Math.abs(normalCdf(-3) - 0.0013498980) < 1e-8);
  for (const p of [0.001, 0.05, 0.3, 0.5, 0.9, 0.999]) {
    assert.ok(Math.abs(normalCdf(normalQuantile(p)) - p) < 2e-7, `p = ${p}`);
  }
  assert.throws(() => normalCdf(NaN), /NaN/);
});

Deno.test("manifold zRange: the grid reaches ±zRange, ticks at whole z sit where Φ(z) falls", async () => {
  const decode = (_z: Float32Array, count: number) => new Float32Array(count * 784).fill(0.5);
  const n = 15;
  const fig = manifold({ decode, gridSize: n, zRange: 3 });
  const { z1, ticks, quantileRange } = fig.layout;
  assert.ok(Math.abs(z1[0] + 3) < 1e-5 && Math.abs(z1[n - 1] - 3) < 1e-5, `${z1[0]}..${z1.at(-1)}`);
  assert.ok(Math.abs(quantileRange[0] - 0.0013499) < 1e-6);
  assert.deepEqual(ticks.map((t) => t.z), [-3, -2, -1, 0, 1, 2, 3]);
  assert.ok(Math.abs(ticks[0].offset) < 1e-4 && Math.abs(ticks[6].offset - (n - 1)) < 1e-4);
  assert.ok(Math.abs(ticks[3].offset - (n - 1) / 2) < 1e-6, "z = 0 at the centre");
  // Equal steps of probability: the cells between z = 0 and 1 outnumber those between 2 and 3.
  const gap = (a: number, b: number) => ticks[b].offset - ticks[a].offset;
  assert.ok(gap(3, 4) > 2.5 * gap(5, 6), `${gap(3, 4)} vs ${gap(5, 6)}`);
  // The tick marks are drawn under the grid at those places (dark ink on the white margin).
  const png = await decodePng(fig.toPng());
  const last = fig.layout.cells[n - 1][0];
  const below = last.y + last.height + 2;
  for (const tick of ticks) {
    const x = last.x + (tick.offset + 0.5) * last.width;
    const [r] = pixelAt(png, Math.round(x * fig.scale), Math.round(below * fig.scale));
    assert.ok(r < 160, `tick mark at z = ${tick.z} (grey ${r})`);
  }
  assert.throws(() => manifold({ decode, zRange: 0 }), /zRange must lie in/);
});
