/**
 * Cooperative interruption of training (lib/train/cancel.ts, lib/train/loop.ts): a stop at the end
 * of a batch (requested, or a real SIGINT to this process), exact resumption from the state it
 * hands back or from the checkpoint (a real SIGINT: tests/e2e/interrupt_cli_test.ts), and what a failing run leaves (no tensors, a consistent run
 * folder, a resumed state checked against the folder's checkpoint).
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@kmnist/tfjs-blas";
import { type ImageSet, loadKmnist, takeSubset } from "../lib/data/mod.ts";
import { type Autoencoder, type AutoencoderKind, buildModel } from "../lib/models/mod.ts";
import {
  cleanCheckpointLeftovers,
  type EpochRecord,
  evaluateLoss,
  InterruptedError,
  interruptible,
  lastInterruption,
  loadCheckpoint,
  NonFiniteLossError,
  readCheckpointState,
  requestInterrupt,
  train,
  type TrainingState,
} from "../lib/train/mod.ts";

await initBackend();
const kmnist = await loadKmnist();
const range = (start: number, n: number) => Int32Array.from({ length: n }, (_, i) => start + i);
const TRAIN: ImageSet = takeSubset(kmnist.train, range(1000, 320));
const VALIDATION: ImageSet = takeSubset(kmnist.train, range(40000, 100));
const OPTIONS = {
  train: TRAIN,
  validation: VALIDATION,
  batchSize: 64, // 5 batches per epoch
  seed: 5,
  epochs: 3,
  progress: "none" as const,
};

function weightsOf(model: Autoencoder): number[][] {
  return model.model.getWeights().map((w) => Array.from(w.dataSync()));
}

function losses(history: EpochRecord[]) {
  return history.map(({ seconds: _s, imagesPerSecond: _r, load: _l, ...rest }) => rest);
}

/** Stops the run at the end of (1-based) `epoch`'s `batch`. */
function stopAt(epoch: number, batch: number) {
  return {
    onBatchEnd(p: { epoch: number; batch: number }) {
      if (p.epoch === epoch && p.batch === batch) requestInterrupt();
    },
  };
}

async function interruptedRun(
  kind: AutoencoderKind,
  epoch: number,
  batch: number,
  extra: { checkpointDirectory?: string } = {},
): Promise<{ model: Autoencoder; error: InterruptedError }> {
  const model = buildModel({ kind, seed: 2 });
  const error = await train(model, { ...OPTIONS, ...extra, callbacks: stopAt(epoch, batch) })
    .then(() => assert.fail("training was not interrupted"), (e) => e);
  assert.ok(error instanceof InterruptedError, String(error));
  return { model, error };
}

for (const kind of ["vanilla", "variational"] as AutoencoderKind[]) {
  Deno.test(`a stop mid-epoch ends at that batch and resumes bit-identically (${kind})`, async () => {
    const straight = buildModel({ kind, seed: 2 });
    const full = await train(straight, OPTIONS);

    const before = tf.memory().numTensors;
    const { model, error } = await interruptedRun(kind, 2, 3);
    assert.match(
      error.message,
      /^Interrupted: training stopped at epoch 2\/3, batch 3\/5 \(global step 8, last batch loss \d/,
    );
    assert.equal(lastInterruption(), error);
    const state = error.details.state as TrainingState;
    const optimizer = error.details.optimizer as tf.Optimizer;
    assert.equal(state.epoch, 1);
    assert.equal(state.step, 8);
    assert.equal(state.partialEpoch?.batches, 3);
    assert.deepEqual(losses(state.history), losses(full.history.slice(0, 1)));
    // The model is usable and holds step 8: its outputs are finite.
    const out = tf.tidy(() => model.model.predict(tf.zeros([1, 28, 28, 1])) as tf.Tensor);
    assert.ok(Array.from(out.dataSync()).every(Number.isFinite));
    out.dispose();

    const rest = await train(model, { ...OPTIONS, resume: state, optimizer });
    assert.deepEqual(losses(rest.history), losses(full.history));
    assert.deepEqual(weightsOf(model), weightsOf(straight));
    optimizer.dispose();
    model.dispose();
    // Only the straight model's weights remain beyond what there was before.
    assert.equal(tf.memory().numTensors, before);
    straight.dispose();
  });
}

Deno.test("a stop keeps the last checkpoint intact, and resuming from it matches", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kmnist_interrupt_" });
  try {
    const straight = buildModel({ kind: "vanilla", seed: 2 });
    const full = await train(straight, OPTIONS);
    const { model, error } = await interruptedRun("vanilla", 2, 4, { checkpointDirectory: dir });
    (error.details.optimizer as tf.Optimizer).dispose();
    model.dispose();
    assert.deepEqual(await cleanCheckpointLeftovers(dir), [], "no half-written files");
    const loaded = await loadCheckpoint(dir);
    assert.equal(loaded.state?.epoch, 1);
    const rest = await train(loaded.model, {
      ...OPTIONS,
      resume: loaded.state,
      optimizer: loaded.optimizer,
      checkpointDirectory: dir,
    });
    assert.deepEqual(losses(rest.history), losses(full.history));
    assert.deepEqual(weightsOf(loaded.model), weightsOf(straight));
    loaded.optimizer?.dispose();
    loaded.model.dispose();
    straight.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the state a stop hands back resumes into the same run folder and matches", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kmnist_interrupt_folder_" });
  try {
    const straight = buildModel({ kind: "vanilla", seed: 2 });
    const full = await train(straight, OPTIONS);
    const { model, error } = await interruptedRun("vanilla", 2, 2, { checkpointDirectory: dir });
    const optimizer = error.details.optimizer as tf.Optimizer;
    const rest = await train(model, {
      ...OPTIONS,
      resume: error.details.state as TrainingState,
      optimizer,
      checkpointDirectory: dir,
    });
    assert.deepEqual(losses(rest.history), losses(full.history));
    assert.equal((await readCheckpointState(dir))?.epoch, 3);
    optimizer.dispose();
    model.dispose();
    straight.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evaluation checks the same stop between its chunks", async () => {
  const model = buildModel({ kind: "vanilla", seed: 2 });
  const before = tf.memory().numTensors;
  const error = await interruptible(() => {
    requestInterrupt();
    return evaluateLoss(model, VALIDATION, { batchSize: 50 });
  }).then(() => assert.fail("not interrupted"), (e) => e);
  assert.ok(error instanceof InterruptedError);
  assert.match(error.message, /evaluation stopped at chunk 1\/2/);
  assert.equal(tf.memory().numTensors, before);
  // A request is dropped once the loop that was asked has stopped: the next call runs through.
  assert.ok(Number.isFinite(evaluateLoss(model, VALIDATION).loss));
  model.dispose();
});

