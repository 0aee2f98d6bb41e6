/**
 * Trains one autoencoder on KMNIST and evaluates it on the 10,000 test images.
 *
 *     deno task train --model conv --epochs 10 [--latent 2] [--out runs/conv]
 *                     [--train-images N] [--validation 5000] [--seed 0] [--batch-size 128]
 *                     [--lr 0.001] [--noise 0.3] [--resume] [--backend wasm|cpu]
 *                     [--iwae-samples 100] [--iwae-images 500] [--no-knn] [--evaluate-only]
 *
 * Writes into --out (default runs/<model>): model.json + weights.bin + optimizer.bin +
 * training_state.json (a checkpoint after every epoch), history.json and metrics.json. --resume
 * continues from the checkpoint in --out up to --epochs, with the same history as an
 * uninterrupted run. --evaluate-only skips training and evaluates the checkpoint in --out again
 * (rewriting metrics.json).
 *
 * @module
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@kmnist/tfjs-blas";
import { type ImageSet, loadKmnist, splitTrainValidation, takeSubset } from "../lib/data/mod.ts";
import { evaluate } from "../lib/metrics/mod.ts";
import { type Autoencoder, buildModel, parseKind } from "../lib/models/mod.ts";
import {
  CHECKPOINT_FILES,
  loadCheckpoint,
  loadModel,
  train,
  type TrainingState,
} from "../lib/train/mod.ts";
import { writeJsonAtomic } from "../lib/io/mod.ts";

const USAGE = "usage: deno task train --model vanilla|multilayer|conv|vae [--epochs 10] " +
  "[--latent N] [--out DIR] [--train-images N] [--validation 5000] [--seed 0] [--batch-size 128] " +
  "[--lr 0.001] [--noise STDDEV] [--resume] [--backend wasm|cpu] [--iwae-samples 100] " +
  "[--iwae-images 500] [--no-knn] [--evaluate-only]";

function integer(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`--${name} must be a non-negative integer, got "${text}".\n${USAGE}`);
  }
  return value;
}

function positive(name: string, text: string | undefined, fallback?: number): number | undefined {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new Error(`--${name} must be a positive number, got "${text}".\n${USAGE}`);
  }
  return value;
}

/** What {@link writeMetrics} needs. */
interface WriteMetricsOptions {
  out: string;
  test: ImageSet;
  knnReference?: ImageSet;
  iwaeSamples: number;
  iwaeImages: number;
  seed: number;
  training: Record<string, unknown>;
}

