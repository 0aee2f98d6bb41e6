/**
 * The replaced kernels check their inputs as tfjs's own do (found by tfjs-core's test suite, see
 * packages/tfjs_blas/conformance/): a dy whose shape is not the one the geometry implies, or
 * matrices whose inner dimensions differ, never reach a GEMM that would read past a tensor.
 */
import * as tf from "@tensorflow/tfjs";
import { ok as assert, throws } from "node:assert";
import { type BackendName, initBackend } from "../mod.ts";
import { FUSED_CONV2D_TRANSPOSE, loadBlas, registerFastKernels } from "../kernel_sets.ts";
import { relError } from "../../../tests/helpers/numeric.ts";

/** The project's kernel sets: wasm, blas with and without the native helpers. */
const SETS: { label: string; backend: BackendName; native?: boolean }[] = [
  { label: "wasm", backend: "wasm" },
  ...(loadBlas() === null ? [] : [
    { label: "blas", backend: "blas" as const },
    { label: "blas (JS helpers)", backend: "blas" as const, native: false },
  ]),
];

async function use(set: (typeof SETS)[number]): Promise<void> {
  await initBackend({ backend: set.backend });
  if (set.native === false) registerFastKernels({ native: false });
}

/** tfjs-core's "conv2dTranspose input=8x8x8, output=4x4x8, f=8, s=1, same": dy is [1,8,8,8]. */
function transposeWithLargeDy(): tf.Tensor {
  const x = tf.tensor4d(Array.from({ length: 512 }, (_, i) => i % 5), [1, 8, 8, 8]);
  const w = tf.tensor4d(Array.from({ length: 4096 }, (_, i) => i % 5), [8, 8, 8, 8]);
  return tf.conv2dTranspose(x, w, [1, 4, 4, 8], 1, "same");
}

Deno.test("conv2dTranspose with a dy larger than the geometry implies gives tfjs's numbers", async () => {
  await initBackend({ backend: "cpu" });
  const expected = tf.tidy(() => transposeWithLargeDy().dataSync() as Float32Array);
  for (const set of SETS) {
    await use(set);
    const got = tf.tidy(() => transposeWithLargeDy().dataSync() as Float32Array);
    const e = relError(got, expected);
    assert(e < 1e-6, `${set.label}: relative error ${e} (got ${got.slice(0, 4)}...)`);
  }
});

Deno.test("Conv2DBackpropFilter and the fused conv2dTranspose refuse a dy of the wrong shape", async () => {
  for (const set of SETS) {
    await use(set);
    tf.tidy(() => {
      const x = tf.ones([1, 6, 6, 2]);
      const dy = tf.ones([1, 5, 5, 3]); // 3x3 filter, stride 1, valid: dy must be [1,4,4,3]
      throws(
        () =>
          tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
            strides: 1,
            pad: "valid",
            dataFormat: "NHWC",
            filterShape: [3, 3, 2, 3],
          }),
        /dy|shape/i,
        `${set.label}: Conv2DBackpropFilter computed on a mismatched dy`,
      );
      if (set.backend !== "blas") return;
      // The conv2dTranspose layer's fused forward: dy [1,8,8,8] where [1,4,4,8] is implied.
      const big = tf.ones([1, 8, 8, 8]), w = tf.ones([8, 8, 8, 8]), bias = tf.ones([8]);
      throws(
        () =>
          tf.engine().runKernel(FUSED_CONV2D_TRANSPOSE, { dy: big, filter: w, bias }, {
            inputShape: [1, 4, 4, 8],
            strides: 1,
            pad: "same",
            dataFormat: "NHWC",
            activation: "relu",
          }),
        /dy|shape/i,
        `${set.label}: ${FUSED_CONV2D_TRANSPOSE} computed on a mismatched dy`,
      );
    });
  }
});

Deno.test("transposed MatMul with inner dimensions that differ throws as tfjs does", async () => {
  for (const set of SETS) {
    await use(set);
    for (
      const [aShape, bShape, ta, tb] of [
        [[2, 3], [3, 2], false, true],
        [[3, 2], [3, 2], true, true],
        [[3, 2], [2, 3], true, false],
      ] as [number[], number[], boolean, boolean][]
    ) {
      tf.tidy(() => {
        const a = tf.ones(aShape), b = tf.ones(bShape);
        throws(
          () => tf.matMul(a, b, ta, tb).dataSync(),
          /inner/i,
          `${set.label}: [${aShape}]${ta ? "ᵀ" : ""} x [${bShape}]${tb ? "ᵀ" : ""} did not throw`,
        );
      });
    }
  }
});
