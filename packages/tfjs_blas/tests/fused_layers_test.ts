/**
 * Fused layer calls (packages/tfjs_blas/fused_layers.ts): the gradients registered for `_FusedMatMul`,
 * `FusedConv2D` and KmnistFusedConv2DTranspose equal tfjs's own unfused ops (on cpu with tfjs
 * formulas, and on the OpenBLAS kernels with the one-pass KmnistBiasActivationGrad, or the whole
 * conv2dTranspose backward in one KmnistConv2DTransposeGrad), the native
 * sigmoid epilogue matches tfjs's sigmoid to float precision, and the fused layer calls keep the
 * layers' own call in every case they cannot fuse (the four models on fused layer calls:
 * integration/fused_models_test.ts). The OpenBLAS cases are skipped when OpenBLAS or a C compiler is missing.
 */
import * as tf from "@tensorflow/tfjs";
import { ok as assert } from "node:assert";
import { initBackend } from "../mod.ts";
import { valueAndGrads } from "./helpers/gradients.ts";
import { reloadConfig } from "../config.ts";
import { createRandom } from "./helpers/random.ts";
import {
  BIAS_ACT_GRAD,
  blasKernelCalls,
  CONV2D_TRANSPOSE_GRAD,
  FUSED_CONV2D_TRANSPOSE,
  fusedLayerCalls,
  installFusedLayerCalls,
  installFusedLayerGradients,
  loadBlas,
  loadNative,
  nativeKernelCalls,
} from "../kernel_sets.ts";
import { randomArray } from "../../../tests/helpers/numeric.ts";
import { assertClose } from "./helpers/close.ts";

const ignore = loadBlas() === null || (await loadNative()) === null;

type Activation = "linear" | "relu" | "sigmoid";
const ACTIVATIONS: Activation[] = ["linear", "relu", "sigmoid"];

/** tfjs's own ops for y = act(z + bias). */
function unfused(z: tf.Tensor, bias: tf.Tensor, activation: Activation): tf.Tensor {
  const s = tf.add(z, bias);
  return activation === "relu" ? tf.relu(s) : activation === "sigmoid" ? tf.sigmoid(s) : s;
}

