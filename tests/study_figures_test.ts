/**
 * The design study's analysis (lib/study) and its figures (lib/plot through lib/notebook's steps):
 * series per architecture, baselines, Pareto fronts, decoded samples, the log cost axes.
 */
import assert from "node:assert/strict";
import { IMAGE_PIXELS } from "../lib/data/mod.ts";
import { bytesToBase64 } from "../lib/format/mod.ts";
import {
  costPanels,
  costPoints,
  knnLines,
  mseLines,
  paretoFront,
  rateDistortionLines,
  reconstructionRows,
  sampleReconstructions,
  studyRows,
  type TrialRecord,
} from "../lib/study/mod.ts";
import { codeSizeFigure, decodePng, reconstructionsByCodeSize } from "../lib/plot/mod.ts";
import {
  type DesignStudy,
  studyCostFigure,
  studyKnnFigure,
  studyMseFigure,
  studyRateDistortion,
  studyTable,
} from "../lib/notebook/mod.ts";

function record(
  architecture: string,
  latentDim: number,
  mse: number | undefined,
  extra: { beta?: number; parameters?: number; seconds?: number; rate?: number } = {},
): TrialRecord {
  const samples = bytesToBase64(new Uint8Array(2 * IMAGE_PIXELS).fill(200));
  return {
    format: "kmnist-study-trial",
    version: 1,
    key: `${architecture}${latentDim}${extra.beta ?? ""}`,
    label: `${architecture} z=${latentDim}${extra.beta ? ` β=${extra.beta}` : ""}`,
    settings: {
      architecture: architecture as TrialRecord["settings"]["architecture"],
      latentDim,
      ...(extra.beta !== undefined ? { beta: extra.beta } : {}),
      validationSize: 100,
      splitSeed: 0,
      knnK: 4,
    },
    results: {
      parameters: extra.parameters ?? latentDim * 1000,
      testImages: 100,
      ...(mse !== undefined ? { mse, bce: 0.2, psnr: 15, ssim: 0.5 } : {}),
      knnAccuracy: 0.5 + latentDim / 200,
      knnReferences: 300,
      ...(extra.rate !== undefined
        ? {
          vae: { negativeElbo: 200 + extra.rate, distortion: 200 - extra.rate, rate: extra.rate },
        }
        : {}),
      ...(mse !== undefined ? { samples: { indices: [0, 1], reconstructions: samples } } : {}),
    },
    timing: { secondsPerEpoch: extra.seconds, evaluationSeconds: 1, backend: "cpu" },
    source: "study",
    savedAt: "2026-01-01T00:00:00.000Z",
  };
}

const RECORDS: TrialRecord[] = [
  record("pixels", 784, undefined, { parameters: 0 }),
  record("pca", 2, 0.08),
  record("pca", 8, 0.05),
  record("vanilla", 2, 0.07, { seconds: 0.5 }),
  record("vanilla", 8, 0.04, { seconds: 0.6 }),
  record("variational", 2, 0.09, { seconds: 14, rate: 6 }),
  record("variational", 8, 0.06, { seconds: 14, rate: 15 }),
  record("variational", 8, 0.07, { seconds: 14, rate: 9, beta: 2 }),
];

const STUDY: DesignStudy = { settings: {} as DesignStudy["settings"], records: RECORDS };

Deno.test("paretoFront keeps the points no other beats on both cost and MSE", () => {
  const front = paretoFront([
    { name: "a", cost: 1, mse: 0.5 },
    { name: "b", cost: 2, mse: 0.6 },
    { name: "c", cost: 3, mse: 0.2 },
    { name: "d", cost: 3, mse: 0.3 },
    { name: "e", cost: 9, mse: 0.1 },
  ]);
  assert.deepEqual(front.map((p) => p.name), ["a", "c", "e"]);
  // PCA has no training epochs: it is on the parameters front only.
  assert.ok(costPoints(RECORDS, "parameters").some((p) => p.name.startsWith("pca")));
  assert.ok(!costPoints(RECORDS, "secondsPerEpoch").some((p) => p.name.startsWith("pca")));
  const [parameters, seconds] = costPanels(RECORDS);
  assert.deepEqual(parameters.lines.map((l) => l.name), ["PCA", "vanilla", "variational"]);
  assert.deepEqual(seconds.lines.map((l) => l.name), ["vanilla", "variational"]);
  assert.deepEqual(parameters.front.map((p) => p.name), ["vanilla z=2", "vanilla z=8"]);
});

