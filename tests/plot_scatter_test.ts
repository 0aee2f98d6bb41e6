/** Latent scatter and PCA tests: points land where the codes say, PCA finds the right axes. */
import assert from "node:assert/strict";
import { type DecodedImage, decodePng, latentScatter, pca, pixelAt } from "../lib/plot/mod.ts";

function hex(color: string): number[] {
  return [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
}

/** Codes in `dims` dimensions: a*u + b*v (+ tiny noise), u, v orthonormal, var(a) >> var(b). */
function planeCodes(count: number, dims: number) {
  const u = new Float64Array(dims);
  const v = new Float64Array(dims);
  for (let k = 0; k < dims; k++) {
    u[k] = Math.sin(k + 1);
    v[k] = Math.cos(3 * k + 2);
  }
  const norm = (x: Float64Array) => x.map((e) => e / Math.hypot(...x));
  const un = norm(u);
  const dot = un.reduce((s, e, k) => s + e * v[k], 0);
  const vn = norm(v.map((e, k) => e - dot * un[k]));
  const codes = new Float32Array(count * dims);
  const a = new Float64Array(count);
  const b = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    a[i] = 3 * Math.sin(i * 1.7);
    b[i] = Math.cos(i * 2.3);
    for (let k = 0; k < dims; k++) {
      codes[i * dims + k] = a[i] * un[k] + b[i] * vn[k] + 0.001 * Math.sin(i * k);
    }
  }
  return { codes, u: un, v: vn, a, b };
}

Deno.test("pca recovers the principal plane and its variance shares", () => {
  const { codes, u, v } = planeCodes(400, 32);
  const result = pca(codes, { dims: 32 });
  const cosine = (x: Float64Array, y: Float64Array) =>
    Math.abs(x.reduce((s, e, k) => s + e * y[k], 0));
  assert.ok(cosine(result.axes[0], u) > 0.999, "first axis is u");
  assert.ok(cosine(result.axes[1], v) > 0.999, "second axis is v");
  const [r0, r1] = result.explainedVarianceRatio;
  assert.ok(r0 > r1 && r0 + r1 > 0.999, `ratios ${r0}, ${r1}`);
  // projections are the centred codes dotted with the axes
  const i = 17;
  let expected = 0;
  for (let k = 0; k < 32; k++) expected += (codes[i * 32 + k] - result.mean[k]) * result.axes[0][k];
  assert.ok(Math.abs(result.projected[i * 2] - expected) < 1e-9);
  assert.throws(() => pca(codes.subarray(0, 32), { dims: 32 }), /at least 2 points/);
  assert.throws(() => pca(codes, { dims: 32, components: 33 }), /components/);
});

Deno.test("latentScatter (2-D): each point is drawn in its class colour at its position", async () => {
  // off the tick values, so no grid line runs under a point
  const codes = [[-1.7, -1.3], [1.6, 1.8], [-1.4, 1.7], [1.3, -1.6], [0.3, 0.2]];
  const labels = [0, 1, 2, 3, 9];
  const fig = latentScatter({ codes, labels, pointRadius: 4 });
  assert.equal(fig.layout.projection, "identity");
  const png: DecodedImage = await decodePng(fig.toPng());
  const s = fig.scale;
  codes.forEach(([u, v], i) => {
    const [x, y] = fig.layout.toPixel(u, v);
    assert.ok(x > fig.layout.area.x && x < fig.layout.area.x + fig.layout.area.width);
    const got = pixelAt(png, x * s, y * s);
    // drawn at 70 % opacity over white
    const want = hex(fig.layout.colors[labels[i]]).map((c) => 0.7 * c + 0.3 * 255);
    got.forEach((g, k) => assert.ok(Math.abs(g - want[k]) <= 6, `point ${i}: ${got} vs ${want}`));
  });
  // Equal aspect: a unit step in u and in v cover the same number of pixels.
  const [x0, y0] = fig.layout.toPixel(0, 0);
  const [x1] = fig.layout.toPixel(1, 0);
  const [, y1] = fig.layout.toPixel(0, 1);
  assert.ok(Math.abs((x1 - x0) - (y0 - y1)) < 1e-9);
  // Between points there is background.
  const [mx, my] = fig.layout.toPixel(-0.7, -0.35);
  assert.ok(pixelAt(png, mx * s, my * s).every((c) => c >= 225), "background or light grid");
});

