/**
 * Resume continues the same run or refuses (issue #14, part 1), at the library level: the saved
 * settings apply when left out, a conflicting one is refused naming it and both values, and only
 * values actually used are recorded.
 */
import assert from "node:assert/strict";
import { initBackend } from "@kmnist/tfjs-blas";
import { type ImageSet, loadKmnist, takeSubset } from "../lib/data/mod.ts";
import { type Autoencoder, buildModel } from "../lib/models/mod.ts";
import {
  createOptimizer,
  type EpochRecord,
  loadCheckpoint,
  train,
  type TrainOptions,
} from "../lib/train/mod.ts";

await initBackend();
const kmnist = await loadKmnist();
const range = (start: number, n: number) => Int32Array.from({ length: n }, (_, i) => start + i);
const TRAIN: ImageSet = takeSubset(kmnist.train, range(2000, 256));
const VALIDATION: ImageSet = takeSubset(kmnist.train, range(45000, 100));

function losses(history: EpochRecord[]) {
  return history.map(({ seconds: _s, imagesPerSecond: _r, load: _l, ...rest }) => rest);
}

function weightsOf(model: Autoencoder): number[][] {
  return model.model.getWeights().map((w) => Array.from(w.dataSync()));
}

/** Trains one epoch into a fresh run folder and returns what resuming needs. */
async function oneEpoch(options: Partial<TrainOptions>) {
  const dir = await Deno.makeTempDir({ prefix: "kmnist_resume_settings_" });
  const model = buildModel({ kind: "vanilla", seed: 4 });
  await train(model, {
    train: TRAIN,
    validation: VALIDATION,
    epochs: 1,
    batchSize: 64,
    progress: "none",
    checkpointDirectory: dir,
    ...options,
  });
  model.dispose();
  const loaded = await loadCheckpoint(dir);
  return {
    ...loaded,
    state: loaded.state!,
    optimizer: loaded.optimizer!,
    async close() {
      loaded.model.dispose();
      loaded.optimizer?.dispose();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("a noisy run resumed without noise continues with the saved noise, bit for bit", async () => {
  const noise = { stddev: 0.3, seed: 7 };
  const straight = buildModel({ kind: "vanilla", seed: 4 });
  const full = await train(straight, {
    train: TRAIN,
    validation: VALIDATION,
    epochs: 3,
    batchSize: 64,
    noise,
    progress: "none",
  });
  const part = await oneEpoch({ noise });
  try {
    const rest = await train(part.model, {
      train: TRAIN,
      validation: VALIDATION,
      epochs: 3,
      optimizer: part.optimizer,
      resume: part.state,
      progress: "none",
    });
    assert.deepEqual(rest.state.noise, noise);
    assert.deepEqual(losses(rest.history), losses(full.history));
    assert.deepEqual(weightsOf(part.model), weightsOf(straight));
  } finally {
    straight.dispose();
    await part.close();
  }
});

Deno.test("resume refuses every conflicting setting, naming it, the saved and the given value", async () => {
  const part = await oneEpoch({ learningRate: 0.01, noise: { stddev: 0.2, seed: 1 } });
  try {
    assert.equal(part.state.learningRate, 0.01);
    assert.equal(part.optimizer.getConfig().learningRate, 0.01);
    const base = {
      train: TRAIN,
      validation: VALIDATION,
      epochs: 2,
      resume: part.state,
      progress: "none" as const,
    };
    const cases: [Partial<TrainOptions>, RegExp][] = [
      [{ learningRate: 0.5 }, /learningRate was 0\.01, now 0\.5/],
      [
        { noise: { stddev: 0.3, seed: 1 } },
        /noise was stddev 0\.2, seed 1, now stddev 0\.3, seed 1/,
      ],
      [{ batchSize: 32 }, /batchSize was 64, now 32/],
      [{ validation: takeSubset(VALIDATION, range(0, 50)) }, /validationCount was 100, now 50/],
      [{ validation: undefined }, /validationCount was 100, now 0/],
      [
        { train: takeSubset(kmnist.train, range(3000, 256)) },
        /trainFingerprint was [0-9a-f]{8}, now [0-9a-f]{8}/,
      ],
      [{ epochs: 1 }, /cannot resume to epoch 1: the checkpoint has already trained 1 epoch/],
    ];
    for (const [change, pattern] of cases) {
      await assert.rejects(
        train(part.model, { ...base, batchSize: 64, ...change }),
        pattern,
        JSON.stringify(Object.keys(change)),
      );
    }
    // Nothing was trained by the refused calls.
    assert.equal(part.optimizer.iterations, 4);
  } finally {
    await part.close();
  }
});

Deno.test("only what was used is recorded: the optimizer's learning rate; epochs must be positive", async () => {
  const model = buildModel({ kind: "vanilla", seed: 0 });
  const optimizer = createOptimizer({ learningRate: 0.02 });
  const result = await train(model, { train: TRAIN, epochs: 1, optimizer, progress: "none" });
  assert.equal(result.state.learningRate, 0.02);
  await assert.rejects(
    train(model, { train: TRAIN, epochs: 2, optimizer, learningRate: 0.001, progress: "none" }),
    /learningRate 0\.001 differs from the given optimizer's 0\.02/,
  );
  await assert.rejects(
    train(model, { train: TRAIN, epochs: 0, progress: "none" }),
    /epochs must be a positive integer, got 0/,
  );
  optimizer.dispose();
  model.dispose();
});
