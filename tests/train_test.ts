/** Tests of the training loop on real KMNIST images: learning, reproducibility, leaks, failures. */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@kmnist/tfjs-blas";
import { type ImageSet, loadKmnist, takeSubset } from "../lib/data/mod.ts";
import { buildModel } from "../lib/models/mod.ts";
import {
  collapseCheck,
  type EpochRecord,
  gaussianNoise,
  imageFingerprint,
  jupyterProgress,
  NonFiniteLossError,
  terminalProgress,
  train,
} from "../lib/train/mod.ts";
import { readRunRecord } from "../lib/records/mod.ts";

await initBackend();
const kmnist = await loadKmnist();
const range = (start: number, n: number) => Int32Array.from({ length: n }, (_, i) => start + i);
const TRAIN: ImageSet = takeSubset(kmnist.train, range(0, 512));
const VALIDATION: ImageSet = takeSubset(kmnist.train, range(50000, 200));

/** The deterministic part of a history (timings differ between runs). */
function losses(history: EpochRecord[]) {
  return history.map(({ seconds: _s, imagesPerSecond: _r, load: _l, ...rest }) => rest);
}

Deno.test("vanilla learns on real images: loss falls, history and throughput are reported", async () => {
  const model = buildModel({ kind: "vanilla", seed: 0 });
  const result = await train(model, {
    train: TRAIN,
    validation: VALIDATION,
    epochs: 3,
    batchSize: 64,
    progress: "none",
  });
  assert.equal(result.history.length, 3);
  const [first, , last] = result.history;
  assert.ok(last.trainLoss < first.trainLoss, `${first.trainLoss} -> ${last.trainLoss}`);
  assert.ok(last.valLoss! < first.valLoss!, `${first.valLoss} -> ${last.valLoss}`);
  // Better than the all-black guess, whose MSE is the mean squared pixel value.
  let sumSquares = 0;
  for (const v of VALIDATION.images) sumSquares += (v / 255) ** 2;
  const blackMse = sumSquares / VALIDATION.images.length;
  assert.ok(last.valLoss! < blackMse, `val MSE ${last.valLoss} vs all-black ${blackMse}`);
  assert.ok(result.imagesPerSecond > 0 && result.wallSeconds > 0);
  assert.deepEqual(result.state, {
    epoch: 3,
    step: 3 * 8,
    history: result.history,
    seed: 0,
    batchSize: 64,
    learningRate: 1e-3,
    trainCount: 512,
    validationCount: 200,
    trainFingerprint: imageFingerprint(TRAIN),
    validationFingerprint: imageFingerprint(VALIDATION),
  });
  assert.notEqual(
    imageFingerprint(TRAIN),
    imageFingerprint(takeSubset(kmnist.train, range(1, 512))),
  );
  model.dispose();
});

Deno.test("the same seed reproduces the history exactly; another seed does not", async () => {
  const run = async (shuffleSeed: number) => {
    const model = buildModel({ kind: "vanilla", seed: 1 });
    const { history } = await train(model, {
      train: TRAIN,
      validation: VALIDATION,
      epochs: 2,
      seed: shuffleSeed,
      progress: "none",
    });
    model.dispose();
    return losses(history);
  };
  const a = await run(0);
  assert.deepEqual(await run(0), a);
  assert.notDeepEqual(await run(1), a);
});

Deno.test("training leaks no tensors (dense, conv and VAE)", async () => {
  for (const kind of ["vanilla", "convolutional", "variational"] as const) {
    const model = buildModel({ kind, seed: 0 });
    const before = tf.memory().numTensors;
    await train(model, {
      train: takeSubset(TRAIN, range(0, 96)),
      validation: takeSubset(VALIDATION, range(0, 40)),
      epochs: 2,
      batchSize: 32,
      noise: { stddev: 0.2, seed: 3 },
      progress: "none",
    });
    assert.equal(tf.memory().numTensors, before, `${kind} leaked tensors`);
    model.dispose();
  }
});

Deno.test("conv and VAE train on the default backend; the VAE reports both loss terms", async () => {
  const small = takeSubset(TRAIN, range(0, 128));
  const conv = buildModel({ kind: "convolutional", seed: 0 });
  const convResult = await train(conv, {
    train: small,
    epochs: 2,
    batchSize: 32,
    progress: "none",
  });
  assert.ok(convResult.history[1].trainLoss < convResult.history[0].trainLoss);
  conv.dispose();
  const vae = buildModel({ kind: "variational", seed: 0 });
  const { history } = await train(vae, {
    train: small,
    validation: takeSubset(VALIDATION, range(0, 50)),
    epochs: 2,
    batchSize: 32,
    progress: "none",
  });
  for (const r of history) {
    assert.ok(Math.abs(r.trainLoss - (r.trainReconstruction! + r.trainKl!)) < 1e-2);
    assert.ok(Math.abs(r.valLoss! - (r.valReconstruction! + r.valKl!)) < 1e-2);
    assert.ok(r.trainKl! >= 0 && r.valKl! >= 0);
  }
  assert.ok(history[1].trainLoss < history[0].trainLoss);
  vae.dispose();
});

