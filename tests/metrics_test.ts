/** Unit tests of every metric against hand-computed or independently computed values. */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@kmnist/tfjs-blas";
import { imagesToTensor, loadKmnist, takeSubset } from "../lib/data/mod.ts";
import { buildModel, buildVariational } from "../lib/models/mod.ts";
import {
  bcePerImage,
  evaluate,
  gaussianKernel,
  importanceWeightedNll,
  logMeanExp,
  msePerImage,
  negativeElbo,
  psnr,
  ssimPerImage,
} from "../lib/metrics/mod.ts";

await initBackend({ backend: "cpu" });

function close(actual: number, expected: number, tolerance: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: got ${actual}, expected ${expected} (±${tolerance})`,
  );
}

Deno.test("msePerImage and bcePerImage match hand computation on 4-pixel images", () => {
  const target = [0, 1, 0.5, 0.25, 1, 1, 1, 1];
  const output = [0.1, 0.8, 0.5, 0.25, 1, 1, 1, 1];
  const mse = msePerImage(target, output, { pixels: 4 });
  close(mse[0], (0.01 + 0.04) / 4, 1e-15, "mse image 0");
  assert.equal(mse[1], 0);
  const bce = bcePerImage(target, output, { pixels: 4 });
  const expected = (-Math.log(0.9) - Math.log(0.8) + Math.log(2) -
    (0.25 * Math.log(0.25) + 0.75 * Math.log(0.75))) / 4;
  close(bce[0], expected, 1e-12, "bce image 0");
  // Output 1 is clipped to 1 - 1e-7: -log(1 - 1e-7) per pixel, not 0 or NaN.
  close(bce[1], -Math.log(1 - 1e-7), 1e-12, "bce image 1");
  assert.throws(() => msePerImage([0, 1, 2], [0, 1], { pixels: 1 }), /differ in size/);
  assert.throws(() => msePerImage([0, 1, 2], [0, 1, 2], { pixels: 2 }), /whole number/);
});

Deno.test("psnr is 10 log10(range^2 / mse), capped for a perfect reconstruction", () => {
  close(psnr(0.01), 20, 1e-12, "psnr 0.01");
  close(psnr(0.001), 30, 1e-12, "psnr 0.001");
  close(psnr(0.25, 2), 10 * Math.log10(16), 1e-12, "psnr range 2");
  assert.equal(psnr(0), 100);
  assert.throws(() => psnr(-1), /mse must be >= 0/);
});

Deno.test("the SSIM window is the normalised 11-tap Gaussian with sigma 1.5", () => {
  const k = gaussianKernel();
  assert.equal(k.length, 11);
  close(k.reduce((s, v) => s + v, 0), 1, 1e-15, "sum");
  close(k[5] / k[6], Math.exp(1 / (2 * 1.5 * 1.5)), 1e-12, "ratio centre/neighbour");
  close(k[0], k[10], 0, "symmetry");
});

Deno.test("ssim: 1 for identical images, the closed form for constant images", () => {
  const a = new Float32Array(784).map((_, p) => ((p * 37) % 101) / 100);
  close(ssimPerImage(a, a)[0], 1, 1e-12, "identical");
  // Constant images: zero variances, so SSIM = (2ab + C1) / (a^2 + b^2 + C1) everywhere.
  const c1 = 0.01 ** 2;
  const x = new Float64Array(784).fill(0.2), y = new Float64Array(784).fill(0.6);
  close(ssimPerImage(x, y)[0], (2 * 0.2 * 0.6 + c1) / (0.04 + 0.36 + c1), 1e-12, "constants");
});

Deno.test("ssim matches an independent scipy implementation (gaussian_filter, reflect, crop 5)", () => {
  // Reference values: numpy/scipy 1.17, scipy.ndimage.gaussian_filter(sigma=1.5, truncate=3.5),
  // the skimage formulas (use_sample_covariance=False), mean over [5:-5, 5:-5].
  const a = new Float64Array(784).map((_, p) => ((p * 37) % 101) / 100);
  const b = a.map((v, p) => Math.min(1, Math.max(0, v * 0.8 + ((p * 13) % 17) / 100)));
  close(ssimPerImage(a, b)[0], 0.9567114010612539, 1e-10, "pseudo-random pair");
  const c = new Float64Array(784), d = new Float64Array(784);
  for (let yy = 0; yy < 28; yy++) {
    for (let xx = 0; xx < 28; xx++) {
      c[yy * 28 + xx] = Math.exp(-((xx - 14) ** 2 + (yy - 12) ** 2) / 40);
      d[yy * 28 + xx] = 0.9 * Math.exp(-((xx - 15) ** 2 + (yy - 13) ** 2) / 50);
    }
  }
  close(ssimPerImage(c, d)[0], 0.8923918607077316, 1e-10, "smooth pair");
  // Two images at once give the two values.
  const both = ssimPerImage(new Float64Array([...a, ...c]), new Float64Array([...b, ...d]));
  close(both[1], 0.8923918607077316, 1e-10, "second of a batch");
});

Deno.test("logMeanExp is exact and stable far from 0", () => {
  close(logMeanExp([0, Math.log(3)]), Math.log(2), 1e-15, "small");
  close(logMeanExp([1000, 1000]), 1000, 1e-12, "large (naive exp overflows)");
  close(logMeanExp([-1000, -1000 + Math.log(3)]), -1000 + Math.log(2), 1e-12, "very negative");
  assert.equal(logMeanExp([-Infinity, -Infinity]), -Infinity);
});

Deno.test("IWAE -log p(x) is below the negative ELBO of the same samples; k=1 equals it", () => {
  const before = tf.memory().numTensors;
  const vae = buildVariational({ seed: 3 });
  const images = tf.randomUniform([5, 28, 28, 1], 0, 1, "float32", 11) as tf.Tensor4D;
  const many = importanceWeightedNll(vae, images, { samples: 16, seed: 1 });
  assert.ok(Number.isFinite(many.nll) && many.nll > 0);
  assert.ok(many.nll < many.negativeElbo, `${many.nll} vs ${many.negativeElbo}`);
  assert.equal(many.perImage.length, 5);
  const one = importanceWeightedNll(vae, images, { samples: 1, seed: 1 });
  close(one.nll, one.negativeElbo, 1e-9 * one.nll, "k = 1");
  // The sampled negative ELBO estimates the analytic-KL one: close for an untrained model.
  const elbo = negativeElbo(vae, images, { seed: 1 });
  close(elbo.negativeElbo, elbo.reconstruction + elbo.kl, 1e-6 * elbo.negativeElbo, "sum of terms");
  close(many.negativeElbo, elbo.negativeElbo, 0.05 * elbo.negativeElbo, "sampled vs analytic KL");
  images.dispose();
  vae.dispose();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("evaluate on real test images agrees with direct tensor computation and is JSON-able", async () => {
  const kmnist = await loadKmnist();
  const test = takeSubset(kmnist.test, Int32Array.from({ length: 300 }, (_, i) => i * 33));
  const train = takeSubset(kmnist.train, Int32Array.from({ length: 400 }, (_, i) => i));
  const before = tf.memory().numTensors;
  const model = buildModel({ kind: "vanilla", seed: 1 });
  const report = evaluate(model, { test, train });
  const [mse, bce] = tf.tidy(() => {
    const x = imagesToTensor(test);
    const r = model.reconstruct(x);
    const p = tf.clipByValue(r, 1e-7, 1 - 1e-7);
    const b = tf.neg(
      tf.mean(tf.add(tf.mul(x, tf.log(p)), tf.mul(tf.sub(1, x), tf.log(tf.sub(1, p))))),
    );
    return [tf.mean(tf.squaredDifference(x, r)).dataSync()[0], b.dataSync()[0]];
  });
  close(report.mse, mse, 1e-6, "mse");
  close(report.bce, bce, 1e-5, "bce");
  assert.equal(report.testImages, 300);
  assert.equal(report.parameters, 50992);
  assert.equal(report.perClass.reduce((s, c) => s + c.count, 0), 300);
  const weighted = report.perClass.reduce((s, c) => s + c.mse * c.count, 0) / 300;
  close(weighted, report.mse, 1e-12, "per-class mse averages to the total");
  assert.ok(report.ssim > -1 && report.ssim < 1);
  assert.ok(report.psnr > 0 && report.psnr < 100);
  assert.equal(report.knn?.k, 4);
  assert.equal(report.knn?.rawPixelBaseline, 0.921);
  assert.ok(report.knn!.accuracy > 0.1, `knn accuracy ${report.knn!.accuracy}`);
  assert.equal(report.vae, undefined);
  assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
  model.dispose();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("evaluate reports the VAE's likelihoods on a fixed subset", async () => {
  const kmnist = await loadKmnist();
  const test = takeSubset(kmnist.test, Int32Array.from({ length: 40 }, (_, i) => i * 250));
  const vae = buildVariational({ seed: 0 });
  const report = evaluate(vae, { test, iwaeSamples: 8, iwaeImages: 10 });
  assert.equal(report.knn, undefined);
  assert.equal(report.vae?.iwaeImages, 10);
  assert.equal(report.vae?.iwaeSamples, 8);
  assert.ok(report.vae!.negativeElbo > 0 && report.vae!.kl >= 0);
  assert.ok(Number.isFinite(report.vae!.iwaeNll));
  // The IWAE bound and the -ELBO of the same images and draws: Jensen orders them.
  assert.ok(report.vae!.iwaeNll! <= report.vae!.iwaeNegativeElbo!);
  assert.ok(
    report.vae!.iwaeNllStandardError! > 0 && report.vae!.iwaeNegativeElboStandardError! > 0,
  );
  vae.dispose();
});
