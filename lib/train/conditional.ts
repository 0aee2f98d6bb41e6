/**
 * Training, saving and loading the conditional VAE (lib/models/conditional.ts): Adam on seeded
 * mini-batches of images with their labels, the KL term under a {@link KlSchedule} (β, warm-up,
 * free bits), a validation −ELBO per epoch. A folder holds model.json + weights.bin and
 * conditional.json (config, settings, history), written last.
 *
 * @module
 */
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { batchIndices, type ImageSet, imagesToTensor, labelsToTensor } from "../data/mod.ts";
import {
  displayPath,
  type IntervalLoad,
  intervalLoad,
  sampleCpu,
  writeJsonAtomic,
} from "../io/mod.ts";
import {
  buildConditional,
  type ConditionalConfig,
  type ConditionalDesign,
  type ConditionalVae,
} from "../models/mod.ts";
import { denoFileHandler } from "./checkpoint/mod.ts";
import { checkInterrupt } from "./cancel.ts";
import { createOptimizer } from "./optimizer.ts";
import { hasSavedModel, loadSavedModel } from "./saved_model.ts";
import { checkKlSchedule, type KlSchedule, klWeightAt } from "./schedules.ts";

/** The file that marks a complete conditional VAE folder. */
export const CONDITIONAL_RECORD = "conditional.json";

/** One epoch of a conditional VAE's training. */
export interface ConditionalEpoch {
  /** 1-based epoch. */
  epoch: number;
  /** Mean training −ELBO terms (nats per image). */
  trainReconstruction: number;
  /** Mean training KL. */
  trainKl: number;
  /** Validation −ELBO (when validation images were given). */
  valLoss?: number;
  /** Validation KL. */
  valKl?: number;
  /** Wall seconds of the epoch's training. */
  seconds: number;
  /** CPU time and machine load over the same seconds (lib/io/cpu_load.ts; absent: unknown). */
  load?: IntervalLoad;
}

/** Options for {@link trainConditional}. */
export interface TrainConditionalOptions {
  /** Training images with labels. */
  train: ImageSet;
  /** Validation images with labels (optional). */
  validation?: ImageSet;
  /** Latent size (default 16). */
  latentDim?: number;
  /** The network (default "conv"; see `buildConditional`). */
  design?: ConditionalDesign;
  /** Epochs (default 10). */
  epochs?: number;
  /** Batch size (default 128). */
  batchSize?: number;
  /** Adam's step size (default 1e-3). */
  learningRate?: number;
  /** Seed of initialisers, shuffling and noise (default 0). */
  seed?: number;
  /** The KL term's schedule (default: the plain ELBO). */
  schedule?: KlSchedule;
  /** Called after each epoch. */
  onEpochEnd?: (record: ConditionalEpoch) => void;
}

/** What conditional.json holds. */
export interface ConditionalRecord {
  /** What rebuilds the model. */
  config: ConditionalConfig;
  /** How it was trained. */
  training: {
    epochs: number;
    batchSize: number;
    learningRate: number;
    seed: number;
    schedule: Required<KlSchedule>;
    trainImages: number;
    validationImages: number;
  };
  /** One entry per epoch. */
  history: ConditionalEpoch[];
}

function indices(count: number, start = 0): Int32Array {
  return Int32Array.from({ length: count }, (_, i) => start + i);
}

/** Mean −ELBO and KL of `set` (chunks of 1000, fixed noise). */
export function evaluateConditional(
  model: ConditionalVae,
  set: ImageSet,
): { loss: number; kl: number } {
  let loss = 0, kl = 0;
  for (let start = 0, chunk = 0; start < set.count; start += 1000, chunk++) {
    const ids = indices(Math.min(1000, set.count - start), start);
    const [l, k] = tf.tidy(() => {
      const t = model.lossTerms(imagesToTensor(set, ids), labelsToTensor(set, ids), {
        step: -(chunk + 1),
      });
      return [t.loss.dataSync()[0], t.kl.dataSync()[0]];
    });
    loss += l * ids.length;
    kl += k * ids.length;
  }
  return { loss: loss / set.count, kl: kl / set.count };
}

