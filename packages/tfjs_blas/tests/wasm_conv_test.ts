/**
 * The pure wasm/JS kernel set (packages/tfjs_blas/kernel_sets.ts, "wasm": Conv2DBackpropFilter and
 * Conv2DBackpropInput by im2col/col2im + XNNPACK matmul, column Sum, shared Identity) against
 * tfjs's reference cpu kernels, on random shapes, strides and paddings; and a conv model that
 * trains on the wasm backend.
 */
import * as tf from "@tensorflow/tfjs";
import { ok as assert } from "node:assert";

function assertLess(a: number, b: number, msg: string): void {
  assert(a < b, `${msg}: ${a} is not < ${b}`);
}
import { initBackend } from "../mod.ts";
import { createRandom } from "./helpers/random.ts";
import { randomArray, relError } from "../../../tests/helpers/numeric.ts";

/** Tolerance: max |difference| / max |reference| (float32 sums in a different order). */
const TOLERANCE = 1e-5;

async function on(backend: "cpu" | "wasm", fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await initBackend({ backend });
  const ts = tf.tidy(fn);
  const values = ts.map((t) => new Float32Array(t.dataSync() as Float32Array));
  tf.dispose(ts);
  return values;
}

async function compare(label: string, fn: () => tf.Tensor[]): Promise<void> {
  const expected = await on("cpu", fn);
  const actual = await on("wasm", fn);
  for (let i = 0; i < expected.length; i++) {
    assertLess(relError(actual[i], expected[i]), TOLERANCE, `${label}, output ${i}`);
  }
}

Deno.test("wasm conv2d / conv2dTranspose gradients and forward match cpu on random shapes", async () => {
  const random = createRandom(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
  for (let trial = 0; trial < 12; trial++) {
    const n = 1 + Math.floor(random() * 4);
    const h = 3 + Math.floor(random() * 10);
    const w = 3 + Math.floor(random() * 10);
    const ci = 1 + Math.floor(random() * 5);
    const co = 1 + Math.floor(random() * 6);
    const k = pick([1, 2, 3, 5]);
    const stride = pick([1, 2, 3]);
    const pad = pick(["same", "valid"] as const);
    if (pad === "valid" && (k > h || k > w)) continue;
    const xs = randomArray(random, n * h * w * ci);
    const ws = randomArray(random, k * k * ci * co);
    const label = `n${n} ${h}x${w}x${ci} k${k} s${stride} ${pad} co${co}`;
    await compare(`conv2d ${label}`, () => {
      const x = tf.tensor4d(xs, [n, h, w, ci]);
      const f = tf.tensor4d(ws, [k, k, ci, co]);
      const loss = (x: tf.Tensor, f: tf.Tensor) =>
        tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, stride, pad).square().sum();
      return [tf.conv2d(x, f, stride, pad), ...tf.grads(loss)([x, f])];
    });

    // conv2dTranspose: its filter gradient is a Conv2DBackpropFilter with x and dy swapped.
    const outShape: [number, number, number, number] = pad === "same"
      ? [n, h * stride, w * stride, co]
      : [n, (h - 1) * stride + k, (w - 1) * stride + k, co];
    const wt = randomArray(random, k * k * co * ci);
    await compare(`conv2dTranspose ${label}`, () => {
      const x = tf.tensor4d(xs, [n, h, w, ci]);
      const f = tf.tensor4d(wt, [k, k, co, ci]);
      const run = (x: tf.Tensor, f: tf.Tensor) =>
        tf.conv2dTranspose(x as tf.Tensor4D, f as tf.Tensor4D, outShape, stride, pad);
      return [run(x, f), ...tf.grads((x, f) => run(x, f).square().sum())([x, f])];
    });
  }
});

Deno.test("wasm Sum over leading axes and Identity match cpu", async () => {
  const random = createRandom(5);
  const xs = randomArray(random, 3 * 4 * 5 * 6);
  await compare("sum/identity", () => {
    const x = tf.tensor4d(xs, [3, 4, 5, 6]);
    return [
      x.sum([0, 1, 2]),
      x.sum([0, 1, 2], true),
      x.reshape([60, 6]).sum(0),
      x.sum([1, 2]),
      x.sum(),
      tf.clone(x).add(1),
    ];
  });
  // A shared Identity must not let the clone outlive or alias-corrupt the source.
  await initBackend({ backend: "wasm" });
  const a = tf.tensor1d([1, 2, 3]);
  const b = tf.clone(a);
  a.dispose();
  assert(b.dataSync().join() === "1,2,3");
  b.dispose();
});

Deno.test("a conv autoencoder trains on the pure wasm backend", async () => {
  const info = await initBackend({ backend: "wasm" });
  tf.util.assert(tf.getBackend() === "wasm", () => `expected wasm, got ${tf.getBackend()}`);
  assert(info.name === "wasm" && !info.blas);
  const random = createRandom(7);
  const x = tf.tensor4d(randomArray(random, 8 * 28 * 28).map((v) => (v + 1) / 2), [8, 28, 28, 1]);
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 8,
        kernelSize: 3,
        strides: 2,
        padding: "same",
        activation: "relu",
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      }),
      tf.layers.conv2dTranspose({
        filters: 1,
        kernelSize: 3,
        strides: 2,
        padding: "same",
        activation: "sigmoid",
        kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
      }),
    ],
  });
  const optimizer = tf.train.adam(1e-2);
  const losses: number[] = [];
  for (let step = 0; step < 15; step++) {
    const loss = optimizer.minimize(
      () => tf.losses.meanSquaredError(x, model.predict(x) as tf.Tensor),
      true,
    )!;
    losses.push(loss.dataSync()[0]);
    loss.dispose();
  }
  assertLess(losses[losses.length - 1], losses[0] * 0.9, `loss did not fall: ${losses.join(", ")}`);
  model.dispose();
  optimizer.dispose();
  x.dispose();
});

Deno.test("wasm transposed MatMuls (explicit transpose + plain matmul) match cpu", async () => {
  const random = createRandom(8);
  for (const [m, n, k] of [[5, 7, 3], [33, 2, 65], [1, 40, 9]]) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const av = randomArray(random, m * k), bv = randomArray(random, k * n);
        await compare(`matMul ${m}x${n}x${k} ta=${ta} tb=${tb}`, () => {
          const a = tf.tensor2d(av, ta ? [k, m] : [m, k]);
          const b = tf.tensor2d(bv, tb ? [n, k] : [k, n]);
          const loss = (a: tf.Tensor, b: tf.Tensor) =>
            tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D, ta, tb).square().sum();
          return [tf.matMul(a, b, ta, tb), ...tf.grads(loss)([a, b])];
        });
      }
    }
  }
});
