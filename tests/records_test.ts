/**
 * The one run-record format (lib/records): written and read back, today's notebook records (no
 * version field) still read, and every other file refused with an error naming it and the fix.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  buildRunRecord,
  parseRunRecord,
  readRunRecord,
  RUN_RECORD_FORMAT,
  type RunRecord,
  RunRecordError,
  summarizeSavedTraining,
  writeRunRecord,
} from "../lib/records/mod.ts";
import { readHeadlineMetrics } from "../lib/report/mod.ts";

function contents() {
  return {
    name: "convolutional",
    title: "Convolutional autoencoder",
    quick: false,
    settings: {
      kind: "convolutional",
      latentDim: 32,
      seed: 0,
      epochs: 2,
      batchSize: 128,
      learningRate: 1e-3,
      validationSize: 5000,
    },
    training: {
      epochs: 2,
      secondsPerEpoch: 14.5,
      wallSeconds: 29,
      imagesPerSecond: 3800,
      history: [
        { epoch: 1, trainLoss: 0.05, valLoss: 0.04, seconds: 15, imagesPerSecond: 3700 },
        { epoch: 2, trainLoss: 0.03, valLoss: 0.03, seconds: 14, imagesPerSecond: 3900 },
      ],
      backend: "blas",
    },
    evaluation: {
      kind: "convolutional",
      latentDim: 32,
      parameters: 278_369,
      testImages: 10_000,
      mse: 0.0216,
      bce: 0.1769,
      psnr: 17.51,
      psnrOfMeanMse: 16.6,
      ssim: 0.806,
      perClass: [],
      knn: { k: 4, accuracy: 0.947, referenceCount: 55_000, rawPixelBaseline: 0.9178 },
      seconds: 20,
    },
  };
}

Deno.test("a run record is written atomically and read back equal, with its headline metrics", async () => {
  const dir = await Deno.makeTempDir({ prefix: "records_" });
  try {
    assert.equal(await readRunRecord(join(dir, "run")), undefined, "no record yet");
    const record = buildRunRecord(contents());
    assert.equal(record.format, RUN_RECORD_FORMAT);
    assert.equal(record.version, 1);
    await writeRunRecord(join(dir, "run"), record);
    assert.deepEqual(
      [...Deno.readDirSync(join(dir, "run"))].map((e) => e.name),
      ["metrics.json"],
      "no temporary file left",
    );
    assert.deepEqual(await readRunRecord(join(dir, "run")), record);
    assert.deepEqual(await readRunRecord(join(dir, "run", "metrics.json")), record);
    const headline = (await readHeadlineMetrics(join(dir, "run", "metrics.json")))!;
    assert.equal(headline.knnAccuracy, 0.947);
    assert.equal(headline.secondsPerEpoch, 14.5);
    assert.equal(headline.negativeElbo, undefined);
    // A record no reader would accept is never written.
    const broken = { ...record, evaluation: { ...record.evaluation, mse: "low" } };
    await assert.rejects(
      writeRunRecord(join(dir, "broken"), broken as unknown as RunRecord),
      /missing or mistyped: evaluation\.mse \(number\)/,
    );
    await assert.rejects(Deno.stat(join(dir, "broken", "metrics.json")), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("today's notebook records (format kmnist-experiment, no version) still read", () => {
  const { name, title, quick, settings, training, evaluation } = contents();
  const legacy = {
    format: "kmnist-experiment",
    name,
    title,
    quick,
    settings: { ...settings, notebook: "03_convolutional.ipynb", runDirectory: "/x" },
    training,
    evaluation,
    savedAt: "2026-12-01T10:00:00.000Z",
  };
  const record = parseRunRecord("runs/convolutional/metrics.json", JSON.stringify(legacy));
  assert.equal(record.version, undefined);
  assert.equal(record.evaluation.mse, 0.0216);
});

Deno.test("files of another format are refused, naming the file, what it holds and the fix", () => {
  const file = "runs/conv/metrics.json";
  const refuse = (text: string, pattern: RegExp) => {
    assert.throws(() => parseRunRecord(file, text), (error: unknown) => {
      assert.ok(error instanceof RunRecordError);
      assert.equal(error.file, file);
      assert.match(error.message, /runs\/conv\/metrics\.json/);
      assert.match(error.message, pattern);
      return true;
    });
  };
  // The flat metrics older `deno task train` runs wrote.
  refuse(
    JSON.stringify({ ...contents().evaluation, training: { epochs: 2 } }),
    /flat test metrics .*deno task train --evaluate-only --out/,
  );
  // A design-study trial record.
  refuse(
    JSON.stringify({ format: "kmnist-study-trial", version: 1 }),
    /not a run record \(format "kmnist-study-trial", expected "kmnist-experiment"\)/,
  );
  refuse("{ not json", /corrupt \(not JSON/);
  refuse("[1, 2]", /not a JSON object/);
  refuse(
    JSON.stringify({ ...buildRunRecord(contents()), version: 7 }),
    /version 7 run record; this code reads version 1/,
  );
  const { training: _, ...withoutTraining } = buildRunRecord(contents());
  refuse(JSON.stringify(withoutTraining), /incomplete run record \(missing or mistyped: training/);
});

Deno.test("a saved run's training summary: the checkpoint's epochs, history.json's timing when given", () => {
  const history = contents().training.history;
  const state = {
    epoch: 2,
    step: 20,
    history,
    seed: 0,
    batchSize: 128,
    learningRate: 1e-3,
    trainCount: 300,
  };
  const derived = summarizeSavedTraining(state, undefined);
  assert.deepEqual(derived, {
    epochs: 2,
    secondsPerEpoch: 14.5,
    wallSeconds: 29,
    imagesPerSecond: 3800,
    history,
    backend: "unknown",
  });
  const timed = summarizeSavedTraining(state, {
    wallSeconds: 31,
    imagesPerSecond: 3500,
    backend: "blas",
  });
  assert.equal(timed.wallSeconds, 31);
  assert.equal(timed.imagesPerSecond, 3500);
  assert.equal(timed.backend, "blas");
  assert.equal(timed.secondsPerEpoch, 14.5);
});
