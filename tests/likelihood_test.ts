/**
 * ELBO and IWAE on the same images (lib/metrics/likelihood.ts) against a tractable model: a 1-D
 * latent z ~ N(0, 1) and a Bernoulli decoder sigmoid(a z + b) over the 784 pixels of real KMNIST
 * test images, whose log p(x) and ELBO are integrals over one dimension, computed in float64 by
 * quadrature. Also: k = 1 equals the ELBO image by image, the bound tightens with k, calls of any
 * size give the same estimates up to Monte Carlo noise, labels reach a conditional model's rows.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@kmnist/tfjs-blas";
import { createRandom, imagesToTensor, loadKmnist, takeSubset } from "../lib/data/mod.ts";
import { buildVariational } from "../lib/models/mod.ts";
import {
  importanceWeights,
  type LikelihoodModel,
  likelihoodReport,
  logMeanExp,
  meanWithError,
} from "../lib/metrics/mod.ts";

await initBackend({ backend: "blas" });

const PIXELS = 784;
const LOG_SD = Math.log(0.5);

/** The decoder's per-pixel slope and offset, seeded. */
function decoderWeights(): { a: Float64Array; b: Float64Array } {
  const random = createRandom(21);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return {
    a: Float64Array.from({ length: PIXELS }, () => 0.4 * normal()),
    b: Float64Array.from({ length: PIXELS }, () => -1.2 + 0.5 * normal()),
  };
}

/** q(z|x) = N(2 mean(x) - 0.4, 0.5^2): a deliberately imperfect posterior. */
function posteriorMean(pixels: ArrayLike<number>): number {
  let s = 0;
  for (let p = 0; p < PIXELS; p++) s += pixels[p];
  return 2 * (s / PIXELS) - 0.4;
}

function tractableModel(): LikelihoodModel & { calls: number[] } {
  const { a, b } = decoderWeights();
  const slope = tf.tensor2d(Float32Array.from(a), [1, PIXELS]);
  const offset = tf.tensor2d(Float32Array.from(b), [1, PIXELS]);
  const calls: number[] = [];
  return {
    calls,
    posterior(images) {
      return tf.tidy(() => {
        const n = images.shape[0];
        const mean = tf.sub(tf.mul(2, tf.mean(tf.reshape(images, [n, PIXELS]), 1, true)), 0.4);
        return { mean: mean as tf.Tensor2D, logVar: tf.fill([n, 1], 2 * LOG_SD) as tf.Tensor2D };
      });
    },
    decode(codes) {
      calls.push(codes.shape[0]);
      return tf.tidy(() =>
        tf.reshape(tf.sigmoid(tf.add(tf.matMul(codes, slope), offset)), [-1, 28, 28, 1])
      ) as tf.Tensor4D;
    },
  };
}

/** log p(x) and the ELBO of one image under the tractable model, by quadrature in float64. */
function reference(pixels: ArrayLike<number>): { logP: number; elbo: number } {
  const { a, b } = decoderWeights();
  const m = posteriorMean(pixels), sd = Math.exp(LOG_SD);
  const step = 0.005, logs: number[] = [];
  let elbo = 0;
  for (let z = -10; z <= 10; z += step) {
    let logLik = 0;
    for (let p = 0; p < PIXELS; p++) {
      const t = a[p] * z + b[p];
      // log sigmoid(t) and log(1 - sigmoid(t)), stably.
      const logOne = -Math.log1p(Math.exp(-t)), logZero = -t + logOne;
      logLik += pixels[p] * logOne + (1 - pixels[p]) * logZero;
    }
    const logPrior = -0.5 * (z * z + Math.log(2 * Math.PI));
    const logQ = -0.5 * (((z - m) / sd) ** 2 + Math.log(2 * Math.PI)) - Math.log(sd);
    logs.push(logLik + logPrior + Math.log(step));
    elbo += Math.exp(logQ) * step * (logLik + logPrior - logQ);
  }
  const max = Math.max(...logs);
  return { logP: max + Math.log(logs.reduce((s, v) => s + Math.exp(v - max), 0)), elbo };
}

async function testImages(count: number) {
  const kmnist = await loadKmnist();
  const set = takeSubset(kmnist.test, Int32Array.from({ length: count }, (_, i) => i * 97));
  return { set, tensor: imagesToTensor(set) };
}

