/**
 * Memory the blas kernels keep between calls (the im2col matrices a forward convolution keeps for
 * the filter gradient of the same input; the buffer of ones of the OpenBLAS Sum) passes tfjs's
 * leak check (`IS_TEST`: no kernel may leave data ids behind), is freed when its input tensor is
 * disposed, and stays within its bound.
 */
import * as tf from "@tensorflow/tfjs";
import { ok as assert } from "node:assert";
import { initBackend } from "../mod.ts";
import { loadBlas, registerFastKernels } from "../kernel_sets.ts";

const ignore = loadBlas() === null;

/** Data ids the wasm backend holds right now, kept buffers included. */
function heldDataIds(): number {
  const backend = tf.backend() as unknown as { dataIdMap: { numDataIds(): number } };
  return backend.dataIdMap.numDataIds();
}

/** Runs `fn` with tfjs's test mode (leak check after every kernel) on. */
function inTestMode<T>(fn: () => T): T {
  const before = tf.env().getBool("IS_TEST");
  tf.env().set("IS_TEST", true);
  try {
    return fn();
  } finally {
    tf.env().set("IS_TEST", before);
  }
}

for (const native of [true, false]) {
  const label = native ? "" : " (JS helpers)";
  Deno.test({
    name: `kept im2col matrices pass the leak check and go with their input${label}`,
    ignore,
    fn: async () => {
      await initBackend({ backend: "blas" });
      registerFastKernels({ native });
      const start = heldDataIds();
      // Batch 1, 16 channels, stride 2: the GEMM path that keeps x's im2col matrix.
      const x = tf.randomUniform([1, 8, 8, 16], -1, 1, "float32", 1) as tf.Tensor4D;
      const f = tf.randomUniform([3, 3, 16, 4], -1, 1, "float32", 2) as tf.Tensor4D;
      const b = tf.randomUniform([4], -1, 1, "float32", 3);
      inTestMode(() => {
        tf.dispose(tf.conv2d(x, f, 2, "same"));
        const fused = { x, filter: f, strides: 2, pad: "same" as const, bias: b };
        tf.dispose(tf.fused.conv2d({ ...fused, activation: "relu" }));
        const g = tf.grad((w) => tf.conv2d(x, w as tf.Tensor4D, 2, "same").sum())(f);
        g.dispose();
      });
      tf.dispose([x, f, b]);
      assert(
        heldDataIds() === start,
        `${heldDataIds() - start} data ids still held after every tensor was disposed`,
      );
    },
  });

  Deno.test({
    name: `kept im2col matrices are bounded${label}`,
    ignore,
    fn: async () => {
      await initBackend({ backend: "blas" });
      registerFastKernels({ native });
      const f = tf.randomUniform([3, 3, 16, 4], -1, 1, "float32", 2) as tf.Tensor4D;
      const start = heldDataIds();
      const inputs: tf.Tensor4D[] = [];
      for (let i = 0; i < 12; i++) {
        const x = tf.randomUniform([1, 8, 8, 16], -1, 1, "float32", 10 + i) as tf.Tensor4D;
        inputs.push(x);
        tf.conv2d(x, f, 2, "same").dispose();
      }
      const kept = heldDataIds() - start - inputs.length;
      tf.dispose(inputs);
      f.dispose();
      assert(kept <= 8, `${kept} im2col matrices kept for 12 live inputs (at most 8 allowed)`);
      assert(heldDataIds() === start - 1, "kept matrices outlived their inputs");
    },
  });
}

Deno.test({
  name: "the OpenBLAS Sum (without the native helpers) passes the leak check and keeps nothing",
  ignore,
  fn: async () => {
    await initBackend({ backend: "blas" });
    registerFastKernels({ native: false });
    const start = heldDataIds();
    const x = tf.tensor3d(Array.from({ length: 60 }, (_, i) => i), [3, 4, 5]);
    const sums = inTestMode(() => tf.sum(x, [0, 1]));
    const expected = Array.from({ length: 5 }, (_, c) => {
      let s = 0;
      for (let r = 0; r < 12; r++) s += r * 5 + c;
      return s;
    });
    const got = Array.from(sums.dataSync());
    assert(got.every((v, i) => v === expected[i]), `sums ${got} != ${expected}`);
    tf.dispose([x, sums]);
    assert(heldDataIds() === start, `${heldDataIds() - start} data ids held after the Sum`);
  },
});
