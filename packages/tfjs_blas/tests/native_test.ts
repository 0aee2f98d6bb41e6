/**
 * The native helpers (packages/tfjs_blas/native.ts, C compiled on first use): im2col / col2im equal the
 * JS versions bit for bit; the elementwise kernels (bias Add, Multiply, Relu, Step, Sum) and the
 * same-dtype Cast match tfjs's cpu kernels, and other cases fall back; the blocked GEMM + col2im
 * of conv2dTranspose and the native bias+activation epilogues match too; and without a compiler
 * everything falls back to the JS paths with a reason. Skipped when OpenBLAS or cc is missing.
 */
import * as tf from "@tensorflow/tfjs";
import { ok as assert } from "node:assert";
import { initBackend } from "../mod.ts";
import { reloadConfig, speedConfig } from "../config.ts";
import { createRandom } from "./helpers/random.ts";
import { col2im, type ConvGeometry, im2col } from "../im2col.ts";
import {
  blasKernelCalls,
  loadBlas,
  loadNative,
  nativeKernelCalls,
  nativeKernelsActive,
  nativeLoadError,
  registerFastKernels,
  RELU_GRAD,
  resetNativeForTests,
} from "../kernel_sets.ts";
import { randomArray } from "../../../tests/helpers/numeric.ts";
import { runSnippet } from "../../../tests/helpers/process.ts";

const native = await loadNative();
const ignore = loadBlas() === null || native === null;

/** Whether a C compiler answers here (then the helpers must build: a compile error is a bug). */
async function compilerPresent(): Promise<boolean> {
  try {
    const cc = speedConfig().cc;
    return (await new Deno.Command(cc, { args: ["--version"], stdout: "null", stderr: "null" })
      .output()).success;
  } catch {
    return false;
  }
}

Deno.test("with a C compiler present, the native helpers build and load (no silent JS fallback)", async () => {
  if (!(await compilerPresent()) || !speedConfig().native) return;
  assert(native !== null, `the native helpers did not load: ${nativeLoadError()}`);
});

function randomGeometry(random: () => number): ConvGeometry {
  const pick = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const filterHeight = pick(1, 4), filterWidth = pick(1, 4);
  const strideHeight = pick(1, 3), strideWidth = pick(1, 3);
  const dilationHeight = pick(1, 2), dilationWidth = pick(1, 2);
  const inHeight = pick(3, 11), inWidth = pick(3, 11);
  const padTop = pick(0, filterHeight - 1), padLeft = pick(0, filterWidth - 1);
  const span = (size: number, f: number, d: number, s: number, pad: number) =>
    Math.max(1, Math.floor((size + 2 * pad - (f - 1) * d - 1) / s) + 1);
  return {
    batchSize: pick(1, 3),
    inHeight,
    inWidth,
    inChannels: pick(1, 20),
    outHeight: span(inHeight, filterHeight, dilationHeight, strideHeight, padTop),
    outWidth: span(inWidth, filterWidth, dilationWidth, strideWidth, padLeft),
    filterHeight,
    filterWidth,
    strideHeight,
    strideWidth,
    dilationHeight,
    dilationWidth,
    padTop,
    padLeft,
  };
}

Deno.test({
  name: "native im2col and col2im equal the JS versions exactly on random geometries",
  ignore: native === null,
  fn: () => {
    const random = createRandom(5);
    for (let trial = 0; trial < 40; trial++) {
      const g = randomGeometry(random);
      const xSize = g.batchSize * g.inHeight * g.inWidth * g.inChannels;
      const colsSize = g.batchSize * g.outHeight * g.outWidth * g.filterHeight * g.filterWidth *
        g.inChannels;
      // [x | cols (JS) | cols (native) | dx (JS) | dx (native)], garbage-filled outputs.
      const heap = randomArray(random, 3 * xSize + 2 * colsSize + 7);
      const x = 3, c1 = x + xSize, c2 = c1 + colsSize, d1 = c2 + colsSize, d2 = d1 + xSize;
      im2col(g, heap, x, c1);
      native!.im2col(g, heap, x, c2);
      const label = JSON.stringify(g);
      for (let i = 0; i < colsSize; i++) {
        assert(heap[c1 + i] === heap[c2 + i], `im2col ${label} differs at ${i}`);
      }
      col2im(g, heap, c1, d1);
      native!.col2im(g, heap, c1, d2);
      for (let i = 0; i < xSize; i++) {
        assert(heap[d1 + i] === heap[d2 + i], `col2im ${label} differs at ${i}`);
      }
    }
  },
});