Deno.test("IWAE and ELBO match a tractable model's log p(x) and ELBO computed by quadrature", async () => {
  const { set, tensor } = await testImages(6);
  const model = tractableModel();
  const before = tf.memory().numTensors;
  const report = likelihoodReport(model, tensor, { samples: 1000, checkSamples: 0, seed: 4 });
  assert.equal(tf.memory().numTensors, before, "every tensor disposed");
  assert.ok(model.calls.every((rows) => rows <= 1000), `decoder calls of ${model.calls}`);
  const logW = importanceWeights(model, tensor, { samples: 1000, seed: 4 });
  for (let i = 0; i < set.count; i++) {
    const pixels = set.images.subarray(i * PIXELS, (i + 1) * PIXELS);
    const { logP, elbo } = reference(Array.from(pixels, (v) => v / 255));
    // The sampled ELBO is unbiased: within 4 standard errors of the quadrature value.
    const row = logW.subarray(i * 1000, (i + 1) * 1000);
    const se = meanWithError(row).standardError;
    const negElbo = report.perImage.negativeElbo[i];
    assert.ok(
      Math.abs(-negElbo - elbo) < 4 * se + 1e-3,
      `ELBO ${i}: ${-negElbo} vs ${elbo} ± ${se}`,
    );
    // IWAE with k = 1000 lies between the ELBO and log p(x), close to log p(x).
    const negIwae = report.perImage.negativeIwae[i];
    assert.ok(-negIwae <= logP + 0.02, `IWAE ${i} ${-negIwae} above log p ${logP}`);
    assert.ok(
      logP - -negIwae < 0.1 * (logP - elbo) + 0.02,
      `IWAE ${i} ${-negIwae} far from ${logP}`,
    );
    assert.ok(logP - elbo > 0.3, `image ${i}: the posterior is imperfect (gap ${logP - elbo})`);
  }
  tensor.dispose();
});

Deno.test("k = 1 equals the ELBO image by image; the bound tightens as k grows", async () => {
  const { tensor } = await testImages(8);
  const model = tractableModel();
  const one = likelihoodReport(model, tensor, { samples: 1, checkSamples: 0 });
  assert.deepEqual(one.perImage.negativeElbo, one.perImage.negativeIwae);
  assert.equal(one.gap.mean, 0);
  const means = [1, 10, 100].map((k) =>
    likelihoodReport(model, tensor, { samples: k, checkSamples: 0, seed: 9 }).negativeIwae.mean
  );
  for (let i = 1; i < means.length; i++) {
    assert.ok(means[i] < means[i - 1], `-IWAE at k = ${[1, 10, 100][i]}: ${means}`);
  }
  // In expectation: E[IWAE_k] from 5,000 draws per image cut into 5,000 / k disjoint groups.
  const total = 5000, logW = importanceWeights(model, tensor, { samples: total, seed: 5 });
  const ks = [1, 5, 25, 125];
  const expected = ks.map((k) => {
    let sum = 0;
    for (let i = 0; i < 8; i++) {
      for (let g = 0; g < total / k; g++) {
        sum += logMeanExp(logW.subarray(i * total + g * k, i * total + (g + 1) * k));
      }
    }
    return sum / (8 * total / k);
  });
  for (let i = 1; i < expected.length; i++) {
    assert.ok(expected[i] > expected[i - 1], `E[IWAE_k] for k = ${ks}: ${expected}`);
  }
  tensor.dispose();
});

