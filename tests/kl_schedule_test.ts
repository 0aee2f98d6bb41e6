/**
 * Tests of the VAE's training options: the KL warm-up schedule's values, the free-bits clamp, the
 * objective's gradients against central differences of a float64 reference, and that training
 * hands the schedule its epoch progress.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@kmnist/tfjs-blas";
import type { ImageSet } from "../lib/data/mod.ts";
import { buildVariational, type LossOptions, vaeObjective } from "../lib/models/mod.ts";
import { checkKlSchedule, klWeightAt, train, withKlSchedule } from "../lib/train/mod.ts";

await initBackend();

Deno.test("warm-up: the KL weight rises linearly from 0 to β over the warm-up epochs", () => {
  const s = { warmupEpochs: 2 };
  const cases: [number, number][] = [[0, 0], [0.5, 0.25], [1, 0.5], [1.5, 0.75], [2, 1], [7, 1]];
  for (const [progress, weight] of cases) assert.equal(klWeightAt(s, progress), weight);
  assert.equal(klWeightAt({ beta: 0.5, warmupEpochs: 4 }, 1), 0.125);
  assert.equal(klWeightAt({ beta: 0.5, warmupEpochs: 4 }, 9), 0.5);
  // Without warm-up, or in evaluation (no progress), the weight is β.
  assert.equal(klWeightAt({ beta: 2 }, 0), 2);
  assert.equal(klWeightAt({ warmupEpochs: 3 }), 1);
  assert.throws(() => klWeightAt(s, -1), /epochProgress must be a number >= 0/);
});

Deno.test("a bad schedule is refused with the field named", () => {
  assert.throws(() => checkKlSchedule({ beta: 0 }), /beta is 0; it must be a finite number > 0/);
  assert.throws(() => checkKlSchedule({ warmupEpochs: -1 }), /warmupEpochs is -1/);
  assert.throws(() => checkKlSchedule({ freeBits: NaN }), /freeBits is NaN/);
  assert.deepEqual(checkKlSchedule({}), { beta: 1, warmupEpochs: 0, freeBits: 0 });
});

/** KL_ij of N(m, e^v) from N(0,1) in float64. */
const kl64 = (m: number, v: number) => 0.5 * (m * m + Math.exp(v) - 1 - v);

/** The objective in float64: mean(rec) + w · Σ_j max(λ, mean_i KL_ij) (λ = 0: plain KL). */
function objective64(
  rec: number[],
  mean: number[][],
  logVar: number[][],
  w: number,
  lambda: number,
): number {
  const n = mean.length, z = mean[0].length;
  let kl = 0;
  for (let j = 0; j < z; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += kl64(mean[i][j], logVar[i][j]);
    kl += lambda > 0 ? Math.max(lambda, s / n) : s / n;
  }
  return rec.reduce((a, b) => a + b, 0) / n + w * kl;
}

// Three images, four latent dimensions; the batch-mean KL of dimensions 0..3 is about 0.02,
// 1.2, 0.3 and 2.6 nats, so a floor of 0.5 clamps dimensions 0 and 2 and leaves 1 and 3 free,
// each at least 0.2 nats from the kink (central differences with h = 1e-5 never cross it).
const REC = [201.5, 180.25, 240.0];
const MEAN = [[0.1, 1.2, -0.5, 2.0], [-0.2, -1.5, 0.3, -1.8], [0.15, 0.9, 0.6, 2.4]];
const LOGVAR = [[0.0, -0.5, 0.4, -1.0], [0.2, 0.1, -0.6, 0.3], [-0.1, -0.8, 0.2, -0.4]];

function perDimensionKl(): number[] {
  return MEAN[0].map((_, j) =>
    MEAN.reduce((s, row, i) => s + kl64(row[j], LOGVAR[i][j]), 0) / MEAN.length
  );
}

Deno.test("free bits: dimensions under the floor count as λ, the measured KL stays plain", () => {
  const perDim = perDimensionKl();
  const lambda = 0.5;
  assert.ok(perDim[0] < lambda && perDim[2] < lambda && perDim[1] > lambda && perDim[3] > lambda);
  const terms = tf.tidy(() => {
    const t = vaeObjective({
      reconstruction: tf.tensor1d(REC),
      mean: tf.tensor2d(MEAN),
      logVar: tf.tensor2d(LOGVAR),
      freeBits: lambda,
      klWeight: 0.7,
    });
    return [t.loss, t.reconstruction, t.kl].map((s) => s.dataSync()[0]);
  });
  const [loss, rec, kl] = terms;
  const plainKl = perDim.reduce((a, b) => a + b, 0);
  const clamped = perDim.reduce((a, b) => a + Math.max(lambda, b), 0);
  assert.ok(Math.abs(rec - REC.reduce((a, b) => a + b) / 3) < 1e-4);
  assert.ok(Math.abs(kl - plainKl) < 1e-5, `${kl} vs ${plainKl}`);
  assert.ok(Math.abs(loss - (rec + 0.7 * clamped)) < 1e-4, `${loss} vs ${rec + 0.7 * clamped}`);
  // The clamp raises the loss by exactly the floor's excess over the clamped dimensions.
  assert.ok(Math.abs(clamped - plainKl - (2 * lambda - perDim[0] - perDim[2])) < 1e-12);
});