/** Runs `fn` on cpu and on blas (native); asserts equal outputs and that `kernels` ran natively. */
async function compare(
  label: string,
  fn: () => tf.Tensor[],
  kernels: string[],
  tolerance = 2e-6,
): Promise<void> {
  const results: Float32Array[][] = [];
  for (const backend of ["cpu", "blas"] as const) {
    await initBackend({ backend });
    const before = kernels.map((k) => nativeKernelCalls[k] ?? 0);
    const ts = tf.tidy(fn);
    results.push(ts.map((t) => new Float32Array(t.dataSync() as Float32Array)));
    tf.dispose(ts);
    if (backend === "blas") {
      assert(nativeKernelsActive(), "the native kernels are not registered");
      kernels.forEach((k, i) =>
        assert((nativeKernelCalls[k] ?? 0) > before[i], `${label}: ${k} did not run natively`)
      );
    }
  }
  for (let i = 0; i < results[0].length; i++) {
    const [ref, got] = [results[0][i], results[1][i]];
    assert(ref.length === got.length, `${label}, output ${i}: lengths differ`);
    let worst = 0, scale = 1e-12;
    for (let j = 0; j < ref.length; j++) {
      if (Number.isNaN(ref[j]) || Number.isNaN(got[j])) {
        assert(Number.isNaN(ref[j]) && Number.isNaN(got[j]), `${label}, output ${i}: NaN at ${j}`);
        continue;
      }
      scale = Math.max(scale, Math.abs(ref[j]));
      worst = Math.max(worst, Math.abs(got[j] - ref[j]));
    }
    assert(worst / scale < tolerance, `${label}, output ${i}: relative error ${worst / scale}`);
  }
}

Deno.test({
  name: "native Add (bias broadcast both ways), Multiply, Relu, Step, Sum, Cast match cpu",
  ignore,
  fn: async () => {
    const random = createRandom(8);
    const xs = randomArray(random, 5 * 6 * 7 * 9);
    const ys = randomArray(random, 5 * 6 * 7 * 9);
    const bs = randomArray(random, 9);
    xs[3] = NaN;
    xs[4] = 0;
    await compare("elementwise", () => {
      const x = tf.tensor4d(xs, [5, 6, 7, 9]), y = tf.tensor4d(ys, [5, 6, 7, 9]);
      const b = tf.tensor1d(bs), b4 = tf.tensor4d(bs, [1, 1, 1, 9]);
      return [
        tf.add(x, y),
        tf.add(x, b),
        tf.add(b4, x),
        tf.mul(x, y),
        tf.relu(x),
        tf.step(x),
        tf.step(x, 0.3),
        tf.sum(x, [0, 1, 2]),
        tf.cast(tf.step(y), "float32"),
      ];
    }, ["Add", "Multiply", "Relu", "Step", "Sum"]);
    // A bias gradient as big as a conv layer's (524,288 floats), accumulated in double.
    const big = randomArray(random, 8 * 64 * 64 * 16);
    await compare("big column sum", () => {
      const x = tf.tensor4d(big, [8, 64, 64, 16]);
      return [tf.sum(x, [0, 1, 2]), tf.sum(tf.reshape(x, [-1, 16]), 0)];
    }, ["Sum"]);
    // ReLU's gradient (tfjs: Step -> Cast -> Multiply) is one fused kernel; NaN stays NaN.
    await compare("relu gradient", () => {
      const x = tf.tensor4d(xs, [5, 6, 7, 9]), y = tf.tensor4d(ys, [5, 6, 7, 9]);
      return [tf.grad((v: tf.Tensor) => tf.relu(v).mul(y).sum())(x)];
    }, [RELU_GRAD]);
    // Cases the native kernels leave to the original ones: broadcasts of other axes, ints.
    await compare("fallbacks", () => {
      const x = tf.tensor4d(xs, [5, 6, 7, 9]);
      const col = tf.tensor4d(ys.subarray(0, 7), [1, 1, 7, 1]);
      const ints = tf.tensor1d([1, -2, 3], "int32");
      return [
        tf.add(x, col),
        tf.mul(x, 2),
        tf.sum(x, [1, 2]),
        tf.cast(tf.relu(ints), "float32"),
        tf.cast(tf.add(ints, ints), "float32"),
      ];
    }, []);
  },
});

