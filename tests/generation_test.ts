/**
 * Sample-quality measures (lib/metrics/generation.ts) with a small seeded stand-in classifier (a
 * fixed random ReLU layer and softmax head): batching, the Fréchet distance of real images against
 * themselves, other real images and noise, the class histogram's counts, entropy and coverage, and
 * the agreement of a conditional model's samples with the class asked for.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@kmnist/tfjs-blas";
import { createRandom, imagesToTensor, loadKmnist, takeSubset } from "../lib/data/mod.ts";
import {
  classHistogram,
  type FeatureClassifier,
  featuresOf,
  frechetOfOutputs,
  generationReport,
  labelAgreement,
  wilsonInterval,
} from "../lib/metrics/mod.ts";

await initBackend({ backend: "blas" });

function close(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} vs ${expected} (tolerance ${tolerance})`,
  );
}

/** A fixed random 784-32 ReLU layer (the "features") and a 32-10 softmax head. */
function standInClassifier(): FeatureClassifier & { batches: number[] } {
  const random = createRandom(17);
  const w1 = tf.tensor2d(Float32Array.from({ length: 784 * 32 }, () => (random() - 0.5) * 0.2), [
    784,
    32,
  ]);
  const w2 = tf.tensor2d(Float32Array.from({ length: 32 * 10 }, () => random() - 0.5), [32, 10]);
  const batches: number[] = [];
  return {
    batches,
    classify(images) {
      batches.push(images.shape[0]);
      return tf.tidy(() => {
        const features = tf.relu(tf.matMul(tf.reshape(images, [images.shape[0], 784]), w1));
        return { features, probabilities: tf.softmax(tf.matMul(features, w2)) } as {
          features: tf.Tensor2D;
          probabilities: tf.Tensor2D;
        };
      });
    },
  };
}

Deno.test("featuresOf: batches of <= 1,000, tensors and image sets alike, nothing leaks", async () => {
  const kmnist = await loadKmnist();
  const set = takeSubset(kmnist.test, Int32Array.from({ length: 2500 }, (_, i) => i * 4));
  const classifier = standInClassifier();
  const images = imagesToTensor(set);
  const before = tf.memory().numTensors;
  const fromSet = featuresOf(classifier, set);
  assert.deepEqual(classifier.batches, [1000, 1000, 500]);
  const fromTensor = featuresOf(classifier, images, { batch: 300 });
  assert.equal(tf.memory().numTensors, before, "every tensor disposed");
  assert.equal(fromSet.count, 2500);
  assert.equal(fromSet.featureDims, 32);
  assert.equal(fromSet.classes, 10);
  for (let i = 0; i < fromSet.features.length; i += 97) {
    close(fromTensor.features[i], fromSet.features[i], 1e-5, `feature ${i}`);
  }
  assert.throws(
    () => featuresOf(classifier, images, { batch: 5000 }),
    /batch must be an integer in \[1, 1000\]/,
  );
  const wrong: FeatureClassifier = {
    classify: (x) => ({ features: tf.zeros([1, 4]), probabilities: tf.zeros([x.shape[0], 10]) }),
  };
  assert.throws(() => featuresOf(wrong, images), /wrong number of rows/);
  images.dispose();
});

Deno.test("Fréchet distance of classifier features: ~0 for a set itself, real < noise", async () => {
  const kmnist = await loadKmnist();
  const classifier = standInClassifier();
  const test = featuresOf(
    classifier,
    takeSubset(kmnist.test, Int32Array.from({ length: 3000 }, (_, i) => i)),
  );
  const train = featuresOf(
    classifier,
    takeSubset(kmnist.train, Int32Array.from({ length: 3000 }, (_, i) => i * 7)),
  );
  close(frechetOfOutputs(test, test).distance, 0, 1e-6, "a set against itself");
  const noise = tf.randomUniform([3000, 28, 28, 1], 0, 1, "float32", 5) as tf.Tensor4D;
  const report = generationReport(classifier, noise, { test, train });
  noise.dispose();
  assert.ok(report.floor !== undefined);
  assert.ok(
    report.floor.distance < 0.1 * report.frechet.distance,
    `train->test ${report.floor.distance} vs noise->test ${report.frechet.distance}`,
  );
  assert.equal(report.samples, 3000);
  assert.equal(report.histogram.total, 3000);
});

Deno.test("classHistogram: counts, shares, coverage, entropy and confidence by hand", () => {
  // Four samples over 3 classes: argmax 0, 0, 2, 0.
  const p = [0.7, 0.2, 0.1, 0.5, 0.4, 0.1, 0.1, 0.3, 0.6, 0.9, 0.05, 0.05];
  const h = classHistogram(p, { classes: 3 });
  assert.deepEqual(h.counts, [3, 0, 1]);
  assert.deepEqual(h.shares, [0.75, 0, 0.25]);
  assert.equal(h.covered, 2);
  close(h.entropy, -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25)), 1e-15, "entropy");
  close(h.normalisedEntropy, h.entropy / Math.log(3), 1e-15, "normalised");
  close(h.meanConfidence, (0.7 + 0.5 + 0.6 + 0.9) / 4, 1e-15, "confidence");
  assert.equal(classHistogram(p, { classes: 3, minimumShare: 0.3 }).covered, 1);
  const uniform = classHistogram(Array.from({ length: 100 }, (_, i) => (i % 11 === 0 ? 1 : 0)), {
    classes: 10,
  });
  close(uniform.normalisedEntropy, 1, 1e-12, "ten equal classes");
  assert.throws(() => classHistogram([0.5, 0.5, 1], { classes: 2 }), /not rows of 2/);
});

Deno.test("labelAgreement: the share labelled as asked, with its Wilson interval", () => {
  const p = [0.9, 0.1, 0.2, 0.8, 0.6, 0.4, 0.3, 0.7];
  const agreement = labelAgreement(p, [0, 1, 1, 1], { classes: 2 });
  assert.equal(agreement.agreeing, 3);
  assert.equal(agreement.total, 4);
  assert.deepEqual(
    { lower: agreement.lower, upper: agreement.upper },
    { lower: wilsonInterval(3, 4).lower, upper: wilsonInterval(3, 4).upper },
  );
  assert.throws(() => labelAgreement(p, [0, 1], { classes: 2 }), /2 requested labels for 4/);
});
