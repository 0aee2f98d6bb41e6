/**
 * Checkpoints on disk, saved as one unit. A run folder holds `checkpoint.json` (the manifest) and
 * the folder it names, `checkpoint-<epoch>-<8 hex>/`, with the model as a tfjs layers artifact
 * (model.json + weights.bin), the optimizer's state (optimizer.bin) and the training state with
 * its history (training_state.json). A save writes a new folder, flushes it, then commits by
 * replacing checkpoint.json atomically (one rename) and only then removes the previous folder:
 * a kill at any point leaves either the previous checkpoint or the new one, never a mix. The
 * manifest records every file's size and SHA-256; a load checks them and names the damaged file.
 *
 * ```ts
 * await saveCheckpoint("runs/conv", { model, optimizer, state: result.state });
 * const { model, optimizer, state } = await loadCheckpoint("runs/conv");
 * await train(model, { train, epochs: 20, optimizer, resume: state }); // continues at epoch 11
 * ```
 *
 * Folders written by earlier versions (the four files directly in the run folder, no manifest)
 * still load, unchecked.
 *
 * @module
 */
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import {
  displayPath,
  faultPoint,
  isAtomicTemporary,
  syncDirectory,
  writeFileAtomic,
  writeJsonAtomic,
} from "../io/mod.ts";
import {
  type Autoencoder,
  AUTOENCODER_KINDS,
  type AutoencoderConfig,
  buildModel,
  VAE_DESIGNS,
} from "../models/mod.ts";
import { createOptimizer } from "./optimizer.ts";
import type { TrainingState } from "./state.ts";

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
const FIX = "restore the run folder from a copy, or train again from scratch into it " +
  "(deno task train ... --overwrite; train({ ..., overwrite: true }) in code)";

const CHECKPOINT_FOLDER = /^checkpoint-\d+-[0-9a-f]{8}$/;

let savesInProcess = 0;

/** The manifest's record of one file. */
interface FileRecord {
  bytes: number;
  sha256: string;
}

/** checkpoint.json. */
interface CheckpointManifest {
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

function joinWeightData(data: tf.io.WeightData): Uint8Array {
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** model.json's bytes for `artifacts`, with its weights in `./weights.bin`. */
function modelJsonBytes(artifacts: tf.io.ModelArtifacts): Uint8Array {
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new Error("denoFileHandler: binary model topologies are not supported.");
  }
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
  return new TextEncoder().encode(JSON.stringify(json));
}

/** Bytes that `specs` need (undefined when they use quantisation, which this project never does). */
function expectedBytes(specs: tf.io.WeightsManifestEntry[]): number | undefined {
  let total = 0;
  for (const spec of specs) {
    if (spec.quantization) return undefined;
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const per = spec.dtype === "float32" || spec.dtype === "int32"
      ? 4
      : spec.dtype === "bool"
      ? 1
      : 0;
    if (per === 0) return undefined;
    total += size * per;
  }
  return total;
}

/** Checks that `bytes` from `file` hold exactly the tensors `specs` describe. */
function checkSize(bytes: Uint8Array, specs: tf.io.WeightsManifestEntry[], file: string): void {
  const expected = expectedBytes(specs);
  if (expected !== undefined && bytes.byteLength !== expected) {
    throw new Error(
      `${displayPath(file)} is ${bytes.byteLength} bytes but should hold ${expected} bytes ` +
        `(${specs.length} tensors): it is ${
          bytes.byteLength < expected ? "truncated" : "too long"
        }; ${FIX}.`,
    );
  }
}

/** Reads a file, or fails naming it and what to do. */
async function readNamed(file: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`${displayPath(file)} is missing: the checkpoint is incomplete; ${FIX}.`);
    }
    throw new Error(`${displayPath(file)} cannot be read (${errorText(error)}).`);
  }
}

function parseJson<T>(bytes: Uint8Array, file: string): T {
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch (error) {
    throw new Error(
      `${displayPath(file)} is not valid JSON (${errorText(error)}): the file is damaged; ${FIX}.`,
    );
  }
}