Deno.test({
  name: "blocked conv kernels (conv2dTranspose, conv2d, filter gradient) and fused epilogues, " +
    "blocks on all cores (C) and one at a time (JS)",
  ignore,
  fn: async () => {
    try {
      for (
        const [parallel, suffix] of [[true, "blocks on all cores"], [false, "blocked"]] as const
      ) {
        // As KMNIST_PARALLEL_BLOCKS=1 / 0: initBackend re-registers the kernels for a new config.
        reloadConfig({ parallelBlocks: parallel });
        await blockedCases(suffix);
      }
    } finally {
      reloadConfig();
      await initBackend({ backend: "blas" });
    }
  },
});

/** The blocked convolutions against cpu; asserts that the paths named `(suffix)` ran. */
async function blockedCases(suffix: string): Promise<void> {
  const random = createRandom(13);
  const blockedCalls = () =>
    ["conv forward", "Conv2DBackpropFilter", "Conv2DBackpropInput"].map((k) =>
      blasKernelCalls[`${k} (${suffix})`] ?? 0
    );
  const before = blockedCalls();
  // 5 images: the blocks do not divide the batch evenly between two cores.
  const xs = randomArray(random, 5 * 14 * 14 * 64), ws = randomArray(random, 3 * 3 * 32 * 64);
  const bs = randomArray(random, 32);
  const transposed = () => {
    const x = tf.tensor4d(xs, [5, 14, 14, 64]), w = tf.tensor4d(ws, [3, 3, 32, 64]);
    const y = tf.conv2dTranspose(x, w, [5, 28, 28, 32], 2, "same");
    const b = tf.tensor1d(bs);
    const fused = (activation: "relu" | "sigmoid" | "elu") =>
      tf.fused.conv2d({
        x: y,
        filter: w,
        bias: tf.tensor1d(
          randomArray(createRandom(1), 64),
        ),
        strides: 2,
        pad: "same",
        activation,
      });
    return [y, tf.relu(tf.add(y, b)), fused("relu"), fused("sigmoid"), fused("elu")];
  };
  // GEMM sums in another order: the OpenBLAS tests' tolerance.
  await compare("conv2dTranspose 5x14x14x64 -> 5x28x28x32", transposed, ["Add", "Relu"], 2e-5);
  // The same inputs give the same bits again (the blocks go to the cores in a fixed order).
  const again = () => {
    const ts = tf.tidy(transposed);
    const values = ts.map((t) => Float32Array.from(t.dataSync()));
    tf.dispose(ts);
    return values;
  };
  const first = again(), second = again();
  first.forEach((v, i) =>
    assert(v.every((x, j) => Object.is(x, second[i][j])), `${suffix}: output ${i} not repeatable`)
  );
  // Forward conv and filter gradient in blocks (294,912 cols floats per image).
  const xb = randomArray(random, 3 * 64 * 64 * 8), wb = randomArray(random, 3 * 3 * 8 * 16);
  const bb = randomArray(random, 16);
  await compare(
    "conv2d 3x64x64x8 -> 3x64x64x16 and gradients, in blocks",
    () => {
      const x = tf.tensor4d(xb, [3, 64, 64, 8]), w = tf.tensor4d(wb, [3, 3, 8, 16]);
      const b = tf.tensor1d(bb);
      const f = (a: tf.Tensor, v: tf.Tensor) =>
        tf.relu(tf.add(tf.conv2d(a as tf.Tensor4D, v as tf.Tensor4D, 1, "same"), b)).square()
          .sum();
      const fused = tf.fused.conv2d({
        x,
        filter: w,
        bias: b,
        strides: 1,
        pad: "same",
        activation: "relu",
      });
      return [fused, ...tf.grads(f)([x, w])];
    },
    ["Add", "Relu", RELU_GRAD],
    2e-5,
  );
  const after = blockedCalls();
  assert(
    after.every((v, i) => v > before[i]),
    `(${suffix}) paths not all run: ${before} ${after}`,
  );
}

