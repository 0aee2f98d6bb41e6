/**
 * Trains one autoencoder on KMNIST and evaluates it on the 10,000 test images.
 *
 *     deno task train --model conv --epochs 10 [--latent 2] [--out runs/conv]
 *                     [--train-images N] [--validation 5000] [--seed 0] [--batch-size 128]
 *                     [--lr 0.001] [--noise 0.3] [--resume | --overwrite] [--backend wasm|cpu]
 *                     [--iwae-samples 100] [--iwae-images 500] [--no-knn] [--evaluate-only]
 *
 * Writes into --out (default runs/<model>): a checkpoint after every epoch (checkpoint.json and
 * the checkpoint-<epoch>-<hex>/ folder it names, saved as one unit), history.json and
 * metrics.json (the run record of lib/records, the notebooks' format), holding the folder's run.lock meanwhile (a second run into it is refused). A
 * folder that already holds a checkpoint is refused unless --resume or --overwrite is given.
 * --resume continues from the checkpoint in --out up to --epochs with the same history as an
 * uninterrupted run: every setting that shapes training comes from the checkpoint, and a flag
 * that contradicts it is refused. --evaluate-only skips training and evaluates the checkpoint
 * in --out again (rewriting metrics.json).
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
  hasCheckpoint,
  loadCheckpoint,
  resumeConflicts,
  type RunSettings,
  train,
  type TrainingState,
} from "../lib/train/mod.ts";
import { acquireRunLock, displayPath, type RunLock, writeJsonAtomic } from "../lib/io/mod.ts";
import { formatNumber } from "../lib/format/mod.ts";
import {
  buildRunRecord,
  type RecordSettings,
  summarizeSavedTraining,
  summarizeTraining,
  type TrainingSummary,
  writeRunRecord,
} from "../lib/records/mod.ts";

const USAGE = "usage: deno task train --model vanilla|multilayer|convolutional|variational " +
  "[--epochs 10] [--latent N] [--out DIR] [--train-images N] [--validation 5000] [--seed 0] " +
  "[--batch-size 128] [--lr 0.001] [--noise STDDEV] [--resume | --overwrite] " +
  "[--backend wasm|cpu] [--iwae-samples 100] [--iwae-images 500] [--no-knn] [--evaluate-only]";

/** The flag of each setting a resumed run shares with its checkpoint. */
const FLAGS: Record<keyof RunSettings, string> = {
  seed: "--seed",
  batchSize: "--batch-size",
  learningRate: "--lr",
  trainCount: "--train-images",
  validationCount: "--validation",
  trainFingerprint: "--train-images/--validation/--seed (which training images)",
  validationFingerprint: "--validation/--seed (which validation images)",
  noise: "--noise",
};

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
  /** The run's settings as the record states them. */
  settings: RecordSettings;
  /** Its training figures. */
  training: TrainingSummary;
}

const TITLES: Record<string, string> = {
  vanilla: "Vanilla autoencoder",
  multilayer: "Multilayer autoencoder",
  convolutional: "Convolutional autoencoder",
  variational: "Variational autoencoder",
};

/** A run's settings for its record, from its training state. */
function recordSettings(
  model: Autoencoder,
  state: TrainingState,
  options: { iwaeSamples: number; iwaeImages: number; knn: boolean },
): RecordSettings & Record<string, unknown> {
  return {
    kind: model.kind,
    latentDim: model.config.latentDim,
    seed: state.seed,
    epochs: state.epoch,
    batchSize: state.batchSize,
    learningRate: state.learningRate,
    validationSize: state.validationCount ?? 0,
    trainImages: state.trainCount,
    ...(state.noise ? { noise: state.noise } : {}),
    iwaeSamples: options.iwaeSamples,
    iwaeImages: options.iwaeImages,
    knn: options.knn,
  };
}

/**
 * Evaluates on the test set, writes the run record (metrics.json, lib/records's format) into
 * `out` and prints a one-line summary.
 */
