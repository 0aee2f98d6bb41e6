/**
 * The design study's trial records: one JSON file per finished trial, `<key>.json` in the study's
 * folder (default `runs/study/`), written atomically. Merging shards is copying their record files
 * into one folder. Reading a folder checks every record: a corrupt file, a foreign one, or one whose
 * settings do not hash to its name is refused with an error naming the file and the fix.
 *
 * @module
 */
import * as path from "node:path";
import {
  displayPath,
  type IntervalLoad,
  isAtomicTemporary,
  type TimingFlag,
  timingFlag,
  writeJsonAtomic,
} from "../io/mod.ts";
import { RUNS_DIRECTORY } from "../experiments/mod.ts";
import { trialKey, trialLabel, type TrialSettings } from "./grid.ts";
import type { EvaluationPassSeconds, TestIntervals } from "../metrics/mod.ts";
import type { TrialGeneration, TrialLatent } from "./measures.ts";

/** The study's default record folder. */
export const STUDY_DIRECTORY: string = path.join(RUNS_DIRECTORY, "study");

/** The quick study's record folder (never mixed with the full one). */
export const QUICK_STUDY_DIRECTORY: string = path.join(RUNS_DIRECTORY, "quick", "study");

/** Sub-folder of the study folder holding the trials' checkpoints. */
export const CHECKPOINTS_FOLDER = "checkpoints";

/** One epoch's losses (no timing, so that re-runs give equal records). */
export interface TrialLosses {
  /** 1-based epoch. */
  epoch: number;
  /** Mean training loss. */
  trainLoss: number;
  /** Validation loss. */
  valLoss?: number;
}

/** What a trial measured: deterministic numbers only (re-runs reproduce them bit for bit). */
export interface TrialResults {
  /** Trainable parameters (PCA: axes and mean; pixels: 0). */
  parameters: number;
  /** Test images evaluated. */
  testImages: number;
  /** Test MSE per pixel (absent for the raw pixels). */
  mse?: number;
  /** Test BCE per pixel, nats. */
  bce?: number;
  /** Mean per-image PSNR, dB. */
  psnr?: number;
  /** Mean SSIM. */
  ssim?: number;
  /** k-NN accuracy of the codes (training codes as references, distance-weighted votes). */
  knnAccuracy: number;
  /** Reference codes of the k-NN probe. */
  knnReferences: number;
  /** Raw pixels, full runs only: the probe with all 60,000 training images (the paper's 92.10%). */
  knnAllTraining?: number;
  /** PCA only: share of the training variance its axes explain. */
  explainedVariance?: number;
  /** Variational only, nats per image on the test images. */
  vae?: {
    /** −ELBO (β = 1: distortion + rate). */
    negativeElbo: number;
    /** The reconstruction term (distortion). */
    distortion: number;
    /** The KL term (rate). */
    rate: number;
    /** Importance-weighted −log p(x) on the first test images (`iwaeImages` of the settings). */
    iwaeNll?: number;
    /** Standard error of `iwaeNll` over those images. */
    iwaeNllStandardError?: number;
    /** −ELBO on the same first test images, from the same draws: comparable with `iwaeNll`. */
    iwaeNegativeElbo?: number;
    /** Standard error of `iwaeNegativeElbo` over those images. */
    iwaeNegativeElboStandardError?: number;
  };
  /** Per-epoch losses. */
  losses?: TrialLosses[];
  /** The measurement version (MEASURES_VERSION in measures.ts); absent in version-1 records. */
  measures?: number;
  /** 95% intervals of the test metrics (version 2). */
  intervals?: Partial<TestIntervals>;
  /** VAEs: active units and KL per dimension (version 2). */
  latent?: TrialLatent;
  /** Sample quality as the classifier sees it (version 2; not for the raw pixels). */
  generation?: TrialGeneration;
  /** Reconstructions of fixed test images (one per class), for the figures. */
  samples?: {
    /** Test-set indices. */
    indices: number[];
    /** Base64 of `indices.length * 784` grey levels 0..255. */
    reconstructions: string;
  };
}

/** Timing of a trial (varies from run to run; kept apart from the results). */
export interface TrialTiming {
  /** Mean wall seconds per training epoch (validation included). */
  secondsPerEpoch?: number;
  /** Wall seconds of the training (this process's part when it resumed). */
  trainSeconds?: number;
  /** Wall seconds of the evaluation (PCA: fit + evaluation). */
  evaluationSeconds: number;
  /**
   * The autoencoders' evaluation by pass, wall seconds: `evaluate`'s (reconstruction, elbo, iwae,
   * knn), then the latent usage and the samples' measure; absent in records written before they
   * were kept and for PCA and the pixels.
   */
  evaluationParts?: EvaluationParts;
  /** Epochs a resumed trial found in its checkpoint. */
  resumedFromEpoch?: number;
  /** Backend, as `initBackend` named it. */
  backend: string;
  /**
   * The training epochs' load together (lib/io/cpu_load.ts): this process's CPU seconds and other
   * work's over the epochs' wall seconds, and `busy` when any epoch was timed while other work
   * took a material share of the machine. Absent in records written before it was kept (and for
   * PCA and the pixels, which have no epochs): unknown, never quiet. A result of the run, not a
   * setting: the trial's key ignores it.
   */
  load?: IntervalLoad;
}

