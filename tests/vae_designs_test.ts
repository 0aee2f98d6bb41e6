/**
 * Tests of the VAE designs: sizes, the interface every design keeps, buildModel's `design`, and
 * checkpoints that name their design (old ones without a design load as the keras design).
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@kmnist/tfjs-blas";
import {
  buildModel,
  buildVariational,
  isVariational,
  parseDesign,
  VAE_DESIGNS,
  type VariationalAutoencoder,
} from "../lib/models/mod.ts";
import { checkpointFolder, loadModel, saveCheckpoint } from "../lib/train/mod.ts";

await initBackend();

Deno.test("each design has the parameter count of its layers", () => {
  // conv, z = 32: trunk 320 + 18,496; heads 2 · (3,136 · 32 + 32); decoder 103,488 + 36,928 +
  // 18,464 + 289.
  const conv = 320 + 18496 + 2 * (3136 * 32 + 32) + 103488 + 36928 + 18464 + 289;
  // conv-dense, z = 32: the same with 3,136 · 256 + 256 before heads of 2 · (256 · 32 + 32).
  const convDense = 320 + 18496 + 3136 * 256 + 256 + 2 * (256 * 32 + 32) + 103488 + 36928 +
    18464 + 289;
  // mlp, z = 20: 784·400+400, 2·(400·20+20), 20·400+400, 400·784+784.
  const mlp = 314000 + 2 * 8020 + 8400 + 314384;
  const cases: [VariationalAutoencoder, number][] = [
    [buildVariational({ latentDim: 2 }), 134165],
    [buildVariational({ design: "conv", latentDim: 32 }), conv],
    [buildVariational({ design: "conv-dense", latentDim: 32 }), convDense],
    [buildVariational({ design: "mlp", latentDim: 20 }), mlp],
  ];
  for (const [model, count] of cases) {
    assert.equal(model.countParams(), count, model.config.design ?? "");
    model.dispose();
  }
});

Deno.test("every design keeps the VAE interface: posterior, codes, images, loss terms", () => {
  const x = tf.randomUniform([5, 28, 28, 1], 0, 1, "float32", 1) as tf.Tensor4D;
  for (const design of VAE_DESIGNS) {
    const before = tf.memory().numTensors;
    const model = buildModel({ kind: "variational", design, latentDim: 6, seed: 2 });
    assert.ok(isVariational(model));
    assert.equal(model.config.design, design);
    const { mean, logVar } = model.posterior(x);
    const codes = model.encode(x);
    assert.deepEqual(mean.shape, [5, 6]);
    assert.deepEqual(logVar.shape, [5, 6]);
    assert.deepEqual(Array.from(codes.dataSync()), Array.from(mean.dataSync()));
    const images = model.decode(codes);
    assert.deepEqual(images.shape, [5, 28, 28, 1]);
    const terms = model.lossTerms(x, { step: 1 });
    const [loss, rec, kl] = [terms.loss, terms.reconstruction!, terms.kl!].map((t) =>
      t.dataSync()[0]
    );
    assert.ok(Math.abs(loss - (rec + kl)) < 1e-3 && kl > 0 && rec > 0, design);
    tf.dispose([mean, logVar, codes, images, terms.loss, terms.reconstruction, terms.kl]);
    model.dispose();
    assert.equal(tf.memory().numTensors, before, `${design} leaks tensors`);
  }
  x.dispose();
});

Deno.test("the conv designs' mean codes are not capped at rank 16 (the keras design's is)", () => {
  // 64 random images, a 32-D code: the rank of the [64, 32] matrix of means at initialisation.
  const x = tf.randomUniform([64, 28, 28, 1], 0, 1, "float32", 4) as tf.Tensor4D;
  const rank = (design: "keras" | "conv" | "conv-dense") => {
    const model = buildVariational({ design, latentDim: 32, seed: 0 });
    const { mean, logVar } = model.posterior(x);
    // Rank = number of eigenvalues of the centred Gram matrix above a relative threshold.
    const m = mean.arraySync();
    tf.dispose([mean, logVar]);
    model.dispose();
    const cols = m[0].length;
    const avg = Array.from({ length: cols }, (_, j) => m.reduce((s, r) => s + r[j], 0) / m.length);
    const c = m.map((r) => r.map((v, j) => v - avg[j]));
    // Gaussian elimination with partial pivoting in float64.
    let r = 0;
    const a = c.map((row) => [...row]);
    const scale = Math.max(...a.flat().map(Math.abs));
    for (let col = 0; col < cols && r < a.length; col++) {
      let p = r;
      for (let i = r + 1; i < a.length; i++) if (Math.abs(a[i][col]) > Math.abs(a[p][col])) p = i;
      if (Math.abs(a[p][col]) < 1e-4 * scale) continue;
      [a[r], a[p]] = [a[p], a[r]];
      for (let i = r + 1; i < a.length; i++) {
        const f = a[i][col] / a[r][col];
        for (let k = col; k < cols; k++) a[i][k] -= f * a[r][k];
      }
      r++;
    }
    return r;
  };
  assert.ok(rank("keras") <= 16, `keras rank ${rank("keras")}`);
  assert.equal(rank("conv"), 32);
  assert.equal(rank("conv-dense"), 32);
  x.dispose();
});

Deno.test("an unknown design is refused with the designs listed", () => {
  assert.throws(
    () => parseDesign("resnet"),
    /Unknown VAE design "resnet": use one of keras, conv, conv-dense, mlp/,
  );
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => buildVariational({ design: "big" as any }),
    /Unknown VAE design "big"/,
  );
});

Deno.test("checkpoints name the design; one that names none loads as the keras design", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kmnist_vae_design_" });
  try {
    const mlp = buildVariational({ design: "mlp", latentDim: 4, seed: 3 });
    await saveCheckpoint(path.join(dir, "mlp"), { model: mlp });
    const loaded = await loadModel(path.join(dir, "mlp"));
    assert.deepEqual(loaded.config, { kind: "variational", latentDim: 4, seed: 3, design: "mlp" });
    assert.deepEqual(
      loaded.model.getWeights().map((w) => Array.from(w.dataSync())),
      mlp.model.getWeights().map((w) => Array.from(w.dataSync())),
    );
    loaded.dispose();
    mlp.dispose();

    // A checkpoint written before designs existed: its config has no "design".
    const keras = buildVariational({ latentDim: 2, seed: 4 });
    const { design: _design, ...oldConfig } = keras.config;
    const old = path.join(dir, "old");
    await saveCheckpoint(old, { model: { ...keras, config: oldConfig } });
    const saved = JSON.parse(
      await Deno.readTextFile(path.join(await checkpointFolder(old), "model.json")),
    );
    assert.equal(saved.userDefinedMetadata.autoencoder.design, undefined);
    const fromOld = await loadModel(old);
    assert.equal(fromOld.config.design, "keras");
    assert.equal(fromOld.countParams(), 134165);
    fromOld.dispose();

    const future = path.join(dir, "future");
    const config = { ...keras.config, design: "transformer" as unknown as "keras" };
    await saveCheckpoint(future, { model: { ...keras, config } });
    await assert.rejects(() => loadModel(future), /names the VAE design "transformer"/);
    keras.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the conv-dense design's layer cannot die: every unit below zero still passes gradient", () => {
  // The keras design's ReLU layer dies when the KL term's first steps push every pre-activation
  // below zero. Here every pre-activation of the 256-unit layer is pushed below zero by its bias:
  // a ReLU would pass no gradient to its kernel; the ELU must.
  const before = tf.memory().numTensors;
  const x = tf.randomUniform([8, 28, 28, 1], 0, 1, "float32", 5) as tf.Tensor4D;
  const model = buildVariational({ design: "conv-dense", latentDim: 4, seed: 0 });
  const layer = model.encoder.getLayer("enc_dense");
  const [kernel, bias] = layer.getWeights();
  const negative = tf.fill(bias.shape, -10);
  layer.setWeights([kernel, negative]);
  const trunk = model.encoder.getLayer("enc_flatten");
  const probe = tf.model({
    inputs: model.encoder.inputs,
    outputs: trunk.output as tf.SymbolicTensor,
  });
  const highest = tf.tidy(() =>
    (probe.predict(x) as tf.Tensor2D).matMul(kernel as tf.Tensor2D).add(negative).max()
      .dataSync()[0]
  );
  assert.ok(highest < 0, `every pre-activation is below zero (highest ${highest})`);
  const variable = layer.trainableWeights[0].read() as tf.Variable;
  const { value, grads } = tf.variableGrads(
    () => model.lossTerms(x, { step: 1 }).loss as tf.Scalar,
    [variable],
  );
  const largest = tf.tidy(() => grads[variable.name].abs().max().dataSync()[0]);
  assert.ok(largest > 0, "the kernel gets gradient through units below zero");
  tf.dispose([x, negative, value, ...Object.values(grads)]);
  model.dispose();
  assert.equal(tf.memory().numTensors, before, "no tensor leaks");
});
