/**
 * The study's measurement version 2 on real KMNIST images: intervals that contain their estimate,
 * the VAE's latent usage (with the keras-io design's dead bottleneck units), seeded prior samples,
 * sample quality through a real (small) classifier, and a study whose version-1 records are measured
 * again from their checkpoints without training anything.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@kmnist/tfjs-blas";
import { buildModel, type VariationalAutoencoder } from "../lib/models/mod.ts";
import { evaluate, negativeElbo } from "../lib/metrics/mod.ts";
import { imagesToTensor } from "../lib/data/mod.ts";
import {
  loadStudyData,
  loadTrialRecords,
  measureAutoencoder,
  MEASURES_VERSION,
  prepareInstrument,
  priorSamples,
  runStudy,
  type StudySettings,
  studySettings,
  trialGeneration,
  trialLatent,
  type TrialSettings,
} from "../lib/study/mod.ts";

await initBackend();

const SMALL: StudySettings = {
  ...studySettings({ quick: true }),
  architectures: ["vanilla", "pca"],
  codeSizes: [2],
  betas: [],
  designs: [],
  seeds: [],
  pixelBaseline: false,
  trainImages: 400,
  validationSize: 100,
  testImages: 120,
};

/** One vanilla trial of SMALL's data settings (measureAutoencoder's tests override fields). */
const SMALL_TRIAL: TrialSettings = {
  architecture: "vanilla",
  latentDim: 2,
  epochs: 1,
  batchSize: 64,
  learningRate: 1e-3,
  validationSize: SMALL.validationSize,
  seed: 0,
  splitSeed: SMALL.splitSeed,
  trainImages: SMALL.trainImages,
  testImages: SMALL.testImages,
  knnK: 4,
  iwaeSamples: 5,
  iwaeImages: 20,
};

const data = await loadStudyData({
  architecture: "vanilla",
  latentDim: 2,
  validationSize: SMALL.validationSize,
  splitSeed: SMALL.splitSeed,
  trainImages: SMALL.trainImages,
  testImages: SMALL.testImages,
  knnK: 4,
});

function inside(interval: { lower: number; upper: number } | undefined, value: number) {
  assert.ok(interval, "interval missing");
  assert.ok(
    interval.lower <= value && value <= interval.upper,
    `${value} not in ${JSON.stringify(interval)}`,
  );
  assert.ok(interval.upper > interval.lower, "an interval of test images has width");
}

Deno.test("evaluate: 95% intervals contain each estimate; −ELBO per image averages to −ELBO", () => {
  const vae = buildModel({ kind: "variational", latentDim: 4, seed: 3, design: "mlp" });
  try {
    const report = evaluate(vae, { test: data.test, train: data.train, iwaeSamples: 0 });
    inside(report.intervals?.mse, report.mse);
    inside(report.intervals?.ssim, report.ssim);
    inside(report.intervals?.knnAccuracy, report.knn!.accuracy);
    inside(report.intervals?.negativeElbo, report.vae!.negativeElbo);
    const images = imagesToTensor(data.test);
    const elbo = negativeElbo(vae as VariationalAutoencoder, images, { seed: 0 });
    images.dispose();
    const mean = elbo.perImage.reduce((a, b) => a + b, 0) / elbo.perImage.length;
    assert.ok(
      Math.abs(mean - elbo.negativeElbo) < 1e-3 * elbo.negativeElbo,
      `${mean} vs ${elbo.negativeElbo}`,
    );
    assert.equal(elbo.perImage.length, data.test.count);
  } finally {
    vae.dispose();
  }
});

Deno.test("trialLatent: active units and sorted KL per dimension; dead units only for the keras-io layer", () => {
  const keras = buildModel({ kind: "variational", latentDim: 8, seed: 1 });
  const conv = buildModel({ kind: "variational", latentDim: 8, seed: 1, design: "mlp" });
  const plain = buildModel({ kind: "vanilla", latentDim: 8, seed: 1 });
  try {
    const k = trialLatent(keras, data.test)!;
    assert.equal(k.dims, 8);
    assert.ok(k.activeUnits >= 0 && k.activeUnits <= 8);
    assert.equal(k.klPerDimension.length, 8);
    for (let i = 1; i < 8; i++) assert.ok(k.klPerDimension[i] <= k.klPerDimension[i - 1]);
    assert.equal(k.deadBottleneckUnits?.units, 16);
    assert.ok(k.deadBottleneckUnits!.dead >= 0 && k.deadBottleneckUnits!.dead <= 16);
    assert.equal(trialLatent(conv, data.test)!.deadBottleneckUnits, undefined);
    assert.equal(trialLatent(plain, data.test), undefined);
  } finally {
    [keras, conv, plain].forEach((m) => m.dispose());
  }
});

