/**
 * The same model trained on each path (blas = wasm + OpenBLAS kernels, wasm, cpu) from the same
 * seed on the same real KMNIST images reaches the same test loss: the kernels change rounding
 * only. Conv model (conv2d, conv2dTranspose, dense, fused Adam), a few steps of batch 12.
 */
import * as tf from "@tensorflow/tfjs";
import { ok as assert } from "node:assert";
import { type BackendName, initBackend, loadBlas } from "@kmnist/tfjs-blas";
import { imagesToTensor, type KmnistDataset, loadKmnist } from "../lib/data/mod.ts";
import { buildModel } from "../lib/models/mod.ts";
import { createOptimizer } from "../lib/train/optimizer.ts";

const STEPS = 4;
const BATCH = 12;

async function trainAndTest(
  path: BackendName,
  data: KmnistDataset,
): Promise<{ first: number; test: number }> {
  await initBackend({ backend: path });
  const indices = Array.from({ length: STEPS * BATCH }, (_, i) => i);
  const train = imagesToTensor(data.train, indices);
  const test = imagesToTensor(data.test, Array.from({ length: 48 }, (_, i) => i));
  const model = buildModel({ kind: "convolutional", seed: 3 });
  const optimizer = createOptimizer({ learningRate: 1e-3 });
  let first = NaN;
  for (let s = 0; s < STEPS; s++) {
    const x = train.slice([s * BATCH, 0, 0, 0], [BATCH, 28, 28, 1]);
    const loss = optimizer.minimize(
      () => model.lossTerms(x, { step: s }).loss,
      true,
      model.trainableVariables,
    )!;
    if (s === 0) first = loss.dataSync()[0];
    tf.dispose([x, loss]);
  }
  const testLoss = tf.tidy(() => model.lossTerms(test).loss.dataSync()[0]);
  tf.dispose([train, test]);
  model.dispose();
  optimizer.dispose();
  return { first, test: testLoss };
}

Deno.test("conv model: same test loss after training on blas, wasm and cpu", async () => {
  const paths: BackendName[] = loadBlas() === null ? ["wasm", "cpu"] : ["blas", "wasm", "cpu"];
  const results = new Map<BackendName, { first: number; test: number }>();
  const data = await loadKmnist();
  for (const path of paths) results.set(path, await trainAndTest(path, data));
  const reference = results.get("cpu")!;
  assert(
    reference.test < reference.first,
    `training did not lower the loss: ${JSON.stringify(reference)}`,
  );
  for (const [path, r] of results) {
    const rel = Math.abs(r.test - reference.test) / reference.test;
    assert(rel < 1e-3, `${path}: test loss ${r.test} vs cpu ${reference.test} (rel ${rel})`);
  }
});
