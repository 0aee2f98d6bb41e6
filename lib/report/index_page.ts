/**
 * The reports' index page: one row per notebook with links to its HTML, PDF and notebook, the
 * headline metrics of its run record (lib/records), and the wall times the report run measured
 * (timings.json, ./timings.ts): each notebook's, the design study's and the whole run's.
 *
 * @module
 */
import { basename } from "node:path";
import { escapeHtml, formatNumber } from "../format/mod.ts";
import { readRunRecord, type RunRecord } from "../records/mod.ts";
import type { ReportTimings } from "./timings.ts";

/** Headline metrics of one notebook's run, for the index (all optional). */
export interface HeadlineMetrics {
  /** Trainable parameters. */
  parameters?: number;
  /** Mean seconds per training epoch. */
  secondsPerEpoch?: number;
  /** Test MSE per pixel. */
  mse?: number;
  /** Test PSNR, dB. */
  psnr?: number;
  /** Test SSIM. */
  ssim?: number;
  /** k-NN accuracy of the latent codes. */
  knnAccuracy?: number;
  /** VAE: negative ELBO, nats per image. */
  negativeElbo?: number;
  /** Whether the run was a quick one (KMNIST_QUICK=1). */
  quick?: boolean;
}

/** The headline metrics of a run record (k-NN accuracy as a fraction). */
export function headlineMetrics(record: RunRecord): HeadlineMetrics {
  const e = record.evaluation;
  const finite = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v : undefined);
  return {
    parameters: e.parameters,
    secondsPerEpoch: finite(record.training.secondsPerEpoch),
    mse: e.mse,
    psnr: e.psnr,
    ssim: e.ssim,
    knnAccuracy: e.knn?.accuracy,
    negativeElbo: e.vae?.negativeElbo,
    quick: record.quick,
  };
}

/**
 * Reads the headline metrics of a run record (metrics.json, lib/records's format); undefined when
 * the file does not exist.
 *
 * @throws RunRecordError for a file of another format, naming it and the fix.
 */
export async function readHeadlineMetrics(file: string): Promise<HeadlineMetrics | undefined> {
  const record = await readRunRecord(file);
  return record ? headlineMetrics(record) : undefined;
}

/** One line of the index. */
export interface IndexEntry {
  /** Notebook name without extension, e.g. "01_vanilla". */
  name: string;
  /** Title (the notebook's first heading). */
  title: string;
  /** HTML report file name, relative to the index. */
  html: string;
  /** PDF report file name, relative to the index. */
  pdf: string;
  /** Notebook file, relative to the index (or absolute). */
  notebook: string;
  /** Headline metrics, when the run saved them. */
  metrics?: HeadlineMetrics;
  /** Seconds the notebook took to execute. */
  seconds: number;
}

function format(value: number | undefined, digits: number, scale = 1): string {
  return value === undefined ? "" : formatNumber(value * scale, { decimals: digits });
}

/** Seconds as "m:ss" (or "h:mm:ss"). */
function clock(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return `${h > 0 ? `${h}:${String(m).padStart(2, "0")}` : m}:${String(r).padStart(2, "0")}`;
}

/** Whether a notebook runs the design study (notebooks/06_design_space.ipynb). */
function isStudyNotebook(name: string): boolean {
  return /(^|_)(design_space|study)$/.test(name);
}

/** The parts of a set of notebook times: the design study's, all notebooks', the explorer's. */
function timedParts(
  notebooks: Record<string, { executeSeconds: number }>,
  explorerSeconds: number | undefined,
): string[] {
  const parts: string[] = [];
  for (const [name, t] of Object.entries(notebooks)) {
    if (isStudyNotebook(name)) {
      parts.push(`the design study (${name}) ${clock(t.executeSeconds)} to execute`);
    }
  }
  const executed = Object.values(notebooks).reduce((a, t) => a + t.executeSeconds, 0);
  if (Object.keys(notebooks).length > 0) parts.push(`all notebooks' execution ${clock(executed)}`);
  if (explorerSeconds !== undefined) parts.push(`the latent explorer ${clock(explorerSeconds)}`);
  return parts;
}

function runPart(run: { startedAt: string; notebooks: number; seconds: number }): string {
  return `the whole report run ${clock(run.seconds)} (started ${run.startedAt}, ${run.notebooks} ` +
    `notebook${run.notebooks === 1 ? "" : "s"}, exports and explorer included)`;
}

/**
 * The paragraphs of wall times from timings.json ("" without a timings file). With a run from an
 * empty runs/ folder on record, its times come first (the table shows them) and a later run that
 * re-used saved models is named as such; otherwise the last run's times.
 */
