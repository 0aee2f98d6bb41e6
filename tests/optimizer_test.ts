/** FusedAdam (lib/train/optimizer.ts) against tf.train.adam, and its save / restore. */
import * as tf from "@tensorflow/tfjs";
import { ok as assert } from "node:assert";
import { ADAM_STEP, initBackend } from "@kmnist/tfjs-blas";
import { createRandom } from "../lib/data/random.ts";
import {
  ADAM_STEP_KERNEL,
  createOptimizer,
  FusedAdam,
  nativeAdamUpdates,
  setNativeAdam,
} from "../lib/train/optimizer.ts";
import { randomArray } from "./helpers/numeric.ts";

/** Trains a tiny two-layer regression for `steps` steps; returns the final weights. */
function train(
  optimizer: tf.Optimizer,
  steps: number,
  seed: number,
  prefix: string,
): Float32Array[] {
  const random = createRandom(seed);
  const w1 = tf.variable(tf.tensor2d(randomArray(random, 6 * 5), [6, 5]), true, `${prefix}w1`);
  const b1 = tf.variable(tf.tensor1d(randomArray(random, 5)), true, `${prefix}b1`);
  const w2 = tf.variable(tf.tensor2d(randomArray(random, 5 * 3), [5, 3]), true, `${prefix}w2`);
  const x = tf.tensor2d(randomArray(random, 16 * 6), [16, 6]);
  const y = tf.tensor2d(randomArray(random, 16 * 3), [16, 3]);
  for (let s = 0; s < steps; s++) {
    optimizer.minimize(() =>
      tf.losses.meanSquaredError(y, x.matMul(w1).add(b1).relu().matMul(w2)) as tf.Scalar
    )?.dispose();
  }
  const result = [w1, b1, w2].map((v) => Float32Array.from(v.dataSync()));
  tf.dispose([w1, b1, w2, x, y]);
  return result;
}

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = 0; j < a[i].length; j++) worst = Math.max(worst, Math.abs(a[i][j] - b[i][j]));
  }
  return worst;
}

for (const backend of ["blas", "wasm", "cpu"] as const) {
  Deno.test(`FusedAdam follows tf.train.adam step for step on ${backend}`, async () => {
    await initBackend({ backend });
    const expected = train(tf.train.adam(0.01, 0.9, 0.999, 1e-7), 25, 5, `ref_${backend}_`);
    const actual = train(createOptimizer({ learningRate: 0.01 }), 25, 5, `fused_${backend}_`);
    const start = train(createOptimizer({ learningRate: 0.01 }), 0, 5, `start_${backend}_`);
    const moved = maxDiff(expected, start);
    assert(moved > 0.05, `training barely moved the weights (${moved})`);
    const diff = maxDiff(actual, expected);
    assert(diff < 1e-5, `FusedAdam differs from tf.train.adam by ${diff} after 25 steps`);
  });
}

Deno.test("FusedAdam getWeights/setWeights resume training exactly, in tf.train.adam's layout", async () => {
  await initBackend({ backend: "wasm" });
  const random = createRandom(9);
  const target = tf.tensor1d(randomArray(random, 4));
  const start = randomArray(random, 4);
  const run = (opt: tf.Optimizer, v: tf.Variable, steps: number) => {
    for (let s = 0; s < steps; s++) {
      opt.minimize(() => v.sub(target).square().sum(), true, [v])?.dispose();
    }
  };
  // Reference: 10 uninterrupted steps.
  const vRef = tf.variable(tf.tensor1d(start), true, "resume_ref");
  run(createOptimizer({ learningRate: 0.05 }), vRef, 10);
  // 5 steps, save, restore into a fresh optimizer, 5 more.
  const v = tf.variable(tf.tensor1d(start), true, "resume_a");
  const first = createOptimizer({ learningRate: 0.05 });
  run(first, v, 5);
  const saved = await first.getWeights();
  assert(
    saved[0].name === "iter" && saved[1].name === "resume_a/m" && saved[2].name === "resume_a/v",
  );
  const second = new FusedAdam(0.05);
  await second.setWeights(saved);
  assert(second.iterations === 5);
  run(second, v, 5);
  const diff = Math.max(
    ...Array.from(v.dataSync()).map((x, i) => Math.abs(x - vRef.dataSync()[i])),
  );
  assert(diff < 1e-6, `resumed training differs by ${diff}`);
  // tf.train.adam accepts the same layout.
  const adam = tf.train.adam(0.05, 0.9, 0.999, 1e-7);
  await adam.setWeights(saved);
  assert(adam.iterations === 5);
  tf.dispose([vRef, v, target, ...saved.map((s) => s.tensor)]);
  adam.dispose();
});

Deno.test("FusedAdam's registered Adam step (C) gives bit-identical weights to its JS loop", async () => {
  // The optimizer names the kernel itself (research code imports nothing from the package).
  assert(ADAM_STEP_KERNEL === ADAM_STEP, `${ADAM_STEP_KERNEL} is not the package's ${ADAM_STEP}`);
  const info = await initBackend({ backend: "blas" });
  if (!info.native) return; // no OpenBLAS or no C compiler: only the JS loop exists
  assert(tf.getKernel(ADAM_STEP, "wasm") !== undefined, "no Adam step registered on wasm");
  const run = (native: boolean, prefix: string): Float32Array => {
    setNativeAdam(native);
    const random = createRandom(17);
    // 90,000 weights: above the C loop's threshold for splitting over the cores (65,536).
    const w = tf.variable(tf.tensor2d(randomArray(random, 300 * 300), [300, 300]), true, prefix);
    const x = tf.tensor2d(randomArray(random, 8 * 300), [8, 300]);
    const optimizer = createOptimizer({ learningRate: 0.01 });
    for (let s = 0; s < 6; s++) {
      optimizer.minimize(() => x.matMul(w).tanh().square().mean() as tf.Scalar)?.dispose();
    }
    const result = Float32Array.from(w.dataSync());
    tf.dispose([w, x]);
    optimizer.dispose();
    return result;
  };
  try {
    const before = nativeAdamUpdates;
    const start = run(true, "adam_native_0");
    const native = run(true, "adam_native");
    assert(nativeAdamUpdates === before + 12, "the C loop did not run");
    const js = run(false, "adam_js");
    assert(nativeAdamUpdates === before + 12, "the C loop ran with setNativeAdam(false)");
    assert(start.every((v, i) => v === native[i]), "the native loop is not deterministic");
    const differing = js.filter((v, i) => v !== native[i]).length;
    assert(differing === 0, `${differing} of ${js.length} weights differ between C and JS`);
  } finally {
    setNativeAdam(true);
  }
});
