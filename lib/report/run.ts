/**
 * `deno task report`: every notebook executed through the Deno kernel and exported as HTML and PDF,
 * the latent explorer, and the index page.
 *
 * @module
 */
import { basename, join, relative, resolve } from "node:path";
import { initBackend } from "@kmnist/tfjs-blas";
import { explorerLinkHtml, writeReportExplorer } from "../explorer/mod.ts";
import { copyFileAtomic, PROJECT_ROOT, writeTextAtomic } from "../io/mod.ts";
import { formatNumber } from "../format/mod.ts";
import { runRecordFile } from "../records/mod.ts";
import { executeNotebook } from "./execute.ts";
import { exportHtml, pdfPageCount, printPdf } from "./export.ts";
import { type IndexEntry, indexHtml, notebookTitle, readHeadlineMetrics } from "./index_page.ts";
import {
  emptyTimings,
  readReportTimings,
  recordFromScratch,
  runsFolderEmpty,
  timingsFile,
  writeReportTimings,
} from "./timings.ts";

/** Options for {@link runReport}. */
export interface ReportOptions {
  /** Quick mode: KMNIST_QUICK=1, notebooks and reports saved under `outDirectory` only. */
  quick?: boolean;
  /** Only these notebooks (names with or without .ipynb); default all in `notebooksDirectory`. */
  only?: string[];
  /** Folder of the notebooks (default notebooks/). */
  notebooksDirectory?: string;
  /** Where reports go (default reports/, or reports/quick/ in quick mode). */
  outDirectory?: string;
  /** Where metrics.json files are looked up, per notebook name (default: from lib/experiments). */
  metricsFile?: (name: string, quick: boolean) => string | undefined;
  /**
   * Per-cell timeout, seconds (default {@link FULL_CELL_TIMEOUT_SECONDS}: notebook 06's study cell
   * trains the whole grid from nothing on a fresh machine; quick mode
   * {@link QUICK_CELL_TIMEOUT_SECONDS}).
   */
  cellTimeoutSeconds?: number;
  /** Echo execution progress (default true). */
  echo?: boolean;
  /**
   * The folder whose emptiness at the start marks a run from scratch (default runs/, or
   * runs/quick/ in quick mode).
   */
  runsDirectory?: string;
}

/**
 * A full run's per-cell timeout: three hours. The design study's cell trains every trial on a
 * fresh machine (about an hour on 2 cores), and a timeout exists to end a hung kernel, not a slow
 * grid.
 */
export const FULL_CELL_TIMEOUT_SECONDS = 3 * 3600;

/** Quick mode's per-cell timeout: 30 minutes (every quick cell takes seconds). */
export const QUICK_CELL_TIMEOUT_SECONDS = 1800;

/** Default metrics location: runs/<model>/metrics.json (runs/quick/<model>/ in quick mode). */
export function defaultMetricsFile(name: string, quick: boolean): string | undefined {
  const model = name.replace(/^\d+_/, "");
  if (model === "comparison") return undefined;
  return runRecordFile(join(PROJECT_ROOT, "runs", ...(quick ? ["quick"] : []), model));
}

/** The folders and notebook names a report works on, from its options. */
async function reportPlan(options: ReportOptions): Promise<{
  quick: boolean;
  notebooksDirectory: string;
  outDirectory: string;
  all: string[];
  names: string[];
}> {
  const quick = options.quick ?? false;
  const notebooksDirectory = resolve(options.notebooksDirectory ?? join(PROJECT_ROOT, "notebooks"));
  const outDirectory = resolve(
    options.outDirectory ?? join(PROJECT_ROOT, "reports", ...(quick ? ["quick"] : [])),
  );
  const all: string[] = [];
  for await (const entry of Deno.readDir(notebooksDirectory)) {
    if (entry.isFile && entry.name.endsWith(".ipynb")) all.push(entry.name.slice(0, -6));
  }
  all.sort();
  const wanted = (options.only ?? []).map((n) => basename(n).replace(/\.ipynb$/, ""));
  for (const name of wanted) {
    if (!all.includes(name)) {
      throw new Error(
        `report: no notebook ${name}.ipynb in ${notebooksDirectory}; have ${all.join(", ")}`,
      );
    }
  }
  const names = wanted.length ? all.filter((n) => wanted.includes(n)) : all;
  if (names.length === 0) throw new Error(`report: no notebooks in ${notebooksDirectory}`);
  return { quick, notebooksDirectory, outDirectory, all, names };
}

