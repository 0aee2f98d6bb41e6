/** Learning-curve tests: lines are drawn where the data says, ticks are nice, bad input fails. */
import assert from "node:assert/strict";
import type { EpochRecord } from "../lib/train/progress.ts";
import {
  compareHistories,
  type DecodedImage,
  decodePng,
  historyCurves,
  learningCurves,
  linearScale,
  logScale,
  pixelAt,
} from "../lib/plot/mod.ts";

function hex(color: string): [number, number, number] {
  return [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16)) as [number, number, number];
}

/** Whether a pixel within `radius` of (x, y) has `color` (±tolerance per channel). */
function colorNear(
  png: DecodedImage,
  x: number,
  y: number,
  color: [number, number, number],
  radius = 2,
  tolerance = 40,
): boolean {
  for (let dy = -radius; dy <= radius; dy++) {
    for (let dx = -radius; dx <= radius; dx++) {
      const p = pixelAt(png, x + dx, y + dy);
      if (p.every((v, k) => Math.abs(v - color[k]) <= tolerance)) return true;
    }
  }
  return false;
}

const train = [0.42, 0.3, 0.24, 0.2, 0.18, 0.17, 0.165, 0.16];
const validation = [0.44, 0.33, 0.27, 0.235, 0.22, 0.215, 0.214, 0.216];

Deno.test("learningCurves: line pixels fall on the data points and between them", async () => {
  const fig = learningCurves({
    title: "test curves",
    series: [{ name: "train", values: train }, { name: "validation", values: validation }],
    markers: false,
  });
  const png = await decodePng(fig.toPng());
  const s = fig.scale;
  const panel = fig.layout.panels[0];
  assert.equal(panel.colors.length, 2);
  const colors = panel.colors.map(hex);
  [train, validation].forEach((values, k) => {
    values.forEach((v, e) => {
      const [px, py] = panel.toPixel(e + 1, v);
      assert.ok(
        colorNear(png, px * s, py * s, colors[k]),
        `series ${k} epoch ${e + 1}: no line pixel at (${px}, ${py})`,
      );
      if (e + 1 < values.length) {
        // the midpoint of the segment to the next epoch
        const [qx, qy] = panel.toPixel(e + 1.5, (v + values[e + 1]) / 2);
        assert.ok(colorNear(png, qx * s, qy * s, colors[k]), `series ${k} segment ${e + 1}`);
      }
    });
  });
  // Far from every curve (low in the plot at epoch 2) there is no series colour.
  const [low, high] = panel.y.domain;
  const [fx, fy] = panel.toPixel(2, low + 0.05 * (high - low));
  assert.ok(fy < panel.area.y + panel.area.height, "the probe lies inside the plot area");
  for (const c of colors) assert.ok(!colorNear(png, fx * s, fy * s, c, 3), "no line far away");
  // Data maps inside the plot area, first epoch at the left edge, last at the right edge.
  assert.equal(panel.toPixel(1, 0.3)[0], panel.area.x);
  assert.equal(panel.toPixel(8, 0.3)[0], panel.area.x + panel.area.width);
  const [, yTop] = panel.toPixel(1, Math.max(...validation));
  assert.ok(yTop >= panel.area.y && yTop < panel.area.y + panel.area.height / 2);
});

Deno.test("learningCurves: VAE panels with a log axis keep per-panel transforms", async () => {
  const recon = [260, 180, 150, 140, 135];
  const kl = [2, 5, 7, 8, 8.5];
  const fig = learningCurves({
    panels: [
      { title: "reconstruction", logY: true, series: [{ name: "train", values: recon }] },
      { title: "KL", series: [{ name: "train", values: kl }] },
    ],
    markers: false,
  });
  assert.equal(fig.layout.panels.length, 2);
  const [p0, p1] = fig.layout.panels;
  assert.equal(p0.y.kind, "log");
  assert.equal(p1.y.kind, "linear");
  assert.ok(p1.area.x > p0.area.x + p0.area.width, "second panel to the right");
  // On a log axis equal ratios are equal distances.
  const d1 = p0.toPixel(1, 100)[1] - p0.toPixel(1, 200)[1];
  const d2 = p0.toPixel(1, 200)[1] - p0.toPixel(1, 400)[1];
  assert.ok(Math.abs(d1 - d2) < 1e-6);
  const png = await decodePng(fig.toPng());
  const color = hex(p0.colors[0]);
  assert.equal(p0.colors[0], p1.colors[0], "same series name, same colour in both panels");
  recon.forEach((v, e) => {
    const [x, y] = p0.toPixel(e + 1, v);
    assert.ok(colorNear(png, x * 2, y * 2, color), `recon epoch ${e + 1}`);
  });
  kl.forEach((v, e) => {
    const [x, y] = p1.toPixel(e + 1, v);
    assert.ok(colorNear(png, x * 2, y * 2, color), `KL epoch ${e + 1}`);
  });
});

