/**
 * Checkpoints on disk: the model as a tfjs layers artifact (model.json + weights.bin, through a
 * small `tf.io.IOHandler` over Deno's file system, since tfjs's own file handler is Node-only),
 * plus the optimizer's state (optimizer.bin) and the training state with its history
 * (training_state.json). Every file is written atomically (temporary file + rename); the training
 * state is written last, so a directory whose training_state.json exists is complete.
 *
 * ```ts
 * await saveCheckpoint("runs/conv", { model, optimizer, state: result.state });
 * const { model, optimizer, state } = await loadCheckpoint("runs/conv");
 * await train(model, { train, epochs: 20, optimizer, resume: state }); // continues at epoch 11
 * ```
 *
 * @module
 */
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { writeFileAtomic, writeJsonAtomic } from "../io/atomic_write.ts";
import {
  type Autoencoder,
  AUTOENCODER_KINDS,
  type AutoencoderConfig,
  buildModel,
} from "../models/mod.ts";
import { createOptimizer } from "./optimizer.ts";
import type { TrainingState } from "./train.ts";

/** File names inside a checkpoint directory. */
export const CHECKPOINT_FILES = {
  model: "model.json",
  weights: "weights.bin",
  optimizer: "optimizer.bin",
  state: "training_state.json",
} as const;

function joinWeightData(data: tf.io.WeightData): Uint8Array {
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
}

/**
 * A `tf.io.IOHandler` that saves a layers model as `directory/model.json` + `directory/weights.bin`
 * (the tfjs "layers-model" format, loadable by `tf.loadLayersModel` elsewhere) and loads it back.
 */
export function denoFileHandler(
  directory: string,
): Required<Pick<tf.io.IOHandler, "save" | "load">> {
  const modelFile = path.join(directory, CHECKPOINT_FILES.model);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error("denoFileHandler: binary model topologies are not supported.");
      }
      const weights = artifacts.weightData
        ? joinWeightData(artifacts.weightData)
        : new Uint8Array();
      await writeFileAtomic(path.join(directory, CHECKPOINT_FILES.weights), weights);
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology ?? {},
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{
          paths: [`./${CHECKPOINT_FILES.weights}`],
          weights: artifacts.weightSpecs ?? [],
        }],
        ...(artifacts.userDefinedMetadata
          ? { userDefinedMetadata: artifacts.userDefinedMetadata }
          : {}),
      };
      await writeJsonAtomic(modelFile, json);
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: "JSON",
          modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs).length,
          weightDataBytes: weights.byteLength,
        },
      };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      let text: string;
      try {
        text = await Deno.readTextFile(modelFile);
      } catch (error) {
        throw new Error(
          `No model checkpoint at ${modelFile} (${error}): train one first ` +
            `(deno task train --out ${directory}) or pass the right directory.`,
        );
      }
      const json = JSON.parse(text) as tf.io.ModelJSON;
      const specs = json.weightsManifest.flatMap((group) => group.weights);
      const buffers: ArrayBuffer[] = [];
      for (const group of json.weightsManifest) {
        for (const file of group.paths) {
          const bytes = await Deno.readFile(path.join(directory, file));
          buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
        }
      }
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        weightSpecs: specs,
        weightData: tf.io.CompositeArrayBuffer.join(buffers),
        userDefinedMetadata: json.userDefinedMetadata,
      };
    },
  };
}

/** The optimizer part of a saved training state. */
interface SavedOptimizerState {
  /** Specs of the tensors in optimizer.bin. */
  specs: tf.io.WeightsManifestEntry[];
  /** Adam's running beta powers (restored exactly, as `setWeights` recomputes them with pow). */
  accBeta1?: number;
  accBeta2?: number;
}

/** training_state.json. */
interface SavedTrainingState {
  format: "kmnist-training-state";
  version: 1;
  state: TrainingState;
  optimizer?: SavedOptimizerState;
}

/** Adam's private running powers of beta1 and beta2 (tfjs's AdamOptimizer). */
interface AdamInternals {
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
}

