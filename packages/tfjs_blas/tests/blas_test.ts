/**
 * The OpenBLAS kernels (packages/tfjs_blas/conv_kernels.ts, on wasm memory) against tfjs's reference cpu
 * kernels: random shapes, strides, paddings, dilations, transposes; forward values and gradients.
 * Skipped (ignored) when OpenBLAS is not installed.
 */
import * as tf from "@tensorflow/tfjs";
import { ok as assert } from "node:assert";
import { initBackend } from "../mod.ts";
import { createRandom } from "./helpers/random.ts";
import { blasKernelCalls, loadBlas, nativeKernelCalls } from "../kernel_sets.ts";
import { randomArray, relError } from "../../../tests/helpers/numeric.ts";
import { runSnippet } from "../../../tests/helpers/process.ts";

/** Tolerance: max |difference| / max |reference| (float32 sums in another order). */
const TOLERANCE = 2e-5;
const ignore = loadBlas() === null;

/** Runs `fn` (returning several tensors) on cpu and on blas; asserts every output agrees. */
async function compare(
  label: string,
  fn: () => tf.Tensor[],
  kernel: string | null,
): Promise<void> {
  const results: Float32Array[][] = [];
  for (const backend of ["cpu", "blas"] as const) {
    await initBackend({ backend });
    // Sum runs natively when the native helpers are loaded, else on OpenBLAS.
    const calls = (k: string) => (blasKernelCalls[k] ?? 0) + (nativeKernelCalls[k] ?? 0);
    const before = kernel === null ? 0 : calls(kernel);
    const ts = tf.tidy(fn);
    results.push(ts.map((t) => new Float32Array(t.dataSync() as Float32Array)));
    tf.dispose(ts);
    if (backend === "blas" && kernel !== null) {
      assert(
        calls(kernel) > before,
        `${label}: ${kernel} did not run on OpenBLAS`,
      );
    }
  }
  for (let i = 0; i < results[0].length; i++) {
    const e = relError(results[1][i], results[0][i]);
    assert(e < TOLERANCE, `${label}, output ${i}: relative error ${e} >= ${TOLERANCE}`);
  }
}

Deno.test({
  name: "OpenBLAS MatMul and fused MatMul (bias, activations) match cpu, forward and gradients",
  ignore,
  fn: async () => {
    const random = createRandom(3);
    for (let trial = 0; trial < 10; trial++) {
      const batch = trial % 3 === 0 ? 1 + Math.floor(random() * 3) : 0;
      const m = 1 + Math.floor(random() * 40), n = 1 + Math.floor(random() * 40);
      const k = 1 + Math.floor(random() * 70);
      const ta = random() < 0.5, tb = random() < 0.5;
      const pre = batch > 0 ? [batch] : [];
      const aShape = [...pre, ...(ta ? [k, m] : [m, k])];
      const bShape = [...pre, ...(tb ? [n, k] : [k, n])];
      const av = randomArray(random, aShape.reduce((x, y) => x * y));
      const bv = randomArray(random, bShape.reduce((x, y) => x * y));
      const biasV = randomArray(random, n);
      const label = `a[${aShape}] b[${bShape}] ta=${ta} tb=${tb}`;
      await compare(label, () => {
        const a = tf.tensor(av, aShape), b = tf.tensor(bv, bShape);
        const f = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b, ta, tb).square().sum();
        const [ga, gb] = tf.grads(f)([a, b]);
        return [tf.matMul(a, b, ta, tb), ga, gb];
      }, "BatchMatMul");
      if (batch > 0) continue;
      for (const activation of ["linear", "relu", "sigmoid", "elu"] as const) {
        await compare(`${label} fused ${activation}`, () => {
          const a = tf.tensor2d(av, aShape as [number, number]);
          const b = tf.tensor2d(bv, bShape as [number, number]);
          const bias = tf.tensor1d(biasV);
          const f = (a: tf.Tensor, b: tf.Tensor, bias: tf.Tensor) =>
            tf.fused.matMul({
              a: a as tf.Tensor2D,
              b: b as tf.Tensor2D,
              transposeA: ta,
              transposeB: tb,
              bias,
              activation,
            }).square().sum();
          const out = tf.fused.matMul({ a, b, transposeA: ta, transposeB: tb, bias, activation });
          return [out, ...tf.grads(f)([a, b, bias])];
        }, "_FusedMatMul");
      }
    }
  },
});

