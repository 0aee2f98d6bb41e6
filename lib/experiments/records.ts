/**
 * The record (metrics.json) each notebook leaves in its run folder, which later notebooks and `deno task report` read.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { EvaluationReport } from "../metrics/mod.ts";
import { type TrainResult } from "../train/mod.ts";
import { readTextIfExists, writeJsonAtomic } from "../io/mod.ts";
import {
  checkName,
  EXPERIMENT_NAMES,
  type ExperimentName,
  type ExperimentSettings,
  experimentSettings,
} from "./settings.ts";

/** Training figures kept in a record. */
export interface TrainingSummary {
  /** Epochs trained. */
  epochs: number;
  /** Mean wall seconds per epoch (validation included). */
  secondsPerEpoch: number;
  /** Wall seconds of the whole training call. */
  wallSeconds: number;
  /** Training images per second. */
  imagesPerSecond: number;
  /** Per-epoch losses (see lib/train's EpochRecord). */
  history: TrainResult["history"];
  /** The backend that trained it ("blas", "wasm" or "cpu"). */
  backend: string;
}

/** The metrics.json of one experiment. */
export interface ExperimentRecord {
  /** Always "kmnist-experiment". */
  format: "kmnist-experiment";
  /** Experiment name. */
  name: ExperimentName;
  /** Model name. */
  title: string;
  /** Whether it was a quick-mode run. */
  quick: boolean;
  /** The settings it ran with. */
  settings: ExperimentSettings;
  /** Training figures. */
  training: TrainingSummary;
  /** Test metrics (lib/metrics `evaluate`). */
  evaluation: EvaluationReport;
  /** Extra results of the notebook (e.g. the denoising experiment). */
  extra?: Record<string, unknown>;
  /** ISO time of writing. */
  savedAt: string;
}

/** What {@link saveExperimentRecord} needs. */
export interface RecordContents {
  /** The trained model's training result. */
  result: TrainResult;
  /** Its test metrics. */
  evaluation: EvaluationReport;
  /** Extra JSON-able results. */
  extra?: Record<string, unknown>;
  /** The backend it trained on, as `initBackend` named it (default: `tf.getBackend()`). */
  backend?: string;
}

/** Summarises a training result for the record. */
export function summarizeTraining(result: TrainResult, backend?: string): TrainingSummary {
  const seconds = result.history.map((h) => h.seconds);
  return {
    epochs: result.history.length,
    secondsPerEpoch: seconds.length ? seconds.reduce((a, b) => a + b, 0) / seconds.length : NaN,
    wallSeconds: result.wallSeconds,
    imagesPerSecond: result.imagesPerSecond,
    history: result.history,
    backend: backend ?? tf.getBackend(),
  };
}

/** Writes the experiment's metrics.json (atomically) and returns the record. */
export async function saveExperimentRecord(
  settings: ExperimentSettings,
  contents: RecordContents,
): Promise<ExperimentRecord> {
  const record: ExperimentRecord = {
    format: "kmnist-experiment",
    name: settings.name,
    title: settings.title,
    quick: settings.quick,
    settings,
    training: summarizeTraining(contents.result, contents.backend),
    evaluation: contents.evaluation,
    ...(contents.extra ? { extra: contents.extra } : {}),
    savedAt: new Date().toISOString(),
  };
  await Deno.mkdir(settings.runDirectory, { recursive: true });
  await writeJsonAtomic(settings.metricsFile, record);
  return record;
}

/**
 * Reads an experiment's metrics.json; undefined when that run has not been made yet. Throws when
 * the file exists but is not a record.
 */
export async function loadExperimentRecord(
  name: ExperimentName,
  options: { quick?: boolean } = {},
): Promise<ExperimentRecord | undefined> {
  const file = experimentSettings(name, options).metricsFile;
  const text = await readTextIfExists(file);
  if (text === undefined) return undefined;
  const record = JSON.parse(text) as ExperimentRecord;
  if (record.format !== "kmnist-experiment") {
    throw new Error(
      `${file} is not an experiment record; delete it and re-run ${name}'s notebook.`,
    );
  }
  return record;
}

/** Records of the experiments before `name` (notebook order) that have been run. */
export async function previousRecords(
  name: ExperimentName,
  options: { quick?: boolean } = {},
): Promise<ExperimentRecord[]> {
  const before = EXPERIMENT_NAMES.slice(0, EXPERIMENT_NAMES.indexOf(checkName(name)));
  const records = await Promise.all(before.map((n) => loadExperimentRecord(n, options)));
  return records.filter((r): r is ExperimentRecord => r !== undefined);
}
