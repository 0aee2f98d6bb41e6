/**
 * Checking a run record read from disk: the right format, the fields every reader relies on, and
 * a clear error for anything else (naming the file, what it holds, and how to rewrite it).
 *
 * @module
 */
import { displayPath } from "../io/mod.ts";
import { RUN_RECORD_FORMAT, RUN_RECORD_VERSION, type RunRecord } from "./format.ts";

/** An error reading a run record: the message names the file and the fix. */
export class RunRecordError extends Error {
  /** The file concerned. */
  readonly file: string;

  /** An error about `file`. */
  constructor(file: string, message: string) {
    super(message);
    this.name = "RunRecordError";
    this.file = file;
  }
}

const REWRITE = "re-run its notebook, or `deno task train --evaluate-only --out <its folder>` " +
  "for a run of `deno task train`, to write it again";

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function missing(record: Record<string, unknown>): string[] {
  const out: string[] = [];
  const need = (
    where: Record<string, unknown>,
    key: string,
    type: "string" | "number" | "boolean",
    prefix = "",
  ) => {
    const actual: string = typeof where[key];
    if (actual !== type) out.push(`${prefix}${key} (${type})`);
  };
  need(record, "name", "string");
  need(record, "title", "string");
  need(record, "quick", "boolean");
  need(record, "savedAt", "string");
  if (!isObject(record.settings)) out.push("settings (object)");
  if (!isObject(record.training)) out.push("training (object)");
  else {
    need(record.training, "epochs", "number", "training.");
    need(record.training, "backend", "string", "training.");
    if (!Array.isArray(record.training.history)) out.push("training.history (array)");
  }
  if (!isObject(record.evaluation)) out.push("evaluation (object)");
  else {
    for (const key of ["parameters", "testImages", "mse", "bce", "psnr", "ssim"]) {
      need(record.evaluation, key, "number", "evaluation.");
    }
  }
  return out;
}

/**
 * Parses and checks a run record's text.
 *
 * @param file where the text came from (for the error message).
 * @throws RunRecordError for text that is not JSON, a file of another format (the flat metrics of
 *   older `deno task train` runs, a study trial record, ...), a newer version, or missing fields.
 */
export function parseRunRecord(file: string, text: string): RunRecord {
  const shown = displayPath(file);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RunRecordError(
      file,
      `${shown} is corrupt (not JSON: ${(error as Error).message}): ${REWRITE}.`,
    );
  }
  if (!isObject(value)) {
    throw new RunRecordError(file, `${shown} is not a run record (not a JSON object): ${REWRITE}.`);
  }
  if (value.format === undefined && typeof value.mse === "number") {
    throw new RunRecordError(
      file,
      `${shown} holds flat test metrics (the format older \`deno task train\` runs wrote), not a ` +
        `"${RUN_RECORD_FORMAT}" run record: rewrite it with \`deno task train --evaluate-only ` +
        `--out <its folder>\` (the checkpoint is re-evaluated; training is untouched).`,
    );
  }
  if (value.format !== RUN_RECORD_FORMAT) {
    throw new RunRecordError(
      file,
      `${shown} is not a run record (format ${JSON.stringify(value.format)}, expected ` +
        `"${RUN_RECORD_FORMAT}"): move it out of the run folder, or ${REWRITE}.`,
    );
  }
  const version = value.version ?? 1;
  if (version !== RUN_RECORD_VERSION) {
    throw new RunRecordError(
      file,
      `${shown} is a version ${JSON.stringify(version)} run record; this code reads version ` +
        `${RUN_RECORD_VERSION}: update the project, or ${REWRITE}.`,
    );
  }
  const absent = missing(value);
  if (absent.length > 0) {
    throw new RunRecordError(
      file,
      `${shown} is an incomplete run record (missing or mistyped: ${absent.join(", ")}): ` +
        `${REWRITE}.`,
    );
  }
  return value as unknown as RunRecord;
}
