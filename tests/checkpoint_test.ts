/** Tests of checkpoints: round trips, exact resumption, atomic files, errors, no leaks. */
import assert from "node:assert/strict";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@kmnist/tfjs-blas";
import { type ImageSet, imagesToTensor, loadKmnist, takeSubset } from "../lib/data/mod.ts";
import { type Autoencoder, type AutoencoderKind, buildModel } from "../lib/models/mod.ts";
import {
  CHECKPOINT_FILES,
  CHECKPOINT_MANIFEST,
  checkpointFolder,
  createOptimizer,
  denoFileHandler,
  type EpochRecord,
  loadCheckpoint,
  loadModel,
  saveCheckpoint,
  train,
} from "../lib/train/mod.ts";

await initBackend();
const kmnist = await loadKmnist();
const range = (start: number, n: number) => Int32Array.from({ length: n }, (_, i) => start + i);
const TRAIN: ImageSet = takeSubset(kmnist.train, range(1000, 320));
const VALIDATION: ImageSet = takeSubset(kmnist.train, range(40000, 100));

function weightsOf(model: Autoencoder): number[][] {
  return model.model.getWeights().map((w) => Array.from(w.dataSync()));
}

/** The deterministic part of a history (timings differ between runs). */
function losses(history: EpochRecord[]) {
  return history.map(({ seconds: _s, imagesPerSecond: _r, load: _l, ...rest }) => rest);
}

Deno.test("a saved model loads back with identical weights and outputs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kmnist_ckpt_" });
  try {
    const before = tf.memory().numTensors;
    for (const kind of ["multilayer", "variational"] as AutoencoderKind[]) {
      const model = buildModel({ kind, seed: 11, latentDim: kind === "variational" ? 3 : 16 });
      await train(model, { train: TRAIN, epochs: 1, batchSize: 64, progress: "none" });
      const target = path.join(dir, kind);
      await saveCheckpoint(target, { model });
      const loaded = await loadModel(target);
      assert.deepEqual(loaded.config, model.config);
      assert.deepEqual(weightsOf(loaded), weightsOf(model));
      const x = imagesToTensor(VALIDATION, range(0, 8));
      const a = model.reconstruct(x), b = loaded.reconstruct(x);
      assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
      tf.dispose([x, a, b]);
      // The files are a standard tfjs layers model too.
      const plain = await tf.loadLayersModel(denoFileHandler(await checkpointFolder(target)));
      assert.equal(plain.countParams(), model.countParams());
      plain.dispose();
      // Without a training state there is no optimizer to resume.
      const partial = await loadCheckpoint(target);
      assert.equal(partial.optimizer, undefined);
      assert.equal(partial.state, undefined);
      for (const m of [model, loaded, partial.model]) m.dispose();
    }
    assert.equal(tf.memory().numTensors, before, "save/load leaked tensors");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function resumeMatches(kind: AutoencoderKind): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: `kmnist_resume_${kind}_` });
  const options = {
    train: TRAIN,
    validation: VALIDATION,
    batchSize: 64,
    seed: 5,
    progress: "none" as const,
  };
  try {
    const straight = buildModel({ kind, seed: 2 });
    const full = await train(straight, { ...options, epochs: 3 });

    const first = buildModel({ kind, seed: 2 });
    const optimizer = createOptimizer();
    const part = await train(first, { ...options, epochs: 1, optimizer });
    await saveCheckpoint(dir, { model: first, optimizer, state: part.state });
    optimizer.dispose();
    first.dispose();
    const folder = await checkpointFolder(dir);
    for (const file of Object.values(CHECKPOINT_FILES)) await Deno.stat(path.join(folder, file));

    const loaded = await loadCheckpoint(dir);
    assert.ok(loaded.optimizer && loaded.state);
    assert.equal(loaded.state.epoch, 1);
    assert.equal(loaded.state.step, 5);
    const rest = await train(loaded.model, {
      ...options,
      epochs: 3,
      optimizer: loaded.optimizer,
      resume: loaded.state,
    });
    assert.deepEqual(losses(rest.history), losses(full.history));
    assert.deepEqual(weightsOf(loaded.model), weightsOf(straight));
    assert.equal(rest.state.step, full.state.step);
    loaded.optimizer.dispose();
    loaded.model.dispose();
    straight.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("resuming from a checkpoint gives the same history as an uninterrupted run (MSE)", () =>
  resumeMatches("vanilla"));

Deno.test("resuming gives the same history for the VAE (sampling noise seeded by step)", () =>
  resumeMatches("variational"));

Deno.test("train() checkpoints every epoch as one unit, leaving no temporary files", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kmnist_every_" });
  try {
    const model = buildModel({ kind: "vanilla", seed: 0 });
    await train(model, {
      train: TRAIN,
      epochs: 2,
      progress: "none",
      checkpointDirectory: dir,
    });
    const names = [];
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
    const folder = path.basename(await checkpointFolder(dir));
    assert.match(folder, /^checkpoint-0002-[0-9a-f]{8}$/);
    assert.deepEqual(names.sort(), [CHECKPOINT_MANIFEST, folder, "run.lock"].sort());
    const inside = [];
    for await (const entry of Deno.readDir(path.join(dir, folder))) inside.push(entry.name);
    assert.deepEqual(inside.sort(), Object.values(CHECKPOINT_FILES).sort());
    const loaded = await loadCheckpoint(dir);
    assert.equal(loaded.state?.epoch, 2);
    assert.equal(loaded.state?.history.length, 2);
    assert.deepEqual(weightsOf(loaded.model), weightsOf(model));
    loaded.optimizer?.dispose();
    loaded.model.dispose();
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resuming with different options or from nothing fails with a clear message", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kmnist_bad_" });
  try {
    await assert.rejects(loadCheckpoint(dir), /No model checkpoint at .*model\.json/);
    const model = buildModel({ kind: "vanilla", seed: 0 });
    const result = await train(model, { train: TRAIN, epochs: 1, progress: "none" });
    await assert.rejects(
      train(model, { train: TRAIN, epochs: 2, seed: 9, resume: result.state, progress: "none" }),
      /cannot resume: seed was 0, now 9/,
    );
    await Deno.writeTextFile(
      path.join(dir, CHECKPOINT_FILES.model),
      JSON.stringify({ modelTopology: {}, weightsManifest: [] }),
    );
    await assert.rejects(loadModel(dir), /no valid userDefinedMetadata\.autoencoder/);
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
