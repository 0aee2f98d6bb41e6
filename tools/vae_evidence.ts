/**
 * Why the VAE collapses, with evidence: short seeded runs of VAE designs at several code sizes,
 * and for each the KL per epoch, the KL per latent dimension, the active units (Burda et al.
 * 2016: Cov_x(E_q[z_i]) > 0.01) and active directions (eigenvalues of Cov_x(E_q[z]) > 0.01: the
 * rank the code really uses) on held-out validation images, and for the keras design the
 * dead units of its 16-unit ReLU layer (never positive on any of those images) at
 * initialisation and after training.
 *
 * ```sh
 * npx -y deno@2.9.6 run --allow-all tools/vae_evidence.ts --designs keras,conv --latents 2,8,32,64 \
 *   --epochs 3 --train-images 10000 --out runs/vae_evidence.json
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { EigenvalueDecomposition, Matrix } from "ml-matrix";
import { initBackend } from "@kmnist/tfjs-blas";
import {
  type ImageSet,
  imagesToTensor,
  loadKmnist,
  splitTrainValidation,
  takeSubset,
} from "../lib/data/mod.ts";
import { writeJsonAtomic } from "../lib/io/mod.ts";
import {
  buildVariational,
  KERAS_HIDDEN_UNITS,
  parseDesign,
  type VaeDesign,
  type VariationalAutoencoder,
} from "../lib/models/mod.ts";
import { type KlSchedule, train, withKlSchedule } from "../lib/train/mod.ts";

/** Threshold of an active unit on Cov_x(E_q[z_i]) (Burda et al. 2016). */
const ACTIVE_THRESHOLD = 0.01;

interface PosteriorStats {
  /** Eigenvalues of Cov_x(E_q[z]) above the threshold: active directions (rank of the code). */
  activeDirections: number;
  klPerDimension: number[];
  meanVariance: number[];
  activeUnits: number;
  kl: number;
}

function posteriorStats(model: VariationalAutoencoder, set: ImageSet): PosteriorStats {
  const x = imagesToTensor(set, Int32Array.from({ length: set.count }, (_, i) => i));
  const { mean, logVar } = model.posterior(x);
  x.dispose();
  const means = mean.arraySync();
  const dims = means[0].length;
  const centre = Array.from(
    { length: dims },
    (_, j) => means.reduce((s, r) => s + r[j], 0) / means.length,
  );
  const centred = new Matrix(means.map((r) => r.map((v, j) => v - centre[j])));
  const covariance = centred.transpose().mmul(centred).div(means.length);
  const eigen = new EigenvalueDecomposition(covariance, { assumeSymmetric: true }).realEigenvalues;
  const activeDirections = eigen.filter((v) => v > ACTIVE_THRESHOLD).length;
  const [klPerDimension, meanVariance] = tf.tidy(() => {
    const kl = tf.mean(
      tf.mul(0.5, tf.sub(tf.add(tf.square(mean), tf.exp(logVar)), tf.add(1, logVar))),
      0,
    );
    return [Array.from(kl.dataSync()), Array.from(tf.moments(mean, 0).variance.dataSync())];
  });
  tf.dispose([mean, logVar]);
  return {
    activeDirections,
    klPerDimension,
    meanVariance,
    activeUnits: meanVariance.filter((v) => v > ACTIVE_THRESHOLD).length,
    kl: klPerDimension.reduce((a, b) => a + b, 0),
  };
}

/** Units of the keras design's enc_dense layer that are 0 on every image of `set`. */
function deadUnits(model: VariationalAutoencoder, set: ImageSet): number | undefined {
  if ((model.config.design ?? "keras") !== "keras") return undefined;
  const layer = model.encoder.getLayer("enc_dense");
  const probe = tf.model({
    inputs: model.encoder.inputs,
    outputs: layer.output as tf.SymbolicTensor,
  });
  const max = tf.tidy(() => {
    const x = imagesToTensor(set, Int32Array.from({ length: set.count }, (_, i) => i));
    return Array.from(tf.max(probe.predict(x, { batchSize: 1000 }) as tf.Tensor2D, 0).dataSync());
  });
  return max.filter((v) => v <= 0).length;
}

