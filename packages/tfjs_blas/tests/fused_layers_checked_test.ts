/**
 * The project's own fused-layer kernels, which tfjs-core's suite never reaches (conformance/),
 * held to the suite's standard: with tfjs's test mode on (a leak check after every kernel), on odd
 * shapes (batch 1, pointwise and non-square filters, stride 3, one output channel, uneven blocks)
 * and with NaN inputs, their values and gradients equal tfjs's unfused ops on cpu.
 */
import * as tf from "@tensorflow/tfjs";
import { ok as assert } from "node:assert";
import { initBackend } from "../mod.ts";
import { valueAndGrads } from "./helpers/gradients.ts";
import { createRandom } from "./helpers/random.ts";
import { FUSED_CONV2D_TRANSPOSE, loadBlas, loadNative } from "../kernel_sets.ts";
import { randomArray } from "../../../tests/helpers/numeric.ts";

const ignore = loadBlas() === null || (await loadNative()) === null;

type Activation = "linear" | "relu" | "sigmoid";

interface Case {
  label: string;
  shapes: number[][];
  fused(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor;
  reference(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor;
}

function act(t: tf.Tensor, activation: Activation): tf.Tensor {
  return activation === "relu" ? tf.relu(t) : activation === "sigmoid" ? tf.sigmoid(t) : t;
}

/** [batch, in h, in w, in ch, out ch, filter h, filter w, stride, pad] */
type TransposeGeometry = [number, number, number, number, number, number, number, number, string];

const TRANSPOSE_GEOMETRIES: TransposeGeometry[] = [
  [1, 3, 5, 2, 3, 2, 3, 3, "same"], // batch 1, non-square filter and image, stride 3
  [3, 4, 4, 5, 1, 1, 1, 1, "valid"], // pointwise, one output channel
  [7, 6, 6, 8, 4, 3, 3, 2, "valid"], // uneven blocks over the cores
  [1, 1, 1, 4, 2, 3, 3, 1, "same"], // a 1x1 image
];

function transposeCase(g: TransposeGeometry, activation: Activation): Case {
  const [n, h, w, ci, co, fh, fw, s, pad] = g;
  const padding = pad as "same" | "valid";
  const oh = padding === "same" ? h * s : (h - 1) * s + fh;
  const ow = padding === "same" ? w * s : (w - 1) * s + fw;
  return {
    label: `${FUSED_CONV2D_TRANSPOSE} ${activation} [${n},${h},${w},${ci}] f${fh}x${fw} s${s} ` +
      `${pad} -> ${co}`,
    shapes: [[n, h, w, ci], [fh, fw, co, ci], [co]],
    fused: (x, f, b) =>
      tf.engine().runKernel(FUSED_CONV2D_TRANSPOSE, { dy: x, filter: f, bias: b }, {
        inputShape: [n, oh, ow, co],
        strides: [s, s],
        pad: padding,
        dataFormat: "NHWC",
        activation,
      }) as tf.Tensor,
    reference: (x, f, b) =>
      act(
        tf.add(
          tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, [n, oh, ow, co], s, padding),
          b,
        ),
        activation,
      ),
  };
}

function denseCase(activation: Activation): Case {
  return {
    label: `_FusedMatMul ${activation} batch 1`,
    shapes: [[1, 9], [9, 3], [3]],
    fused: (x, w, b) =>
      tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias: b, activation }),
    reference: (x, w, b) => act(tf.add(tf.matMul(x, w), b), activation),
  };
}

function convCase(activation: Activation): Case {
  return {
    label: `FusedConv2D ${activation} batch 1 f1x3 stride 3`,
    shapes: [[1, 7, 8, 3], [1, 3, 3, 2], [2]],
    fused: (x, f, b) =>
      tf.fused.conv2d({
        x: x as tf.Tensor4D,
        filter: f as tf.Tensor4D,
        strides: 3,
        pad: "same",
        bias: b,
        activation,
      }),
    reference: (x, f, b) =>
      act(tf.add(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, 3, "same"), b), activation),
  };
}

function inputs(shapes: number[][], seed: number, nanAt: number): Float32Array[] {
  const random = createRandom(seed);
  const arrays = shapes.map((s) => randomArray(random, s.reduce((a, b) => a * b, 1)));
  if (nanAt >= 0) arrays[0][nanAt % arrays[0].length] = NaN;
  return [...arrays, randomArray(random, 1 << 14)];
}

function assertSame(label: string, got: Float32Array[], want: Float32Array[]): void {
  ["y", "dx", "dw", "db"].forEach((name, i) => {
    const a = got[i], b = want[i];
    assert(a.length === b.length, `${label}: ${name} has ${a.length} values, want ${b.length}`);
    let worst = 0, scale = 1e-12;
    for (let j = 0; j < b.length; j++) {
      // NaN is never lost; it may reach a filter tap that sees only padding, where tfjs's loops
      // skip the padding (0) and the GEMM multiplies its zeros (0 · NaN = NaN).
      assert(
        Number.isNaN(a[j]) === Number.isNaN(b[j]) ||
          (name === "dw" && Number.isNaN(a[j]) && b[j] === 0),
        `${label}: ${name}[${j}] is ${a[j]}, want ${b[j]} (NaN must propagate alike)`,
      );
      if (Number.isNaN(b[j]) || Number.isNaN(a[j])) continue;
      scale = Math.max(scale, Math.abs(b[j]));
      worst = Math.max(worst, Math.abs(a[j] - b[j]));
    }
    assert(worst / scale < 2e-5, `${label}: ${name} relative error ${worst / scale}`);
  });
}

Deno.test({
  name: "fused layer kernels on odd shapes and with NaN, under tfjs's leak check, equal cpu",
  ignore,
  fn: async () => {
    let seed = 500;
    const cases: Case[] = [];
    for (const activation of ["linear", "relu", "sigmoid"] as Activation[]) {
      cases.push(denseCase(activation), convCase(activation));
      for (const g of TRANSPOSE_GEOMETRIES) cases.push(transposeCase(g, activation));
    }
    const testMode = tf.env().getBool("IS_TEST");
    try {
      for (const c of cases) {
        for (const nanAt of [-1, 5]) {
          const values = inputs(c.shapes, seed++, nanAt);
          await initBackend({ backend: "cpu" });
          const want = valueAndGrads(c.reference, values, c.shapes);
          await initBackend({ backend: "blas" });
          tf.env().set("IS_TEST", true);
          const tensors = tf.memory().numTensors;
          const got = valueAndGrads(c.fused, values, c.shapes);
          tf.env().set("IS_TEST", testMode);
          assert(tf.memory().numTensors === tensors, `${c.label}: tensors leaked`);
          assertSame(`${c.label}${nanAt >= 0 ? " (NaN input)" : ""}`, got, want);
        }
      }
    } finally {
      tf.env().set("IS_TEST", testMode);
    }
  },
});