/**
 * Maps the model's tfjs variable names (unique per session, e.g. "enc_code/kernel_7") to its
 * stable weight names ("enc_code/kernel") for saving, or back for loading, so that optimizer state
 * follows the right variable into a freshly built model.
 */
function stableNames(model: Autoencoder, direction: "save" | "load"): Map<string, string> {
  const weights = model.model.trainableWeights;
  const map = new Map<string, string>();
  model.trainableVariables.forEach((v, i) => {
    const stable = weights[i].originalName;
    if (direction === "save") map.set(v.name, stable);
    else map.set(stable, v.name);
  });
  return map;
}

/** Renames an optimizer slot "<variable>/<slot>" through `map` ("iter" stays). */
function renameSlot(name: string, map: Map<string, string>): string {
  if (name === "iter") return name;
  const cut = name.lastIndexOf("/");
  const variable = map.get(name.slice(0, cut));
  if (cut < 0 || variable === undefined) {
    throw new Error(
      `Optimizer state "${name}" belongs to no variable of this model: save a checkpoint with ` +
        `the optimizer that trained this model.`,
    );
  }
  return `${variable}${name.slice(cut)}`;
}

/** What {@link saveCheckpoint} stores. */
export interface CheckpointContents {
  /** The model (its config goes into model.json's userDefinedMetadata). */
  model: Autoencoder;
  /** The optimizer, to resume training exactly (optional). */
  optimizer?: tf.Optimizer;
  /** Where training stands, with its history (optional). */
  state?: TrainingState;
}

/**
 * Saves a checkpoint into `directory` (created if needed): model.json + weights.bin, and when
 * given, optimizer.bin and training_state.json.
 */
export async function saveCheckpoint(
  directory: string,
  contents: CheckpointContents,
): Promise<void> {
  const { model, optimizer, state } = contents;
  await Deno.mkdir(directory, { recursive: true });
  model.model.setUserDefinedMetadata({ autoencoder: { ...model.config } });
  await model.model.save(denoFileHandler(directory));
  let saved: SavedOptimizerState | undefined;
  if (optimizer) {
    const weights = await optimizer.getWeights();
    try {
      const toStable = stableNames(model, "save");
      const named = weights.map((w) => ({ name: renameSlot(w.name, toStable), tensor: w.tensor }));
      const { data, specs } = await tf.io.encodeWeights(named);
      await writeFileAtomic(path.join(directory, CHECKPOINT_FILES.optimizer), joinWeightData(data));
      const adam = optimizer as unknown as AdamInternals;
      saved = { specs };
      if (adam.accBeta1 instanceof tf.Variable && adam.accBeta2 instanceof tf.Variable) {
        saved.accBeta1 = adam.accBeta1.dataSync()[0];
        saved.accBeta2 = adam.accBeta2.dataSync()[0];
      }
    } finally {
      // tf.train.adam returns its live moment variables (keep them) plus a fresh "iter" scalar;
      // other optimizers may return fresh copies: free everything that is not a variable.
      for (const w of weights) if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose();
    }
  }
  if (state || saved) {
    const file: SavedTrainingState = {
      format: "kmnist-training-state",
      version: 1,
      state: state ?? {
        epoch: 0,
        step: 0,
        history: [],
        seed: 0,
        batchSize: 128,
        learningRate: 1e-3,
        trainCount: 0,
      },
      ...(saved ? { optimizer: saved } : {}),
    };
    await writeJsonAtomic(path.join(directory, CHECKPOINT_FILES.state), file);
  }
}

/** What {@link loadCheckpoint} returns; the caller owns (and disposes) the model and optimizer. */
export interface LoadedCheckpoint {
  /** The rebuilt model with the saved weights. */
  model: Autoencoder;
  /** The optimizer with its saved state, when the checkpoint has one. */
  optimizer?: tf.Optimizer;
  /** The saved training state, when the checkpoint has one. */
  state?: TrainingState;
}

