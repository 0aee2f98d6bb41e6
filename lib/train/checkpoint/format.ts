/**
 * The checkpoint format: file names, the manifest (checkpoint.json) that names the current
 * checkpoint folder and checks its files, the saved optimizer and training state, the stable
 * names of the optimizer's slots, and the error text every damaged-checkpoint message ends with.
 *
 * @module
 */
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { displayPath } from "../../io/mod.ts";
import type { Autoencoder } from "../../models/mod.ts";
import type { TrainingState } from "../state.ts";

/** File names inside a checkpoint folder. */
export const CHECKPOINT_FILES = {
  model: "model.json",
  weights: "weights.bin",
  optimizer: "optimizer.bin",
  state: "training_state.json",
} as const;

/** The manifest in the run folder: names the current checkpoint folder and checks its files. */
export const CHECKPOINT_MANIFEST = "checkpoint.json";

/**
 * The points of a save, in order, at which the fault-injection tests kill the process
 * (`KMNIST_KILL_AT=checkpoint:<n>:<step>` kills it at that step of its n-th save).
 */
export const CHECKPOINT_SAVE_STEPS = [
  "folder-created",
  "weights.bin",
  "model.json",
  "optimizer.bin",
  "training_state.json",
  "manifest-written",
  "committed",
  "previous-removed",
] as const;

/** What to do about a damaged checkpoint, in every such error. */
export const FIX = "restore the run folder from a copy, or train again from scratch into it " +
  "(deno task train ... --overwrite; train({ ..., overwrite: true }) in code)";

export const CHECKPOINT_FOLDER = /^checkpoint-\d+-[0-9a-f]{8}$/;

/** The manifest's record of one file. */
export interface FileRecord {
  bytes: number;
  sha256: string;
}

/** checkpoint.json. */
export interface CheckpointManifest {
  format: "kmnist-checkpoint";
  version: 2;
  /** The checkpoint folder, relative to the run folder. */
  folder: string;
  /** Epochs completed (null: a model without training state). */
  epoch: number | null;
  /** The model kind. */
  kind: string;
  /** When it was saved (ISO 8601). */
  saved: string;
  /** Every file of the folder: size and SHA-256. */
  files: Record<string, FileRecord>;
}

export function joinWeightData(data: tf.io.WeightData): Uint8Array {
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
}

export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The optimizer part of a saved training state. */
export interface SavedOptimizerState {
  /** Specs of the tensors in optimizer.bin. */
  specs: tf.io.WeightsManifestEntry[];
  /** Adam's running beta powers (restored exactly, as `setWeights` recomputes them with pow). */
  accBeta1?: number;
  accBeta2?: number;
}

/** training_state.json. */
export interface SavedTrainingState {
  format: "kmnist-training-state";
  version: 1;
  state: TrainingState;
  optimizer?: SavedOptimizerState;
}

/** Adam's private running powers of beta1 and beta2 (tfjs's AdamOptimizer). */
export interface AdamInternals {
  accBeta1?: tf.Variable;
  accBeta2?: tf.Variable;
}

/**
 * Maps the model's tfjs variable names (unique per session, e.g. "enc_code/kernel_7") to its
 * stable weight names ("enc_code/kernel") for saving, or back for loading, so that optimizer state
 * follows the right variable into a freshly built model.
 */
export function stableNames(model: Autoencoder, direction: "save" | "load"): Map<string, string> {
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
export function renameSlot(name: string, map: Map<string, string>): string {
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

/** Reads a file, or fails naming it and what to do. */
export async function readNamed(file: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`${displayPath(file)} is missing: the checkpoint is incomplete; ${FIX}.`);
    }
    throw new Error(`${displayPath(file)} cannot be read (${errorText(error)}).`);
  }
}

/** checkpoint.json of `directory`, checked; undefined when there is none. */
export function parseJson<T>(bytes: Uint8Array, file: string): T {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch (error) {
    throw new Error(
      `${displayPath(file)} is not valid JSON (${errorText(error)}): the file is damaged; ${FIX}.`,
    );
  }
}

/** checkpoint.json of `directory`, checked; undefined when there is none. */
export async function readManifest(directory: string): Promise<CheckpointManifest | undefined> {
  const file = path.join(directory, CHECKPOINT_MANIFEST);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new Error(`${displayPath(file)} cannot be read (${errorText(error)}).`);
  }
  const manifest = parseJson<CheckpointManifest>(bytes, file);
  if (
    manifest?.format !== "kmnist-checkpoint" || manifest.version !== 2 ||
    typeof manifest.folder !== "string" || !CHECKPOINT_FOLDER.test(manifest.folder) ||
    typeof manifest.files !== "object" || manifest.files === null
  ) {
    throw new Error(
      `${displayPath(file)} is not a version-2 kmnist checkpoint manifest; ${FIX}.`,
    );
  }
  return manifest;
}