/** One layer case: its fused kernel call and tfjs's unfused equivalent, on (x, w, b). */
interface LayerCase {
  label: string;
  shapes: [number[], number[], number[]];
  fused(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor;
  reference(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor;
}

function denseCases(activation: Activation): LayerCase[] {
  return [[false, false], [false, true], [true, false], [true, true]].map(([ta, tb]) => ({
    label: `_FusedMatMul ${activation} transposeA=${ta} transposeB=${tb}`,
    shapes: [ta ? [7, 6] : [6, 7], tb ? [5, 7] : [7, 5], [5]],
    fused: (x, w, b) =>
      tf.engine().runKernel("_FusedMatMul", { a: x, b: w, bias: b }, {
        transposeA: ta,
        transposeB: tb,
        activation,
      }) as tf.Tensor,
    reference: (x, w, b) => unfused(tf.matMul(x, w, ta, tb), b, activation),
  }));
}

function convCases(activation: Activation): LayerCase[] {
  return ([[1, "same"], [2, "same"], [2, "valid"]] as const).map(([stride, pad]) => ({
    label: `FusedConv2D ${activation} stride ${stride} ${pad}`,
    shapes: [[2, 9, 9, 3], [3, 3, 3, 4], [4]],
    fused: (x, w, b) =>
      tf.engine().runKernel("FusedConv2D", { x, filter: w, bias: b }, {
        strides: [stride, stride],
        pad,
        dataFormat: "NHWC",
        dilations: [1, 1],
        activation,
      }) as tf.Tensor,
    reference: (x, w, b) =>
      unfused(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, stride, pad), b, activation),
  }));
}

/** conv2dTranspose layers: [batch, in side, in channels, out channels, stride, padding]. */
function transposeCases(activation: Activation): LayerCase[] {
  const geometries: [number, number, number, number, number, "same" | "valid"][] = [
    [2, 5, 3, 4, 2, "same"],
    [2, 5, 3, 4, 1, "same"],
    [2, 5, 3, 4, 2, "valid"],
    // Large enough for the blocks spread over the cores (5 images: an uneven split).
    [5, 14, 64, 32, 2, "same"],
    // Down to one channel (the decoder's last layer): the direct one-channel kernels.
    [3, 7, 20, 1, 1, "same"],
    // One image: no blocks to share; the backward's JS path.
    [1, 5, 3, 4, 2, "same"],
  ];
  return geometries.map(([n, side, ci, co, stride, pad]) => {
    const out = pad === "same" ? side * stride : side * stride + Math.max(3 - stride, 0);
    return {
      label: `${FUSED_CONV2D_TRANSPOSE} ${activation} ${n}x${side}x${side}x${ci} -> ` +
        `${out}x${out}x${co} stride ${stride} ${pad}`,
      shapes: [[n, side, side, ci], [3, 3, co, ci], [co]],
      fused: (x, w, b) =>
        tf.engine().runKernel(FUSED_CONV2D_TRANSPOSE, { dy: x, filter: w, bias: b }, {
          inputShape: [n, out, out, co],
          strides: [stride, stride],
          pad,
          dataFormat: "NHWC",
          activation,
        }) as tf.Tensor,
      reference: (x, w, b) =>
        unfused(
          tf.conv2dTranspose(x as tf.Tensor4D, w as tf.Tensor4D, [n, out, out, co], stride, pad),
          b,
          activation,
        ),
    };
  });
}

function inputsFor(shapes: number[][], seed: number): Float32Array[] {
  const random = createRandom(seed);
  const sizes = shapes.map((s) => s.reduce((a, b) => a * b, 1));
  // The last array weighs the output (large enough for any output here).
  return [...sizes.map((n) => randomArray(random, n)), randomArray(random, 1 << 17)];
}

Deno.test("fused Dense / Conv2D kernels' registered gradients equal tfjs's unfused ops (cpu)", async () => {
  await initBackend({ backend: "cpu" });
  installFusedLayerGradients();
  let seed = 100;
  for (const activation of ACTIVATIONS) {
    for (const c of [...denseCases(activation), ...convCases(activation)]) {
      const values = inputsFor(c.shapes, seed++);
      const want = valueAndGrads(c.reference, values, c.shapes);
      const got = valueAndGrads(c.fused, values, c.shapes);
      assertClose(c.label, got, want, 1e-5);
    }
  }
});

Deno.test({
  name: "fused layer kernels and their gradients on OpenBLAS + native equal tfjs's ops on cpu, " +
    "with the fused backward passes",
  ignore,
  fn: async () => {
    let seed = 200;
    for (const activation of ACTIVATIONS) {
      const cases = [
        ...denseCases(activation),
        ...convCases(activation),
        ...transposeCases(activation),
      ];
      for (const c of cases) {
        const values = inputsFor(c.shapes, seed++);
        await initBackend({ backend: "cpu" });
        const want = valueAndGrads(c.reference, values, c.shapes);
        await initBackend({ backend: "blas" });
        const transposed = c.label.startsWith(FUSED_CONV2D_TRANSPOSE);
        const passes = () =>
          transposed
            ? Object.entries(blasKernelCalls).filter(([k]) => k.startsWith(CONV2D_TRANSPOSE_GRAD))
              .reduce((sum, [, v]) => sum + v, 0)
            : nativeKernelCalls[BIAS_ACT_GRAD] ?? 0;
        const before = passes();
        const got = valueAndGrads(c.fused, values, c.shapes);
        if (activation !== "linear" || transposed) {
          assert(passes() > before, `${c.label}: the fused backward did not run`);
        }
        // GEMMs sum in another order: the OpenBLAS tests' tolerance.
        assertClose(c.label, got, want, 2e-5);
      }
    }
  },
});

Deno.test({
  name: "the one-pass bias + activation gradient: NaN kept, big inputs split over the cores " +
    "give the same bits on every run",
  ignore,
  fn: async () => {
    const random = createRandom(7);
    // 16 x 28 x 28 x 32 (the conv decoder's largest activation for 16 images): 401,408 floats,
    // above the native helpers' parallel threshold.
    const shape = [16, 28, 28, 32];
    const dys = randomArray(random, 16 * 28 * 28 * 32);
    const ys = randomArray(random, dys.length).map(Math.abs);
    ys[5] = NaN;
    ys[6] = 0;
    const run = (activation: "relu" | "sigmoid") =>
      tf.tidy(() => {
        const dy = tf.tensor(dys, shape), y = tf.tensor(ys, shape);
        const channels = shape[3];
        if (tf.getBackend() === "cpu") {
          const act = activation === "relu"
            ? tf.cast(tf.step(y), "float32")
            : tf.mul(y, tf.sub(1, y));
          const dz = tf.mul(dy, act);
          return [dz, tf.sum(tf.reshape(dz, [-1, channels]), 0)].map((t) =>
            Float32Array.from(t.dataSync())
          );
        }
        const out = tf.engine().runKernel(BIAS_ACT_GRAD, { dy, y }, { activation }) as tf.Tensor[];
        return out.map((t) => Float32Array.from(t.dataSync()));
      });
    for (const activation of ["relu", "sigmoid"] as const) {
      await initBackend({ backend: "cpu" });
      const [dzRef, dbRef] = run(activation);
      await initBackend({ backend: "blas" });
      const [dz, db] = run(activation);
      const [dz2, db2] = run(activation);
      assert(Number.isNaN(dz[5]) && Number.isNaN(dzRef[5]), `${activation}: NaN not kept`);
      for (let i = 0; i < dz.length; i++) {
        if (i === 5) continue;
        assert(Object.is(dz[i], dzRef[i]), `${activation}: dz differs at ${i}`);
      }
      // The bias gradient sums 12,544 rows: in double here, in float32 on cpu.
      const finite = (a: Float32Array) => a.map((v) => Number.isNaN(v) ? 0 : v);
      assertClose(`${activation} db`, [finite(db)], [finite(dbRef)], 1e-4);
      assert(
        dz.every((v, i) => Object.is(v, dz2[i])) && db.every((v, i) => Object.is(v, db2[i])),
        `${activation}: not repeatable`,
      );
    }
  },
});

Deno.test({
  name: "the native sigmoid epilogue matches tfjs's sigmoid, extremes and NaN included",
  ignore,
  fn: async () => {
    const xs = new Float32Array(4099);
    for (let i = 0; i < xs.length; i++) xs[i] = -120 + (240 * i) / (xs.length - 1);
    xs[17] = NaN;
    xs[18] = 0;
    xs[19] = -88.5;
    xs[20] = -89;
    const run = () =>
      tf.tidy(() => {
        // [1, 1] · [1, 4099]: the epilogue applies the sigmoid to xs itself, as one row (eight
        // at a time, then a tail of three).
        const x = tf.tensor2d(xs, [1, xs.length]);
        const y = tf.fused.matMul({ a: tf.ones([1, 1]), b: x, activation: "sigmoid" as never });
        return Float32Array.from(y.dataSync());
      });
    await initBackend({ backend: "cpu" });
    const want = run();
    await initBackend({ backend: "blas" });
    const got = run();
    for (let i = 0; i < xs.length; i++) {
      if (Number.isNaN(want[i])) {
        assert(Number.isNaN(got[i]), `sigmoid(${xs[i]}): want NaN, got ${got[i]}`);
        continue;
      }
      // 1.5e-7 relative in normal range; below e^-87 the reference is subnormal or 0.
      const ok = Math.abs(got[i] - want[i]) <= 2e-7 * want[i] + 1e-38;
      assert(ok, `sigmoid(${xs[i]}): got ${got[i]}, want ${want[i]}`);
    }
  },
});

Deno.test({
  name: "fused layer calls: layers built before initBackend fuse; installing twice wraps " +
    "nothing twice; layers it cannot fuse (tanh, rank-3 Dense) and other backends keep their " +
    "own call, with the same outputs",
  ignore,
  fn: async () => {
    await initBackend({ backend: "cpu" }); // the model is built before the blas backend starts
    const input = tf.input({ shape: [4, 6] });
    const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
    const relu = tf.layers.dense({ units: 5, activation: "relu", kernelInitializer: "ones" });
    const tanh = tf.layers.dense({ units: 3, activation: "tanh" });
    const perStep = tf.layers.dense({ units: 2, activation: "relu" }); // on rank 3: not fused
    const model = tf.model({
      inputs: input,
      outputs: [
        tanh.apply(relu.apply(flat)) as tf.SymbolicTensor,
        perStep.apply(input) as tf.SymbolicTensor,
      ],
    });
    const x = tf.tensor3d(randomArray(createRandom(3), 2 * 4 * 6), [2, 4, 6]);
    const predict = () => {
      const out = model.predict(x) as tf.Tensor[];
      const values = out.map((t) => Float32Array.from(t.dataSync()));
      tf.dispose(out);
      return values;
    };
    await initBackend({ backend: "blas" });
    reloadConfig({ fusedLayers: false }); // as KMNIST_FUSED_LAYERS=0: the layers' own calls
    const own = predict();
    reloadConfig();
    const dense = tf.serialization.SerializationMap.getMap().classNameMap.Dense[0].prototype as {
      call: unknown;
    };
    const installed = dense.call;
    installFusedLayerCalls(); // initBackend installed them; a second call wraps nothing twice
    assert(dense.call === installed, "installFusedLayerCalls wrapped Dense.call again");
    const before = { ...fusedLayerCalls };
    const fused = predict();
    assert((fusedLayerCalls.Dense ?? 0) - (before.Dense ?? 0) === 1, "only the relu Dense fused");
    own.forEach((o, i) => assertClose(`output ${i}`, [fused[i]], [o], 1e-6));
    await initBackend({ backend: "cpu" });
    const onCpu = { ...fusedLayerCalls };
    const cpu = predict();
    assert(fusedLayerCalls.Dense === onCpu.Dense, "fused on the cpu backend");
    own.forEach((o, i) => assertClose(`cpu output ${i}`, [cpu[i]], [o], 1e-5));
    await initBackend({ backend: "blas" });
    x.dispose();
    model.dispose();
  },
});
