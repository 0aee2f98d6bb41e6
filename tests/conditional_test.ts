/**
 * Tests of the conditional VAE and the classifier: shapes, that the label reaches the decoder, a
 * short real training that lowers the −ELBO, save/load round trips, and the sample measure.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@kmnist/tfjs-blas";
import { loadKmnist, takeSubset } from "../lib/data/mod.ts";
import { conditionalAccuracy } from "../lib/metrics/mod.ts";
import { buildClassifier, buildConditional } from "../lib/models/mod.ts";
import {
  CLASSIFIER_TRAINING,
  classifierAccuracy,
  defaultDecayEpochs,
  ensureConditional,
  hasClassifier,
  loadClassifier,
  loadConditional,
  saveClassifier,
  saveConditional,
  shiftImages,
  trainClassifier,
  trainConditional,
} from "../lib/train/mod.ts";
import { conditionalReading, type ConditionalStep, conditionalTable } from "../lib/notebook/mod.ts";

await initBackend();
const kmnist = await loadKmnist();
const range = (start: number, n: number) => Int32Array.from({ length: n }, (_, i) => start + i);
const TRAIN = takeSubset(kmnist.train, range(0, 512));
const TEST = takeSubset(kmnist.test, range(0, 300));

Deno.test("the conditional VAE: shapes, the label changes the image, seeded samples", () => {
  const before = tf.memory().numTensors;
  const model = buildConditional({ latentDim: 4, seed: 1 });
  const z = tf.zeros([2, 4]) as tf.Tensor2D;
  const labels = tf.tensor1d([0, 7], "int32");
  const images = model.decode(z, labels);
  assert.deepEqual(images.shape, [2, 28, 28, 1]);
  const values = Array.from(images.dataSync());
  const a = values.slice(0, 784), b = values.slice(784);
  assert.notDeepEqual(a, b, "the same code under two labels gives two images");
  const s1 = model.sample([3, 3, 5], 9), s2 = model.sample([3, 3, 5], 9);
  assert.deepEqual(Array.from(s1.dataSync()), Array.from(s2.dataSync()));
  const x = tf.randomUniform([3, 28, 28, 1], 0, 1, "float32", 2) as tf.Tensor4D;
  const xLabels = tf.tensor1d([1, 2, 3], "int32");
  const { mean, logVar } = model.posterior(x, xLabels);
  assert.deepEqual(mean.shape, [3, 4]);
  tf.dispose([z, labels, images, s1, s2, x, xLabels, mean, logVar]);
  model.dispose();
  assert.equal(tf.memory().numTensors, before, "no tensor leaks");
});

Deno.test("a short conditional training lowers the −ELBO and round-trips through its folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kmnist_cvae_" });
  try {
    const { model, record } = await trainConditional({
      train: TRAIN,
      validation: TEST,
      latentDim: 4,
      epochs: 2,
      batchSize: 64,
      schedule: { warmupEpochs: 1, freeBits: 0.1 },
    });
    assert.equal(record.history.length, 2);
    assert.ok(record.history[1].valLoss! < record.history[0].valLoss!);
    // Each epoch keeps its CPU time and the machine's load (lib/io/cpu_load.ts) where /proc is.
    for (const h of record.history) {
      assert.equal(typeof h.load?.busy, Deno.build.os === "linux" ? "boolean" : "undefined");
    }
    await saveConditional(dir, model, record);
    const loaded = await loadConditional(dir);
    const a = model.sample([0, 1, 2], 4), b = loaded.model.sample([0, 1, 2], 4);
    assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
    tf.dispose([a, b]);
    loaded.model.dispose();
    model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the classifier learns, saves, loads, and measures conditional samples", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kmnist_cls_" });
  try {
    assert.equal(await hasClassifier(dir), false);
    await assert.rejects(() => loadClassifier(dir), /No classifier at .*tools\/classifier\.ts/);
    const trained = await trainClassifier({ train: TRAIN, epochs: 2, batchSize: 64 });
    assert.equal(trained.loads.length, 2, "one load per epoch");
    assert.equal(trained.training.decayEpochs, 0, "2 epochs: no quarter left to decay");
    const accuracy = classifierAccuracy(trained.classifier, TEST);
    // Chance is 10%; 512 images and 2 epochs already learn something.
    assert.ok(accuracy > 0.3, `accuracy ${accuracy}`);
    await saveClassifier(dir, trained.classifier, {
      training: trained.training,
      trainImages: TRAIN.count,
      testImages: TEST.count,
      testAccuracy: accuracy,
      trainLoss: trained.trainLoss,
      secondsPerEpoch: trained.secondsPerEpoch,
      backend: tf.getBackend(),
    });
    const { classifier, record } = await loadClassifier(dir);
    assert.equal(classifierAccuracy(classifier, TEST), accuracy);
    assert.equal(record.testAccuracy, accuracy);
    const features = classifier.features(tf.zeros([2, 28, 28, 1]) as tf.Tensor4D);
    assert.deepEqual(features.shape, [2, 128]);
    features.dispose();
    const cvae = buildConditional({ latentDim: 2 });
    const measured = conditionalAccuracy(cvae, classifier, { perClass: 20 });
    assert.equal(measured.classAccuracy.length, 10);
    assert.ok(measured.accuracy >= 0 && measured.accuracy <= 1);
    assert.equal(measured.worstClass, Math.min(...measured.classAccuracy));
    cvae.dispose();
    classifier.dispose();
    trained.classifier.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the classifier's step-size decay: the last quarter by default, checked against epochs", async () => {
  assert.equal(defaultDecayEpochs(CLASSIFIER_TRAINING.epochs), CLASSIFIER_TRAINING.decayEpochs);
  assert.deepEqual([1, 3, 4, 7, 8, 12].map(defaultDecayEpochs), [0, 0, 1, 1, 2, 3]);
  await assert.rejects(
    () => trainClassifier({ train: TRAIN, epochs: 1, decayEpochs: 2 }),
    /decayEpochs must be an integer in \[0, epochs = 1\], got 2/,
  );
  await assert.rejects(
    () => trainClassifier({ train: TRAIN, epochs: 0 }),
    /epochs must be a positive integer, got 0/,
  );
});

Deno.test("the classifier's dropout is seeded by the step: same step, same loss", () => {
  const c = buildClassifier({ seed: 3 });
  const x = tf.randomUniform([4, 28, 28, 1], 0, 1, "float32", 5) as tf.Tensor4D;
  const y = tf.tensor1d([0, 1, 2, 3], "int32");
  const at = (step: number) => tf.tidy(() => c.loss(x, y, step).dataSync()[0]);
  assert.equal(at(1), at(1));
  assert.notEqual(at(1), at(2));
  tf.dispose([x, y]);
  c.dispose();
});

Deno.test("the classifier's augmentation shifts each image by whole pixels, seeded by the step", () => {
  const x = tf.tensor4d(
    Array.from({ length: 4 * 28 * 28 }, (_, i) => ((i * 37) % 101) / 101),
    [4, 28, 28, 1],
  );
  const a = x.arraySync();
  const shifted = shiftImages(x, 2, 0, 7);
  const b = shifted.arraySync();
  for (let n = 0; n < 4; n++) {
    // Exactly one (dy, dx) in [-2, 2]² maps the image onto its shifted copy, pixel for pixel.
    const matches: string[] = [];
    for (let dy = -2; dy <= 2; dy++) {
      for (let dx = -2; dx <= 2; dx++) {
        let same = true;
        for (let i = 2; i < 26 && same; i++) {
          for (let j = 2; j < 26 && same; j++) {
            same = Math.abs(b[n][i][j][0] - a[n][i + dy][j + dx][0]) < 1e-6;
          }
        }
        if (same) matches.push(`${dy},${dx}`);
      }
    }
    assert.equal(matches.length, 1, `image ${n}: ${matches}`);
  }
  const again = shiftImages(x, 2, 0, 7);
  assert.deepEqual(Array.from(again.dataSync()), Array.from(shifted.dataSync()));
  tf.dispose([x, shifted, again]);
});

Deno.test("the MLP conditional VAE: the reference layer sizes, trained once by ensureConditional, then loaded", async () => {
  const z = 2;
  const mlp = buildConditional({ latentDim: z, seed: 1, design: "mlp" });
  // Encoder 794-400 and two heads on [400 hidden, 10 label]; decoder 12-400-784.
  const expected = (784 + 10) * 400 + 400 + 2 * ((400 + 10) * z + z) + (z + 10) * 400 + 400 +
    400 * 784 + 784;
  assert.equal(mlp.countParams(), expected);
  assert.equal(mlp.config.design, "mlp");
  mlp.dispose();
  assert.equal(
    buildConditional({ latentDim: z }).config.design,
    undefined,
    "conv keeps old configs",
  );
  assert.throws(
    () => buildConditional({ design: "vgg" as "mlp" }),
    /design must be "conv" or "mlp"/,
  );
  const dir = await Deno.makeTempDir({ prefix: "kmnist_cvae_mlp_" });
  try {
    const lines: string[] = [];
    const options = {
      directory: dir,
      train: TRAIN,
      design: "mlp" as const,
      latentDim: z,
      epochs: 1,
      log: (l: string) => lines.push(l),
    };
    const first = await ensureConditional(options);
    assert.equal(first.trained, true);
    assert.match(lines.join("\n"), /conditional VAE epoch 1: −ELBO/);
    const second = await ensureConditional(options);
    assert.equal(second.trained, false, "the saved one is loaded, not trained again");
    const a = first.model.sample([4, 5], 3), b = second.model.sample([4, 5], 3);
    assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
    tf.dispose([a, b]);
    first.model.dispose();
    second.model.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("conditionalReading: the verdict follows the interval against the 90% target", () => {
  const step = (share: number) =>
    ({
      agreement: {
        perClass: 1000,
        classAccuracy: Array(10).fill(share),
        accuracy: share,
        worstClass: share,
      },
      classifierAccuracy: 0.95,
      quick: false,
    }) as unknown as ConditionalStep;
  assert.match(
    conditionalReading(step(0.914)).markdown,
    /91\.4% .*above the target of 90\.0% with its whole interval/,
  );
  assert.match(conditionalReading(step(0.85)).markdown, /below the target/);
  assert.match(conditionalReading(step(0.9)).markdown, /straddles the target/);
  const table = conditionalTable(step(0.914)).html;
  assert.match(table, /91\.4 \[90\.8, 91\.9\]/);
});