Deno.test("analysis: code-size lines (β = 1 only), the pixel baseline, rate-distortion, samples", () => {
  const mse = mseLines(RECORDS);
  assert.deepEqual(mse.map((l) => l.name), ["PCA", "vanilla", "variational"]);
  assert.deepEqual(mse[2], {
    name: "variational",
    codeSizes: [2, 8],
    values: [0.09, 0.06],
    dashed: false,
  });
  assert.equal(mse[0].dashed, true);
  const knn = knnLines(RECORDS);
  assert.equal(knn.pixels, (0.5 + 784 / 200) * 100);
  assert.deepEqual(knn.lines[1].values, [51, 54]);
  assert.throws(() => mseLines([RECORDS[0]]), /no finished trials with reconstructions/);
  const rd = rateDistortionLines(RECORDS);
  // Each line in the order of its setting (β; code size), not of its rate.
  assert.deepEqual(rd.map((l) => l.rates), [[15, 9], [6, 15]]);
  assert.deepEqual(rd[0].labels, ["β=1", "β=2"]);
  assert.deepEqual(rd[1].labels, ["z=2", "z=8"]);
  // The samples decode back to the grey levels written (200 / 255), one image per index.
  const samples = sampleReconstructions(RECORDS[3]);
  assert.equal(samples.length, 2 * IMAGE_PIXELS);
  assert.ok(samples.every((v) => v === Math.fround(200 / 255)));
  assert.deepEqual(reconstructionRows(RECORDS, "vanilla").map((r) => r.codeSize), [2, 8]);
  assert.throws(() => reconstructionRows(RECORDS, "multilayer"), /no finished multilayer trials/);
  const rows = studyRows(RECORDS);
  assert.equal(rows.length, RECORDS.length);
  assert.equal(rows[0].name, "pixels z=784");
  assert.equal(rows.at(-1)!.name, "variational z=8 β=2");
  assert.equal(rows.at(-1)!.values.rate, 9);
});

Deno.test("code-size figures: a line per architecture on log2 sizes, the pixels as a flat line", async () => {
  const mse = studyMseFigure(STUDY);
  assert.equal(mse.layout.panels[0].colors.length, 3, "PCA, vanilla, variational (β=1 only)");
  const [x0] = mse.layout.panels[0].toPixel(1, 0.05);
  const [x1] = mse.layout.panels[0].toPixel(3, 0.05);
  assert.ok(x1 > x0);
  // The log2 axis is labelled with the code sizes themselves.
  const x = mse.layout.panels[0].x;
  assert.deepEqual(x.labels, x.ticks.map((t) => String(2 ** t)));
  assert.ok(x.labels.includes("2") && x.labels.includes("8"), x.labels.join(" "));
  const knn = studyKnnFigure(STUDY);
  assert.equal(knn.layout.panels[0].colors.length, 4, "three sweeps and the raw pixels");
  const png = await decodePng(knn.toPng());
  assert.ok(png.width > 400 && png.height > 300);
  assert.throws(
    () => codeSizeFigure({ title: "t", lines: [], yLabel: "y" }),
    /no lines to draw/,
  );
});

Deno.test("β figure, cost figure (log axes), reconstruction grid and table draw from the records", () => {
  const beta = studyRateDistortion(STUDY);
  assert.equal(beta.layout.panels[0].colors.length, 2, "β sweep and code-size sweep");
  const cost = studyCostFigure(STUDY);
  assert.equal(cost.layout.panels.length, 2);
  // Costs are drawn on a log x axis of the costs themselves (not their log10 on a linear one).
  const px = cost.layout.panels[0].x;
  assert.equal(px.kind, "log");
  const [a] = cost.layout.panels[0].toPixel(2000, 0.05);
  const [b] = cost.layout.panels[0].toPixel(8000, 0.05);
  const [c] = cost.layout.panels[0].toPixel(32000, 0.05);
  assert.ok(Math.abs((b - a) - (c - b)) < 1e-6, "equal ratios are equal distances");
  assert.ok(px.labels.some((l) => l !== ""), px.labels.join(" "));
  const grid = reconstructionsByCodeSize({
    title: "vanilla",
    originals: new Float32Array(2 * IMAGE_PIXELS),
    rows: reconstructionRows(RECORDS, "vanilla"),
  });
  assert.deepEqual(grid.layout.rowTitles, ["original", "z = 2", "z = 8"]);
  // The table is HTML: two tables (the measures split for the page), each with every trial.
  const table = studyTable(STUDY);
  const tables = [...table.html.matchAll(/<table[\s\S]*?<\/table>/g)].map((m) => m[0]);
  assert.equal(tables.length, 2);
  for (const t of tables) {
    assert.equal([...t.matchAll(/<tr>/g)].length, RECORDS.length + 1, "header and every trial");
  }
  assert.doesNotMatch(table.html, /<img/);
});