/** Model artifacts from a model.json's bytes and a reader of the weight files it names. */
async function parseModelArtifacts(
  bytes: Uint8Array,
  file: string,
  readWeights: (name: string) => Promise<Uint8Array>,
): Promise<tf.io.ModelArtifacts> {
  const json = parseJson<tf.io.ModelJSON>(bytes, file);
  if (!json || typeof json !== "object" || !Array.isArray(json.weightsManifest)) {
    throw new Error(
      `${displayPath(file)} has no weightsManifest: it is not a tfjs layers model; ${FIX}.`,
    );
  }
  const specs = json.weightsManifest.flatMap((group) => group.weights);
  const parts: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    for (const name of group.paths) parts.push(await readWeights(name));
  }
  const weights = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    weights.set(p, at);
    at += p.byteLength;
  }
  const weightFile = path.join(
    path.dirname(file),
    json.weightsManifest[0]?.paths[0] ?? CHECKPOINT_FILES.weights,
  );
  checkSize(weights, specs, weightFile);
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    weightSpecs: specs,
    weightData: toArrayBuffer(weights),
    userDefinedMetadata: json.userDefinedMetadata,
  };
}

/**
 * A `tf.io.IOHandler` that saves a layers model as `directory/model.json` + `directory/weights.bin`
 * (the tfjs "layers-model" format, loadable by `tf.loadLayersModel` elsewhere) and loads it back.
 * Each file is written atomically, but not the pair: {@link saveCheckpoint} is the safe save.
 */