Deno.test("a NaN input stops training with an error naming the epoch and step", async () => {
  const model = buildModel({ kind: "vanilla", seed: 0 });
  const before = model.model.getWeights().map((w) => Array.from(w.dataSync()));
  let calls = 0;
  const error = await train(model, {
    train: TRAIN,
    epochs: 2,
    batchSize: 128,
    progress: "none",
    // Batch 3 of epoch 2 (global step 7) gets a NaN pixel.
    corrupt: (x, step) => {
      calls++;
      return tf.tidy(() => step === 7 ? tf.mul(x, tf.scalar(NaN)) as tf.Tensor4D : tf.clone(x));
    },
  }).then(() => undefined, (e) => e);
  assert.ok(error instanceof NonFiniteLossError, String(error));
  assert.equal(error.epoch, 2);
  assert.equal(error.batch, 3);
  assert.equal(error.step, 7);
  assert.match(error.message, /loss is NaN at epoch 2, batch 3 \(global step 7\)/);
  assert.equal(calls, 7);
  const after = model.model.getWeights().map((w) => Array.from(w.dataSync()));
  assert.ok(after.every((w) => w.every(Number.isFinite)), "the NaN step was not applied");
  assert.notDeepEqual(after, before);
  model.dispose();
});

Deno.test("a learning rate of 1e30 stops training with a clear error", async () => {
  const model = buildModel({ kind: "convolutional", seed: 0 });
  await assert.rejects(
    train(model, {
      train: takeSubset(TRAIN, range(0, 256)),
      epochs: 2,
      batchSize: 32,
      learningRate: 1e30,
      progress: "none",
    }),
    (e: unknown) =>
      e instanceof NonFiniteLossError && e.epoch === 1 && /Lower the learning rate/.test(e.message),
  );
  model.dispose();
});

Deno.test("denoising: inputs are corrupted per step, targets stay clean, validation noise is fixed", async () => {
  const steps: number[] = [];
  const noise = gaussianNoise({ stddev: 0.5, seed: 2 });
  const x = tf.fill([2, 28, 28, 1], 0.5) as tf.Tensor4D;
  const a = noise(x, 1), b = noise(x, 1), c = noise(x, 2);
  assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
  assert.notDeepEqual(Array.from(a.dataSync()), Array.from(c.dataSync()));
  const values = a.dataSync();
  assert.ok(values.every((v) => v >= 0 && v <= 1) && values.some((v) => v !== 0.5));
  tf.dispose([x, a, b, c]);

  const model = buildModel({ kind: "vanilla", seed: 0 });
  const result = await train(model, {
    train: takeSubset(TRAIN, range(0, 256)),
    validation: takeSubset(VALIDATION, range(0, 100)),
    epochs: 2,
    batchSize: 128,
    progress: "none",
    corrupt: (clean, step) => {
      steps.push(step);
      return noise(clean, step);
    },
  });
  // 2 training steps then 1 validation chunk per epoch.
  assert.deepEqual(steps, [1, 2, -1, 3, 4, -1]);
  assert.equal(result.history.length, 2);
  model.dispose();
});

Deno.test("terminal progress: a live bar on a TTY, plain epoch lines otherwise", async () => {
  const run = async (live: boolean) => {
    let text = "";
    const model = buildModel({ kind: "vanilla", seed: 0 });
    await train(model, {
      train: TRAIN,
      validation: VALIDATION,
      epochs: 2,
      progress: "none",
      callbacks: terminalProgress({ live, intervalMs: 0, write: (t) => (text += t) }),
    });
    model.dispose();
    return text;
  };
  const live = await run(true);
  assert.match(live, /\repoch 1\/2 \[=+>? *\] 1\/4 {2}loss [\d.]+ {2}\d+ img\/s {2}ETA \d+:\d\d/);
  assert.match(live, /epoch 2\/2 {2}loss [\d.]+ {2}val [\d.]+/);
  const plain = await run(false);
  assert.ok(!plain.includes("\r"));
  assert.equal(plain.trim().split("\n").length, 3, plain); // header + 2 epochs
});

