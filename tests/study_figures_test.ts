/** The design study's figures from records: series per architecture, baselines, Pareto fronts. */
import assert from "node:assert/strict";
import type { TrialRecord } from "../lib/study/mod.ts";
import { decodePng } from "../lib/plot/mod.ts";
import {
  betaRateDistortion,
  costFigure,
  costPoints,
  knnByCodeSize,
  mseByCodeSize,
  paretoFront,
  reconstructionsByCodeSize,
  studyRows,
  studyTable,
} from "../lib/plot/study_figures.ts";

function record(
  architecture: string,
  latentDim: number,
  mse: number | undefined,
  extra: { beta?: number; parameters?: number; seconds?: number; rate?: number } = {},
): TrialRecord {
  const samples = btoa(String.fromCharCode(...new Uint8Array(2 * 784).fill(200)));
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
});

Deno.test("code-size figures: a line per architecture on log2 sizes, the pixels as a flat line", async () => {
  const mse = mseByCodeSize(RECORDS);
  assert.equal(mse.layout.panels[0].colors.length, 3, "PCA, vanilla, variational (β=1 only)");
  const [x0] = mse.layout.panels[0].toPixel(1, 0.05);
  const [x1] = mse.layout.panels[0].toPixel(3, 0.05);
  assert.ok(x1 > x0);
  // The log2 axis is labelled with the code sizes themselves.
  const x = mse.layout.panels[0].x;
  assert.deepEqual(x.labels, x.ticks.map((t) => String(2 ** t)));
  assert.ok(x.labels.includes("2") && x.labels.includes("8"), x.labels.join(" "));
  const knn = knnByCodeSize(RECORDS);
  assert.equal(knn.layout.panels[0].colors.length, 4, "three sweeps and the raw pixels");
  const png = await decodePng(knn.toPng());
  assert.ok(png.width > 400 && png.height > 300);
  assert.throws(() => mseByCodeSize([RECORDS[0]]), /no finished trials with reconstructions/);
});

Deno.test("β figure, cost figure, reconstruction grid and table draw from the records", async () => {
  const beta = betaRateDistortion(RECORDS);
  assert.equal(beta.layout.panels[0].colors.length, 2, "β sweep and code-size sweep");
  const cost = costFigure(RECORDS);
  assert.equal(cost.layout.panels.length, 2);
  const grid = reconstructionsByCodeSize(RECORDS, "vanilla", new Float32Array(2 * 784));
  assert.deepEqual(grid.layout.rowTitles, ["original", "z = 2", "z = 8"]);
  assert.throws(
    () => reconstructionsByCodeSize(RECORDS, "multilayer", new Float32Array(2 * 784)),
    /no finished multilayer trials/,
  );
  const rows = studyRows(RECORDS);
  assert.equal(rows.length, RECORDS.length);
  assert.equal(rows[0].name, "pixels z=784");
  assert.equal(rows.at(-1)!.name, "variational z=8 β=2");
  const table = studyTable(RECORDS);
  assert.equal(table.layout.texts.length, RECORDS.length + 1);
  assert.ok((await decodePng(table.toPng())).width > 500);
});