Deno.test("the objective's gradients match central differences of a float64 reference", () => {
  for (const [w, lambda] of [[1, 0], [0.3, 0], [1, 0.5], [0.25, 0.5]]) {
    const [gMean, gLogVar] = tf.tidy(() => {
      const f = (m: tf.Tensor, v: tf.Tensor) =>
        vaeObjective({
          reconstruction: tf.tensor1d(REC),
          mean: m as tf.Tensor2D,
          logVar: v as tf.Tensor2D,
          klWeight: w,
          freeBits: lambda,
        }).loss;
      return tf.grads(f)([tf.tensor2d(MEAN), tf.tensor2d(LOGVAR)]).map((g) => g.arraySync());
    }) as number[][][];
    // Central differences in float64: truncation error O(h²·f''') ~ 1e-10 and rounding error
    // ~ 1e-16·|f|/h ~ 1e-9 at h = 1e-5, far below the float32 gradients' own error (~1e-7
    // relative to terms of order 1), so a 1e-5 absolute tolerance tests the formula, not noise.
    const h = 1e-5;
    for (const [grad, which] of [[gMean, "mean"], [gLogVar, "logVar"]] as const) {
      for (let i = 0; i < MEAN.length; i++) {
        for (let j = 0; j < MEAN[0].length; j++) {
          const at = (delta: number) => {
            const m = MEAN.map((r) => [...r]), v = LOGVAR.map((r) => [...r]);
            (which === "mean" ? m : v)[i][j] += delta;
            return objective64(REC, m, v, w, lambda);
          };
          const numeric = (at(h) - at(-h)) / (2 * h);
          assert.ok(
            Math.abs(grad[i][j] - numeric) < 1e-5,
            `d/d${which}[${i}][${j}] (w ${w}, λ ${lambda}): ${grad[i][j]} vs ${numeric}`,
          );
          // A clamped dimension gets no KL gradient at all.
          if (lambda > 0 && (j === 0 || j === 2)) assert.equal(Math.abs(grad[i][j]), 0);
        }
      }
    }
  }
});

Deno.test("a VAE under a schedule: warm-up starts at the bare reconstruction, evaluation uses β", () => {
  const model = buildVariational({ latentDim: 3, seed: 5, design: "mlp" });
  const scheduled = withKlSchedule(model, { beta: 2, warmupEpochs: 2, freeBits: 0.25 });
  const x = tf.randomUniform([8, 28, 28, 1], 0, 1, "float32", 3) as tf.Tensor4D;
  const values = (options: LossOptions) =>
    tf.tidy(() => {
      const t = scheduled.lossTerms(x, { step: 1, ...options });
      return [t.loss, t.reconstruction!, t.kl!].map((s) => s.dataSync()[0]);
    });
  const [first, rec, kl] = values({ epochProgress: 0 });
  assert.equal(first, rec);
  const [evalLoss, rec2, kl2] = values({});
  assert.deepEqual([rec2, kl2], [rec, kl]);
  assert.ok(Math.abs(evalLoss - (rec + 2 * kl)) < 1e-3);
  assert.equal(withKlSchedule(model, {}), model);
  tf.dispose(x);
  model.dispose();
});

Deno.test("train() hands the loss its fractional epoch progress, and evaluation none", async () => {
  const count = 256;
  const images = new Uint8Array(count * 784);
  for (let i = 0; i < images.length; i++) images[i] = (i * 7919) % 256;
  const set: ImageSet = { images, labels: new Uint8Array(count), count };
  const model = buildVariational({ latentDim: 2, seed: 1, design: "mlp" });
  const seen: (number | undefined)[] = [];
  const spy = {
    ...model,
    lossTerms: (batch: tf.Tensor4D, options?: LossOptions) => {
      seen.push(options?.epochProgress);
      return model.lossTerms(batch, options);
    },
  };
  await train(spy, {
    train: set,
    validation: { ...set, count: 100 },
    epochs: 2,
    batchSize: 128,
    progress: "none",
  });
  assert.deepEqual(seen, [0, 0.5, undefined, 1, 1.5, undefined]);
  model.dispose();
});
