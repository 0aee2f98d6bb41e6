/**
 * The measures of issue #18 on one trained VAE checkpoint, on the test images: active units and KL
 * per latent dimension, dead units of the 16-unit layer before the heads (when the model has one),
 * ELBO and IWAE on the same images with standard errors and 95% bootstrap intervals, and the IWAE
 * bound with more samples on the first images (convergence in k). Prints text, or JSON with --json.
 *
 *   deno run --allow-all tools/vae_diagnostics.ts runs/vae [--images 10000] [--samples 100]
 *            [--check-samples 1000] [--check-images 1000] [--layer enc_dense] [--seed 0] [--json]
 *
 * k = 100 on all 10,000 test images is ~1M decoder rows: minutes on this project's machine (see
 * tools/metrics_cost.ts); --images and --check-images make a quick look cheaper.
 *
 * @module
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@kmnist/tfjs-blas";
import { imagesToTensor, loadKmnist, takeSubset } from "../lib/data/mod.ts";
import { isVariational } from "../lib/models/mod.ts";
import { loadModel } from "../lib/train/mod.ts";
import {
  bootstrapMeanInterval,
  deadUnits,
  latentUsage,
  likelihoodReport,
} from "../lib/metrics/mod.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    images: { type: "string", default: "10000" },
    samples: { type: "string", default: "100" },
    "check-samples": { type: "string", default: "1000" },
    "check-images": { type: "string", default: "1000" },
    layer: { type: "string", default: "enc_dense" },
    seed: { type: "string", default: "0" },
    json: { type: "boolean", default: false },
  },
});
const USAGE = "usage: tools/vae_diagnostics.ts CHECKPOINT_DIR [--images N] [--samples K] " +
  "[--check-samples K] [--check-images N] [--layer NAME] [--seed S] [--json]";
if (positionals.length !== 1) throw new Error(`Give one checkpoint folder. ${USAGE}`);
const numbers: Record<string, number> = {};
for (const key of ["images", "samples", "check-samples", "check-images", "seed"] as const) {
  const v = Number(values[key]);
  const least = key === "check-samples" || key === "seed" ? 0 : 1;
  if (!Number.isInteger(v) || v < least) {
    throw new Error(`--${key} must be an integer >= ${least}, got ${values[key]}. ${USAGE}`);
  }
  numbers[key] = v;
}

await initBackend({ backend: "blas" });
const model = await loadModel(positionals[0]);
if (!isVariational(model)) {
  throw new Error(`${positionals[0]} holds a ${model.kind} model; this tool measures VAEs.`);
}
const kmnist = await loadKmnist();
const count = Math.min(numbers.images, kmnist.test.count);
const test = count === kmnist.test.count
  ? kmnist.test
  : takeSubset(kmnist.test, Int32Array.from({ length: count }, (_, i) => i));
const images = imagesToTensor(test);
const started = performance.now();
const usage = latentUsage(model, images);
const hasLayer = model.encoder.layers.some((l) => l.name === values.layer);
const dead = hasLayer ? deadUnits(model.encoder, values.layer, images) : undefined;
const likelihood = likelihoodReport(model, images, {
  samples: numbers.samples,
  checkSamples: numbers["check-samples"],
  checkImages: numbers["check-images"],
  seed: numbers.seed,
});
const elboInterval = bootstrapMeanInterval(likelihood.perImage.negativeElbo, {
  seed: numbers.seed,
});
const iwaeInterval = bootstrapMeanInterval(likelihood.perImage.negativeIwae, {
  seed: numbers.seed,
});
images.dispose();
const seconds = (performance.now() - started) / 1000;
const result = {
  checkpoint: positionals[0],
  latentDim: usage.dims,
  testImages: count,
  kl: usage.kl,
  klPerDimension: Array.from(usage.klPerDimension),
  activeUnits: usage.count,
  activity: Array.from(usage.activity),
  deadUnits: dead ? { layer: values.layer, dead: dead.count, units: dead.units } : null,
  samples: likelihood.samples,
  negativeElbo: {
    ...likelihood.negativeElbo,
    lower: elboInterval.lower,
    upper: elboInterval.upper,
  },
  negativeIwae: {
    ...likelihood.negativeIwae,
    lower: iwaeInterval.lower,
    upper: iwaeInterval.upper,
  },
  gap: likelihood.gap,
  check: likelihood.check ?? null,
  seconds,
};
if (values.json) {
  console.log(JSON.stringify(result, null, 2));
} else {
  const f = (m: { mean: number; standardError: number }) =>
    `${m.mean.toFixed(2)} ± ${m.standardError.toFixed(2)} (se)`;
  console.log(`${result.checkpoint}: z = ${result.latentDim}, ${count} test images`);
  console.log(`KL ${usage.kl.toFixed(2)} nats; active units ${usage.count}/${usage.dims}`);
  console.log(`KL per dimension: ${result.klPerDimension.map((v) => v.toFixed(2)).join(" ")}`);
  if (dead) console.log(`dead units of ${values.layer}: ${dead.count}/${dead.units}`);
  else console.log(`no layer ${values.layer}: dead units not measured`);
  console.log(
    `-ELBO ${f(likelihood.negativeElbo)} [${elboInterval.lower.toFixed(2)}, ${
      elboInterval.upper.toFixed(2)
    }]; -IWAE(k = ${likelihood.samples}) ${f(likelihood.negativeIwae)} [${
      iwaeInterval.lower.toFixed(2)
    }, ${iwaeInterval.upper.toFixed(2)}]; gap ${f(likelihood.gap)}`,
  );
  const c = likelihood.check;
  if (c) {
    console.log(
      `first ${c.images} images: -IWAE(k = ${likelihood.samples}) ${f(c.negativeIwaeAtMain)} -> ` +
        `-IWAE(k = ${c.samples}) ${f(c.negativeIwae)}; improvement ${f(c.improvement)}`,
    );
  }
  console.log(`${seconds.toFixed(1)} s`);
}
tf.disposeVariables();