Deno.test("learningCurves axes: d3 ticks, nice y domain, integer epochs, log decades", () => {
  const fig = learningCurves({ series: [{ name: "train", values: train }] });
  const { x, y } = fig.layout.panels[0];
  assert.ok(x.ticks.every(Number.isInteger), `epoch ticks ${x.ticks}`);
  assert.deepEqual(x.labels, x.ticks.map(String));
  assert.ok(y.domain[0] <= Math.min(...train) && y.domain[1] >= Math.max(...train));
  assert.equal(y.ticks[0], y.domain[0], "the nice y domain starts on a tick");
  y.ticks.forEach((t, i) => assert.ok(Math.abs(Number(y.labels[i]) - t) < 1e-12, y.labels[i]));
  const scale = linearScale([0.13, 0.47], [300, 0]);
  assert.deepEqual(scale.domain, [0.1, 0.5]);
  assert.equal(scale.map(0.1), 300);
  assert.equal(scale.map(0.5), 0);
  assert.equal(scale.format(0.3), "0.3");
  const log = logScale([0.05, 50], [100, 0]);
  assert.ok(log.ticks.includes(0.1) && log.ticks.includes(1) && log.ticks.includes(10));
});

Deno.test("learningCurves rejects empty, NaN, mismatched and non-positive-on-log input", () => {
  assert.throws(() => learningCurves({}), /no curves/);
  assert.throws(() => learningCurves({ series: [] }), /no curves/);
  assert.throws(() => learningCurves({ series: [{ name: "a", values: [] }] }), /empty/);
  assert.throws(
    () => learningCurves({ series: [{ name: "a", values: [0.3, NaN, 0.2] }] }),
    /values\[1\] is NaN/,
  );
  assert.throws(
    () => learningCurves({ series: [{ name: "a", values: [1, 2, 3], epochs: [1, 2] }] }),
    /3 values but 2 epochs/,
  );
  assert.throws(
    () => learningCurves({ logY: true, series: [{ name: "a", values: [1, 0, 3] }] }),
    /log y axis .* value 0/,
  );
});

function history(epochs: number, vae: boolean, offset = 0): EpochRecord[] {
  return Array.from({ length: epochs }, (_, i) => ({
    epoch: i + 1,
    trainLoss: 0.3 / (i + 1) + offset,
    valLoss: 0.32 / (i + 1) + offset,
    ...(vae
      ? {
        trainReconstruction: 200 / (i + 1),
        valReconstruction: 205 / (i + 1),
        trainKl: 5 + i,
        valKl: 5.5 + i,
      }
      : {}),
    seconds: 1,
    imagesPerSecond: 1000,
  }));
}

Deno.test("historyCurves: lib/train histories, three panels for a VAE", async () => {
  const plain = historyCurves(history(6, false));
  assert.equal(plain.layout.panels.length, 1);
  const vae = historyCurves(history(6, true), { title: "VAE" });
  assert.equal(vae.layout.panels.length, 3);
  const kl = vae.layout.panels[2];
  const png = await decodePng(vae.toPng());
  const trainColor = hex(kl.colors[0]);
  for (let e = 1; e <= 6; e++) {
    const [x, y] = kl.toPixel(e, 5 + (e - 1));
    assert.ok(colorNear(png, x * 2, y * 2, trainColor), `KL train epoch ${e}`);
  }
  assert.throws(() => historyCurves([]), /history is empty/);
});

Deno.test("compareHistories: one colour per model, validation dashed", () => {
  const fig = compareHistories({ dense: history(5, false), conv: history(5, false, -0.05) });
  const panel = fig.layout.panels[0];
  assert.equal(panel.colors.length, 4);
  assert.equal(panel.colors[0], panel.colors[1], "dense train and validation share a colour");
  assert.equal(panel.colors[2], panel.colors[3]);
  assert.notEqual(panel.colors[0], panel.colors[2]);
  const only = compareHistories({ dense: history(5, false) }, { validationOnly: true });
  assert.equal(only.layout.panels[0].colors.length, 1);
  assert.throws(() => compareHistories({}), /no histories/);
  assert.throws(() => compareHistories({ dense: [] }), /"dense" is empty/);
});

