/** A tfjs smoke test on every backend this project can select. */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@kmnist/tfjs-blas";

for (const backend of ["wasm", "cpu"] as const) {
  Deno.test(`tfjs computes a matmul and a gradient on the ${backend} backend`, async () => {
    const info = await initBackend({ backend });
    assert.equal(info.name, backend);
    assert.equal(tf.getBackend(), backend);
    if (backend === "wasm") {
      assert.equal(info.simd, true, "the wasm backend should run its SIMD build");
    }
    const before = tf.memory().numTensors;
    const [product, gradient] = tf.tidy(() => {
      const a = tf.tensor2d([[1, 2], [3, 4]]);
      const b = tf.tensor2d([[5, 6], [7, 8]]);
      // d/da sum(a @ b) = ones @ b^T: every row is [5+6, 7+8] = [11, 15]
      const grad = tf.grad((x: tf.Tensor) => tf.matMul(x as tf.Tensor2D, b).sum())(a);
      return [tf.matMul(a, b), grad];
    });
    assert.deepEqual(Array.from(await product.data()), [19, 22, 43, 50]);
    assert.deepEqual(Array.from(await gradient.data()), [11, 15, 11, 15]);
    tf.dispose([product, gradient]);
    assert.equal(tf.memory().numTensors, before);
  });
}

Deno.test("an unknown backend name is refused with the list of choices", async () => {
  await assert.rejects(
    initBackend({ backend: "webgpu" as "cpu" }),
    /Unknown backend "webgpu".*use one of/,
  );
});