Deno.test({
  name: "OpenBLAS Conv2D / FusedConv2D / conv2dTranspose match cpu, forward and gradients",
  ignore,
  fn: async () => {
    const random = createRandom(11);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
    for (let trial = 0; trial < 10; trial++) {
      const nb = 1 + Math.floor(random() * 3);
      const h = 4 + Math.floor(random() * 9), w = 4 + Math.floor(random() * 9);
      const ci = 1 + Math.floor(random() * 5), co = 1 + Math.floor(random() * 6);
      const kh = pick([1, 2, 3]), kw = pick([1, 3]);
      const stride = pick([1, 2, 3]);
      const dilation = stride === 1 && trial % 4 === 1 ? 2 : 1;
      const pad = pick(["same", "valid"] as const);
      const xs = randomArray(random, nb * h * w * ci);
      const ws = randomArray(random, kh * kw * ci * co);
      const bs = randomArray(random, co);
      const label = `n${nb} ${h}x${w}x${ci} k${kh}x${kw} s${stride} d${dilation} ${pad} co${co}`;
      await compare(`conv2d ${label}`, () => {
        const x = tf.tensor4d(xs, [nb, h, w, ci]), f = tf.tensor4d(ws, [kh, kw, ci, co]);
        const loss = (x: tf.Tensor, f: tf.Tensor) =>
          tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, stride, pad, "NHWC", dilation).square()
            .sum();
        return [
          tf.conv2d(x, f, stride, pad, "NHWC", dilation),
          ...(dilation === 1 ? tf.grads(loss)([x, f]) : []),
        ];
      }, "Conv2D");
      await compare(`fused conv2d relu ${label}`, () => {
        const x = tf.tensor4d(xs, [nb, h, w, ci]), f = tf.tensor4d(ws, [kh, kw, ci, co]);
        const bias = tf.tensor1d(bs);
        const run = (x: tf.Tensor, f: tf.Tensor, b: tf.Tensor) =>
          tf.fused.conv2d({
            x: x as tf.Tensor4D,
            filter: f as tf.Tensor4D,
            strides: stride,
            pad,
            dilations: dilation,
            bias: b,
            activation: "relu",
          });
        const out = run(x, f, bias);
        return dilation === 1
          ? [out, ...tf.grads((x, f, b) => run(x, f, b).square().sum())([x, f, bias])]
          : [out];
      }, "FusedConv2D");
      if (dilation !== 1) continue;
      // conv2dTranspose: forward = Conv2DBackpropInput, gradients = Conv2D and BackpropFilter.
      const outShape: [number, number, number, number] = pad === "same"
        ? [nb, h * stride, w * stride, co]
        : [nb, (h - 1) * stride + kh, (w - 1) * stride + kw, co];
      const wt = randomArray(random, kh * kw * co * ci);
      await compare(`conv2dTranspose ${label}`, () => {
        const x = tf.tensor4d(xs, [nb, h, w, ci]), f = tf.tensor4d(wt, [kh, kw, co, ci]);
        const run = (x: tf.Tensor, f: tf.Tensor) =>
          tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, outShape, stride, pad);
        return [run(x, f), ...tf.grads((x, f) => run(x, f).square().sum())([x, f])];
      }, "Conv2DBackpropInput");
    }
  },
});

Deno.test({
  name: "initBackend() defaults to blas when OpenBLAS is present, and wasm restores wasm's kernels",
  ignore,
  fn: async () => {
    const info = await initBackend();
    assert(info.name === "blas" && info.blas && info.tfjsBackend === "wasm", JSON.stringify(info));
    assert(tf.getBackend() === "wasm");
    const before = blasKernelCalls["BatchMatMul"] ?? 0;
    tf.tidy(() => tf.matMul(tf.ones([3, 4]), tf.ones([4, 2])).dataSync());
    assert((blasKernelCalls["BatchMatMul"] ?? 0) === before + 1);
    const wasm = await initBackend({ backend: "wasm" });
    assert(wasm.name === "wasm" && !wasm.blas);
    const product = tf.tidy(() =>
      Array.from(tf.matMul(tf.ones([3, 4]), tf.ones([4, 2])).dataSync())
    );
    assert((blasKernelCalls["BatchMatMul"] ?? 0) === before + 1, "wasm still used OpenBLAS");
    assert(product.every((v) => v === 4));
  },
});

Deno.test({
  name: "blas-set Sum over leading axes (bias gradients) matches cpu; other sums fall back",
  ignore,
  fn: async () => {
    const random = createRandom(21);
    const xs = randomArray(random, 7 * 9 * 5 * 6);
    await compare("sum", () => {
      const x = tf.tensor4d(xs, [7, 9, 5, 6]);
      return [x.sum([0, 1, 2]), x.sum([2, 0, 1], true), x.reshape([315, 6]).sum(0)];
    }, "Sum");
    await compare("other sums", () => {
      const x = tf.tensor4d(xs, [7, 9, 5, 6]);
      return [x.sum([1, 2]), x.sum(), x.sum(3)];
    }, null);
  },
});

