/** Tests of the four autoencoders: sizes, shapes, seeding, chunked inference, losses, disposal. */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@kmnist/tfjs-blas";
import {
  AUTOENCODER_KINDS,
  binaryCrossEntropyPerImage,
  buildClassifier,
  buildModel,
  buildMultilayer,
  buildVariational,
  deriveSeed,
  forwardMacs,
  gaussianKl,
  parseKind,
} from "../lib/models/mod.ts";
import { meanSquaredError } from "../lib/models/common.ts";

await initBackend();

const EXPECTED_PARAMS = {
  vanilla: 50992,
  multilayer: 476720,
  convolutional: 278369,
  variational: 134165,
};

Deno.test("parameter counts match the reference architectures", () => {
  for (const kind of AUTOENCODER_KINDS) {
    const model = buildModel({ kind });
    assert.equal(model.countParams(), EXPECTED_PARAMS[kind], kind);
    // The trainable variables are exactly the model's weights.
    const counted = model.trainableVariables.reduce((s, v) => s + v.size, 0);
    assert.equal(counted, EXPECTED_PARAMS[kind], `${kind} variables`);
    model.dispose();
  }
  const vae8 = buildVariational({ latentDim: 8 });
  // z_mean and z_log_var grow by 2 x 16 x 6 + 2 x 6, the decoder's dense by 6 x 3136.
  assert.equal(vae8.countParams(), 134165 + 2 * (16 * 6 + 6) + 6 * 3136);
  vae8.dispose();
  assert.equal(
    buildMultilayer({ hidden: [64] }).countParams(),
    784 * 64 + 64 + 64 * 32 + 32 + 32 * 64 + 64 + 64 * 784 + 784,
  );
});

Deno.test("encode, decode and reconstruct have the right shapes and sigmoid outputs", () => {
  const x = tf.randomUniform([5, 28, 28, 1], 0, 1, "float32", 1) as tf.Tensor4D;
  for (const kind of AUTOENCODER_KINDS) {
    const model = buildModel({ kind, seed: 2 });
    const latent = kind === "variational" ? 2 : 32;
    assert.equal(model.config.latentDim, latent);
    const code = model.encode(x);
    assert.deepEqual(code.shape, [5, latent], kind);
    const image = model.decode(code);
    assert.deepEqual(image.shape, [5, 28, 28, 1], kind);
    const recon = model.reconstruct(x);
    assert.deepEqual(recon.shape, [5, 28, 28, 1], kind);
    const values = recon.dataSync();
    assert.ok(values.every((v) => v > 0 && v < 1), `${kind} outputs in (0,1)`);
    // reconstruct = decode(encode(x)) (for the VAE: through z_mean, no sampling).
    const diff = tf.max(tf.abs(tf.sub(recon, image))).dataSync()[0];
    assert.ok(diff < 1e-6, `${kind} reconstruct vs decode(encode) ${diff}`);
    tf.dispose([code, image, recon]);
    model.dispose();
  }
  x.dispose();
});

Deno.test("inference in chunks of 1000 gives the same values as small batches", () => {
  const model = buildModel({ kind: "vanilla", seed: 4 });
  const x = tf.randomUniform([2003, 28, 28, 1], 0, 1, "float32", 5) as tf.Tensor4D;
  const all = model.reconstruct(x);
  assert.deepEqual(all.shape, [2003, 28, 28, 1]);
  for (const start of [0, 999, 1000, 2000]) {
    const part = tf.slice(x, [start, 0, 0, 0], [3, -1, -1, -1]) as tf.Tensor4D;
    const direct = model.reconstruct(part);
    const fromAll = tf.slice(all, [start, 0, 0, 0], [3, -1, -1, -1]);
    const diff = tf.max(tf.abs(tf.sub(direct, fromAll))).dataSync()[0];
    assert.ok(diff < 1e-6, `rows ${start}.. differ by ${diff}`);
    tf.dispose([part, direct, fromAll]);
  }
  const codes = model.encode(x);
  assert.deepEqual(codes.shape, [2003, 32]);
  tf.dispose([x, all, codes]);
  model.dispose();
});

