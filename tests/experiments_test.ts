/**
 * lib/experiments/mod.ts: full and quick settings, run folders, data subsets on the real KMNIST files,
 * class examples, records and the comparison helpers, and the denoising study on real models.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@kmnist/tfjs-blas";
import { imagesAsFloats, KMNIST_CLASSES } from "../lib/data/mod.ts";
import { buildModel } from "../lib/models/mod.ts";
import type { EvaluationReport } from "../lib/metrics/mod.ts";
import type { TrainResult } from "../lib/train/mod.ts";
import * as ex from "../lib/experiments/mod.ts";
import { summarizeTraining } from "../lib/records/mod.ts";

Deno.test("experiment settings: full runs as specified, quick mode smaller and in its own folder", () => {
  for (const name of ex.EXPERIMENT_NAMES) {
    const full = ex.experimentSettings(name, { quick: false });
    const quick = ex.experimentSettings(name, { quick: true });
    assert.equal(full.epochs, 10);
    assert.equal(full.batchSize, 128);
    assert.equal(full.validationSize, 5000);
    assert.equal(full.trainImages, undefined);
    assert.equal(full.testImages, undefined);
    assert.equal(quick.epochs, 1);
    assert.ok(quick.trainImages! <= 5000 && quick.testImages! < 10000);
    assert.notEqual(full.runDirectory, quick.runDirectory);
    assert.ok(full.metricsFile.startsWith(full.runDirectory));
    assert.ok(quick.runDirectory.includes(join("runs", "quick")));
    assert.match(full.notebook, new RegExp(`^0\\d_${name}\\.ipynb$`));
  }
  assert.equal(ex.experimentSettings("variational", { quick: false }).latentDim, 2);
  assert.equal(ex.experimentSettings("convolutional", { quick: false }).kind, "convolutional");
  assert.throws(
    () => ex.experimentSettings("dense" as ex.ExperimentName),
    /Unknown experiment "dense": use one of vanilla, multilayer/,
  );
});

Deno.test("experiment data on the real files: quick subsets, and examples of every class", async () => {
  const settings = ex.experimentSettings("vanilla", { quick: true });
  const data = await ex.loadExperimentData(settings);
  assert.equal(data.train.count, settings.trainImages);
  assert.equal(data.validation.count, settings.validationSize);
  assert.equal(data.test.count, settings.testImages);
  const rows = ex.examplesPerClass(data.test, 2);
  assert.equal(rows.length, 2);
  for (const row of rows) {
    assert.deepEqual(
      Array.from(row, (i) => data.test.labels[i]),
      KMNIST_CLASSES.map((c) => c.index),
    );
  }
  assert.notDeepEqual(rows[0], rows[1]);
  assert.deepEqual(ex.classCaptions().slice(0, 2), ["お o", "き ki"]);
  const floats = imagesAsFloats(data.test, [rows[0][3]]);
  const bytes = data.test.images.subarray(rows[0][3] * 784, rows[0][3] * 784 + 784);
  assert.ok(floats.every((v, p) => Math.abs(v - bytes[p] / 255) < 1e-6));
  const picks = ex.sampleIndices(data.test.count, 12, 1);
  assert.equal(new Set(picks).size, 12);
  assert.deepEqual(picks, ex.sampleIndices(data.test.count, 12, 1), "seeded");
});

function fakeRecord(
  name: ex.ExperimentName,
  mse: number,
  options: { knn?: number; elbo?: number } = {},
): ex.ExperimentRecord {
  const settings = ex.experimentSettings(name, { quick: true });
  const evaluation = {
    kind: settings.kind,
    latentDim: settings.latentDim,
    parameters: 1000 * (ex.EXPERIMENT_NAMES.indexOf(name) + 1),
    testImages: 100,
    mse,
    bce: mse * 4,
    psnr: 10 * Math.log10(1 / mse),
    psnrOfMeanMse: 10 * Math.log10(1 / mse),
    ssim: 1 - mse * 5,
    perClass: [],
    ...(options.knn === undefined ? {} : {
      knn: { k: 4, accuracy: options.knn, referenceCount: 100, rawPixelBaseline: 0.921 },
    }),
    ...(options.elbo === undefined
      ? {}
      : { vae: { negativeElbo: options.elbo, reconstruction: options.elbo - 5, kl: 5 } }),
    seconds: 1,
  } as EvaluationReport;
  const result = {
    history: [{ epoch: 1, trainLoss: mse, valLoss: mse, seconds: 2, imagesPerSecond: 50 }],
    wallSeconds: 2,
    imagesPerSecond: 50,
  } as unknown as TrainResult;
  return {
    format: "kmnist-experiment",
    name,
    title: settings.title,
    quick: true,
    settings,
    training: summarizeTraining(result, "cpu"),
    evaluation,
    savedAt: "2026-01-01T00:00:00.000Z",
  };
}

Deno.test("records: saved atomically as JSON, rows, columns, comparisons and ranking from numbers", async () => {
  const vanilla = fakeRecord("vanilla", 0.04, { knn: 0.8 });
  const conv = fakeRecord("convolutional", 0.02, { knn: 0.9 });
  const vae = fakeRecord("variational", 0.05, { knn: 0.6, elbo: 150 });
  const dir = await Deno.makeTempDir({ prefix: "experiments_test_" });
  try {
    const settings = {
      ...conv.settings,
      runDirectory: join(dir, "run"),
      metricsFile: join(dir, "run", "metrics.json"),
    };
    const saved = await ex.saveExperimentRecord(settings, {
      result: {
        history: conv.training.history,
        wallSeconds: 2,
        imagesPerSecond: 50,
      } as unknown as TrainResult,
      evaluation: conv.evaluation,
      backend: "blas",
      extra: { note: 1 },
    });
    const read = JSON.parse(await Deno.readTextFile(settings.metricsFile));
    assert.deepEqual(read, JSON.parse(JSON.stringify(saved)));
    assert.equal(read.training.backend, "blas");
    assert.equal(read.training.secondsPerEpoch, 2);
    assert.deepEqual([...Deno.readDirSync(join(dir, "run"))].map((e) => e.name), ["metrics.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }

  const row = ex.comparisonRow(conv);
  assert.equal(row.name, "Convolutional");
  assert.equal(row.values.knnAccuracy, 90);
  assert.equal(row.values.negativeElbo, undefined);
  assert.deepEqual(
    ex.columnsWithValues([row]).map((c) => c.key),
    ["parameters", "secondsPerEpoch", "mse", "bce", "psnr", "ssim", "knnAccuracy"],
  );
  assert.ok(
    ex.columnsWithValues([row, ex.comparisonRow(vae)]).some((c) => c.key === "negativeElbo"),
  );

  const text = ex.compareWithPrevious(conv, [vanilla]);
  assert.match(text, /test MSE 0\.0200/);
  assert.match(text, /vs Vanilla autoencoder: MSE 0\.0400 \(-50%\)/);
  assert.match(text, /k-NN 80\.0% \(10\.0 points\)/);
  assert.match(ex.compareWithPrevious(vanilla, []), /No earlier experiment/);

  const ranking = ex.rankingSummary([vanilla, conv, vae]);
  assert.match(
    ranking,
    /test MSE, best first: Convolutional 0\.0200, Vanilla 0\.0400, Variational 0\.0500/,
  );
  assert.match(ranking, /k-NN acc\. \(%\), best first: Convolutional 90\.0, Vanilla 80\.0/);
  assert.doesNotMatch(ranking, /ELBO/, "one model only: no ranking");
});

Deno.test("denoising study: noise level measured on real images, models compared, no tensor leaks", async () => {
  await initBackend({ backend: "cpu" });
  const data = await ex.loadExperimentData(ex.experimentSettings("convolutional", { quick: true }));
  const test = { ...data.test, count: 200, images: data.test.images.subarray(0, 200 * 784) };
  const denoiser = buildModel({ kind: "vanilla", latentDim: 8, seed: 1 });
  const plain = buildModel({ kind: "vanilla", latentDim: 8, seed: 2 });
  const before = tf.memory().numTensors;
  try {
    const result = ex.denoisingStudy({
      denoiser,
      plain,
      test,
      stddev: 0.3,
      seed: 5,
      shown: [0, 1],
    });
    assert.equal(tf.memory().numTensors, before);
    // Gaussian noise of std 0.3 clipped to [0, 1]: the MSE is below 0.09 but well above 0.
    assert.ok(result.noisyMse > 0.02 && result.noisyMse < 0.09, `noisy MSE ${result.noisyMse}`);
    for (const key of ["denoisedMse", "plainOnNoisyMse", "plainOnCleanMse"] as const) {
      assert.ok(result[key] > 0 && Number.isFinite(result[key]), key);
    }
    assert.equal(result.shown.noisy.length, 2 * 784);
    assert.deepEqual(result.shown.clean, imagesAsFloats(test, [0, 1]));
    assert.notDeepEqual(result.shown.noisy, result.shown.clean);
    const again = ex.denoisingStudy({ denoiser, plain, test, stddev: 0.3, seed: 5, shown: [0, 1] });
    assert.equal(again.noisyMse, result.noisyMse, "seeded noise");
  } finally {
    denoiser.dispose();
    plain.dispose();
  }
});