Deno.test({
  name: "OpenBLAS uses a fixed thread count (all cores, or KMNIST_BLAS_THREADS), whatever the load",
  ignore,
  fn: async () => {
    // sgemm's rounding depends on the thread count: a choice made by timing at start would make
    // re-runs of the same seed differ. Keep one core busy while a fresh process loads OpenBLAS.
    const spin = new Deno.Command("sh", { args: ["-c", "while :; do :; done"] }).spawn();
    try {
      const probe = async (env: Record<string, string>) => {
        const r = await runSnippet(
          `import { loadBlas } from "./packages/tfjs_blas/kernel_sets.ts";
          const b = loadBlas()!; console.log(JSON.stringify([b.threads, b.maxThreads]));`,
          env,
        );
        assert(r.ok, r.stderr);
        return JSON.parse(r.stdout) as [number, number];
      };
      const [threads, maxThreads] = await probe({});
      assert(threads === maxThreads, `threads ${threads}, expected all ${maxThreads} cores`);
      const [one] = await probe({ KMNIST_BLAS_THREADS: "1" });
      assert(one === 1, `KMNIST_BLAS_THREADS=1 gave ${one} threads`);
    } finally {
      spin.kill();
      await spin.status;
    }
  },
});

Deno.test({
  name: "OpenBLAS loads with a short worker spin (OPENBLAS_THREAD_TIMEOUT) that children do not " +
    "inherit, and a user's own value is kept",
  ignore,
  fn: async () => {
    const run = async (env: Record<string, string>) => {
      const r = await runSnippet(
        `import { loadBlas } from "./packages/tfjs_blas/blas.ts";
        if (loadBlas() === null) throw new Error("no OpenBLAS");
        console.log(Deno.env.get("OPENBLAS_THREAD_TIMEOUT") ?? "unset");`,
        env,
      );
      assert(r.ok, `exit ${r.code}: ${r.stderr}`);
      return r.stdout.trim();
    };
    const saved = Deno.env.get("OPENBLAS_THREAD_TIMEOUT");
    Deno.env.delete("OPENBLAS_THREAD_TIMEOUT");
    try {
      assert((await run({})) === "unset", "the timeout leaked into the environment");
      assert((await run({ OPENBLAS_THREAD_TIMEOUT: "7" })) === "7", "the user's value was lost");
    } finally {
      if (saved !== undefined) Deno.env.set("OPENBLAS_THREAD_TIMEOUT", saved);
    }
  },
});

Deno.test({
  name: "a worker loading OpenBLAS leaves the process-wide thread count another worker set",
  ignore,
  fn: async () => {
    // In a fresh process, so that no other test module's products change the count meanwhile.
    const code = `
      import { initBackend, loadBlas } from "./packages/tfjs_blas/mod.ts";
      await initBackend({ backend: "blas" });
      const blas = loadBlas();
      // A tiny product runs on one thread, set under the native lock, and the count stays there
      // until the next product: as in another worker between setting its count and multiplying.
      blas.sgemm({ heap: new Float32Array(12), m: 2, n: 2, k: 2, a: 0, b: 4, c: 8 });
      const before = blas.processThreads();
      const worker = new Worker(
        new URL("./packages/tfjs_blas/tests/helpers/load_blas_worker.ts", "file://" + Deno.cwd() + "/"),
        { type: "module" },
      );
      const pinned = await new Promise((resolve) => {
        worker.onmessage = (event) => resolve(event.data.threads);
        worker.postMessage(null);
      });
      worker.terminate();
      console.log(JSON.stringify({
        locked: blas.locked, cores: blas.maxThreads, threads: blas.threads, before, pinned,
        after: blas.processThreads(),
      }));
    `;
    const run = await runSnippet(code);
    assert(run.ok, run.stderr);
    const r = JSON.parse(run.stdout.trim().split("\n").pop()!);
    if (!r.locked || r.cores < 2) return; // needs the native lock and 2 cores
    assert(r.before === 1, `after a tiny product: ${JSON.stringify(r)}`);
    assert(r.pinned === r.threads, `the worker pinned another count: ${JSON.stringify(r)}`);
    // Loading wrote nothing to OpenBLAS: before the fix it set all cores, outside the lock.
    assert(r.after === 1, `after the worker loaded OpenBLAS: ${JSON.stringify(r)}`);
  },
});