/** Whether box `b` holds the point (x, y). */
function holds(b: { x: number; y: number; width: number; height: number }, x: number, y: number) {
  return x >= b.x - 4 && x <= b.x + b.width + 4 && y >= b.y - 4 && y <= b.y + b.height + 4;
}

Deno.test("learningCurves legend: inside in a free corner, outside when every corner has data", async () => {
  // Points near all four corners of the plot (and a line through the middle): no corner is free.
  const crowded = [
    { name: "corners a", epochs: [0, 1, 9, 10], values: [0, 9, 9, 0] },
    { name: "corners b", epochs: [0.5, 1, 9, 9.5], values: [10, 1, 1, 10] },
    { name: "middle", epochs: [0, 5, 10], values: [5, 5, 5] },
  ];
  const fig = learningCurves({ series: crowded, markers: true });
  const panel = fig.layout.panels[0];
  assert.equal(panel.legendOutside, true);
  assert.ok(panel.legend.box.x >= panel.area.x + panel.area.width, "legend right of the plot");
  assert.ok(fig.width >= panel.legend.box.x + panel.legend.box.width, "and inside the figure");
  // Every point's marker shows its own colour in the PNG: nothing hides it.
  const png = await decodePng(fig.toPng());
  crowded.forEach((s, i) => {
    s.values.forEach((v, k) => {
      const [x, y] = panel.toPixel(s.epochs[k], v);
      assert.ok(
        colorNear(png, x * fig.scale, y * fig.scale, hex(panel.colors[i]), 2),
        `${s.name} point ${k} visible`,
      );
    });
  });
  // A curve that leaves the top-right corner free keeps its legend there, inside.
  const free = learningCurves({ series: [{ name: "falling", values: [1, 0.5, 0.3, 0.2] }] });
  const p = free.layout.panels[0];
  assert.equal(p.legendOutside, false);
  assert.ok(holds(p.area, p.legend.box.x, p.legend.box.y));
  for (const [k, v] of [1, 0.5, 0.3, 0.2].entries()) {
    const [x, y] = p.toPixel(k + 1, v);
    assert.ok(!holds(p.legend.box, x, y), `point ${k} not under the legend`);
  }
  assert.equal(
    learningCurves({ series: crowded, legend: "inside" }).layout.panels[0].legendOutside,
    false,
  );
});

Deno.test("learningCurves point labels: beside their points, overlapping no label, marker or legend", () => {
  // Four points close together at nearly one height and one apart: labels must avoid each other.
  const series = [{
    name: "β=1",
    epochs: [1, 1.4, 1.8, 2.2, 5],
    values: [100, 100.5, 99.8, 100.2, 60],
    pointLabels: ["z=2", "z=4", "z=8", "z=16", "z=32"],
  }];
  const fig = learningCurves({ series, markers: true });
  const { pointLabels, legend, toPixel } = fig.layout.panels[0];
  assert.deepEqual(pointLabels.map((l) => l.text), ["z=2", "z=4", "z=8", "z=16", "z=32"]);
  const overlap = (
    a: { x: number; y: number; width: number; height: number },
    b: { x: number; y: number; width: number; height: number },
  ) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  pointLabels.forEach((l, i) => {
    pointLabels.slice(i + 1).forEach((m) =>
      assert.ok(!overlap(l.box, m.box), `${l.text}/${m.text}`)
    );
    assert.ok(!overlap(l.box, legend.box), `${l.text} clear of the legend`);
    series[0].epochs.forEach((e, k) => {
      const [x, y] = toPixel(e, series[0].values[k]);
      assert.ok(
        !overlap(l.box, { x: x - 3, y: y - 3, width: 6, height: 6 }),
        `${l.text}/marker ${k}`,
      );
    });
    const [px, py] = l.point;
    const dx = Math.max(l.box.x - px, px - (l.box.x + l.box.width), 0);
    const dy = Math.max(l.box.y - py, py - (l.box.y + l.box.height), 0);
    assert.ok(Math.hypot(dx, dy) <= 45, `${l.text} near its point`);
  });
  // Points on one spot share one label, a shared "z=" written once.
  const same = learningCurves({
    series: [{
      name: "s",
      epochs: [1, 1, 3],
      values: [2, 2, 1],
      pointLabels: ["z=4", "z=16", "z=2"],
    }],
  });
  assert.deepEqual(same.layout.panels[0].pointLabels.map((l) => l.text), ["z=4, 16", "z=2"]);
  assert.throws(
    () => learningCurves({ series: [{ name: "a", values: [1, 2], pointLabels: ["x"] }] }),
    /2 values but 1 pointLabels/,
  );
});
