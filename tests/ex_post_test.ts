/**
 * Ex-post sampling of a deterministic autoencoder (lib/metrics/ex_post.ts) on real KMNIST training
 * images: the mixture is fitted to the model's own codes, its draws decode to images in [0, 1],
 * seeded draws repeat, and nothing leaks.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@kmnist/tfjs-blas";
import { imagesToTensor, loadKmnist, takeSubset } from "../lib/data/mod.ts";
import { buildModel } from "../lib/models/mod.ts";
import {
  decodeExPostSamples,
  encodeImageSet,
  fitExPostPrior,
  gaussianStatistics,
} from "../lib/metrics/mod.ts";

await initBackend({ backend: "blas" });

Deno.test("ex-post prior of an autoencoder: fitted to its codes, decoded, seeded, no leaks", async () => {
  const kmnist = await loadKmnist();
  const train = takeSubset(kmnist.train, Int32Array.from({ length: 2500 }, (_, i) => i * 20));
  const model = buildModel({ kind: "vanilla", latentDim: 8, seed: 0 });
  const before = tf.memory().numTensors;
  const { codes, dims } = encodeImageSet(model, train);
  assert.equal(dims, 8);
  const direct = tf.tidy(() => model.encode(imagesToTensor(train)).dataSync());
  for (let i = 0; i < codes.length; i += 101) {
    assert.ok(Math.abs(codes[i] - direct[i]) < 1e-5, `code ${i}`);
  }
  const prior = fitExPostPrior(model, train, { seed: 0, components: 10 });
  assert.equal(prior.components, 10);
  // The mixture's overall mean is the codes' mean.
  const moments = gaussianStatistics(codes, { dims: 8, exact: true });
  for (let j = 0; j < 8; j++) {
    let m = 0;
    for (let c = 0; c < 10; c++) m += prior.weights[c] * prior.means[c * 8 + j];
    assert.ok(Math.abs(m - moments.mean[j]) < 1e-3 * (1 + Math.abs(m)), `mean ${j}: ${m}`);
  }
  const images = decodeExPostSamples(model, prior, 1200, { seed: 3 });
  assert.deepEqual(images.shape, [1200, 28, 28, 1]);
  const again = decodeExPostSamples(model, prior, 1200, { seed: 3 });
  assert.deepEqual(images.dataSync(), again.dataSync(), "same seed, same images");
  const values = images.dataSync();
  assert.ok(values.every((v) => v >= 0 && v <= 1), "sigmoid images");
  tf.dispose([images, again]);
  assert.equal(tf.memory().numTensors, before, "every tensor disposed");
  assert.throws(() => decodeExPostSamples(model, prior, 0), /count must be a positive integer/);
  model.dispose();
});
