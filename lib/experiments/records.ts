/**
 * The record (metrics.json) each notebook leaves in its run folder, which later notebooks, the
 * design study and `deno task report` read: lib/records's one run-record format, with the
 * experiment's settings.
 *
 * @module
 */
import type { EvaluationReport } from "../metrics/mod.ts";
import type { TrainResult } from "../train/mod.ts";
import {
  buildRunRecord,
  readRunRecord,
  type RunRecord,
  RunRecordError,
  summarizeTraining,
  writeRunRecord,
} from "../records/mod.ts";
import {
  checkName,
  EXPERIMENT_NAMES,
  type ExperimentName,
  type ExperimentSettings,
  experimentSettings,
} from "./settings.ts";

/** The metrics.json of one experiment: a run record with the experiment's settings. */
export interface ExperimentRecord extends RunRecord<ExperimentSettings> {
  /** Experiment name. */
  name: ExperimentName;
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

/** Writes the experiment's metrics.json (atomically) and returns the record. */
export async function saveExperimentRecord(
  settings: ExperimentSettings,
  contents: RecordContents,
): Promise<ExperimentRecord> {
  const record = buildRunRecord({
    name: settings.name,
    title: settings.title,
    quick: settings.quick,
    settings,
    training: summarizeTraining(contents.result, contents.backend),
    evaluation: contents.evaluation,
    ...(contents.extra ? { extra: contents.extra } : {}),
  });
  const experimentRecord: ExperimentRecord = { ...record, name: settings.name };
  await writeRunRecord(settings.runDirectory, experimentRecord);
  return experimentRecord;
}

/**
 * Reads an experiment's metrics.json; undefined when that run has not been made yet.
 *
 * @throws RunRecordError when the file exists but is not this experiment's run record (naming
 *   the file and the fix).
 */
export async function loadExperimentRecord(
  name: ExperimentName,
  options: { quick?: boolean } = {},
): Promise<ExperimentRecord | undefined> {
  const settings = experimentSettings(name, options);
  const record = await readRunRecord(settings.metricsFile);
  if (record === undefined) return undefined;
  if (record.name !== name) {
    throw new RunRecordError(
      settings.metricsFile,
      `${settings.metricsFile} is the record of "${record.name}", not of the ${name} ` +
        `experiment: re-run ${settings.notebook} to write its own.`,
    );
  }
  return record as ExperimentRecord;
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

/**
 * The records of all four experiments, in notebook order.
 *
 * @throws Error naming the first experiment whose record is missing and the notebook to run.
 */
export async function loadAllExperimentRecords(
  options: { quick?: boolean } = {},
): Promise<ExperimentRecord[]> {
  const records: ExperimentRecord[] = [];
  for (const name of EXPERIMENT_NAMES) {
    const record = await loadExperimentRecord(name, options);
    if (!record) {
      const settings = experimentSettings(name, options);
      throw new Error(
        `No record of the ${name} experiment in ${settings.runDirectory}: run ` +
          `${settings.notebook} first.`,
      );
    }
    records.push(record);
  }
  return records;
}
