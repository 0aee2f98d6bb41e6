/**
 * The report run's wall times, kept in `timings.json` beside the reports (written atomically after
 * each notebook, so a failed run keeps the times of the notebooks that finished): per notebook the
 * seconds its execution and its export took, with when it ran; the explorer's seconds; and the
 * last whole run's seconds. The index page reads it. A run with `--only` updates the notebooks it
 * ran and keeps the others' earlier times (each says when it ran).
 *
 * A run that re-uses saved models (runs/ held checkpoints when it started) is much faster than a
 * run from nothing, so the last run's times alone would mislead: each run records whether runs/
 * was empty at its start, and the last complete run from an empty runs/ (every notebook) is kept
 * apart as `fromScratch`, untouched by later runs that re-use its checkpoints.
 *
 * @module
 */
import { join } from "node:path";
import { displayPath, writeJsonAtomic } from "../io/mod.ts";

/** The timings file's name in the reports folder. */
export const TIMINGS_FILE = "timings.json";

/** The `format` field of a timings file. */
export const TIMINGS_FORMAT = "kmnist-report-timings";

/** One notebook's times in the last report run that executed it. */
export interface NotebookTiming {
  /** Wall seconds of executing every cell through the kernel. */
  executeSeconds: number;
  /** Wall seconds of the HTML and PDF export. */
  exportSeconds?: number;
  /** ISO time it finished. */
  finishedAt: string;
}

/** The contents of timings.json. */
export interface ReportTimings {
  /** Always "kmnist-report-timings". */
  format: typeof TIMINGS_FORMAT;
  /** Format version (1). */
  version: 1;
  /** Whether these are quick-mode runs. */
  quick: boolean;
  /** Per notebook name (e.g. "06_study"). */
  notebooks: Record<string, NotebookTiming>;
  /** Wall seconds of writing the latent explorer, last run. */
  explorerSeconds?: number;
  /**
   * The last run: when it started, which notebooks it ran, whether runs/ was empty at its start
   * (absent in files written before this was recorded), and its wall seconds once it ended.
   */
  lastRun?: { startedAt: string; notebooks: string[]; fromEmptyRuns?: boolean; seconds?: number };
  /** The last complete run of every notebook that started from an empty runs/ folder. */
  fromScratch?: FromScratchRun;
}

/** A complete report run from an empty runs/ folder: every model trained, nothing re-used. */
export interface FromScratchRun {
  /** ISO time it started. */
  startedAt: string;
  /** Its wall seconds, exports and explorer included. */
  seconds: number;
  /** Per notebook, as in {@link ReportTimings.notebooks}. */
  notebooks: Record<string, NotebookTiming>;
  /** Wall seconds of writing the latent explorer. */
  explorerSeconds?: number;
}

/**
 * Whether a runs folder holds nothing a report would re-use: missing, or empty but for the
 * `quick/` folder of quick runs (`ignore`).
 */
export async function runsFolderEmpty(folder: string, ignore: string[] = []): Promise<boolean> {
  try {
    for await (const entry of Deno.readDir(folder)) {
      if (!ignore.includes(entry.name)) return false;
    }
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return true;
    throw error;
  }
}

/**
 * Records a finished run as the from-scratch run when it started from an empty runs/ folder and
 * executed every notebook (`all`); otherwise leaves the earlier from-scratch record as it is.
 */
export function recordFromScratch(timings: ReportTimings, all: readonly string[]): void {
  const run = timings.lastRun;
  if (!run?.fromEmptyRuns || run.seconds === undefined) return;
  if (!all.every((name) => run.notebooks.includes(name))) return;
  timings.fromScratch = {
    startedAt: run.startedAt,
    seconds: run.seconds,
    notebooks: Object.fromEntries(all.map((name) => [name, { ...timings.notebooks[name] }])),
    ...(timings.explorerSeconds !== undefined ? { explorerSeconds: timings.explorerSeconds } : {}),
  };
}

/** The timings file of a reports folder. */
export function timingsFile(outDirectory: string): string {
  return join(outDirectory, TIMINGS_FILE);
}

/** An empty timings record. */
export function emptyTimings(quick: boolean): ReportTimings {
  return { format: TIMINGS_FORMAT, version: 1, quick, notebooks: {} };
}

/**
 * Reads a timings file; undefined when it does not exist.
 *
 * @throws Error naming the file and the fix when it is not JSON or not a timings file.
 */
export async function readReportTimings(file: string): Promise<ReportTimings | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  let value: Partial<ReportTimings> | null;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `${displayPath(file)} is corrupt (not JSON: ${(error as Error).message}): delete it; the ` +
        `next deno task report writes it again.`,
    );
  }
  if (
    value === null || typeof value !== "object" || value.format !== TIMINGS_FORMAT ||
    value.version !== 1 || typeof value.notebooks !== "object" || value.notebooks === null
  ) {
    throw new Error(
      `${displayPath(file)} is not a report timings file (format ${
        JSON.stringify(value && typeof value === "object" ? value.format : undefined)
      }, version 1 expected): delete it; the next deno task report writes it again.`,
    );
  }
  return value as ReportTimings;
}

/** Writes a timings file atomically (a kill leaves the old file or the new one). */
export async function writeReportTimings(file: string, timings: ReportTimings): Promise<void> {
  await writeJsonAtomic(file, timings);
}
