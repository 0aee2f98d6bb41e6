/**
 * Damaged checkpoints (issue #14, parts 2 and 4): every load checks the files against the manifest
 * and names the damaged file, what is wrong and what to do; broken weights are refused; the files
 * get the permissions the umask gives (part 5).
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@kmnist/tfjs-blas";
import { loadKmnist, takeSubset } from "../lib/data/mod.ts";
import { buildModel } from "../lib/models/mod.ts";
import {
  CHECKPOINT_FILES,
  CHECKPOINT_MANIFEST,
  checkpointFolder,
  createOptimizer,
  denoFileHandler,
  loadCheckpoint,
  loadModel,
  saveCheckpoint,
  train,
} from "../lib/train/mod.ts";

await initBackend();
const kmnist = await loadKmnist();
const TRAIN = takeSubset(kmnist.train, Int32Array.from({ length: 128 }, (_, i) => i));
const FIX = /restore the run folder from a copy, or train again .*--overwrite/;

/** A run folder holding a one-epoch vanilla checkpoint with optimizer and state. */
async function withCheckpoint(body: (dir: string, folder: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "kmnist_damage_" });
  try {
    const model = buildModel({ kind: "vanilla", seed: 0 });
    await train(model, { train: TRAIN, epochs: 1, progress: "none", checkpointDirectory: dir });
    model.dispose();
    await body(dir, await checkpointFolder(dir));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function truncate(file: string, by: number): Promise<void> {
  const bytes = await Deno.readFile(file);
  await Deno.writeFile(file, bytes.subarray(0, bytes.length - by));
}

function message(pattern: RegExp, ...more: RegExp[]) {
  return (error: unknown) => {
    const text = String(error);
    for (const p of [pattern, ...more]) assert.match(text, p);
    return true;
  };
}

Deno.test("a truncated weights.bin or optimizer.bin names the file and the fix", async () => {
  for (const name of [CHECKPOINT_FILES.weights, CHECKPOINT_FILES.optimizer]) {
    await withCheckpoint(async (dir, folder) => {
      await truncate(path.join(folder, name), 100);
      const before = tf.memory().numTensors;
      await assert.rejects(
        loadCheckpoint(dir),
        message(
          new RegExp(
            `${
              name.replace(".", "\\.")
            } is \\d+ bytes, checkpoint\\.json says \\d+: it is truncated`,
          ),
          FIX,
        ),
      );
      assert.equal(tf.memory().numTensors, before, "a failed load leaked tensors");
    });
  }
});

Deno.test("a missing weights.bin, a changed model.json, a damaged manifest: each named", async () => {
  await withCheckpoint(async (dir, folder) => {
    await Deno.remove(path.join(folder, CHECKPOINT_FILES.weights));
    await assert.rejects(
      loadModel(dir),
      message(/weights\.bin is missing: the checkpoint is incomplete/, FIX),
    );
  });
  await withCheckpoint(async (dir, folder) => {
    await Deno.writeTextFile(path.join(folder, CHECKPOINT_FILES.model), "{ not json");
    await assert.rejects(
      loadModel(dir),
      message(/model\.json is \d+ bytes, checkpoint\.json says/),
    );
  });
  await withCheckpoint(async (dir, folder) => {
    // Same size, other bytes: only the checksum can tell.
    const file = path.join(folder, CHECKPOINT_FILES.weights);
    const bytes = await Deno.readFile(file);
    bytes[10] ^= 0xff;
    await Deno.writeFile(file, bytes);
    await assert.rejects(
      loadCheckpoint(dir),
      message(/weights\.bin does not match its SHA-256 in checkpoint\.json/, FIX),
    );
  });
  await withCheckpoint(async (dir) => {
    await Deno.writeTextFile(path.join(dir, CHECKPOINT_MANIFEST), "{ half");
    await assert.rejects(loadModel(dir), message(/checkpoint\.json is not valid JSON/, FIX));
  });
});

Deno.test("a folder of the earlier flat layout loads, and its damage is named too", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kmnist_flat_" });
  try {
    const model = buildModel({ kind: "vanilla", seed: 3 });
    model.model.setUserDefinedMetadata({ autoencoder: { ...model.config } });
    await model.model.save(denoFileHandler(dir));
    const loaded = await loadModel(dir);
    assert.deepEqual(loaded.config, model.config);
    loaded.dispose();
    await truncate(path.join(dir, CHECKPOINT_FILES.weights), 4);
    await assert.rejects(
      loadModel(dir),
      message(/weights\.bin is 203964 bytes but should hold 203968 bytes .*truncated/, FIX),
    );
    await Deno.remove(path.join(dir, CHECKPOINT_FILES.weights));
    await assert.rejects(loadModel(dir), message(/weights\.bin is missing/, FIX));
    await Deno.writeTextFile(path.join(dir, CHECKPOINT_FILES.model), "not json at all");
    await assert.rejects(loadModel(dir), message(/model\.json is not valid JSON \(/, FIX));
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("NaN weights are refused at load, naming the file, the weight and what to do", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kmnist_nan_" });
  try {
    const model = buildModel({ kind: "vanilla", seed: 0 });
    const weights = model.model.getWeights();
    const broken = weights.map((w, i) => (i === 0 ? tf.fill(w.shape, NaN) : tf.clone(w)));
    model.model.setWeights(broken);
    tf.dispose(broken);
    await saveCheckpoint(dir, { model });
    const before = tf.memory().numTensors;
    await assert.rejects(
      loadModel(dir),
      message(
        /weights\.bin holds NaN in weight \S+: the saved model is broken.*lower learning rate \(--lr\).*--overwrite/,
      ),
    );
    assert.equal(tf.memory().numTensors, before, "a refused load leaked tensors");
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkpoint files and folders get the permissions the umask gives, like any other file", async () => {
  await withCheckpoint(async (dir, folder) => {
    const referenceFile = path.join(dir, "reference.txt");
    await Deno.writeTextFile(referenceFile, "x");
    const referenceDir = path.join(dir, "reference_dir");
    await Deno.mkdir(referenceDir);
    const fileMode = (await Deno.stat(referenceFile)).mode! & 0o777;
    const dirMode = (await Deno.stat(referenceDir)).mode! & 0o777;
    for (const file of [CHECKPOINT_MANIFEST, "run.lock"]) {
      assert.equal((await Deno.stat(path.join(dir, file))).mode! & 0o777, fileMode, file);
    }
    for (const file of Object.values(CHECKPOINT_FILES)) {
      assert.equal((await Deno.stat(path.join(folder, file))).mode! & 0o777, fileMode, file);
    }
    assert.equal((await Deno.stat(folder)).mode! & 0o777, dirMode, "checkpoint folder");
  });
});

Deno.test("a training state that disagrees with the manifest's epoch is refused as inconsistent", async () => {
  await withCheckpoint(async (dir) => {
    const file = path.join(dir, CHECKPOINT_MANIFEST);
    const manifest = JSON.parse(await Deno.readTextFile(file));
    manifest.epoch = 2;
    await Deno.writeTextFile(file, JSON.stringify(manifest));
    await assert.rejects(
      loadCheckpoint(dir),
      message(
        /training_state\.json is at epoch 1 but checkpoint\.json says 2: .*inconsistent/,
        FIX,
      ),
    );
  });
  // A model saved with an optimizer but no state loads (epoch 0 on both sides).
  const dir = await Deno.makeTempDir({ prefix: "kmnist_optonly_" });
  try {
    const model = buildModel({ kind: "vanilla", seed: 0 });
    const optimizer = createOptimizer();
    await saveCheckpoint(dir, { model, optimizer });
    const loaded = await loadCheckpoint(dir);
    assert.equal(loaded.state?.epoch, 0);
    for (const x of [model, loaded.model, optimizer, loaded.optimizer!]) x.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
