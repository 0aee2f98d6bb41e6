/**
 * What the generative-model measures of lib/metrics cost on realistic sizes, on the blas backend:
 * feature statistics and the Fréchet distance (10,000 x 128 features), the bootstrap (10,000
 * per-image values, B = 1,000), the ex-post Gaussian mixture (fit to 10,000 and 55,000 x 32 codes,
 * 10,000 draws), active units and KL per dimension (10,000 images), and ELBO + IWAE with k = 100 on
 * the project's VAE (the first `--images` test images, extrapolated linearly to 10,000), with the
 * k = 1,000 check on `--check-images`. Not a timed test: it prints what it measures (wall seconds on
 * a possibly shared machine), and the weights do not change the cost (an untrained VAE is used).
 *
 *   deno run --allow-all tools/metrics_cost.ts [--images 500] [--check-images 20] [--latent 32]
 *                                              [--json]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { initBackend } from "@kmnist/tfjs-blas";
import { createRandom, imagesToTensor, loadKmnist, takeSubset } from "../lib/data/mod.ts";
import { buildVariational } from "../lib/models/mod.ts";
import {
  bootstrapMeanInterval,
  fitGaussianMixture,
  frechetDistance,
  gaussianStatistics,
  latentUsage,
  likelihoodReport,
  sampleGaussianMixture,
} from "../lib/metrics/mod.ts";

const { values } = parseArgs({
  options: {
    images: { type: "string", default: "500" },
    "check-images": { type: "string", default: "20" },
    latent: { type: "string", default: "32" },
    json: { type: "boolean", default: false },
  },
});
const images = Number(values.images), checkImages = Number(values["check-images"]);
const latent = Number(values.latent);
for (
  const [name, v] of [["--images", images], ["--check-images", checkImages], [
    "--latent",
    latent,
  ]] as const
) {
  if (!Number.isInteger(v) || v < 1) {
    throw new Error(`${name} must be a positive integer, got ${v}.`);
  }
}

await initBackend({ backend: "blas" });
const results: Record<string, number> = {};
function time<T>(name: string, fn: () => T): T {
  const started = performance.now();
  const out = fn();
  results[name] = (performance.now() - started) / 1000;
  if (!values.json) console.log(`${name.padEnd(58)} ${results[name].toFixed(2)} s`);
  return out;
}
const random = createRandom(0);
const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const gaussianRows = (n: number, d: number) => Float32Array.from({ length: n * d }, () => normal());

const a = gaussianRows(10_000, 128), b = gaussianRows(10_000, 128).map((v) => 0.9 * v + 0.1);
time("warm-up (backend)", () => gaussianStatistics(a.subarray(0, 128 * 100), { dims: 128 }));
const sa = time(
  "statistics 10,000 x 128 (backend sgemm)",
  () => gaussianStatistics(a, { dims: 128 }),
);
time(
  "statistics 10,000 x 128 (float64 JS)",
  () => gaussianStatistics(a, { dims: 128, exact: true }),
);
const sb = gaussianStatistics(b, { dims: 128 });
time("Fréchet distance from statistics (128-D)", () => frechetDistance(sa, sb));
time(
  "Fréchet distance of two 10,000 x 128 sets, in all",
  () => frechetDistance(gaussianStatistics(a, { dims: 128 }), gaussianStatistics(b, { dims: 128 })),
);

const perImage = Float64Array.from({ length: 10_000 }, () => 300 + 40 * normal());
time("bootstrap of a mean, 10,000 values, B = 1,000", () => bootstrapMeanInterval(perImage));

// Codes: a 10-cluster mixture in 32-D, like a trained encoder's.
const centres = gaussianRows(10, 32).map((v) => 2 * v);
const codes = (n: number) => {
  const out = new Float32Array(n * 32);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 32; j++) out[i * 32 + j] = centres[(i % 10) * 32 + j] + normal();
  }
  return out;
};
const small = codes(10_000), large = codes(55_000);
const gmm = time(
  "Gaussian mixture fit, 10,000 x 32 codes, 10 components",
  () => fitGaussianMixture(small, { dims: 32, seed: 0 }),
);
results["gmm iterations (10,000)"] = gmm.iterations;
const gmmLarge = time(
  "Gaussian mixture fit, 55,000 x 32 codes, 10 components",
  () => fitGaussianMixture(large, { dims: 32, seed: 0 }),
);
results["gmm iterations (55,000)"] = gmmLarge.iterations;
time(
  "Gaussian mixture, 10,000 seeded draws",
  () => sampleGaussianMixture(gmm, 10_000, { seed: 1 }),
);

const kmnist = await loadKmnist();
const test = imagesToTensor(kmnist.test);
const vae = buildVariational({ latentDim: latent, seed: 0 });
time(
  `active units + KL per dimension, 10,000 images (z = ${latent})`,
  () => latentUsage(vae, test),
);
test.dispose();
const first = imagesToTensor(
  takeSubset(kmnist.test, Int32Array.from({ length: images }, (_, i) => i)),
);
const report = time(
  `ELBO + IWAE k = 100 on ${images} images (z = ${latent})`,
  () => likelihoodReport(vae, first, { samples: 100, checkSamples: 0 }),
);
results["ELBO + IWAE k = 100 on 10,000 images (extrapolated)"] =
  results[`ELBO + IWAE k = 100 on ${images} images (z = ${latent})`] * 10_000 / images;
const check = imagesToTensor(
  takeSubset(kmnist.test, Int32Array.from({ length: checkImages }, (_, i) => i)),
);
time(
  `IWAE k = 1,000 on ${checkImages} images (z = ${latent})`,
  () => likelihoodReport(vae, check, { samples: 1000, checkSamples: 0 }),
);
results["IWAE k = 1,000 on 1,000 images (extrapolated)"] =
  results[`IWAE k = 1,000 on ${checkImages} images (z = ${latent})`] * 1000 / checkImages;
first.dispose();
check.dispose();
vae.dispose();
if (values.json) console.log(JSON.stringify(results, null, 2));
else {
  console.log(
    `extrapolated: k = 100 on 10,000 images ${
      results["ELBO + IWAE k = 100 on 10,000 images (extrapolated)"].toFixed(0)
    } s; k = 1,000 on 1,000 images ${
      results["IWAE k = 1,000 on 1,000 images (extrapolated)"].toFixed(0)
    } s`,
  );
  console.log(
    `(-ELBO ${report.negativeElbo.mean.toFixed(1)} ± ${
      report.negativeElbo.standardError.toFixed(1)
    }, untrained)`,
  );
}
