/**
 * Loading a checkpoint: the manifest read, every file checked against its size and SHA-256 (an
 * error names the damaged file and the fix), the model rebuilt, the optimizer and training state
 * restored; folders of earlier versions (flat, no manifest) still load, unchecked.
 *
 * @module
 */
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { displayPath } from "../../io/mod.ts";
import {
  type Autoencoder,
  AUTOENCODER_KINDS,
  type AutoencoderConfig,
  buildModel,
} from "../../models/mod.ts";
import { createOptimizer } from "../optimizer.ts";
import type { TrainingState } from "../state.ts";
import { sha256Hex } from "../../format/mod.ts";
import {
  type AdamInternals,
  CHECKPOINT_FILES,
  CHECKPOINT_MANIFEST,
  FIX,
  parseJson,
  readManifest,
  readNamed,
  renameSlot,
  type SavedTrainingState,
  stableNames,
  toArrayBuffer,
} from "./format.ts";
import { checkSize, parseModelArtifacts } from "./artifacts.ts";

/** A checkpoint's files, read and checked. */
export interface CheckpointFiles {
  /** The folder holding them. */
  folder: string;
  /** Reads one (checked against the manifest; undefined when the checkpoint lacks it). */
  read(name: string): Promise<Uint8Array | undefined>;
  /** The epoch the manifest records (undefined for a folder of the earlier flat layout). */
  epoch?: number | null;
}

/** Opens the checkpoint of `directory`: every file the manifest names is read and checked. */
export async function openCheckpoint(directory: string): Promise<CheckpointFiles> {
  const manifest = await readManifest(directory);
  if (!manifest) {
    try {
      await Deno.stat(path.join(directory, CHECKPOINT_FILES.model));
    } catch {
      throw new Error(
        `No model checkpoint at ${displayPath(directory)} (no ${CHECKPOINT_MANIFEST} or ` +
          `${CHECKPOINT_FILES.model}): train one first (deno task train --out ` +
          `${displayPath(directory)}) or pass the right directory.`,
      );
    }
    // A folder of an earlier version: the files directly in it, nothing to check them against.
    return {
      folder: directory,
      read: async (name) => {
        try {
          return await Deno.readFile(path.join(directory, name));
        } catch (error) {
          if (error instanceof Deno.errors.NotFound && name !== CHECKPOINT_FILES.model) {
            return undefined;
          }
          return await readNamed(path.join(directory, name));
        }
      },
    };
  }
  const folder = path.join(directory, manifest.folder);
  const files = new Map<string, Uint8Array>();
  for (const [name, record] of Object.entries(manifest.files)) {
    const file = path.join(folder, name);
    const bytes = await readNamed(file);
    if (bytes.byteLength !== record.bytes) {
      throw new Error(
        `${displayPath(file)} is ${bytes.byteLength} bytes, ${CHECKPOINT_MANIFEST} says ` +
          `${record.bytes}: it is ${
            bytes.byteLength < record.bytes ? "truncated" : "changed"
          }; ${FIX}.`,
      );
    }
    if (await sha256Hex(bytes) !== record.sha256) {
      throw new Error(
        `${displayPath(file)} does not match its SHA-256 in ${CHECKPOINT_MANIFEST}: it was ` +
          `changed or damaged after the save; ${FIX}.`,
      );
    }
    files.set(name, bytes);
  }
  if (!files.has(CHECKPOINT_FILES.model)) {
    throw new Error(
      `${displayPath(path.join(directory, CHECKPOINT_MANIFEST))} names no ` +
        `${CHECKPOINT_FILES.model}; ${FIX}.`,
    );
  }
  return { folder, read: (name) => Promise.resolve(files.get(name)), epoch: manifest.epoch };
}

/**
 * The folder that holds the current checkpoint's model.json in run folder `directory` (for
 * `tf.loadLayersModel(denoFileHandler(...))`).
 */
