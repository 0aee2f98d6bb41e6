/**
 * Reading and writing run records: `metrics.json` in a run folder, written atomically (a kill
 * leaves the old file or none, never half of one) and checked when read.
 *
 * @module
 */
import * as path from "node:path";
import { readTextIfExists, writeJsonAtomic } from "../io/mod.ts";
import {
  type RecordSettings,
  RUN_RECORD_FILE,
  RUN_RECORD_FORMAT,
  RUN_RECORD_VERSION,
  type RunRecord,
} from "./format.ts";
import { parseRunRecord } from "./validate.ts";

/** The record file of a run folder (`<folder>/metrics.json`). */
export function runRecordFile(directory: string): string {
  return path.join(directory, RUN_RECORD_FILE);
}

/** What a new run record holds (the format fields and the time are added). */
export type RunRecordContents<S extends RecordSettings = RecordSettings> = Omit<
  RunRecord<S>,
  "format" | "version" | "savedAt"
>;

/** A run record of the current format and version from its contents, stamped with the time. */
export function buildRunRecord<S extends RecordSettings>(
  contents: RunRecordContents<S>,
): RunRecord<S> {
  return {
    format: RUN_RECORD_FORMAT,
    version: RUN_RECORD_VERSION,
    name: contents.name,
    title: contents.title,
    quick: contents.quick,
    settings: contents.settings,
    training: contents.training,
    evaluation: contents.evaluation,
    ...(contents.extra ? { extra: contents.extra } : {}),
    savedAt: new Date().toISOString(),
  };
}

/**
 * Writes a run record as `<directory>/metrics.json` (creating the folder), atomically; it is
 * checked first, so a record no reader accepts is never written.
 */
export async function writeRunRecord<S extends RecordSettings>(
  directory: string,
  record: RunRecord<S>,
): Promise<RunRecord<S>> {
  const file = runRecordFile(directory);
  parseRunRecord(file, JSON.stringify(record));
  await Deno.mkdir(directory, { recursive: true });
  await writeJsonAtomic(file, record);
  return record;
}

/**
 * Reads and checks a run record: `file` is a metrics.json or a run folder holding one. Undefined
 * when there is no such file (the run has not been made).
 *
 * @throws RunRecordError naming the file, what is wrong and the fix.
 */
export async function readRunRecord(file: string): Promise<RunRecord | undefined> {
  const target = file.endsWith(".json") && !await isDirectory(file) ? file : runRecordFile(file);
  const text = await readTextIfExists(target);
  return text === undefined ? undefined : parseRunRecord(target, text);
}

/** Whether `file` is an existing folder (a run folder may be named like `model.json`). */
async function isDirectory(file: string): Promise<boolean> {
  try {
    return (await Deno.stat(file)).isDirectory;
  } catch {
    return false;
  }
}