const { values } = parseArgs({
  args: Deno.args,
  options: {
    designs: { type: "string", default: "keras,conv" },
    latents: { type: "string", default: "2,8,32,64" },
    epochs: { type: "string", default: "3" },
    "train-images": { type: "string", default: "10000" },
    "eval-images": { type: "string", default: "2000" },
    seed: { type: "string", default: "0" },
    "warmup-epochs": { type: "string", default: "0" },
    "free-bits": { type: "string", default: "0" },
    out: { type: "string", default: "runs/vae_evidence.json" },
  },
});
const designs = values.designs.split(",").map((d) => parseDesign(d.trim()));
const latents = values.latents.split(",").map(Number);
const epochs = Number(values.epochs);
const seed = Number(values.seed);
const schedule: KlSchedule = {
  warmupEpochs: Number(values["warmup-epochs"]),
  freeBits: Number(values["free-bits"]),
};

const backend = await initBackend();
const kmnist = await loadKmnist();
const split = splitTrainValidation(kmnist.train, { validationSize: 5000, seed: 0 });
const trainSet = takeSubset(
  split.train,
  Int32Array.from({ length: Number(values["train-images"]) }, (_, i) => i),
);
const evalSet = takeSubset(
  split.validation,
  Int32Array.from({ length: Number(values["eval-images"]) }, (_, i) => i),
);
console.log(
  `backend ${
    JSON.stringify(backend)
  }; ${trainSet.count} training images, ${evalSet.count} validation images, ` +
    `${epochs} epochs, seed ${seed}, schedule ${JSON.stringify(schedule)}`,
);

interface Row {
  design: VaeDesign;
  latentDim: number;
  parameters: number;
  klPerEpoch: number[];
  valLossPerEpoch: number[];
  klPerDimension: number[];
  activeUnits: number;
  activeDirections: number;
  valKl: number;
  deadUnitsAtInit?: number;
  deadUnitsTrained?: number;
  secondsPerEpoch: number;
}
const rows: Row[] = [];
for (const design of designs) {
  for (const latentDim of latents) {
    const model = buildVariational({ design, latentDim, seed });
    try {
      const deadUnitsAtInit = deadUnits(model, evalSet);
      const result = await train(withKlSchedule(model, schedule), {
        train: trainSet,
        validation: evalSet,
        epochs,
        seed,
        progress: "none",
      });
      const stats = posteriorStats(model, evalSet);
      const row: Row = {
        design,
        latentDim,
        parameters: model.countParams(),
        klPerEpoch: result.history.map((h) => h.trainKl ?? NaN),
        valLossPerEpoch: result.history.map((h) => h.valLoss ?? NaN),
        klPerDimension: stats.klPerDimension,
        activeUnits: stats.activeUnits,
        activeDirections: stats.activeDirections,
        valKl: stats.kl,
        ...(deadUnitsAtInit !== undefined
          ? { deadUnitsAtInit, deadUnitsTrained: deadUnits(model, evalSet) }
          : {}),
        secondsPerEpoch: result.wallSeconds / epochs,
      };
      rows.push(row);
      const dims = [...stats.klPerDimension].sort((a, b) => b - a).slice(0, 8)
        .map((v) => v.toFixed(2)).join(" ");
      console.log(
        `${design} z=${latentDim}: KL/epoch ${row.klPerEpoch.map((v) => v.toFixed(2)).join(" ")}` +
          ` | val -ELBO ${row.valLossPerEpoch.at(-1)?.toFixed(1)} KL ${stats.kl.toFixed(2)}` +
          ` | active ${stats.activeUnits}/${latentDim} (directions ${stats.activeDirections})` +
          ` | top KL/dim ${dims}` +
          (deadUnitsAtInit !== undefined
            ? ` | dead ReLU units ${deadUnitsAtInit}/${KERAS_HIDDEN_UNITS} at init, ` +
              `${row.deadUnitsTrained}/${KERAS_HIDDEN_UNITS} trained`
            : "") +
          ` | ${row.secondsPerEpoch.toFixed(1)} s/epoch`,
      );
    } finally {
      model.dispose();
    }
  }
}
await writeJsonAtomic(values.out, {
  command: `tools/vae_evidence.ts ${Deno.args.join(" ")}`,
  trainImages: trainSet.count,
  evalImages: evalSet.count,
  epochs,
  seed,
  schedule,
  rows,
});
console.log(`wrote ${values.out}`);