function checkConfig(value: unknown, file: string): AutoencoderConfig {
  const config = value as Partial<AutoencoderConfig> | undefined;
  const renamed: Record<string, string> = { conv: "convolutional", vae: "variational" };
  const oldKind = String(config?.kind);
  if (config && Object.hasOwn(renamed, oldKind)) {
    throw new Error(
      `${file} names its model kind "${oldKind}", the name earlier versions of this project used ` +
        `for "${renamed[oldKind]}": retrain it, or change "kind" in its ` +
        `userDefinedMetadata.autoencoder to "${renamed[oldKind]}".`,
    );
  }
  if (
    !config || !AUTOENCODER_KINDS.includes(config.kind as AutoencoderConfig["kind"]) ||
    !Number.isInteger(config.latentDim) || typeof config.seed !== "number"
  ) {
    throw new Error(
      `${file} has no valid userDefinedMetadata.autoencoder ({kind, latentDim, seed}): it was ` +
        `not written by saveCheckpoint; re-save the model with saveCheckpoint.`,
    );
  }
  return config as AutoencoderConfig;
}

/** Reads only the model part of a checkpoint: a rebuilt model with the saved weights. */
export async function loadModel(directory: string): Promise<Autoencoder> {
  const artifacts = await denoFileHandler(directory).load();
  const file = path.join(directory, CHECKPOINT_FILES.model);
  const config = checkConfig(artifacts.userDefinedMetadata?.autoencoder, file);
  const model = buildModel(config);
  const tensors = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
  try {
    const weights = model.model.weights;
    const missing = weights.filter((w) => !(w.originalName in tensors)).map((w) => w.originalName);
    if (missing.length > 0 || Object.keys(tensors).length !== weights.length) {
      throw new Error(
        `${file} does not match a ${config.kind} model: missing ${missing.join(", ") || "none"}, ` +
          `${Object.keys(tensors).length} saved vs ${weights.length} expected weights.`,
      );
    }
    model.model.setWeights(weights.map((w) => {
      const t = tensors[w.originalName];
      if (!tf.util.arraysEqual(t.shape, w.shape as number[])) {
        throw new Error(
          `${file}: weight ${w.originalName} has shape [${t.shape}], the model expects [${w.shape}].`,
        );
      }
      return t;
    }));
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    tf.dispose(Object.values(tensors));
  }
  return model;
}

/**
 * Loads a checkpoint: the model, and when saved, the optimizer state (an Adam from
 * `createOptimizer` with its moments, step count and exact beta powers) and the training state.
 */
export async function loadCheckpoint(directory: string): Promise<LoadedCheckpoint> {
  const model = await loadModel(directory);
  const stateFile = path.join(directory, CHECKPOINT_FILES.state);
  let saved: SavedTrainingState;
  try {
    saved = JSON.parse(await Deno.readTextFile(stateFile));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { model };
    model.dispose();
    throw new Error(`${stateFile} is unreadable (${error}): delete it to load only the model.`);
  }
  if (saved.format !== "kmnist-training-state" || saved.version !== 1) {
    model.dispose();
    throw new Error(`${stateFile} is not a version-1 kmnist training state.`);
  }
  if (!saved.optimizer) return { model, state: saved.state };
  const bytes = await Deno.readFile(path.join(directory, CHECKPOINT_FILES.optimizer));
  const tensors = tf.io.decodeWeights(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    saved.optimizer.specs,
  );
  const optimizer = createOptimizer({ learningRate: saved.state.learningRate });
  try {
    const toLive = stableNames(model, "load");
    await optimizer.setWeights(
      saved.optimizer.specs.map((spec) => ({
        name: renameSlot(spec.name, toLive),
        tensor: tensors[spec.name],
      })),
    );
    const adam = optimizer as unknown as AdamInternals;
    if (
      saved.optimizer.accBeta1 !== undefined && adam.accBeta1 instanceof tf.Variable &&
      adam.accBeta2 instanceof tf.Variable
    ) {
      tf.tidy(() => {
        adam.accBeta1!.assign(tf.scalar(saved.optimizer!.accBeta1!));
        adam.accBeta2!.assign(tf.scalar(saved.optimizer!.accBeta2!));
      });
    }
  } catch (error) {
    optimizer.dispose();
    model.dispose();
    throw error;
  } finally {
    tf.dispose(Object.values(tensors));
  }
  return { model, optimizer, state: saved.state };
}