Deno.test("latentScatter (32-D): PCA projection, stated in the title", () => {
  const { codes, a } = planeCodes(300, 32);
  const labels = Array.from({ length: 300 }, (_, i) => i % 10);
  const fig = latentScatter({ codes, dims: 32, labels, title: "VAE means" });
  assert.equal(fig.layout.projection, "pca");
  assert.equal(fig.layout.title, "VAE means: PCA of 32-D codes");
  assert.equal(fig.title, "VAE means: PCA of 32-D codes");
  // the plotted points are the PCA projection ...
  assert.deepEqual(Array.from(fig.layout.points), Array.from(pca(codes, { dims: 32 }).projected));
  // ... whose first coordinate is (up to sign and centring) the large-variance factor a
  const first = Array.from({ length: 300 }, (_, i) => fig.layout.points[2 * i]);
  const meanA = a.reduce((x, y) => x + y, 0) / 300;
  const meanP = first.reduce((x, y) => x + y, 0) / 300;
  let sab = 0, saa = 0, sbb = 0;
  first.forEach((p, i) => {
    sab += (p - meanP) * (a[i] - meanA);
    saa += (a[i] - meanA) ** 2;
    sbb += (p - meanP) ** 2;
  });
  assert.ok(Math.abs(sab / Math.sqrt(saa * sbb)) > 0.999, "|correlation| with a");
});

Deno.test("latentScatter rejects mismatched labels, bad classes, 1-D and NaN codes", () => {
  assert.throws(
    () => latentScatter({ codes: [[0, 0], [1, 1]], labels: [0] }),
    /2 codes but 1 labels/,
  );
  assert.throws(() => latentScatter({ codes: [[0, 0]], labels: [10] }), /class indices 0\.\.9/);
  assert.throws(() => latentScatter({ codes: [[0, 0]], labels: [1.5] }), /class indices/);
  assert.throws(() => latentScatter({ codes: [[0], [1]], labels: [0, 1] }), /at least 2/);
  assert.throws(() => latentScatter({ codes: [[0, NaN]], labels: [0] }), /codes\[1\] is NaN/);
  assert.throws(() => latentScatter({ codes: [], labels: [] }), /empty|flat array/);
  assert.throws(() => latentScatter({ codes: new Float32Array(6), labels: [0, 0] }), /pass dims/);
  assert.throws(
    () => latentScatter({ codes: new Float32Array(7), dims: 2, labels: [0, 0] }),
    /not a multiple of dims/,
  );
  assert.throws(
    () => latentScatter({ codes: [[0, 0], [1, 1, 1]], labels: [0, 0] }),
    /codes\[1\] has 3 values, expected 2/,
  );
});

Deno.test("latentScatter clips the axes to quantiles, so one outlier cannot squeeze the cloud", async () => {
  // 1,000 codes within ±15 and one at (70, -70), as one far code did in notebook 1's scatter.
  const codes: number[][] = [];
  for (let i = 0; i < 1000; i++) {
    codes.push([15 * Math.sin(i * 1.7), 15 * Math.cos(i * 2.3)]);
  }
  codes.push([70, -70]);
  const labels = codes.map((_, i) => i % 10);
  const fig = latentScatter({ codes, labels });
  const [lo, hi] = fig.layout.x.domain;
  assert.ok(hi - lo < 33 && lo > -17 && hi < 17, `x axis ${lo}..${hi}`);
  assert.equal(fig.layout.outside, 1);
  assert.match(fig.layout.note, /0\.5%–99\.5% quantiles.*1 of 1,001 codes lie outside/);
  // The note is drawn: dark ink in the band under the axis labels.
  const png = await decodePng(fig.toPng());
  const { area } = fig.layout;
  const y = Math.round((area.y + area.height + 60) * fig.scale);
  let ink = 0;
  for (let x = area.x * fig.scale; x < (area.x + 200) * fig.scale; x++) {
    if (pixelAt(png, x, y)[0] < 180) ink++;
  }
  assert.ok(ink > 5, `note ink ${ink}`);
  // Without clipping the axes reach the outlier, and nothing is said.
  const all = latentScatter({ codes, labels, clipQuantiles: false });
  assert.ok(all.layout.x.domain[1] >= 70);
  assert.equal(all.layout.outside, 0);
  assert.equal(all.layout.note, "");
  assert.throws(
    () => latentScatter({ codes, labels, clipQuantiles: [0.9, 0.1] }),
    /clipQuantiles is \[0\.9, 0\.1\]/,
  );
});