Deno.test("likelihoodReport: same images, paired gap, a k = 1,000 check; any call size", async () => {
  const { tensor } = await testImages(12);
  const model = tractableModel();
  const report = likelihoodReport(model, tensor, {
    samples: 100,
    checkSamples: 1000,
    checkImages: 5,
  });
  assert.equal(report.images, 12);
  assert.equal(report.perImage.negativeElbo.length, 12);
  for (let i = 0; i < 12; i++) {
    assert.ok(report.perImage.negativeElbo[i] >= report.perImage.negativeIwae[i], "Jensen");
  }
  const { check } = report;
  assert.ok(check && check.images === 5 && check.samples === 1000);
  // This model's bound has converged by k = 100: 1,000 samples change it by noise only.
  assert.ok(
    Math.abs(check.improvement.mean) < 4 * check.improvement.standardError + 0.02,
    `k = 100 -> 1000: ${check.improvement.mean} ± ${check.improvement.standardError}`,
  );
  assert.ok(Math.abs(check.improvement.mean) < report.gap.mean, "smaller than the ELBO-IWAE gap");
  assert.ok(report.negativeElbo.standardError > 0 && report.gap.standardError > 0);
  // Calls of 7 rows (one image's 100 samples over 15 calls) estimate the same bounds.
  model.calls.length = 0;
  const small = likelihoodReport(model, tensor, { samples: 100, checkSamples: 0, chunkRows: 7 });
  assert.ok(model.calls.every((rows) => rows <= 7));
  const tolerance = 4 * Math.hypot(report.negativeIwae.standardError, 0.05);
  assert.ok(
    Math.abs(small.negativeElbo.mean - report.negativeElbo.mean) <
      4 * report.gap.standardError + 0.2,
    `${small.negativeElbo.mean} vs ${report.negativeElbo.mean}`,
  );
  assert.ok(Math.abs(small.negativeIwae.mean - report.negativeIwae.mean) < tolerance);
  // Seeded: the same call twice gives the same numbers.
  assert.deepEqual(
    likelihoodReport(model, tensor, { samples: 10, checkSamples: 0, seed: 2 }).perImage,
    likelihoodReport(model, tensor, { samples: 10, checkSamples: 0, seed: 2 }).perImage,
  );
  tensor.dispose();
});

Deno.test("labels reach a conditional model's posterior and decoder rows in order", () => {
  // Image i is filled with i / 100; its label is i % 7. The posterior puts z at the label.
  const n = 9;
  const images = tf.tidy(() =>
    tf.mul(tf.reshape(tf.range(0, n), [n, 1, 1, 1]), tf.ones([n, 28, 28, 1])).div(100)
  ) as tf.Tensor4D;
  const labels = Int32Array.from({ length: n }, (_, i) => i % 7);
  let decoded = 0;
  const conditional: LikelihoodModel = {
    posterior(x, rowLabels) {
      const firstPixels = tf.tidy(() => tf.reshape(tf.slice(x, [0, 0, 0, 0], [-1, 1, 1, 1]), [-1]));
      const indices = Array.from(firstPixels.dataSync(), (v) => Math.round(v * 100));
      firstPixels.dispose();
      assert.deepEqual(Array.from(rowLabels!), indices.map((i) => i % 7), "posterior labels");
      return tf.tidy(() => ({
        mean: tf.tensor2d(Float32Array.from(rowLabels!), [rowLabels!.length, 1]),
        logVar: tf.fill([rowLabels!.length, 1], -30) as tf.Tensor2D,
      }));
    },
    decode(codes, rowLabels) {
      const z = codes.dataSync();
      assert.deepEqual(
        Array.from(z, (v) => Math.round(v) || 0),
        Array.from(rowLabels!),
        "decoder labels",
      );
      decoded += codes.shape[0];
      return tf.fill([codes.shape[0], 28, 28, 1], 0.5) as tf.Tensor4D;
    },
  };
  likelihoodReport(conditional, images, {
    samples: 4,
    checkSamples: 3,
    checkImages: 2,
    labels,
    chunkRows: 10,
  });
  assert.equal(decoded, n * 4 + 2 * 3);
  assert.throws(
    () => importanceWeights(conditional, images, { labels: [1, 2] }),
    /2 labels for 9 images/,
  );
  images.dispose();
});

Deno.test("the project's VAE: k = 1 equals its ELBO, IWAE below ELBO, nothing leaks", () => {
  const vae = buildVariational({ latentDim: 8, seed: 1 });
  const images = tf.randomUniform([6, 28, 28, 1], 0, 1, "float32", 3) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const one = likelihoodReport(vae, images, { samples: 1, checkSamples: 0 });
  assert.deepEqual(one.perImage.negativeElbo, one.perImage.negativeIwae);
  const many = likelihoodReport(vae, images, { samples: 50, checkSamples: 200, checkImages: 2 });
  assert.ok(many.negativeIwae.mean < many.negativeElbo.mean);
  assert.equal(tf.memory().numTensors, before);
  images.dispose();
  vae.dispose();
});