Deno.test({
  name: "convolutions with one input channel run directly (no GEMM) and match cpu: forward with " +
    "bias + activation, filter gradient, input gradient (a conv2dTranspose down to one channel)",
  ignore,
  fn: async () => {
    const random = createRandom(21);
    const direct = () =>
      ["conv forward", "Conv2DBackpropFilter", "Conv2DBackpropInput"].map((k) =>
        blasKernelCalls[`${k} (one input channel, direct)`] ?? 0
      );
    const before = direct();
    // [batch, side, output channels, filter, stride, padding, dilation]: 32 channels (two
    // vectors of 16), 20 (one vector and a remainder), 5 (remainder only).
    const cases: [number, number, number, number, number, "same" | "valid", number][] = [
      [3, 28, 32, 3, 1, "same", 1],
      [3, 28, 32, 3, 2, "same", 1],
      [2, 9, 20, 3, 2, "valid", 1],
      [2, 9, 5, 2, 1, "same", 2],
      [2, 8, 20, 5, 1, "same", 1],
    ];
    for (const [n, side, co, f, stride, pad, dilation] of cases) {
      const xs = randomArray(random, n * side * side), ws = randomArray(random, f * f * co);
      const bs = randomArray(random, co);
      await compare(
        `one-channel conv ${n}x${side}x${side}x1 -> ${co}, ${f}x${f} stride ${stride} ${pad} ` +
          `dilation ${dilation}`,
        () => {
          const x = tf.tensor4d(xs, [n, side, side, 1]), w = tf.tensor4d(ws, [f, f, 1, co]);
          const b = tf.tensor1d(bs);
          const fused = tf.fused.conv2d({
            x,
            filter: w,
            bias: b,
            strides: stride,
            pad,
            dilations: dilation,
            activation: "relu",
          });
          const grads = dilation === 1
            ? tf.grads((a: tf.Tensor, v: tf.Tensor) =>
              tf.conv2d(a as tf.Tensor4D, v as tf.Tensor4D, stride, pad).square().sum()
            )([x, w])
            : [];
          return [fused, ...grads];
        },
        [],
        2e-5,
      );
    }
    const after = direct();
    assert(after.every((v, i) => v > before[i]), `direct paths not all run: ${before} ${after}`);
  },
});

