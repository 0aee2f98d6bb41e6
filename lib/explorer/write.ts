/**
 * Writes `reports/explorer.html` (or `reports/quick/explorer.html`): the page with every trained
 * run of the notebooks and, while the page stays under its size limit, the study's trials.
 *
 * @module
 */
import * as path from "node:path";
import { formatNumber } from "../format/mod.ts";
import { loadKmnist } from "../data/mod.ts";
import { displayPath, PROJECT_ROOT, writeTextAtomic } from "../io/mod.ts";
import { checkName, EXPERIMENT_NAMES, isQuickMode } from "../experiments/mod.ts";
import {
  buildExplorerPayload,
  describeRun,
  ExplorerInputError,
  type ExplorerPayload,
  type ExplorerRunSpec,
} from "./data.ts";
import { explorerHtml, MAX_PAGE_BYTES } from "./page.ts";
import { availableRuns, experimentRun } from "./runs.ts";

/** Options of {@link writeExplorer}. */
export interface WriteExplorerOptions {
  /** The page to write (default `reports/explorer.html`, quick mode `reports/quick/explorer.html`). */
  out?: string;
  /** Quick-mode runs (`runs/quick/`); default: `KMNIST_QUICK`. */
  quick?: boolean;
  /**
   * The runs: experiment names ("variational") or run folders. Each must hold a trained model.
   * Default: every trained experiment (the missing ones are named in the page) and the study's
   * trials.
   */
  runs?: (string | ExplorerRunSpec)[];
  /** Test images scattered on the plane (default 1000). */
  testImages?: number;
  /** Training images searched for neighbours (default 1000). */
  trainImages?: number;
  /** Size limit of the page in bytes (default {@link MAX_PAGE_BYTES}, 6,000,000). */
  maxBytes?: number;
  /** Where warnings go (default `console.warn`). */
  warn?: (message: string) => void;
}

/** What {@link writeExplorer} wrote. */
export interface WrittenExplorer {
  /** The page's path. */
  file: string;
  /** Its size in bytes. */
  bytes: number;
  /** The runs it shows. */
  runs: string[];
  /** What it could not show, and why. */
  notes: string[];
}

/**
 * A run given by experiment name ("variational") or by folder (a path), as a run spec. Throws an
 * {@link ExplorerInputError} for a name that is neither.
 */
export function resolveRun(run: string | ExplorerRunSpec, quick: boolean): ExplorerRunSpec {
  if (typeof run !== "string") return run;
  if ((EXPERIMENT_NAMES as readonly string[]).includes(run)) {
    return experimentRun(checkName(run), quick);
  }
  let folder = false;
  try {
    folder = Deno.statSync(run).isDirectory;
  } catch {
    // neither an experiment nor an existing folder
  }
  if (!folder && !run.includes("/") && !run.includes(path.sep)) {
    throw new ExplorerInputError(
      `Unknown run "${run}": give an experiment (${EXPERIMENT_NAMES.join(", ")}) or the path ` +
        `of a run folder (e.g. runs/${run}).`,
    );
  }
  const directory = path.resolve(run);
  return { name: path.basename(directory), directory };
}

/** The page's size in bytes. */
function byteSize(html: string): number {
  return new TextEncoder().encode(html).byteLength;
}

/**
 * Builds the page from trained runs and writes it atomically. Throws an
 * {@link ExplorerInputError} naming the run folder and what to run when a requested run has no
 * model, a model the explorer does not support, or when nothing is trained at all.
 */