Deno.test("rate-distortion figure: legend in z order, every point labelled, coinciding points share one label", async () => {
  const rates: [number, number][] = [[2, 5.54], [4, 0.001], [8, 2.3], [16, 0.002], [32, 0], [
    64,
    0.001,
  ]];
  const records = [
    ...rates.map(([z, rate]) => record("variational", z, 0.1, { rate })),
    ...[[0.25, 14.7], [0.5, 4.5], [2, 0.001], [4, 0]].map(([beta, rate]) =>
      record("variational", 32, 0.1, { beta, rate })
    ),
  ];
  const fig = studyRateDistortion({ settings: STUDY.settings, records });
  const panel = fig.layout.panels[0];
  const png = await decodePng(fig.toPng());
  assert.ok(png.width > 0);
  // The legend names the code sizes in their order (the old figure listed 4, 16, 32, 64, 8, 2).
  assert.deepEqual(panel.names, [
    "β sweep, z=32 (β 0.25, 0.5, 1, 2, 4)",
    "β=1, z=2, 4, 8, 16, 32, 64",
  ]);
  const texts = panel.pointLabels.map((l) => l.text).sort();
  // The collapsed VAEs (rate ≈ 0, the same distortion) sit on one spot: one label per line there.
  assert.deepEqual(
    texts,
    ["z=4, 16, 32, 64", "z=2", "z=8", "β=0.25", "β=0.5", "β=1, 2, 4"].sort(),
  );
  const overlap = (
    a: { x: number; y: number; width: number; height: number },
    b: { x: number; y: number; width: number; height: number },
  ) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  panel.pointLabels.forEach((l, i) => {
    for (const m of panel.pointLabels.slice(i + 1)) {
      assert.ok(!overlap(l.box, m.box), `${l.text}/${m.text}`);
    }
    assert.ok(!overlap(l.box, panel.legend.box), `${l.text} clear of the legend`);
  });
});

Deno.test("study figures: no data point under a legend", () => {
  const inside = (
    b: { x: number; y: number; width: number; height: number },
    x: number,
    y: number,
  ) => x >= b.x - 3 && x <= b.x + b.width + 3 && y >= b.y - 3 && y <= b.y + b.height + 3;
  const sweeps = RECORDS.filter((r) => r.results.mse !== undefined && (r.settings.beta ?? 1) === 1);
  const mse = studyMseFigure(STUDY).layout.panels[0];
  const knn = studyKnnFigure(STUDY).layout.panels[0];
  for (const r of sweeps) {
    const x = Math.log2(r.settings.latentDim);
    const [mx, my] = mse.toPixel(x, r.results.mse!);
    assert.ok(!inside(mse.legend.box, mx, my), `${r.label} under the MSE legend`);
    const [kx, ky] = knn.toPixel(x, r.results.knnAccuracy * 100);
    assert.ok(!inside(knn.legend.box, kx, ky), `${r.label} under the k-NN legend`);
  }
  // Every plotted point of the cost figure stays visible: none falls inside its panel's legend.
  const cost = studyCostFigure(STUDY);
  for (const [p, panel] of cost.layout.panels.entries()) {
    const costKey = p === 0 ? "parameters" : "secondsPerEpoch";
    for (const point of costPoints(RECORDS, costKey)) {
      const [x, y] = panel.toPixel(point.cost, point.mse);
      assert.ok(!inside(panel.legend.box, x, y), `${point.name} under the ${costKey} legend`);
    }
  }
});