/** Wall seconds of each pass of an autoencoder trial's measurement. */
export interface EvaluationParts extends EvaluationPassSeconds {
  /** VAEs with an instrument: active units and KL per dimension. */
  latent?: number;
  /** With an instrument: drawing the samples and measuring them. */
  generation?: number;
}

/** Whether a trial's seconds per epoch were timed on a quiet machine, a busy one, or unknown. */
export function trialTimingFlag(record: TrialRecord): TimingFlag {
  return timingFlag(record.timing.load);
}

/** One finished trial: `<key>.json` in the study folder. */
export interface TrialRecord {
  /** Always "kmnist-study-trial". */
  format: "kmnist-study-trial";
  /** Record format version (1). */
  version: 1;
  /** The hash of the settings (also the file name). */
  key: string;
  /** Human name, e.g. "convolutional z=16". */
  label: string;
  /** The full settings. */
  settings: TrialSettings;
  /** What it measured. */
  results: TrialResults;
  /** How long it took. */
  timing: TrialTiming;
  /** "study", or the notebook run folder it was taken from (e.g. "runs/convolutional"). */
  source: string;
  /** ISO time of writing. */
  savedAt: string;
}

/** The file of a trial's record. */
export function recordFile(directory: string, key: string): string {
  return path.join(directory, `${key}.json`);
}

/** Writes a trial's record atomically (a kill leaves the old file or none, never half a file). */
export async function saveTrialRecord(
  directory: string,
  contents: Omit<TrialRecord, "format" | "version" | "key" | "label" | "savedAt">,
): Promise<TrialRecord> {
  const key = await trialKey(contents.settings);
  const record: TrialRecord = {
    format: "kmnist-study-trial",
    version: 1,
    key,
    label: trialLabel(contents.settings),
    settings: contents.settings,
    results: contents.results,
    timing: contents.timing,
    source: contents.source,
    savedAt: new Date().toISOString(),
  };
  await writeJsonAtomic(recordFile(directory, key), record);
  return record;
}

/** Checks one record file's contents, throwing an error naming the file and the fix. */
export async function parseTrialRecord(file: string, text: string): Promise<TrialRecord> {
  const shown = displayPath(file);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `${shown} is corrupt (not JSON: ${(error as Error).message}): delete it and run the study ` +
        `again to redo that trial.`,
    );
  }
  const record = value as Partial<TrialRecord> | null;
  if (record === null || typeof record !== "object" || record.format !== "kmnist-study-trial") {
    const format = record && typeof record === "object" ? record.format : undefined;
    throw new Error(
      `${shown} is not a study trial record (format ${JSON.stringify(format)}): the study's ` +
        `folder holds only <key>.json trial records; move that file out of ${
          displayPath(path.dirname(file))
        }/.`,
    );
  }
  if (record.version !== 1 || !record.settings || !record.results || !record.key) {
    throw new Error(
      `${shown} is an incomplete or unknown-version study record: delete it and run the study ` +
        `again to redo that trial.`,
    );
  }
  const key = await trialKey(record.settings);
  const name = path.basename(file, ".json");
  if (key !== record.key || key !== name) {
    throw new Error(
      `${shown}: its settings hash to ${key}, but it is named ${name} with key ${record.key} (a ` +
        `record edited by hand or saved under another name): delete it and run the study again.`,
    );
  }
  return record as TrialRecord;
}

/**
 * Reads every record of a study folder (key -> record); an empty map when the folder does not
 * exist. Temporary files of interrupted writes and the checkpoints folder are skipped.
 *
 * @throws Error naming a corrupt, foreign or misnamed record file.
 */
export async function loadTrialRecords(directory: string): Promise<Map<string, TrialRecord>> {
  const records = new Map<string, TrialRecord>();
  let entries: Deno.DirEntry[];
  try {
    entries = Array.from(Deno.readDirSync(directory));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return records;
    throw error;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    if (entry.isDirectory && entry.name === CHECKPOINTS_FOLDER) continue;
    if (isAtomicTemporary(entry.name)) continue;
    const file = path.join(directory, entry.name);
    if (!entry.isFile || !entry.name.endsWith(".json")) {
      throw new Error(
        `${displayPath(file)} is not a study trial record: the study's folder holds only ` +
          `<key>.json records and ${CHECKPOINTS_FOLDER}/; move it out of ${
            displayPath(directory)
          }/.`,
      );
    }
    const record = await parseTrialRecord(file, await Deno.readTextFile(file));
    records.set(record.key, record);
  }
  return records;
}