Deno.test({
  name: "without the native helpers (KMNIST_NATIVE=0, or no compiler) the JS paths run",
  ignore: loadBlas() === null,
  fn: async () => {
    try {
      reloadConfig({ native: false }); // as KMNIST_NATIVE=0
      resetNativeForTests();
      assert((await loadNative()) === null, "KMNIST_NATIVE=0 still loaded the helpers");
      assert(nativeLoadError().includes("KMNIST_NATIVE=0"), nativeLoadError());
      reloadConfig({ native: true, cc: "/nonexistent/cc", nativeCache: await Deno.makeTempDir() });
      resetNativeForTests();
      assert((await loadNative()) === null, "a missing compiler still loaded the helpers");
      assert(nativeLoadError().includes("C compiler"), nativeLoadError());
      const info = await initBackend({ backend: "blas" });
      assert(info.blas && info.native === false && (info.nativeReason ?? "") !== "");
      // A strided conv and its gradients on the JS im2col/col2im path, against cpu.
      const random = createRandom(9);
      const xs = randomArray(random, 2 * 9 * 9 * 3), ws = randomArray(random, 3 * 3 * 3 * 4);
      const run = () =>
        tf.tidy(() => {
          const x = tf.tensor4d(xs, [2, 9, 9, 3]), w = tf.tensor4d(ws, [3, 3, 3, 4]);
          const f = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.conv2d(a, b, 2, "same").square().sum();
          const [gx, gw] = tf.grads(f as (...a: tf.Tensor[]) => tf.Tensor)([x, w]);
          return [...gx.dataSync(), ...gw.dataSync()];
        });
      const before = nativeKernelCalls["Add"] ?? 0;
      const fast = run();
      assert((nativeKernelCalls["Add"] ?? 0) === before);
      await initBackend({ backend: "cpu" });
      const reference = run();
      const scale = Math.max(...reference.map(Math.abs));
      const worst = Math.max(...reference.map((v, i) => Math.abs(v - fast[i])));
      assert(worst / scale < 2e-5, `JS path differs from cpu: ${worst / scale}`);
    } finally {
      reloadConfig();
      resetNativeForTests();
      await loadNative();
      registerFastKernels();
    }
  },
});

Deno.test({
  name: "loading the native helpers leaves no OMP_WAIT_POLICY for child processes to inherit",
  ignore: native === null,
  fn: async () => {
    // A child that inherited PASSIVE would run its own OpenMP (e.g. PyTorch) at half speed. Checked
    // in a fresh process started without the variable: here, under --parallel, another module may
    // be inside its own load (which sets it for the dlopen) at the moment this test reads it.
    const result = await runSnippet(
      `import { initBackend, loadNative, nativeLoadError } from "./packages/tfjs_blas/mod.ts";
      await initBackend({ backend: "blas" });
      if ((await loadNative()) === null) throw new Error("native helpers: " + nativeLoadError());
      const child = await new Deno.Command("sh", { args: ["-c", "echo \${OMP_WAIT_POLICY-unset}"] })
        .output();
      console.log(Deno.env.get("OMP_WAIT_POLICY") ?? "unset", new TextDecoder().decode(child.stdout).trim());`,
      {},
      { unset: ["OMP_WAIT_POLICY"] },
    );
    assert(result.ok, `exit ${result.code}, signal ${result.signal}: ${result.stderr}`);
    assert(result.stdout.trim() === "unset unset", `left in the env / a child's: ${result.stdout}`);
  },
});

Deno.test({
  name: "with OMP_WAIT_POLICY=ACTIVE set by the user, a run exits cleanly and keeps the setting",
  ignore: native === null,
  fn: async () => {
    // libgomp threads spinning at exit used to crash Deno (SIGSEGV): the helpers load passive.
    const result = await runSnippet(
      `import * as tf from "@tensorflow/tfjs";
      import { initBackend } from "./packages/tfjs_blas/mod.ts";
      await initBackend({ backend: "blas" });
      // A blocked conv (OpenMP threads) and a two-threaded OpenBLAS product, as in training.
      const x = tf.randomUniform([16, 28, 28, 8]), w = tf.randomUniform([3, 3, 8, 16]);
      tf.conv2d(x, w, 1, "same").dataSync();
      tf.matMul(tf.randomUniform([512, 512]), tf.randomUniform([512, 512])).dataSync();
      console.log(Deno.env.get("OMP_WAIT_POLICY"));`,
      { OMP_WAIT_POLICY: "ACTIVE" },
    );
    assert(result.ok, `exit ${result.code}, signal ${result.signal}: ${result.stderr}`);
    assert(result.stdout.trim() === "ACTIVE", "the setting was lost");
  },
});
