/** Tests of seeded shuffling, batching, the validation split and tensor conversion. */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  batchIndices,
  createRandom,
  type ImageSet,
  imagesToTensor,
  labelsToTensor,
  shuffledIndices,
  splitTrainValidation,
  takeSubset,
} from "../lib/data/mod.ts";

/** A set whose image i has every pixel equal to i % 256 and label i % 10. */
function syntheticSet(count: number): ImageSet {
  const images = new Uint8Array(count * 784);
  for (let i = 0; i < count; i++) images.fill(i % 256, i * 784, (i + 1) * 784);
  return { images, labels: Uint8Array.from({ length: count }, (_, i) => i % 10), count };
}

Deno.test("createRandom is reproducible, seed-dependent and uniform enough", () => {
  const a = createRandom(42), b = createRandom(42), c = createRandom(43);
  const xs = Array.from({ length: 10000 }, () => a());
  assert.deepEqual(Array.from({ length: 10000 }, () => b()), xs);
  assert.notDeepEqual(Array.from({ length: 10000 }, () => c()), xs);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.02, `mean ${mean}`);
});

Deno.test("shuffledIndices is a seeded permutation", () => {
  const order = shuffledIndices(1000, 7);
  assert.deepEqual(
    Array.from(order).sort((x, y) => x - y),
    Array.from({ length: 1000 }, (_, i) => i),
  );
  assert.deepEqual(shuffledIndices(1000, 7), order);
  assert.notDeepEqual(shuffledIndices(1000, 8), order);
  assert.ok(order.some((v, i) => v !== i));
});

Deno.test("batchIndices covers every index once, in batches of batchSize", () => {
  const batches = batchIndices(300, { batchSize: 128, seed: 3 });
  assert.deepEqual(batches.map((b) => b.length), [128, 128, 44]);
  const seen = batches.flatMap((b) => Array.from(b)).sort((x, y) => x - y);
  assert.deepEqual(seen, Array.from({ length: 300 }, (_, i) => i));
  assert.deepEqual(Array.from(batchIndices(5, { batchSize: 2, shuffle: false })[1]), [2, 3]);
  assert.throws(() => batchIndices(5, { batchSize: 0 }), /batchSize must be a positive integer/);
});

Deno.test("splitTrainValidation holds out a seeded, disjoint validation set", () => {
  const set = syntheticSet(1000);
  const { train, validation } = splitTrainValidation(set, { validationSize: 100, seed: 1 });
  assert.equal(train.count, 900);
  assert.equal(validation.count, 100);
  const ids = (s: ImageSet) => Array.from({ length: s.count }, (_, i) => s.images[i * 784]);
  // image identity: pixel value (i % 256) together with label (i % 10) is unique for i < 1280
  const keys = (s: ImageSet) => new Set(ids(s).map((v, i) => `${v}/${s.labels[i]}`));
  const trainKeys = keys(train);
  for (const key of keys(validation)) assert.ok(!trainKeys.has(key), `${key} in both`);
  assert.equal(trainKeys.size + keys(validation).size, 1000);
  assert.deepEqual(
    splitTrainValidation(set, { validationSize: 100, seed: 1 }).validation,
    validation,
  );
  assert.notDeepEqual(
    splitTrainValidation(set, { validationSize: 100, seed: 2 }).validation,
    validation,
  );
  assert.throws(() => splitTrainValidation(set, { validationSize: 1000 }), /validationSize/);
});

Deno.test("takeSubset copies the chosen images and rejects bad indices", () => {
  const set = syntheticSet(20);
  const subset = takeSubset(set, [5, 2]);
  assert.equal(subset.count, 2);
  assert.equal(subset.images[0], 5);
  assert.equal(subset.images[784], 2);
  assert.deepEqual(Array.from(subset.labels), [5, 2]);
  assert.throws(() => takeSubset(set, [20]), /index 20 at position 0 is outside 0\.\.19/);
});

Deno.test("imagesToTensor gives [n,28,28,1] float32 in [0,1] and disposes cleanly", () => {
  const set = syntheticSet(300);
  const before = tf.memory().numTensors;
  const x = imagesToTensor(set, [255, 1]);
  assert.deepEqual(x.shape, [2, 28, 28, 1]);
  assert.equal(x.dtype, "float32");
  const values = x.dataSync();
  assert.equal(values[0], 1);
  assert.ok(Math.abs(values[784] - 1 / 255) < 1e-7);
  const y = labelsToTensor(set, [255, 1]);
  assert.deepEqual(Array.from(y.dataSync()), [5, 1]);
  tf.dispose([x, y]);
  assert.equal(tf.memory().numTensors, before);
  assert.throws(() => imagesToTensor(set, [300]), /index 300 is outside/);
});