async function writeMetrics(model: Autoencoder, options: WriteMetricsOptions): Promise<void> {
  console.error("evaluating on the test set...");
  const metrics = evaluate(model, {
    test: options.test,
    train: options.knnReference,
    iwaeSamples: options.iwaeSamples,
    iwaeImages: options.iwaeImages,
    seed: options.seed,
  });
  await writeRunRecord(
    options.out,
    buildRunRecord({
      name: path.basename(path.resolve(options.out)),
      title: TITLES[model.kind] ?? `${model.kind} autoencoder`,
      quick: false,
      settings: options.settings,
      training: options.training,
      evaluation: metrics,
    }),
  );
  const n = (value: number, decimals: number) => formatNumber(value, { decimals });
  const vae = metrics.vae
    ? `  -ELBO ${n(metrics.vae.negativeElbo, 2)}  IWAE -log p(x) ${
      metrics.vae.iwaeNll === undefined ? "-" : n(metrics.vae.iwaeNll, 2)
    }`
    : "";
  const knn = metrics.knn
    ? `  ${metrics.knn.k}-NN ${formatNumber(metrics.knn.accuracy, { decimals: 2, percent: true })}`
    : "";
  console.log(
    `${model.kind} test: MSE ${n(metrics.mse, 5)}  BCE ${n(metrics.bce, 4)}  PSNR ` +
      `${n(metrics.psnr, 2)} dB  SSIM ${n(metrics.ssim, 4)}${vae}${knn} -> ${options.out}`,
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
      overwrite: { type: "boolean", default: false },
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
  if (epochs < 1 && !values["evaluate-only"]) {
    throw new Error(`--epochs must be at least 1, got ${epochs}.\n${USAGE}`);
  }
  if (values.resume && values.overwrite) {
    throw new Error(`--resume and --overwrite contradict each other: pass one.\n${USAGE}`);
  }
  // Flags as given (undefined: not given); on --resume the checkpoint supplies what is missing.
  const given = {
    seed: values.seed === undefined ? undefined : integer("seed", values.seed, 0),
    validation: values.validation === undefined
      ? undefined
      : integer("validation", values.validation, 0),
    batchSize: values["batch-size"] === undefined
      ? undefined
      : integer("batch-size", values["batch-size"], 128),
    latent: values.latent === undefined ? undefined : integer("latent", values.latent, 0),
    learningRate: positive("lr", values.lr),
    noise: positive("noise", values.noise),
    trainImages: values["train-images"] === undefined
      ? undefined
      : integer("train-images", values["train-images"], 0),
  };
  if (given.batchSize === 0) throw new Error(`--batch-size must be at least 1.\n${USAGE}`);
  const out = values.out ?? path.join("runs", kind);
  const shown = displayPath(out);

  // One run per folder; an --out that cannot be written is refused before anything else.
  const lock = await acquireRunLock(out, { hint: "choose another --out" });
  try {
    await run({ values, kind, epochs, given, out, shown, lock });
  } finally {
    lock.release();
  }
}

/** What {@link run} needs from {@link main}. */
interface RunContext {
  values: Record<string, string | boolean | undefined>;
  kind: ReturnType<typeof parseKind>;
  epochs: number;
  given: {
    seed?: number;
    validation?: number;
    batchSize?: number;
    latent?: number;
    learningRate?: number;
    noise?: number;
    trainImages?: number;
  };
  out: string;
  shown: string;
  lock: RunLock;
}

async function run(context: RunContext): Promise<void> {
  const { values, kind, epochs, given, out, shown, lock } = context;
  const evaluateOnly = values["evaluate-only"] === true;
  const backend = await initBackend(
    values.backend ? { backend: values.backend as "wasm" | "cpu" } : {},
  );
  let model: Autoencoder | undefined;
  let optimizer: tf.Optimizer | undefined;
  let resume: TrainingState | undefined;
  const exists = await hasCheckpoint(out);
  if (!evaluateOnly && !values.resume && exists && !values.overwrite) {
    throw new Error(
      `${shown} already holds a checkpoint: add --resume to continue it, --overwrite to ` +
        `replace it, or choose another --out.`,
    );
  }
  if (values.resume) {
    if (!exists) {
      throw new Error(`--resume: ${shown} holds no checkpoint; train without --resume first.`);
    }
    const loaded = await loadCheckpoint(out);
    ({ model, optimizer, state: resume } = loaded);
    try {
      if (!optimizer || !resume) {
        throw new Error(
          `--resume: the checkpoint in ${shown} has no training state or optimizer state (a ` +
            `model saved alone); train without --resume (--overwrite) instead.`,
        );
      }
      if (model.kind !== kind) {
        throw new Error(
          `--resume: ${shown} holds a ${model.kind} model, not ${kind}: pass --model ` +
            `${model.kind}, or another --out.`,
        );
      }
      if (given.latent !== undefined && given.latent !== model.config.latentDim) {
        throw new Error(
          `--resume: --latent ${given.latent} conflicts with the checkpoint in ${shown}, whose ` +
            `model has latent size ${model.config.latentDim}: leave --latent out to continue it, ` +
            `or start a new run (--overwrite, or another --out).`,
        );
      }
      if (epochs <= resume.epoch) {
        throw new Error(
          `--resume: --epochs ${epochs} is not more than the ${resume.epoch} epoch(s) the ` +
            `checkpoint in ${shown} has already trained: pass --epochs ${resume.epoch + 1} or ` +
            `more, or --evaluate-only to evaluate it as it is.`,
        );
      }
      refuseConflicts(resume, given, shown);
    } catch (error) {
      optimizer?.dispose();
      model.dispose();
      throw error;
    }
  } else if (values.overwrite && !evaluateOnly) {
    for (const name of ["history.json", "metrics.json"]) {
      await Deno.remove(path.join(out, name)).catch(() => {});
    }
  }
  const seed = given.seed ?? resume?.seed ?? 0;
  const validationSize = given.validation ?? resume?.validationCount ?? 5000;
  const kmnist = await loadKmnist();
  let trainSet = kmnist.train;
  let validation = undefined;
  if (validationSize > 0) {
    ({ train: trainSet, validation } = splitTrainValidation(kmnist.train, {
      validationSize,
      seed,
    }));
  }
  const trainImages = given.trainImages ??
    (resume && resume.trainCount < trainSet.count ? resume.trainCount : undefined);
  if (trainImages !== undefined) {
    if (trainImages < 1 || trainImages > trainSet.count) {
      throw new Error(`--train-images must be in 1..${trainSet.count}, got ${trainImages}.`);
    }
    trainSet = takeSubset(trainSet, Int32Array.from({ length: trainImages }, (_, i) => i));
  }
  const evaluation = {
    out,
    test: kmnist.test,
    knnReference: values["no-knn"] ? undefined : trainSet,
    iwaeSamples: integer("iwae-samples", values["iwae-samples"] as string | undefined, 100),
    iwaeImages: integer("iwae-images", values["iwae-images"] as string | undefined, 500),
    seed,
  };

  if (evaluateOnly) {
    const saved = await loadCheckpoint(out);
    saved.optimizer?.dispose();
    try {
      if (!saved.state) {
        throw new Error(
          `--evaluate-only: the checkpoint in ${shown} has no training state (a model saved ` +
            `alone), so its run record cannot say how it was trained; train it with this tool.`,
        );
      }
      const history = await Deno.readTextFile(path.join(out, "history.json"))
        .then((text) => JSON.parse(text), () => undefined);
      await writeMetrics(saved.model, {
        ...evaluation,
        settings: recordSettings(saved.model, saved.state, {
          ...evaluation,
          knn: evaluation.knnReference !== undefined,
        }),
        training: summarizeSavedTraining(saved.state, history),
      });
    } finally {
      saved.model.dispose();
    }
    return;
  }

  model ??= buildModel({ kind, latentDim: given.latent, seed });
  try {
    console.error(
      `${kind}: ${model.countParams()} parameters, latent ${model.config.latentDim}, backend ` +
        `${backend.name}; train ${trainSet.count}, validation ${validation?.count ?? 0}, ` +
        `test ${kmnist.test.count}; out ${shown}`,
    );
    const result = await train(model, {
      train: trainSet,
      validation,
      epochs,
      batchSize: given.batchSize,
      seed,
      learningRate: optimizer ? undefined : given.learningRate,
      optimizer,
      resume,
      noise: given.noise ? { stddev: given.noise, seed } : undefined,
      checkpointDirectory: out,
      overwrite: values.overwrite === true,
      runLock: lock,
    });
    const state = result.state;
    await writeJsonAtomic(path.join(out, "history.json"), {
      kind,
      config: model.config,
      backend: backend.name,
      epochs: state.epoch,
      batchSize: state.batchSize,
      seed: state.seed,
      learningRate: state.learningRate,
      trainImages: state.trainCount,
      validationImages: state.validationCount ?? 0,
      noise: state.noise ?? null,
      wallSeconds: result.wallSeconds,
      imagesPerSecond: result.imagesPerSecond,
      warnings: result.warnings,
      history: result.history,
    });
    await writeMetrics(model, {
      ...evaluation,
      settings: recordSettings(model, state, {
        ...evaluation,
        knn: evaluation.knnReference !== undefined,
      }),
      training: summarizeTraining(result, backend.name),
    });
    for (const warning of result.warnings) console.error(warning);
  } finally {
    optimizer?.dispose();
    model.dispose();
  }
}

/** Refuses a --resume whose flags contradict the checkpoint, naming the flag and both values. */
function refuseConflicts(saved: TrainingState, given: RunContext["given"], shown: string): void {
  const seed = given.seed ?? saved.seed;
  const conflicts = resumeConflicts(saved, {
    seed: given.seed,
    batchSize: given.batchSize,
    learningRate: given.learningRate,
    validationCount: given.validation,
    trainCount: given.trainImages,
    noise: given.noise === undefined ? undefined : { stddev: given.noise, seed },
  });
  if (conflicts.length === 0) return;
  throw new Error(
    `--resume: ${
      conflicts.map((c) =>
        `${FLAGS[c.setting]} ${c.given} conflicts with the checkpoint, saved ${c.saved}`
      )
        .join("; ")
    } (in ${shown}). Leave ${
      conflicts.length > 1 ? "these flags" : "the flag"
    } out to continue with the saved settings, or start a new run (--overwrite, or another --out).`,
  );
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