Deno.test("the seed decides every initial weight", () => {
  const weights = (seed: number) => {
    const model = buildModel({ kind: "convolutional", seed });
    const values = model.model.getWeights().map((w) => Array.from(w.dataSync()));
    model.dispose();
    return values;
  };
  const a = weights(7), b = weights(7), c = weights(8);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a[0], c[0]);
  // Kernels are initialised (non-zero), biases are zeros.
  assert.ok(a[0].some((v) => v !== 0));
  assert.ok(a[1].every((v) => v === 0));
  const seeds = new Set(Array.from({ length: 100 }, (_, i) => deriveSeed(0, i)));
  assert.equal(seeds.size, 100);
  assert.notEqual(deriveSeed(0, 1), deriveSeed(1, 0));
});

Deno.test("MSE models: lossTerms is the mean squared error against the target", () => {
  const model = buildModel({ kind: "multilayer", seed: 1 });
  const x = tf.randomUniform([4, 28, 28, 1], 0, 1, "float32", 3) as tf.Tensor4D;
  const target = tf.zerosLike(x) as tf.Tensor4D;
  const terms = model.lossTerms(x, { target });
  const recon = model.reconstruct(x);
  const expected = tf.mean(tf.square(recon)).dataSync()[0];
  assert.ok(Math.abs(terms.loss.dataSync()[0] - expected) < 1e-6);
  assert.equal(terms.kl, undefined);
  tf.dispose([x, target, terms.loss, recon]);
  model.dispose();
});

Deno.test("VAE: loss = reconstruction + KL, seeded by the step", () => {
  const vae = buildVariational({ seed: 5 });
  const x = tf.randomUniform([6, 28, 28, 1], 0, 1, "float32", 9) as tf.Tensor4D;
  const read = (step: number) => {
    const t = vae.lossTerms(x, { step });
    const values = [t.loss, t.reconstruction!, t.kl!].map((s) => s.dataSync()[0]);
    tf.dispose([t.loss, t.reconstruction, t.kl]);
    return values;
  };
  const [loss, rec, kl] = read(3);
  assert.ok(Math.abs(loss - (rec + kl)) < 1e-3);
  assert.ok(kl >= 0);
  // BCE summed over 784 pixels: around 784 x ln 2 for an untrained decoder.
  assert.ok(rec > 300 && rec < 800, `reconstruction ${rec}`);
  assert.deepEqual(read(3), [loss, rec, kl]);
  assert.notDeepEqual(read(4), [loss, rec, kl]);
  const posterior = vae.posterior(x);
  assert.deepEqual(posterior.mean.shape, [6, 2]);
  assert.deepEqual(posterior.logVar.shape, [6, 2]);
  tf.dispose([x, posterior.mean, posterior.logVar]);
  vae.dispose();
});

Deno.test("summary lists the layers and the total", () => {
  const text = buildModel({ kind: "convolutional" }).summary();
  for (const name of ["enc_conv1", "enc_conv2", "enc_code", "dec_dense", "dec_deconv3"]) {
    assert.ok(text.includes(name), name);
  }
  assert.ok(text.includes("Total params: 278369"));
});

Deno.test("parseKind accepts aliases and rejects unknown kinds", () => {
  assert.equal(parseKind("convolutional"), "convolutional");
  assert.throws(
    () => parseKind("conv"),
    /Unknown model kind "conv": use one of vanilla, multilayer, convolutional, variational/,
  );
  assert.equal(parseKind("variational"), "variational");
  assert.throws(() => parseKind("gan"), /Unknown model kind "gan": use one of vanilla/);
  assert.throws(
    () => buildModel({ kind: "vanilla", latentDim: 0 }),
    /latentDim must be a positive integer/,
  );
});