/** Exports an executed notebook to `html` and prints it to `pdf`; returns the PDF's page count. */
async function exportNotebook(notebook: string, html: string, pdf: string): Promise<number> {
  await exportHtml(notebook, html);
  await printPdf(html, pdf);
  const pages = await pdfPageCount(pdf);
  if (pages < 1) throw new Error(`report: ${pdf} has no pages`);
  return pages;
}

/**
 * Code cells of a notebook file that were never executed (no execution count), for the export-only
 * mode, which must never export a notebook without its outputs.
 */
export async function unexecutedCells(notebook: string): Promise<number> {
  const json = JSON.parse(await Deno.readTextFile(notebook));
  return (json.cells ?? []).filter((c: { cell_type: string; execution_count?: number | null }) =>
    c.cell_type === "code" && (c.execution_count === null || c.execution_count === undefined)
  ).length;
}

/**
 * `deno task report --export-only`: exports the notebooks as they were last executed (full mode:
 * notebooks/NAME.ipynb; quick mode: the output folder's copy) to NAME.html and NAME.pdf again,
 * executing nothing, so a fix to a markdown cell's text keeps the full run's outputs. Timings,
 * explorer and index are left as the last run wrote them. Returns the HTML files written.
 *
 * @throws Error naming the notebook and the command to run first, when a notebook has a code cell
 * that was never executed (or, in quick mode, no executed copy).
 */
export async function exportReports(options: ReportOptions = {}): Promise<string[]> {
  const { quick, notebooksDirectory, outDirectory, names } = await reportPlan(options);
  const sources = names.map((name) =>
    join(quick ? outDirectory : notebooksDirectory, `${name}.ipynb`)
  );
  // Every notebook is checked before anything is written.
  for (const [i, source] of sources.entries()) {
    const missing = await unexecutedCells(source).catch((error) => {
      if (error instanceof Deno.errors.NotFound) return -1;
      throw error;
    });
    if (missing !== 0) {
      throw new Error(
        `report --export-only: ${relative(Deno.cwd(), source)} ${
          missing < 0 ? "does not exist" : `has ${missing} code cells never executed`
        }; execute it first: deno task report${quick ? " --quick" : ""} --only ${names[i]}`,
      );
    }
  }
  await Deno.mkdir(outDirectory, { recursive: true });
  const written: string[] = [];
  for (const [i, source] of sources.entries()) {
    const html = join(outDirectory, `${names[i]}.html`);
    const pdf = join(outDirectory, `${names[i]}.pdf`);
    const pages = await exportNotebook(source, html, pdf);
    console.error(
      `report: exported ${relative(Deno.cwd(), source)} to ${relative(Deno.cwd(), html)}, ` +
        `${relative(Deno.cwd(), pdf)} (${pages} pages), executing nothing`,
    );
    written.push(html);
  }
  return written;
}

/**
 * Executes the notebooks and writes NAME.html, NAME.pdf and index.html. Throws at the first
 * notebook that fails (the message names it, the cell and the error).
 */
