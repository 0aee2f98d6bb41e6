/**
 * Latent-space usage (lib/metrics/latent.ts, dead_units.ts): active units and KL per dimension
 * against float64 computations and the model's own KL term; dead ReLU units of the VAE's 16-unit
 * layer, with units killed on purpose.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@kmnist/tfjs-blas";
import { createRandom, imagesToTensor, loadKmnist, takeSubset } from "../lib/data/mod.ts";
import { buildVariational, gaussianKl } from "../lib/models/mod.ts";
import {
  activeUnits,
  deadUnits,
  deadUnitsOf,
  klPerDimension,
  latentUsage,
} from "../lib/metrics/mod.ts";

await initBackend({ backend: "blas" });

function close(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} vs ${expected} (tolerance ${tolerance})`,
  );
}

Deno.test("activeUnits: Burda et al.'s Cov_x(E_q[z_i]) > 0.01, in float64", () => {
  const random = createRandom(1);
  const n = 4000, d = 4, scales = [1, 0.05, 0, 0.2];
  const means = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      means[i * d + j] = 3 + scales[j] * (random() * 2 - 1) * Math.sqrt(3);
    }
  }
  const units = activeUnits(means, { dims: d });
  // Variances ~ scale^2: 1, 0.0025, 0, 0.04.
  assert.deepEqual(units.active, [true, false, false, true]);
  assert.equal(units.count, 2);
  for (let j = 0; j < d; j++) {
    let m = 0, v = 0;
    for (let i = 0; i < n; i++) m += means[i * d + j] / n;
    for (let i = 0; i < n; i++) v += (means[i * d + j] - m) ** 2 / n;
    close(units.activity[j], v, 1e-12, `activity ${j}`);
  }
  assert.equal(activeUnits(means, { dims: d, threshold: 0.001 }).count, 3, "a lower threshold");
  assert.throws(() => activeUnits([1, 2, 3], { dims: 2 }), /not a whole number of 2-D points/);
});

Deno.test("klPerDimension: hand values, and the entries sum to the model's KL term", () => {
  // Row 1: m = (1, 0), v = (0, log 4); row 2: m = (0, 2), v = (0, 0).
  const kl = klPerDimension([1, 0, 0, 2], [0, Math.log(4), 0, 0], 2);
  close(kl[0], (0.5 * 1 + 0) / 2, 1e-15, "dim 0");
  close(kl[1], (0.5 * (4 - 1 - Math.log(4)) + 0.5 * 4) / 2, 1e-15, "dim 1");
  const random = createRandom(2);
  const n = 50, d = 6;
  const m = Float32Array.from({ length: n * d }, () => random() * 4 - 2);
  const v = Float32Array.from({ length: n * d }, () => random() * 3 - 2);
  const perDim = klPerDimension(m, v, d);
  const total = tf.tidy(() => tf.mean(gaussianKl(tf.tensor2d(m, [n, d]), tf.tensor2d(v, [n, d]))));
  close(perDim.reduce((a, b) => a + b, 0), total.dataSync()[0], 1e-4, "sum = mean KL");
  total.dispose();
  assert.throws(() => klPerDimension([1, 2], [1], 1), /2 means but 1 log-variances/);
});

Deno.test("latentUsage of the VAE on real images: chunked, matches its posterior, no leaks", async () => {
  const kmnist = await loadKmnist();
  const set = takeSubset(kmnist.test, Int32Array.from({ length: 300 }, (_, i) => i * 31));
  const images = imagesToTensor(set);
  const vae = buildVariational({ latentDim: 8, seed: 4 });
  const before = tf.memory().numTensors;
  const usage = latentUsage(vae, images, { chunk: 128 });
  assert.equal(tf.memory().numTensors, before, "every tensor disposed");
  const { mean, logVar } = vae.posterior(images);
  const means = mean.dataSync(), logVars = logVar.dataSync();
  const direct = activeUnits(means, { dims: 8 });
  for (let j = 0; j < 8; j++) close(usage.activity[j], direct.activity[j], 1e-9, `activity ${j}`);
  const kl = tf.tidy(() => tf.mean(gaussianKl(mean, logVar)).dataSync()[0]);
  close(usage.kl, kl, 1e-4 * Math.max(1, kl), "KL");
  const perDim = klPerDimension(means, logVars, 8);
  for (let j = 0; j < 8; j++) close(usage.klPerDimension[j], perDim[j], 1e-5, `KL of dim ${j}`);
  tf.dispose([mean, logVar, images]);
  vae.dispose();
});

Deno.test("dead units of the VAE's 16-unit layer: units killed by their bias are found", () => {
  const vae = buildVariational({ latentDim: 32, seed: 2 });
  const images = tf.randomUniform([60, 28, 28, 1], 0, 1, "float32", 8) as tf.Tensor4D;
  const layer = vae.encoder.getLayer("enc_dense");
  const [kernel, bias] = layer.getWeights();
  const killed = bias.dataSync().slice();
  for (const unit of [0, 5, 11]) killed[unit] = -1e4;
  const newBias = tf.tensor1d(killed);
  layer.setWeights([kernel, newBias]);
  newBias.dispose();
  const before = tf.memory().numTensors;
  const dead = deadUnits(vae.encoder, "enc_dense", images, { chunk: 25 });
  assert.equal(tf.memory().numTensors, before, "every tensor disposed");
  assert.equal(dead.units, 16);
  assert.equal(dead.inputs, 60);
  for (const unit of [0, 5, 11]) assert.ok(dead.dead[unit], `unit ${unit} is dead`);
  // Against the activations computed directly.
  const probe = tf.model({
    inputs: vae.encoder.inputs,
    outputs: layer.output as tf.SymbolicTensor,
  });
  const activations = probe.predict(images) as tf.Tensor;
  assert.deepEqual(dead, deadUnitsOf(activations.dataSync(), 16));
  activations.dispose();
  assert.throws(() => deadUnits(vae.encoder, "nope", images), /no layer "nope"; its layers are/);
  images.dispose();
  vae.dispose();
});

Deno.test("deadUnitsOf counts units never positive", () => {
  const dead = deadUnitsOf([0, 1, 0, -2, 0, 0, 0, 3, -1], 3);
  assert.deepEqual(dead.dead, [true, false, true]);
  assert.equal(dead.fraction, 2 / 3);
  assert.throws(() => deadUnitsOf([1, 2], 3), /not rows of 3 units/);
});