Deno.test("dispose frees every tensor of a model", () => {
  const before = tf.memory().numTensors;
  for (const kind of AUTOENCODER_KINDS) buildModel({ kind }).dispose();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("the VAE's loss pieces match hand-computed values", () => {
  // KL(N(mu, s^2) || N(0, 1)) = 0.5 (mu^2 + s^2 - 1 - ln s^2), summed over dimensions.
  const kl = gaussianKl(tf.tensor2d([[1, 0], [0, 0]]), tf.tensor2d([[0, Math.log(2)], [0, 0]]));
  const [k0, k1] = kl.dataSync();
  assert.ok(Math.abs(k0 - (0.5 + 0.5 * (2 - 1 - Math.log(2)))) < 1e-6, `${k0}`);
  assert.ok(k1 === 0, `${k1}`); // -0 from the float maths is fine
  // BCE summed over each image's pixels, probabilities clipped to [1e-7, 1 - 1e-7].
  const bce = binaryCrossEntropyPerImage(
    tf.tensor2d([[1, 0, 0.5], [1, 1, 1]]),
    tf.tensor2d([[0.8, 0.1, 0.5], [1, 1, 1]]),
  );
  const [b0, b1] = bce.dataSync();
  assert.ok(Math.abs(b0 - (-Math.log(0.8) - Math.log(0.9) + Math.log(2))) < 1e-5, `${b0}`);
  assert.ok(b1 > 0 && b1 < 1e-5, `${b1}`);
  tf.dispose([kl, bce]);
});

Deno.test("the MSE loss and its written-out gradient equal tfjs's own, for both inputs, no leaks", () => {
  const before = tf.memory().numTensors;
  const a = tf.tensor2d([[0.1, 0.9, 0.4], [1, 0, 0.25]]);
  const b = tf.tensor2d([[0.3, 0.2, 0.4], [0.5, 0.75, 1]]);
  for (const scale of [1, 3.5]) {
    // The gradient of scale · loss checks that dy (here 3.5) is carried through.
    const ours = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.mul(meanSquaredError(x, y), scale))(
      [a, b],
    );
    const reference = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
      tf.mul(tf.mean(tf.squaredDifference(x, y)), scale)
    )([a, b]);
    ours.forEach((g, i) => {
      const got = g.dataSync(), want = reference[i].dataSync();
      got.forEach((v, j) =>
        assert.ok(
          Math.abs(v - want[j]) <= 1e-6 * Math.abs(want[j]),
          `input ${i}: ${v} vs ${want[j]}`,
        )
      );
    });
    tf.dispose([...ours, ...reference]);
  }
  const loss = meanSquaredError(a, b);
  assert.ok(Math.abs(loss.dataSync()[0] - (0.04 + 0.49 + 0 + 0.25 + 0.5625 + 0.5625) / 6) < 1e-7);
  const wrong = tf.zeros([3, 2]);
  assert.throws(() => meanSquaredError(a, wrong), /differ in shape/);
  tf.dispose([a, b, loss, wrong]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("forwardMacs counts the reference's multiply-adds from the layers", () => {
  // ../shared/reference/MODELS.md: vanilla 50,176; deep 475,136; conv ~6.8M; vae ~6.7M.
  const expected = {
    vanilla: 50_176,
    multilayer: 475_136,
    convolutional: 6_805_120,
    variational: 6_660_928,
  } as const;
  for (const [kind, macs] of Object.entries(expected)) {
    const model = buildModel({ kind: kind as keyof typeof expected, seed: 0 });
    assert.equal(forwardMacs(model.encoder) + forwardMacs(model.decoder), macs, kind);
    assert.equal(forwardMacs(model.model), macs, `${kind}: the joined model counts the same`);
    model.dispose();
  }
  // The classifier with two convolutions per block, by hand: 28·28·32·9·1 + 28·28·32·9·32 +
  // 14·14·64·9·32 + 14·14·64·9·64 + 3136·128 + 128·10.
  const classifier = buildClassifier({ convsPerBlock: 2 });
  assert.equal(
    forwardMacs(classifier.model),
    225_792 + 7_225_344 + 3_612_672 + 7_225_344 + 401_408 + 1_280,
  );
  classifier.dispose();
  // The MLP VAE 784-400-20-400-784: 784·400 + 2·400·20 + 20·400 + 400·784.
  const mlp = buildVariational({ design: "mlp", latentDim: 20 });
  assert.equal(forwardMacs(mlp.encoder) + forwardMacs(mlp.decoder), 651_200);
  mlp.dispose();
});

Deno.test("forwardMacs refuses a layer with weights it does not know, rather than count it free", () => {
  const input = tf.input({ shape: [4, 8] });
  const conv1d = tf.layers.conv1d({ filters: 3, kernelSize: 2 }).apply(input) as tf.SymbolicTensor;
  const withConv1d = tf.model({ inputs: input, outputs: conv1d });
  assert.throws(() => forwardMacs(withConv1d), /is a Conv1D, a kind with weights .*macs\.ts/);
  const lstm = tf.layers.lstm({ units: 3 }).apply(input) as tf.SymbolicTensor;
  const withLstm = tf.model({ inputs: input, outputs: lstm });
  assert.throws(() => forwardMacs(withLstm), /\(LSTM\) has no kernel; count it by hand/);
  withConv1d.dispose();
  withLstm.dispose();
});