Deno.test("priorSamples: seeded, in [0, 1], one image per draw", () => {
  const vae = buildModel({ kind: "variational", latentDim: 4, seed: 2, design: "mlp" });
  try {
    const [a, b, c] = [5, 5, 6].map((seed) => priorSamples(vae, 1200, seed));
    assert.deepEqual(a.shape, [1200, 28, 28, 1]);
    assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
    assert.notDeepEqual(
      Array.from(a.dataSync().slice(0, 784)),
      Array.from(c.dataSync().slice(0, 784)),
    );
    const [min, max] = [a.min().dataSync()[0], a.max().dataSync()[0]];
    assert.ok(min >= 0 && max <= 1);
    tf.dispose([a, b, c]);
  } finally {
    vae.dispose();
  }
});

Deno.test("trialGeneration: a real classifier measures prior and ex-post samples, reproducibly", async () => {
  const before = tf.memory().numTensors;
  const instrument = await prepareInstrument({ data, reduced: true });
  const vae = buildModel({ kind: "variational", latentDim: 4, seed: 2, design: "mlp" });
  const ae = buildModel({ kind: "vanilla", latentDim: 4, seed: 2 });
  try {
    assert.equal(instrument.directory, undefined, "a reduced study keeps its classifier in memory");
    assert.ok(instrument.floor >= 0 && Number.isFinite(instrument.floor));
    assert.equal(instrument.testCount, data.test.count);
    const fromPrior = trialGeneration(vae, instrument, data.train, 0);
    const exPost = trialGeneration(ae, instrument, data.train, 0);
    assert.equal(fromPrior.source, "prior");
    assert.equal(exPost.source, "ex-post mixture");
    for (const g of [fromPrior, exPost]) {
      assert.equal(g.samples, data.test.count);
      assert.equal(g.classCounts.reduce((a, b) => a + b, 0), data.test.count);
      assert.ok(g.frechet > 0 && g.classesCovered >= 1 && g.classesCovered <= 10);
      assert.ok(g.meanConfidence > 0 && g.meanConfidence <= 1);
      assert.equal(g.floor, instrument.floor);
      // The distance carries its bootstrap interval; the floor its own, shared by every trial.
      const i = g.frechetInterval!;
      assert.ok(i.lower < g.frechet && g.frechet < i.upper, JSON.stringify(i));
      assert.ok(i.standardError > 0 && i.resamples === 100, JSON.stringify(i));
      assert.deepEqual(g.floorInterval, instrument.floorInterval);
      assert.ok(instrument.floorInterval.lower <= instrument.floor);
    }
    assert.deepEqual(trialGeneration(ae, instrument, data.train, 0), exPost);
    // The study's measurement of a VAE, with the wall seconds of each pass.
    const trial: TrialSettings = {
      ...SMALL_TRIAL,
      architecture: "variational",
      latentDim: 4,
      design: "mlp",
    };
    const { results, parts } = measureAutoencoder(vae, trial, data, instrument);
    assert.ok(results.generation && results.latent && results.vae?.iwaeNll !== undefined);
    for (const pass of ["reconstruction", "elbo", "iwae", "knn", "latent", "generation"] as const) {
      assert.ok(parts[pass]! > 0, `${pass}: ${parts[pass]}`);
    }
    const measuredAe = measureAutoencoder(ae, { ...SMALL_TRIAL, latentDim: 4 }, data);
    assert.deepEqual(
      Object.keys(measuredAe.parts).sort(),
      ["knn", "reconstruction"],
      "no likelihood passes for an autoencoder, no sample passes without an instrument",
    );
  } finally {
    [vae, ae].forEach((m) => m.dispose());
    instrument.dispose();
  }
  assert.equal(tf.memory().numTensors, before, "every tensor disposed");
});

Deno.test("runStudy measures version-1 records again from their checkpoints, training nothing", async () => {
  const directory = await Deno.makeTempDir({ prefix: "study_measures_" });
  try {
    const log: string[] = [];
    const first = await runStudy({
      settings: SMALL,
      directory,
      measureSamples: false,
      adoptNotebookRuns: false,
      log: (l) => log.push(l),
    });
    assert.equal(first.ran, 2);
    assert.ok(first.records.every((r) => r.results.measures === undefined));
    const parts = (label: string, records: typeof first.records) =>
      records.find((r) => r.settings.architecture === label)!.timing.evaluationParts;
    assert.ok(parts("vanilla", first.records)!.reconstruction > 0, "the passes are timed");
    assert.equal(parts("pca", first.records), undefined, "PCA's fit and evaluation are one time");
    const second = await runStudy({
      settings: SMALL,
      directory,
      adoptNotebookRuns: false,
      log: (l) => log.push(l),
    });
    assert.equal(second.ran, 0, "nothing trained again");
    assert.ok(log.filter((l) => l.includes(" measured ")).length === 2, log.join("\n"));
    const records = await loadTrialRecords(directory);
    for (const r of records.values()) {
      assert.equal(r.results.measures, MEASURES_VERSION, r.label);
      assert.ok(r.results.generation && r.results.intervals, r.label);
      const before = first.records.find((f) => f.key === r.key)!;
      assert.equal(r.results.mse, before.results.mse, "the same model measured again");
      if (r.settings.architecture === "vanilla") {
        assert.ok(r.timing.evaluationParts!.generation! > 0, "measured again: samples timed");
      }
      assert.deepEqual(r.results.losses, before.results.losses);
    }
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
});