export async function runReport(options: ReportOptions = {}): Promise<IndexEntry[]> {
  const { quick, notebooksDirectory, outDirectory, all, names } = await reportPlan(options);
  await Deno.mkdir(outDirectory, { recursive: true });
  const metricsFile = options.metricsFile ?? defaultMetricsFile;
  const entries: IndexEntry[] = [];
  // The wall times persist in timings.json: after each notebook (a failed run keeps the finished
  // ones' times), the explorer, and the whole run at the end.
  const runStarted = performance.now();
  const timingsPath = timingsFile(outDirectory);
  const previous = await readReportTimings(timingsPath).catch((error) => {
    console.error(`report: ${(error as Error).message} Starting a new one.`);
    return undefined;
  });
  const timings = previous && previous.quick === quick ? previous : emptyTimings(quick);
  const runsDirectory = options.runsDirectory ??
    join(PROJECT_ROOT, "runs", ...(quick ? ["quick"] : []));
  timings.lastRun = {
    startedAt: new Date().toISOString(),
    notebooks: names,
    fromEmptyRuns: await runsFolderEmpty(runsDirectory, quick ? [] : ["quick"]),
  };
  await writeReportTimings(timingsPath, timings);
  for (const name of names) {
    const source = join(notebooksDirectory, `${name}.ipynb`);
    // Quick runs never touch the committed notebooks. Full runs replace the notebook only once
    // every cell has run; a failed run is kept beside the reports for inspection.
    const executed = quick ? join(outDirectory, `${name}.ipynb`) : source;
    const runOutput = quick ? executed : join(outDirectory, `${name}.running.ipynb`);
    console.error(`report: running ${relative(Deno.cwd(), source)}${quick ? " (quick)" : ""}`);
    const result = await executeNotebook({
      notebook: source,
      output: runOutput,
      cwd: notebooksDirectory,
      env: quick ? { KMNIST_QUICK: "1" } : {},
      cellTimeoutSeconds: options.cellTimeoutSeconds ??
        (quick ? QUICK_CELL_TIMEOUT_SECONDS : FULL_CELL_TIMEOUT_SECONDS),
      echo: options.echo ?? true,
    });
    if (!result.success) {
      let kept = runOutput;
      if (!quick) {
        kept = join(outDirectory, `${name}.failed.ipynb`);
        await Deno.rename(runOutput, kept).catch(() => {});
      }
      const lastLine = result.stderr.trim().split("\n").filter((l) => l.includes("failed")).at(-1);
      throw new Error(
        `report: ${name} failed: ${lastLine ?? result.stderr.trim()}\n` +
          `(the partly executed notebook is in ${relative(Deno.cwd(), kept)})`,
      );
    }
    if (!quick) await copyFileAtomic(runOutput, executed).then(() => Deno.remove(runOutput));
    const html = join(outDirectory, `${name}.html`);
    const pdf = join(outDirectory, `${name}.pdf`);
    const exportStarted = performance.now();
    const pages = await exportNotebook(executed, html, pdf);
    timings.notebooks[name] = {
      executeSeconds: result.seconds,
      exportSeconds: (performance.now() - exportStarted) / 1000,
      finishedAt: new Date().toISOString(),
    };
    await writeReportTimings(timingsPath, timings);
    const metricsPath = metricsFile(name, quick);
    entries.push({
      name,
      title: await notebookTitle(executed),
      html: `${name}.html`,
      pdf: `${name}.pdf`,
      notebook: relative(outDirectory, executed),
      metrics: metricsPath ? await readHeadlineMetrics(metricsPath) : undefined,
      seconds: result.seconds,
    });
    console.error(
      `report: ${name}: ran in ${formatNumber(result.seconds, { decimals: 0 })} s; ${
        relative(Deno.cwd(), html)
      }, ` +
        `${relative(Deno.cwd(), pdf)} (${pages} pages)`,
    );
  }
  // The latent explorer from the runs the notebooks just trained (a warning when there are none).
  await initBackend();
  const explorerStarted = performance.now();
  const explorer = await writeReportExplorer({ outDirectory, quick });
  timings.explorerSeconds = (performance.now() - explorerStarted) / 1000;
  if (explorer) {
    const megabytes = formatNumber(explorer.bytes / 1e6, { decimals: 1 });
    console.error(`report: ${relative(Deno.cwd(), explorer.file)} (${megabytes} MB)`);
  }
  const index = join(outDirectory, "index.html");
  timings.lastRun.seconds = (performance.now() - runStarted) / 1000;
  recordFromScratch(timings, all);
  await writeReportTimings(timingsPath, timings);
  console.error(
    `report: ${relative(Deno.cwd(), timingsPath)} (this run: ${
      formatNumber(timings.lastRun.seconds / 60, { decimals: 1 })
    } min)`,
  );
  await writeTextAtomic(
    index,
    indexHtml(entries, {
      quick,
      explorer: explorerLinkHtml(explorer),
      timings: await readReportTimings(timingsPath),
    }),
  );
  console.error(`report: ${relative(Deno.cwd(), index)}`);
  return entries;
}
