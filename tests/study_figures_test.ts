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
  assert.deepEqual(rd.map((l) => l.rates), [[9, 15], [6, 15]]);
  assert.deepEqual(rd[0].labels, ["β=2", "β=1"]);
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

Deno.test("β figure, cost figure (log axes), reconstruction grid and table draw from the records", async () => {
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
  const table = studyTable(STUDY);
  assert.equal(table.layout.texts.length, RECORDS.length + 1);
  assert.ok((await decodePng(table.toPng())).width > 500);
});