Deno.test("resume refuses a state that is not the run folder's checkpoint", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kmnist_resume_check_" });
  const other = await Deno.makeTempDir({ prefix: "kmnist_resume_other_" });
  try {
    const model = buildModel({ kind: "vanilla", seed: 2 });
    await train(model, { ...OPTIONS, epochs: 1, checkpointDirectory: dir });
    const elsewhere = await train(buildModel({ kind: "vanilla", seed: 3 }), {
      ...OPTIONS,
      epochs: 1,
    });
    // Same epoch and step, another run's history.
    await assert.rejects(
      train(model, { ...OPTIONS, resume: elsewhere.state, checkpointDirectory: dir }),
      /cannot resume into .*: .*checkpoint has another loss history than the state to resume/,
    );
    // A state of epoch 1 into a folder without a checkpoint.
    await assert.rejects(
      train(model, { ...OPTIONS, resume: elsewhere.state, checkpointDirectory: other }),
      /holds no checkpoint, but the state to resume has trained 1 epoch/,
    );
    // The folder's own state is accepted (and nothing above changed the folder).
    const saved = await readCheckpointState(dir);
    assert.equal(saved?.epoch, 1);
    const loaded = await loadCheckpoint(dir);
    const rest = await train(loaded.model, {
      ...OPTIONS,
      epochs: 2,
      resume: loaded.state,
      optimizer: loaded.optimizer,
      checkpointDirectory: dir,
    });
    assert.equal(rest.state.epoch, 2);
    loaded.optimizer?.dispose();
    loaded.model.dispose();
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(other, { recursive: true });
  }
});

Deno.test("a run that throws mid-training leaves no tensors and a consistent folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kmnist_throw_" });
  try {
    const model = buildModel({ kind: "vanilla", seed: 2 });
    const before = tf.memory().numTensors;
    // A corruption that fails at step 8 (epoch 2, batch 3), after making a tensor.
    await assert.rejects(
      train(model, {
        ...OPTIONS,
        checkpointDirectory: dir,
        corrupt: (x, step) => {
          if (step === 8) {
            tf.zeros([2, 2]);
            throw new Error("bad corruption option");
          }
          return tf.clone(x);
        },
      }),
      /bad corruption option/,
    );
    // The zeros above are the only tensor the failing function itself leaked.
    assert.equal(tf.memory().numTensors, before + 1);
    // NaN inputs at step 7: stopped before the step, nothing left behind.
    const nan = tf.memory().numTensors;
    await assert.rejects(
      train(model, {
        ...OPTIONS,
        checkpointDirectory: dir,
        overwrite: true,
        corrupt: (x, step) =>
          tf.tidy(() => step === 7 ? tf.mul(x, tf.scalar(NaN)) as tf.Tensor4D : tf.clone(x)),
      }),
      NonFiniteLossError,
    );
    assert.equal(tf.memory().numTensors, nan);
    // The folder holds epoch 1's checkpoint, complete, and a run may take it again.
    assert.deepEqual(await cleanCheckpointLeftovers(dir), []);
    const loaded = await loadCheckpoint(dir);
    assert.equal(loaded.state?.epoch, 1);
    loaded.optimizer?.dispose();
    loaded.model.dispose();
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