Deno.test("jupyter progress: one display id, created once then updated", async () => {
  const calls: { bundle: Record<string, unknown>; options: Record<string, unknown> }[] = [];
  const api = {
    display(bundle: Record<string, unknown>, options: Record<string, unknown>) {
      calls.push({ bundle, options });
    },
  };
  const model = buildModel({ kind: "vanilla", seed: 0 });
  await train(model, {
    train: TRAIN,
    epochs: 2,
    progress: "none",
    callbacks: jupyterProgress({ api, intervalMs: 0, displayId: "run-1" }),
  });
  model.dispose();
  assert.ok(calls.length >= 4);
  assert.equal(calls[0].options.update, false);
  assert.ok(calls.slice(1).every((c) => c.options.update === true));
  assert.ok(calls.every((c) => c.options.display_id === "run-1" && c.options.raw === true));
  const last = calls.at(-1)!.bundle;
  assert.match(String(last["text/html"]), /<progress value="1\.0000"/);
  assert.match(String(last["text/plain"]), /epoch 2\/2/);
  assert.throws(() => jupyterProgress(), /not running in the Deno Jupyter kernel/);
});

Deno.test("invalid options fail with a message naming the fix", async () => {
  const model = buildModel({ kind: "vanilla" });
  await assert.rejects(
    train(model, { train: TRAIN, batchSize: 0, progress: "none" }),
    /batchSize must be a positive integer/,
  );
  model.dispose();
});

Deno.test("tools/train.ts writes checkpoint, history and test metrics, and resumes", async () => {
  const out = await Deno.makeTempDir({ prefix: "kmnist_cli_" });
  const run = async (...extra: string[]) => {
    const command = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        new URL("../tools/train.ts", import.meta.url).pathname,
        "--model",
        "vanilla",
        "--train-images",
        "300",
        "--validation",
        "200",
        "--no-knn",
        "--out",
        out,
        ...extra,
      ],
      stdout: "piped",
      stderr: "piped",
    });
    const { code, stdout, stderr } = await command.output();
    const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
    assert.equal(code, 0, text);
    return text;
  };
  try {
    const first = await run("--epochs", "1");
    assert.match(first, /vanilla test: MSE 0\.\d+/);
    const second = await run("--epochs", "2", "--resume");
    assert.match(second, /epochs 2\.\.2/);
    const history = JSON.parse(await Deno.readTextFile(`${out}/history.json`));
    assert.equal(history.history.length, 2);
    assert.equal(history.trainImages, 300);
    // The CLI writes the one run-record format (lib/records), the notebooks' format.
    const record = (await readRunRecord(out))!;
    assert.equal(record.format, "kmnist-experiment");
    assert.equal(record.settings.kind, "vanilla");
    assert.equal(record.settings.epochs, 2);
    assert.equal(record.training.history.length, 2);
    const metrics = record.evaluation;
    assert.equal(metrics.testImages, 10000);
    assert.equal(metrics.parameters, 50992);
    assert.ok(metrics.mse > 0 && metrics.mse < 0.25 && metrics.ssim > 0);
    // --evaluate-only re-evaluates the saved checkpoint: the same numbers, training untouched.
    await Deno.remove(`${out}/metrics.json`);
    await run("--evaluate-only");
    const again = (await readRunRecord(out))!;
    assert.equal(again.evaluation.mse, metrics.mse);
    assert.equal(again.training.epochs, 2);
    assert.deepEqual(again.training.history, record.training.history);
    const bad = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", new URL("../tools/train.ts", import.meta.url).pathname],
      stderr: "piped",
      stdout: "piped",
    });
    const failed = await bad.output();
    assert.equal(failed.code, 1);
    assert.match(new TextDecoder().decode(failed.stderr), /--model is required/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a collapsed training (lr 10 on vanilla: all-black outputs) ends with a warning; a healthy one does not", async () => {
  const set = takeSubset(kmnist.train, range(0, 3000));
  const run = async (learningRate: number) => {
    const model = buildModel({ kind: "vanilla", seed: 0 });
    const result = await train(model, { train: set, epochs: 2, learningRate, progress: "none" });
    const check = collapseCheck(model, set);
    model.dispose();
    return { ...result, check };
  };
  const collapsed = await run(10);
  assert.ok(collapsed.check.collapsed, JSON.stringify(collapsed.check));
  assert.ok(collapsed.check.outputMean < 0.1 * collapsed.check.inputMean);
  assert.equal(collapsed.warnings.length, 1);
  assert.match(
    collapsed.warnings[0],
    /vanilla model collapsed: .*nearly black .*learning rate \(10\) is most likely too large.*--lr 0\.001/,
  );
  const healthy = await run(1e-3);
  assert.ok(!healthy.check.collapsed, JSON.stringify(healthy.check));
  assert.deepEqual(healthy.warnings, []);
});
