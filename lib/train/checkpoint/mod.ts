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
export { CHECKPOINT_FILES, CHECKPOINT_MANIFEST, CHECKPOINT_SAVE_STEPS } from "./format.ts";
export { denoFileHandler } from "./artifacts.ts";
export { type CheckpointContents, saveCheckpoint } from "./save.ts";
export { cleanCheckpointLeftovers, hasCheckpoint, removeCheckpoint } from "./folder.ts";
export { checkpointFolder, loadCheckpoint, type LoadedCheckpoint, loadModel } from "./load.ts";