export async function writeExplorer(options: WriteExplorerOptions = {}): Promise<WrittenExplorer> {
  const quick = options.quick ?? isQuickMode();
  const warn = options.warn ?? ((message: string) => console.warn(message));
  const out = path.resolve(
    options.out ?? path.join(PROJECT_ROOT, "reports", quick ? "quick" : "", "explorer.html"),
  );
  const maxBytes = options.maxBytes ?? MAX_PAGE_BYTES;
  const notes: string[] = [];
  let specs: ExplorerRunSpec[];
  let trials: ExplorerRunSpec[] = [];
  if (options.runs) {
    specs = options.runs.map((run) => resolveRun(run, quick));
  } else {
    const found = await availableRuns(quick);
    if (found.runs.length === 0 && found.trials.length === 0) {
      throw new ExplorerInputError(
        `No trained run to explore in ${displayPath(path.dirname(found.missing[0].directory))}/: ` +
          `run the notebooks first (deno task report${quick ? " --quick" : ""}), or train one ` +
          `(deno task train --model variational --out ${displayPath(found.missing[3].directory)}).`,
      );
    }
    for (const spec of found.missing) {
      notes.push(
        `${spec.name}: not trained yet (${displayPath(spec.directory)}); ${spec.howToMake}.`,
      );
    }
    specs = found.runs;
    trials = found.trials;
  }
  const data = await loadKmnist();
  const payload: ExplorerPayload = await buildExplorerPayload({
    data,
    runs: specs,
    testImages: options.testImages,
    trainImages: options.trainImages,
    notes,
  });
  const leftOut: string[] = [];
  for (const trial of trials) {
    try {
      const run = await describeRun(trial, data, {
        test: payload.test.count,
        train: payload.train.count,
      });
      payload.runs.push(run);
      const bigger = await explorerHtml(payload);
      if (byteSize(bigger) > maxBytes) {
        payload.runs.pop();
        leftOut.push(trial.name);
      }
    } catch (error) {
      if (!(error instanceof ExplorerInputError)) throw error;
      notes.push(error.message);
    }
  }
  if (leftOut.length > 0) notes.push(leftOutNote(leftOut, trials.length, maxBytes));
  const html = await explorerHtml(payload);
  const bytes = byteSize(html);
  if (bytes > maxBytes) {
    throw new ExplorerInputError(
      `The explorer page would be ${bytes} bytes, over the limit of ${maxBytes}: show fewer runs ` +
        `(--run NAME) or fewer images (--test-images, --train-images).`,
    );
  }
  for (const note of notes) warn(`explorer: ${note}`);
  await Deno.mkdir(path.dirname(out), { recursive: true });
  await writeTextAtomic(out, html);
  return { file: out, bytes, runs: payload.runs.map((r) => r.name), notes };
}

/**
 * One line for the study trials that did not fit the page: how many, which first, and how to
 * choose the runs shown.
 */
export function leftOutNote(names: readonly string[], trials: number, maxBytes: number): string {
  const shown = names.slice(0, 3).join(", ") + (names.length > 3 ? ", ..." : "");
  return `${names.length} of ${trials} study trials left out (${shown}): the page would exceed ` +
    `${formatNumber(maxBytes / 1e6, { significant: 3 })} MB; choose the runs to show with ` +
    `deno task explorer --run NAME_OR_FOLDER (repeatable).`;
}

/** Options of {@link writeReportExplorer}. */
export interface ReportExplorerOptions {
  /** The reports' folder: the page goes to `explorer.html` in it. */
  outDirectory: string;
  /** Quick-mode runs (`runs/quick/`). */
  quick: boolean;
  /** Where notes go (default `console.warn`). */
  warn?: (message: string) => void;
}

/**
 * What `deno task report` calls after the notebooks: selects the default backend, writes
 * `explorer.html` beside the reports from every trained run, and returns what it wrote; when no
 * run is trained (or a run cannot be shown) it says why through `warn` and returns undefined, so
 * that the reports themselves never fail because of the explorer.
 */
export async function writeReportExplorer(
  options: ReportExplorerOptions,
): Promise<WrittenExplorer | undefined> {
  const warn = options.warn ?? ((message: string) => console.warn(message));
  try {
    return await writeExplorer({
      out: path.join(options.outDirectory, "explorer.html"),
      quick: options.quick,
      warn,
    });
  } catch (error) {
    if (!(error instanceof ExplorerInputError)) throw error;
    warn(`explorer: not written: ${error.message}`);
    return undefined;
  }
}

/** The index page's paragraph linking the explorer (empty when it was not written). */
export function explorerLinkHtml(written: WrittenExplorer | undefined): string {
  if (!written) return "";
  const mb = formatNumber(written.bytes / 1e6, { decimals: 1 });
  return `<p><a href="explorer.html">Latent explorer</a> (${mb} MB, works offline): the ` +
    `trained decoders run in your browser. Move through the VAE's latent plane, interpolate ` +
    `between test images of ${written.runs.join(", ")}.</p>`;
}