export function timingsParagraph(timings: ReportTimings | undefined): string {
  if (!timings) return "";
  const scratch = timings.fromScratch;
  const run = timings.lastRun;
  if (scratch) {
    const parts = [
      runPart({
        startedAt: scratch.startedAt,
        notebooks: Object.keys(scratch.notebooks).length,
        seconds: scratch.seconds,
      }),
      ...timedParts(scratch.notebooks, scratch.explorerSeconds),
    ];
    let text = `<p>Wall times of the last complete run from an empty runs/ folder, every model ` +
      `trained (timings.json; the table shows these): ${escapeHtml(parts.join("; "))}.</p>`;
    if (run && run.startedAt !== scratch.startedAt && run.seconds !== undefined) {
      text += `\n<p>${
        escapeHtml(
          `The last run (started ${run.startedAt}, ${run.notebooks.length} notebook` +
            `${run.notebooks.length === 1 ? "" : "s"}) took ${clock(run.seconds)}` +
            (run.fromEmptyRuns === false
              ? "; it re-used the models saved in runs/, so its times are not those of a run " +
                "from nothing."
              : "."),
        )
      }</p>`;
    }
    return text;
  }
  const parts: string[] = [];
  if (run?.seconds !== undefined) {
    parts.push(
      runPart({ startedAt: run.startedAt, notebooks: run.notebooks.length, seconds: run.seconds }),
    );
  }
  parts.push(...timedParts(timings.notebooks, timings.explorerSeconds));
  if (parts.length === 0) return "";
  const reused = run?.fromEmptyRuns === false
    ? " That run re-used models saved in runs/: these are not the times of a run from nothing."
    : "";
  return `<p>Wall times measured by the report run (timings.json): ${
    escapeHtml(parts.join("; "))
  }. A notebook's time is that of the last run that executed it.${escapeHtml(reused)}</p>`;
}

/** The index page: one row per report with its headline metrics and wall time. */
export function indexHtml(
  entries: IndexEntry[],
  options: { quick: boolean; explorer?: string; timings?: ReportTimings },
): string {
  const rows = entries.map((e) => {
    const m = e.metrics ?? {};
    const timed = options.timings?.fromScratch?.notebooks[e.name] ??
      options.timings?.notebooks[e.name];
    const seconds = timed?.executeSeconds ?? e.seconds;
    return `<tr><td><a href="${escapeHtml(e.html)}">${escapeHtml(e.title)}</a></td>` +
      `<td><a href="${escapeHtml(e.html)}">HTML</a> · <a href="${escapeHtml(e.pdf)}">PDF</a> · ` +
      `<a href="${escapeHtml(e.notebook)}">notebook</a></td>` +
      `<td class="n">${
        m.parameters === undefined ? "" : formatNumber(m.parameters, { decimals: 0 })
      }</td>` +
      `<td class="n">${format(m.secondsPerEpoch, 1)}</td><td class="n">${format(m.mse, 4)}</td>` +
      `<td class="n">${format(m.psnr, 2)}</td><td class="n">${format(m.ssim, 3)}</td>` +
      `<td class="n">${format(m.knnAccuracy, 1, 100)}</td>` +
      `<td class="n">${format(m.negativeElbo, 1)}</td>` +
      `<td class="n">${clock(seconds)}</td></tr>`;
  }).join("\n");
  const mode = options.quick
    ? "Quick mode (KMNIST_QUICK=1: a few thousand images, one epoch): a smoke test, not results."
    : "Full runs (settings in lib/experiments/settings.ts).";
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>kmnist-autoencoders reports</title>
<style>
body { font-family: "DejaVu Sans", sans-serif; margin: 2em; }
table { border-collapse: collapse; } th, td { padding: 4px 10px; border-bottom: 1px solid #ccc; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
</style></head><body>
<h1>kmnist-autoencoders: reports</h1>
<p>${escapeHtml(mode)} Generated ${new Date().toISOString()} by <code>deno task report</code>.</p>
<table>
<tr><th>notebook</th><th>report</th><th>parameters</th><th>s / epoch</th><th>test MSE</th>
<th>PSNR (dB)</th><th>SSIM</th><th>k-NN acc. (%)</th><th>−ELBO (nats)</th><th>run (m:ss)</th></tr>
${rows}
</table>
${timingsParagraph(options.timings)}
${options.explorer ?? ""}
<p>Metrics: test set (10,000 images in full runs). Empty cells: not measured by that notebook.</p>
</body></html>
`;
}

/** The notebook's title: its first markdown heading, else its file name. */
export async function notebookTitle(notebook: string): Promise<string> {
  const json = JSON.parse(await Deno.readTextFile(notebook));
  for (const cell of json.cells ?? []) {
    if (cell.cell_type !== "markdown") continue;
    const source = Array.isArray(cell.source) ? cell.source.join("") : String(cell.source);
    const heading = source.match(/^#\s+(.+)$/m);
    if (heading) return heading[1].trim();
  }
  return basename(notebook, ".ipynb");
}
