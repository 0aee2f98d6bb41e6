/**
 * Saving a checkpoint as one unit: a new folder written and flushed, then committed by replacing
 * checkpoint.json atomically, and only then the previous folder removed.
 *
 * @module
 */
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { faultPoint, syncDirectory, writeFileAtomic, writeJsonAtomic } from "../../io/mod.ts";
import type { Autoencoder } from "../../models/mod.ts";
import type { TrainingState } from "../state.ts";
import { sha256Hex } from "../../format/mod.ts";
import {
  type AdamInternals,
  CHECKPOINT_FILES,
  CHECKPOINT_MANIFEST,
  CHECKPOINT_SAVE_STEPS,
  type CheckpointManifest,
  type FileRecord,
  joinWeightData,
  renameSlot,
  type SavedOptimizerState,
  type SavedTrainingState,
  stableNames,
} from "./format.ts";
import { modelJsonBytes } from "./artifacts.ts";
import { removeStale } from "./folder.ts";

let savesInProcess = 0;

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
export async function checkpointBytes(
  contents: CheckpointContents,
): Promise<Map<string, Uint8Array>> {
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
    records[name] = { bytes: bytes.byteLength, sha256: await sha256Hex(bytes) };
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