export async function checkpointFolder(directory: string): Promise<string> {
  return (await openCheckpoint(directory)).folder;
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

export function checkConfig(value: unknown, file: string): AutoencoderConfig {
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

/** Builds the model of an opened checkpoint and sets its (finite) weights. */
export async function modelFrom(files: CheckpointFiles): Promise<Autoencoder> {
  const file = path.join(files.folder, CHECKPOINT_FILES.model);
  const artifacts = await parseModelArtifacts(
    (await files.read(CHECKPOINT_FILES.model))!,
    file,
    async (name) =>
      await files.read(path.normalize(name)) ?? await readNamed(path.join(files.folder, name)),
  );
  const config = checkConfig(artifacts.userDefinedMetadata?.autoencoder, displayPath(file));
  const weightFile = displayPath(path.join(files.folder, CHECKPOINT_FILES.weights));
  const tensors = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
  const model = buildModel(config);
  try {
    const weights = model.model.weights;
    const missing = weights.filter((w) => !(w.originalName in tensors)).map((w) => w.originalName);
    if (missing.length > 0 || Object.keys(tensors).length !== weights.length) {
      throw new Error(
        `${displayPath(file)} does not match a ${config.kind} model: missing ${
          missing.join(", ") || "none"
        }, ${Object.keys(tensors).length} saved vs ${weights.length} expected weights.`,
      );
    }
    for (const [name, t] of Object.entries(tensors)) {
      const values = t.dataSync();
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        throw new Error(
          `${weightFile} holds ${values[bad]} in weight ${name}: the saved model is broken ` +
            `(a training that diverged, or a damaged file) and cannot be evaluated. Train it ` +
            `again with a lower learning rate (--lr) into this folder with --overwrite.`,
        );
      }
    }
    model.model.setWeights(weights.map((w) => {
      const t = tensors[w.originalName];
      if (!tf.util.arraysEqual(t.shape, w.shape as number[])) {
        throw new Error(
          `${displayPath(file)}: weight ${w.originalName} has shape [${t.shape}], the model ` +
            `expects [${w.shape}].`,
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

/** Reads only the model part of a checkpoint: a rebuilt model with the saved weights. */
export async function loadModel(directory: string): Promise<Autoencoder> {
  return await modelFrom(await openCheckpoint(directory));
}

export function checkState(saved: SavedTrainingState, file: string): void {
  const s = saved?.state;
  if (
    saved?.format !== "kmnist-training-state" || saved.version !== 1 || !s ||
    !Number.isInteger(s.epoch) || !Number.isInteger(s.step) || !Array.isArray(s.history) ||
    s.history.length !== s.epoch || !Number.isInteger(s.batchSize) ||
    typeof s.learningRate !== "number" || typeof s.seed !== "number"
  ) {
    throw new Error(
      `${displayPath(file)} is not a complete version-1 kmnist training state; ${FIX}.`,
    );
  }
}

/**
 * Loads a checkpoint: the model, and when saved, the optimizer state (an Adam from
 * `createOptimizer` with its moments, step count and exact beta powers) and the training state.
 *
 * @throws naming the file and the fix when the checkpoint is missing, incomplete or damaged.
 */
export async function loadCheckpoint(directory: string): Promise<LoadedCheckpoint> {
  const files = await openCheckpoint(directory);
  const stateFile = path.join(files.folder, CHECKPOINT_FILES.state);
  const stateBytes = await files.read(CHECKPOINT_FILES.state);
  let saved: SavedTrainingState | undefined;
  if (stateBytes) {
    saved = parseJson<SavedTrainingState>(stateBytes, stateFile);
    checkState(saved, stateFile);
    if (files.epoch !== undefined && files.epoch !== saved.state.epoch) {
      throw new Error(
        `${displayPath(stateFile)} is at epoch ${saved.state.epoch} but ${CHECKPOINT_MANIFEST} ` +
          `says ${files.epoch}: the checkpoint is inconsistent; ${FIX}.`,
      );
    }
  }
  let optimizerBytes: Uint8Array | undefined;
  const optimizerFile = path.join(files.folder, CHECKPOINT_FILES.optimizer);
  if (saved?.optimizer) {
    optimizerBytes = await files.read(CHECKPOINT_FILES.optimizer) ??
      await readNamed(optimizerFile);
    checkSize(optimizerBytes, saved.optimizer.specs, optimizerFile);
  }
  const model = await modelFrom(files);
  if (!saved) return { model };
  if (!saved.optimizer || !optimizerBytes) return { model, state: saved.state };
  const optimizerState = saved.optimizer;
  const tensors = tf.io.decodeWeights(toArrayBuffer(optimizerBytes), optimizerState.specs);
  const optimizer = createOptimizer({ learningRate: saved.state.learningRate });
  try {
    const toLive = stableNames(model, "load");
    await optimizer.setWeights(
      optimizerState.specs.map((spec) => ({
        name: renameSlot(spec.name, toLive),
        tensor: tensors[spec.name],
      })),
    );
    const adam = optimizer as unknown as AdamInternals;
    if (
      optimizerState.accBeta1 !== undefined && adam.accBeta1 instanceof tf.Variable &&
      adam.accBeta2 instanceof tf.Variable
    ) {
      tf.tidy(() => {
        adam.accBeta1!.assign(tf.scalar(optimizerState.accBeta1!));
        adam.accBeta2!.assign(tf.scalar(optimizerState.accBeta2!));
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
