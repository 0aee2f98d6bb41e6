/**
 * The run folder side of {@link train}: taking the folder's run lock, cleaning what an
 * interrupted save left, refusing to start over an existing checkpoint, and checking that a
 * resumed state is the one this folder's checkpoint holds.
 *
 * @module
 */
import { acquireRunLock, displayPath, type RunLock } from "../io/mod.ts";
import {
  cleanCheckpointLeftovers,
  hasCheckpoint,
  readCheckpointState,
  removeCheckpoint,
} from "./checkpoint/mod.ts";
import type { TrainingState } from "./state.ts";

/** What {@link takeRunFolder} needs from train()'s options. */
export interface RunFolderOptions {
  directory: string;
  resume?: TrainingState;
  overwrite?: boolean;
  /** The caller's lock (kept held), when it holds the folder already. */
  runLock?: RunLock;
}

/** The deterministic part of an epoch record (timings differ between runs of the same state). */
function lossesOf(state: TrainingState): string {
  return JSON.stringify(
    state.history.map(({ seconds: _s, imagesPerSecond: _r, load: _l, ...rest }) => rest),
  );
}

/**
 * Why `resume` is not the state of `directory`'s checkpoint ("" when it is): the same epoch, the
 * same step (less an interrupted epoch's batches) and the same loss history. A state from before
 * the first checkpoint (epoch 0, interrupted in the first epoch) fits an empty folder.
 */
export async function resumeMismatch(directory: string, resume: TrainingState): Promise<string> {
  const saved = await readCheckpointState(directory);
  const where = displayPath(directory);
  const ownSteps = resume.step - (resume.partialEpoch?.batches ?? 0);
  if (saved === undefined) {
    return resume.epoch === 0
      ? ""
      : `${where} holds no checkpoint, but the state to resume has trained ${resume.epoch} ` +
        `epoch(s) elsewhere`;
  }
  if (saved.epoch !== resume.epoch || saved.step !== ownSteps) {
    return `${where}'s checkpoint is at epoch ${saved.epoch} (step ${saved.step}), the state to ` +
      `resume at epoch ${resume.epoch} (step ${ownSteps} before its interrupted epoch)`;
  }
  if (lossesOf(saved) !== lossesOf(resume)) {
    return `${where}'s checkpoint has another loss history than the state to resume (a ` +
      `different run)`;
  }
  return "";
}

/**
 * Takes `directory` for a training run: its lock (unless the caller holds it), leftovers of an
 * interrupted save removed, an existing checkpoint refused (or removed with `overwrite`), a
 * resumed state checked against the folder's checkpoint. Returns the lock to release (undefined
 * when the caller's). Nothing is changed when it throws.
 */
export async function takeRunFolder(options: RunFolderOptions): Promise<RunLock | undefined> {
  const { directory, resume } = options;
  if (options.runLock && options.runLock.directory !== directory) {
    throw new Error(
      `train: runLock holds ${options.runLock.directory}, not the checkpointDirectory ` +
        `${directory}.`,
    );
  }
  const lock = options.runLock ?? await acquireRunLock(directory, {
    hint: "choose another checkpointDirectory",
  });
  try {
    await cleanCheckpointLeftovers(directory);
    if (resume) {
      const mismatch = await resumeMismatch(directory, resume);
      if (mismatch) {
        throw new Error(
          `train: cannot resume into ${displayPath(directory)}: ${mismatch}. Resume the state ` +
            `that loadCheckpoint(${displayPath(directory)}) gives (or the one an interrupted run ` +
            `into this folder handed back), or pass the checkpointDirectory of the run it came ` +
            `from.`,
        );
      }
    } else if (await hasCheckpoint(directory)) {
      if (!options.overwrite) {
        throw new Error(
          `train: ${displayPath(directory)} already holds a checkpoint: pass overwrite: true ` +
            `to replace it (deno task train --overwrite), or resume it (resume: the state of ` +
            `loadCheckpoint(...), with its optimizer; deno task train --resume).`,
        );
      }
      await removeCheckpoint(directory);
    }
  } catch (error) {
    if (!options.runLock) lock.release();
    throw error;
  }
  return options.runLock ? undefined : lock;
}