export function denoFileHandler(
  directory: string,
): Required<Pick<tf.io.IOHandler, "save" | "load">> {
  const modelFile = path.join(directory, CHECKPOINT_FILES.model);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const json = modelJsonBytes(artifacts);
      const weights = artifacts.weightData
        ? joinWeightData(artifacts.weightData)
        : new Uint8Array();
      await writeFileAtomic(path.join(directory, CHECKPOINT_FILES.weights), weights);
      await writeFileAtomic(modelFile, json);
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
      let bytes: Uint8Array;
      try {
        bytes = await Deno.readFile(modelFile);
      } catch (error) {
        throw new Error(
          `No model checkpoint at ${displayPath(modelFile)} (${errorText(error)}): train one ` +
            `first (deno task train --out ${displayPath(directory)}) or pass the right directory.`,
        );
      }
      return await parseModelArtifacts(
        bytes,
        modelFile,
        (name) => readNamed(path.join(directory, name)),
      );
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

/** The files of a checkpoint, as bytes, before any is written. */
async function checkpointBytes(contents: CheckpointContents): Promise<Map<string, Uint8Array>> {
  const { model, optimizer, state } = contents;
  const files = new Map<string, Uint8Array>();
  model.model.setUserDefinedMetadata({ autoencoder: { ...model.config } });
  await model.model.save(tf.io.withSaveHandler((artifacts) => {
    files.set(
      CHECKPOINT_FILES.weights,
      artifacts.weightData ? joinWeightData(artifacts.weightData) : new Uint8Array(),
    );
    files.set(CHECKPOINT_FILES.model, modelJsonBytes(artifacts));
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  let saved: SavedOptimizerState | undefined;
  if (optimizer) {
    const weights = await optimizer.getWeights();
    try {
      const toStable = stableNames(model, "save");
      const named = weights.map((w) => ({ name: renameSlot(w.name, toStable), tensor: w.tensor }));
      const { data, specs } = await tf.io.encodeWeights(named);
      files.set(CHECKPOINT_FILES.optimizer, joinWeightData(data));
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
    const learningRate = Number(optimizer?.getConfig().learningRate ?? 1e-3);
    const file: SavedTrainingState = {
      format: "kmnist-training-state",
      version: 1,
      state: state ?? {
        epoch: 0,
        step: 0,
        history: [],
        seed: 0,
        batchSize: 128,
        learningRate,
        trainCount: 0,
      },
      ...(saved ? { optimizer: saved } : {}),
    };
    files.set(
      CHECKPOINT_FILES.state,
      new TextEncoder().encode(JSON.stringify(file, null, 2) + "\n"),
    );
  }
  return files;
}

/**
 * Saves a checkpoint into run folder `directory` (created if needed), as one unit: model.json +
 * weights.bin, and when given, optimizer.bin and training_state.json, in a new folder that
 * checkpoint.json then names. The previous checkpoint stays valid until that last rename.
 *
 * Call it while holding the folder's run lock (`train` does): it removes the previous checkpoint.
 */
export async function saveCheckpoint(
  directory: string,
  contents: CheckpointContents,
): Promise<void> {
  const save = ++savesInProcess;
  const step = (name: (typeof CHECKPOINT_SAVE_STEPS)[number]) =>
    faultPoint(`checkpoint:${save}:${name}`);
  const files = await checkpointBytes(contents);
  await Deno.mkdir(directory, { recursive: true });
  // As training_state.json says (epoch 0 when only an optimizer is saved); null: a model alone.
  const epoch = contents.state?.epoch ?? (contents.optimizer ? 0 : null);
  const random = crypto.randomUUID().replaceAll("-", "").slice(0, 8);
  const folderName = `checkpoint-${String(epoch ?? 0).padStart(4, "0")}-${random}`;
  const folder = path.join(directory, folderName);
  await Deno.mkdir(folder);
  step("folder-created");
  const records: Record<string, FileRecord> = {};
  for (const name of Object.values(CHECKPOINT_FILES)) {
    const bytes = files.get(name);
    if (!bytes) continue;
    await writeFileAtomic(path.join(folder, name), bytes);
    records[name] = { bytes: bytes.byteLength, sha256: await sha256(bytes) };
    step(name);
  }
  await syncDirectory(folder);
  const manifest: CheckpointManifest = {
    format: "kmnist-checkpoint",
    version: 2,
    folder: folderName,
    epoch,
    kind: contents.model.kind,
    saved: new Date().toISOString(),
    files: records,
  };
  await writeJsonAtomic(path.join(directory, CHECKPOINT_MANIFEST), manifest, {
    beforeRename: () => step("manifest-written"),
  });
  await syncDirectory(directory);
  step("committed");
  await removeStale(directory, folderName, true);
  step("previous-removed");
}

/**
 * Removes checkpoint folders other than `keep` and temporaries, and with `legacy` the files of an
 * earlier version's checkpoint lying directly in the run folder.
 */
async function removeStale(directory: string, keep: string, legacy: boolean): Promise<string[]> {
  const removed: string[] = [];
  const flat = new Set<string>(Object.values(CHECKPOINT_FILES));
  for await (const entry of Deno.readDir(directory)) {
    const stale =
      (entry.isDirectory && CHECKPOINT_FOLDER.test(entry.name) && entry.name !== keep) ||
      (entry.isFile && isAtomicTemporary(entry.name)) ||
      (legacy && entry.isFile && flat.has(entry.name));
    if (!stale) continue;
    await Deno.remove(path.join(directory, entry.name), { recursive: true });
    removed.push(entry.name);
  }
  return removed.sort();
}

/**
 * Removes what an interrupted save left in run folder `directory`: checkpoint folders that
 * checkpoint.json does not name and temporary files. Returns their names. Call it only while
 * holding the folder's run lock (another run's save in progress would look the same).
 */
export async function cleanCheckpointLeftovers(directory: string): Promise<string[]> {
  let manifest: CheckpointManifest | undefined;
  try {
    manifest = await readManifest(directory);
  } catch {
    return []; // a damaged manifest: keep everything, the load will say what is wrong
  }
  try {
    return await removeStale(directory, manifest?.folder ?? "", manifest !== undefined);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/** Whether run folder `directory` holds a checkpoint (a manifest, or an older flat model.json). */
export async function hasCheckpoint(directory: string): Promise<boolean> {
  for (const name of [CHECKPOINT_MANIFEST, CHECKPOINT_FILES.model]) {
    try {
      await Deno.stat(path.join(directory, name));
      return true;
    } catch {
      // not there
    }
  }
  return false;
}

/**
 * Removes the checkpoint of run folder `directory` (manifest first, so that a kill half way
 * leaves no checkpoint rather than a broken one). Other files stay.
 */
export async function removeCheckpoint(directory: string): Promise<void> {
  await Deno.remove(path.join(directory, CHECKPOINT_MANIFEST)).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  await syncDirectory(directory);
  try {
    await removeStale(directory, "", true);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

async function readManifest(directory: string): Promise<CheckpointManifest | undefined> {
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

/** A checkpoint's files, read and checked. */
interface CheckpointFiles {
  /** The folder holding them. */
  folder: string;
  /** Reads one (checked against the manifest; undefined when the checkpoint lacks it). */
  read(name: string): Promise<Uint8Array | undefined>;
  /** The epoch the manifest records (undefined for a folder of the earlier flat layout). */
  epoch?: number | null;
}

/** Opens the checkpoint of `directory`: every file the manifest names is read and checked. */
async function openCheckpoint(directory: string): Promise<CheckpointFiles> {
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
    if (await sha256(bytes) !== record.sha256) {
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
  if (config.design !== undefined && !VAE_DESIGNS.includes(config.design)) {
    throw new Error(
      `${file} names the VAE design ${JSON.stringify(config.design)}, which this version does ` +
        `not know: use one of ${VAE_DESIGNS.join(", ")} (a checkpoint that names none is "keras").`,
    );
  }
  return config as AutoencoderConfig;
}

/** Builds the model of an opened checkpoint and sets its (finite) weights. */
async function modelFrom(files: CheckpointFiles): Promise<Autoencoder> {
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

function checkState(saved: SavedTrainingState, file: string): void {
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