/** Evaluates on the test set, writes metrics.json into `out` and prints a one-line summary. */
async function writeMetrics(model: Autoencoder, options: WriteMetricsOptions): Promise<void> {
  console.error("evaluating on the test set...");
  const metrics = evaluate(model, {
    test: options.test,
    train: options.knnReference,
    iwaeSamples: options.iwaeSamples,
    iwaeImages: options.iwaeImages,
    seed: options.seed,
  });
  await writeJsonAtomic(path.join(options.out, "metrics.json"), {
    ...metrics,
    training: options.training,
  });
  const vae = metrics.vae
    ? `  -ELBO ${metrics.vae.negativeElbo.toFixed(2)}  IWAE -log p(x) ${
      metrics.vae.iwaeNll?.toFixed(2) ?? "-"
    }`
    : "";
  const knn = metrics.knn
    ? `  ${metrics.knn.k}-NN ${(metrics.knn.accuracy * 100).toFixed(2)}%`
    : "";
  console.log(
    `${model.kind} test: MSE ${metrics.mse.toFixed(5)}  BCE ${metrics.bce.toFixed(4)}  PSNR ` +
      `${metrics.psnr.toFixed(2)} dB  SSIM ${
        metrics.ssim.toFixed(4)
      }${vae}${knn} -> ${options.out}`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      model: { type: "string" },
      epochs: { type: "string" },
      latent: { type: "string" },
      out: { type: "string" },
      "train-images": { type: "string" },
      validation: { type: "string" },
      seed: { type: "string" },
      "batch-size": { type: "string" },
      lr: { type: "string" },
      noise: { type: "string" },
      resume: { type: "boolean", default: false },
      backend: { type: "string" },
      "iwae-samples": { type: "string" },
      "iwae-images": { type: "string" },
      "no-knn": { type: "boolean", default: false },
      "evaluate-only": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.model) throw new Error(`--model is required.\n${USAGE}`);
  const kind = parseKind(values.model);
  const epochs = integer("epochs", values.epochs, 10);
  const seed = integer("seed", values.seed, 0);
  const validationSize = integer("validation", values.validation, 5000);
  const batchSize = integer("batch-size", values["batch-size"], 128);
  const latent = values.latent === undefined ? undefined : integer("latent", values.latent, 0);
  const learningRate = positive("lr", values.lr, 1e-3)!;
  const noiseStd = positive("noise", values.noise);
  const out = values.out ?? path.join("runs", kind);

  const backend = await initBackend(
    values.backend ? { backend: values.backend as "wasm" | "cpu" } : {},
  );
  const kmnist = await loadKmnist();
  let trainSet = kmnist.train;
  let validation = undefined;
  if (validationSize > 0) {
    ({ train: trainSet, validation } = splitTrainValidation(kmnist.train, {
      validationSize,
      seed,
    }));
  }
  if (values["train-images"] !== undefined) {
    const n = integer("train-images", values["train-images"], trainSet.count);
    if (n < 1 || n > trainSet.count) {
      throw new Error(`--train-images must be in 1..${trainSet.count}, got ${n}.`);
    }
    trainSet = takeSubset(trainSet, Int32Array.from({ length: n }, (_, i) => i));
  }

  if (values["evaluate-only"]) {
    const model = await loadModel(out);
    const history = await Deno.readTextFile(path.join(out, "history.json"))
      .then((text) => JSON.parse(text), () => undefined);
    await writeMetrics(model, {
      out,
      test: kmnist.test,
      knnReference: values["no-knn"] ? undefined : trainSet,
      iwaeSamples: integer("iwae-samples", values["iwae-samples"], 100),
      iwaeImages: integer("iwae-images", values["iwae-images"], 500),
      seed,
      training: history
        ? {
          epochs: history.epochs,
          trainImages: history.trainImages,
          wallSeconds: history.wallSeconds,
          imagesPerSecond: history.imagesPerSecond,
          backend: history.backend,
        }
        : {},
    });
    model.dispose();
    return;
  }

  let model: Autoencoder;
  let optimizer: tf.Optimizer | undefined;
  let resume: TrainingState | undefined;
  if (values.resume) {
    const loaded = await loadCheckpoint(out);
    if (!loaded.optimizer || !loaded.state) {
      throw new Error(
        `--resume: ${out} has no ${CHECKPOINT_FILES.state}/${CHECKPOINT_FILES.optimizer}; ` +
          `train without --resume first.`,
      );
    }
    ({ model, optimizer, state: resume } = loaded);
    if (model.kind !== kind) {
      throw new Error(`--resume: ${out} holds a ${model.kind} model, not ${kind}.`);
    }
  } else {
    model = buildModel({ kind, latentDim: latent, seed });
  }
  console.error(
    `${kind}: ${model.countParams()} parameters, latent ${model.config.latentDim}, backend ` +
      `${backend.name}; train ${trainSet.count}, validation ${validation?.count ?? 0}, ` +
      `test ${kmnist.test.count}; out ${out}`,
  );

  const result = await train(model, {
    train: trainSet,
    validation,
    epochs,
    batchSize,
    seed,
    learningRate,
    optimizer,
    resume,
    noise: noiseStd ? { stddev: noiseStd, seed } : undefined,
    checkpointDirectory: out,
  });
  await Deno.mkdir(out, { recursive: true });
  await writeJsonAtomic(path.join(out, "history.json"), {
    kind,
    config: model.config,
    backend: backend.name,
    epochs,
    batchSize,
    seed,
    learningRate,
    trainImages: trainSet.count,
    validationImages: validation?.count ?? 0,
    noise: noiseStd ? { stddev: noiseStd, seed } : null,
    wallSeconds: result.wallSeconds,
    imagesPerSecond: result.imagesPerSecond,
    history: result.history,
  });
  await writeMetrics(model, {
    out,
    test: kmnist.test,
    knnReference: values["no-knn"] ? undefined : trainSet,
    iwaeSamples: integer("iwae-samples", values["iwae-samples"], 100),
    iwaeImages: integer("iwae-images", values["iwae-images"], 500),
    seed,
    training: {
      epochs,
      trainImages: trainSet.count,
      wallSeconds: result.wallSeconds,
      imagesPerSecond: result.imagesPerSecond,
      backend: backend.name,
    },
  });
  optimizer?.dispose();
  model.dispose();
}

if (import.meta.main) {
  try {
    await main();
  } catch (error) {
    // The stack too: a failure deep in tfjs is otherwise hard to place.
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    Deno.exit(1);
  }
}