/** Trains a fresh, seeded conditional VAE; returns it (the caller disposes) and its record. */
export async function trainConditional(
  options: TrainConditionalOptions,
): Promise<{ model: ConditionalVae; record: ConditionalRecord }> {
  const {
    epochs = 10,
    batchSize = 128,
    learningRate = 1e-3,
    seed = 0,
    latentDim = 16,
  } = options;
  if (!Number.isInteger(epochs) || epochs < 1) {
    throw new Error(`trainConditional: epochs must be a positive integer, got ${epochs}.`);
  }
  const schedule = checkKlSchedule(options.schedule ?? {});
  const model = buildConditional({ latentDim, seed, design: options.design });
  const optimizer = createOptimizer({ learningRate });
  const history: ConditionalEpoch[] = [];
  let step = 0;
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const started = performance.now();
      const startSample = sampleCpu();
      const batches = batchIndices(options.train.count, {
        batchSize,
        seed: seed * 1000 + epoch,
      });
      let rec = 0, kl = 0, seen = 0;
      for (let b = 0; b < batches.length; b++) {
        checkInterrupt({
          task: "training the conditional VAE",
          where: `epoch ${epoch + 1}/${epochs}, batch ${b + 1}/${batches.length}`,
          resume: "Nothing of it is saved; it trains again from the start on the next call.",
        });
        const ids = batches[b];
        step++;
        const x = imagesToTensor(options.train, ids);
        const y = labelsToTensor(options.train, ids);
        let terms: { reconstruction: tf.Scalar; kl: tf.Scalar } | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const t = model.lossTerms(x, y, {
            step,
            klWeight: klWeightAt(schedule, epoch + b / batches.length),
            freeBits: schedule.freeBits,
          });
          terms = { reconstruction: tf.keep(t.reconstruction), kl: tf.keep(t.kl) };
          return t.loss;
        }, model.trainableVariables);
        const loss = value.dataSync()[0];
        const r = terms!.reconstruction.dataSync()[0], k = terms!.kl.dataSync()[0];
        tf.dispose([x, y, value, terms!.reconstruction, terms!.kl]);
        if (!Number.isFinite(loss)) {
          tf.dispose(grads);
          throw new Error(
            `trainConditional: the loss is ${loss} at epoch ${epoch + 1}, step ${step}; lower ` +
              `the learning rate (now ${learningRate}).`,
          );
        }
        optimizer.applyGradients(grads);
        tf.dispose(grads);
        rec += r * ids.length;
        kl += k * ids.length;
        seen += ids.length;
        if (step % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
      }
      const endSample = sampleCpu();
      const record: ConditionalEpoch = {
        epoch: epoch + 1,
        trainReconstruction: rec / seen,
        trainKl: kl / seen,
        seconds: (performance.now() - started) / 1000,
        ...(startSample && endSample ? { load: intervalLoad(startSample, endSample) } : {}),
      };
      if (options.validation && options.validation.count > 0) {
        const val = evaluateConditional(model, options.validation);
        record.valLoss = val.loss;
        record.valKl = val.kl;
      }
      history.push(record);
      options.onEpochEnd?.(record);
    }
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    optimizer.dispose();
  }
  return {
    model,
    record: {
      config: model.config,
      training: {
        epochs,
        batchSize,
        learningRate,
        seed,
        schedule,
        trainImages: options.train.count,
        validationImages: options.validation?.count ?? 0,
      },
      history,
    },
  };
}

/** Saves a conditional VAE and its record into `directory` (the record last). */
export async function saveConditional(
  directory: string,
  model: ConditionalVae,
  record: ConditionalRecord,
): Promise<void> {
  await Deno.mkdir(directory, { recursive: true });
  await Deno.remove(path.join(directory, CONDITIONAL_RECORD)).catch(() => {});
  await model.model.save(denoFileHandler(directory));
  await writeJsonAtomic(path.join(directory, CONDITIONAL_RECORD), record);
}

/** Loads the conditional VAE saved in `directory` with its record. */
export async function loadConditional(
  directory: string,
): Promise<{ model: ConditionalVae; record: ConditionalRecord }> {
  return await loadSavedModel<ConditionalRecord, ConditionalVae>(directory, {
    recordFile: CONDITIONAL_RECORD,
    kind: "conditional",
    what: "conditional VAE",
    fix: `train one with npx -y deno@2.9.6 run --allow-all tools/conditional.ts --out ${
      displayPath(directory)
    }`,
    build: buildConditional,
    layers: (m) => m.model,
    dispose: (m) => m.dispose(),
  });
}

/**
 * The project's conditional VAE: the MLP design at z = 2, 30 epochs (the setting that makes the
 * decoder draw the class asked for: a larger code lets prior samples wander between classes).
 */
export const CONDITIONAL_TRAINING = {
  design: "mlp",
  latentDim: 2,
  epochs: 30,
} as const satisfies Pick<TrainConditionalOptions, "design" | "latentDim" | "epochs">;

/**
 * Loads the conditional VAE in `directory`, training it first (and saving it there) when the
 * folder holds none.
 */
export async function ensureConditional(
  options: TrainConditionalOptions & { directory: string; log?: (line: string) => void },
): Promise<{ model: ConditionalVae; record: ConditionalRecord; trained: boolean }> {
  if (await hasSavedConditional(options.directory)) {
    return { ...(await loadConditional(options.directory)), trained: false };
  }
  const log = options.log ?? (() => {});
  const result = await trainConditional({
    ...options,
    onEpochEnd: (r) => {
      options.onEpochEnd?.(r);
      log(
        `conditional VAE epoch ${r.epoch}: −ELBO ${
          (r.trainReconstruction + r.trainKl).toFixed(2)
        } (KL ${r.trainKl.toFixed(2)}), ${r.seconds.toFixed(1)} s`,
      );
    },
  });
  await saveConditional(options.directory, result.model, result.record);
  return { ...result, trained: true };
}

/** Whether `directory` holds a complete conditional VAE (its record is written last). */
export async function hasSavedConditional(directory: string): Promise<boolean> {
  return await hasSavedModel(directory, CONDITIONAL_RECORD);
}
