/**
 * Runs every notebook through the Deno kernel and exports each as an HTML and a PDF report.
 *
 *     npx -y deno@2.9.6 task report                 # full runs: notebooks saved in place, reports/
 *     npx -y deno@2.9.6 task report --quick         # KMNIST_QUICK=1, into reports/quick/ only
 *     npx -y deno@2.9.6 task report --only 03_convolutional --only 05_comparison
 *     npx -y deno@2.9.6 task report --out /tmp/r    # reports (and, with --quick, notebooks) there
 *
 * Per notebook `notebooks/NAME.ipynb`: tools/execute_notebook.py executes it (full mode: saved in
 * place, so committed notebooks carry their outputs; quick mode: saved to the output folder, so the
 * committed notebooks are never touched), `jupyter nbconvert --to html` exports `NAME.html` (images
 * inline), headless chromium prints it to `NAME.pdf`, and the PDF is checked (pdfinfo: pages > 0).
 * Last, `index.html` links the reports with headline metrics read from the runs' metrics.json
 * files (see lib/experiments/mod.ts), when present. Notebooks run in file-name order (05_comparison
 * reads what 01-04 saved). Stops at the first failing notebook, naming it and the cell.
 *
 * @module
 */
import { basename, dirname, join, relative, resolve } from "node:path";
import { initBackend } from "@kmnist/tfjs-blas";
import { explorerLinkHtml, writeReportExplorer } from "../lib/explorer/mod.ts";
import { copyFileAtomic, PROJECT_ROOT, readTextIfExists, writeTextAtomic } from "../lib/io/mod.ts";
import { formatNumber } from "../lib/format/number_format.ts";
import { exitIfInterrupted, interruptible } from "../lib/train/mod.ts";

/** Project root (the folder holding deno.json). */
export { PROJECT_ROOT };

/** The Python interpreter with Debian's jupyter_client and nbformat. */
export const PYTHON = "/usr/bin/python3";

const decoder = new TextDecoder();

/** Options for {@link executeNotebook}. */
export interface ExecuteNotebookOptions {
  /** The .ipynb to run. */
  notebook: string;
  /** Where to save the executed notebook (default: in place). */
  output?: string;
  /** Kernel working directory (default: the notebook's folder). */
  cwd?: string;
  /** Extra environment variables for the kernel (the rest of the environment passes through). */
  env?: Record<string, string>;
  /** Per-cell timeout in seconds (default 1800). */
  cellTimeoutSeconds?: number;
  /** Echo execute_notebook.py's progress lines to stderr while it runs (default false). */
  echo?: boolean;
}

/** Outcome of {@link executeNotebook}. */
export interface ExecuteNotebookResult {
  /** True when every cell ran without error. */
  success: boolean;
  /** execute_notebook.py's exit code (0 ok, 1 a cell failed, 2 bad arguments). */
  code: number;
  /** Its stderr: progress lines and, on failure, the notebook, cell and error. */
  stderr: string;
  /** Wall seconds. */
  seconds: number;
}

/**
 * Executes a notebook through the real Deno kernel with tools/execute_notebook.py. Unless the
 * caller sets `KMNIST_DENO`, the kernel runs the deno binary running this code.
 */
export async function executeNotebook(
  options: ExecuteNotebookOptions,
): Promise<ExecuteNotebookResult> {
  const args = [join(PROJECT_ROOT, "tools", "execute_notebook.py"), options.notebook];
  if (options.output) args.push("--output", options.output);
  if (options.cwd) args.push("--cwd", options.cwd);
  args.push("--timeout", String(options.cellTimeoutSeconds ?? 1800));
  const started = performance.now();
  const child = new Deno.Command(PYTHON, {
    args,
    env: { KMNIST_DENO: Deno.env.get("KMNIST_DENO") ?? Deno.execPath(), ...options.env },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  for await (const chunk of child.stderr) {
    const text = decoder.decode(chunk, { stream: true });
    stderr += text;
    if (options.echo) Deno.stderr.writeSync(chunk);
  }
  const status = await child.status;
  return {
    success: status.success,
    code: status.code,
    stderr,
    seconds: (performance.now() - started) / 1000,
  };
}

async function run(command: string, args: string[], what: string): Promise<string> {
  let result: Deno.CommandOutput;
  try {
    result = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
  } catch (error) {
    throw new Error(
      `report: cannot run ${command} for ${what} (${error}); install the Debian packages with ` +
        "bash tools/install_system_deps.sh",
    );
  }
  if (!result.success) {
    throw new Error(
      `report: ${what} failed (${command} exited with ${result.code}):\n` +
        decoder.decode(result.stderr).trim(),
    );
  }
  return decoder.decode(result.stdout);
}

/** Folder of the project's nbconvert templates (`offline`: the lab template without CDN scripts). */
export const TEMPLATE_DIRECTORY: string = join(PROJECT_ROOT, "jupyter", "nbconvert");

/** Extra CSS for printing: wrap long code lines instead of clipping them; A4 pages. */
const PRINT_CSS = `<style>
@page { size: A4; margin: 12mm 10mm; }
@media print {
  pre { white-space: pre-wrap !important; word-break: break-word; }
  .jp-OutputArea-output img { max-width: 100%; height: auto; }
  .jp-Cell { break-inside: auto; }
  .jp-Cell-outputArea, .jp-CodeCell.jp-mod-outputsScrolled .jp-Cell-outputArea,
  .jp-OutputArea-output, .jp-OutputArea-output pre {
    max-height: none !important;
    overflow: visible !important;
  }
  .jp-OutputArea-output img, .jp-RenderedImage { break-inside: avoid; }
}
</style>`;

/**
 * Exports an executed notebook to a standalone HTML file (images inline, no script from the
 * network: the project's `offline` template), atomically.
 */
export async function exportHtml(notebook: string, html: string): Promise<void> {
  const temp = await Deno.makeTempDir({ prefix: "report_html_" });
  try {
    await run("jupyter", [
      "nbconvert",
      "--to",
      "html",
      `--TemplateExporter.extra_template_basedirs=${TEMPLATE_DIRECTORY}`,
      "--template",
      "offline",
      "--output-dir",
      temp,
      "--output",
      "notebook",
      notebook,
    ], `HTML export of ${notebook}`);
    await Deno.mkdir(dirname(html), { recursive: true });
    await copyFileAtomic(join(temp, "notebook.html"), html);
  } finally {
    await Deno.remove(temp, { recursive: true }).catch(() => {});
  }
}

/** The HTML as printed: the report with the print CSS added. */
export function printableHtml(html: string): string {
  return html.includes("</head>")
    ? html.replace("</head>", `${PRINT_CSS}\n</head>`)
    : PRINT_CSS + html;
}

/** Addresses an HTML report would load from the network (script, link, img, iframe sources). */
export function networkReferences(html: string): string[] {
  const found = html.matchAll(
    /<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["']((?:https?:)?\/\/[^"']+)["']/gi,
  );
  return [...new Set([...found].map((m) => m[1]))];
}

/** Prints an HTML report to PDF with headless chromium (offline, A4, print CSS), atomically. */
export async function printPdf(html: string, pdf: string): Promise<void> {
  const profile = await Deno.makeTempDir({ prefix: "report_chromium_" });
  const out = join(profile, "out.pdf");
  const page = join(profile, "page.html");
  try {
    await Deno.writeTextFile(page, printableHtml(await Deno.readTextFile(html)));
    await run("chromium", [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
      "--no-pdf-header-footer",
      "--virtual-time-budget=20000",
      `--user-data-dir=${profile}`,
      `--print-to-pdf=${out}`,
      `file://${page}`,
    ], `PDF printing of ${html}`);
    await Deno.mkdir(dirname(pdf), { recursive: true });
    await copyFileAtomic(out, pdf);
  } finally {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

/** Number of pages of a PDF (pdfinfo). Throws when pdfinfo cannot read it. */
export async function pdfPageCount(pdf: string): Promise<number> {
  const info = await run("pdfinfo", [pdf], `reading ${pdf}`);
  const match = info.match(/^Pages:\s+(\d+)/m);
  if (!match) throw new Error(`report: pdfinfo printed no page count for ${pdf}`);
  return Number(match[1]);
}

/** Renders one page of a PDF to PNG bytes (pdftoppm), at `dpi` (default 50). */
export async function renderPdfPage(pdf: string, page = 1, dpi = 50): Promise<Uint8Array> {
  const temp = await Deno.makeTempDir({ prefix: "report_page_" });
  try {
    const prefix = join(temp, "page");
    await run("pdftoppm", [
      "-png",
      "-r",
      String(dpi),
      "-f",
      String(page),
      "-l",
      String(page),
      "-singlefile",
      pdf,
      prefix,
    ], `rendering page ${page} of ${pdf}`);
    return await Deno.readFile(`${prefix}.png`);
  } finally {
    await Deno.remove(temp, { recursive: true }).catch(() => {});
  }
}

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

function pick(value: unknown, path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function firstNumber(value: unknown, paths: string[][]): number | undefined {
  for (const path of paths) {
    const found = pick(value, path);
    if (typeof found === "number" && Number.isFinite(found)) return found;
  }
  return undefined;
}

/**
 * Reads headline metrics from a metrics JSON file (the format of lib/experiments/mod.ts: training
 * figures beside an `evaluation` report of lib/metrics; flat keys are accepted too). Returns
 * undefined when the file does not exist.
 */
export async function readHeadlineMetrics(file: string): Promise<HeadlineMetrics | undefined> {
  const text = await readTextIfExists(file);
  if (text === undefined) return undefined;
  const json = JSON.parse(text);
  const evaluation = pick(json, ["evaluation"]) ?? json;
  return {
    parameters: firstNumber(json, [["evaluation", "parameters"], ["parameters"]]),
    secondsPerEpoch: firstNumber(json, [["training", "secondsPerEpoch"], ["secondsPerEpoch"]]),
    mse: firstNumber(evaluation, [["mse"]]),
    psnr: firstNumber(evaluation, [["psnr"]]),
    ssim: firstNumber(evaluation, [["ssim"]]),
    knnAccuracy: firstNumber(evaluation, [["knn", "accuracy"], ["knnAccuracy"]]),
    negativeElbo: firstNumber(evaluation, [["vae", "negativeElbo"], ["negativeElbo"]]),
    quick: typeof json.quick === "boolean" ? json.quick : undefined,
  };
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

function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

function format(value: number | undefined, digits: number, scale = 1): string {
  return value === undefined ? "" : formatNumber(value * scale, { decimals: digits });
}

/** The index page: one row per report with its headline metrics. */
export function indexHtml(
  entries: IndexEntry[],
  options: { quick: boolean; explorer?: string },
): string {
  const rows = entries.map((e) => {
    const m = e.metrics ?? {};
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
      `<td class="n">${formatNumber(e.seconds, { decimals: 0 })}</td></tr>`;
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
<th>PSNR (dB)</th><th>SSIM</th><th>k-NN acc. (%)</th><th>−ELBO (nats)</th><th>run (s)</th></tr>
${rows}
</table>
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
  /** Per-cell timeout, seconds (default 3600: a full training cell can take many minutes). */
  cellTimeoutSeconds?: number;
  /** Echo execution progress (default true). */
  echo?: boolean;
}

/** Default metrics location: runs/<model>/metrics.json (runs/quick/<model>/ in quick mode). */
export function defaultMetricsFile(name: string, quick: boolean): string | undefined {
  const model = name.replace(/^\d+_/, "");
  if (model === "comparison") return undefined;
  return join(PROJECT_ROOT, "runs", ...(quick ? ["quick"] : []), model, "metrics.json");
}

/**
 * Executes the notebooks and writes NAME.html, NAME.pdf and index.html. Throws at the first
 * notebook that fails (the message names it, the cell and the error).
 */
export async function runReport(options: ReportOptions = {}): Promise<IndexEntry[]> {
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
  await Deno.mkdir(outDirectory, { recursive: true });
  const metricsFile = options.metricsFile ?? defaultMetricsFile;
  const entries: IndexEntry[] = [];
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
      cellTimeoutSeconds: options.cellTimeoutSeconds ?? 3600,
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
    await exportHtml(executed, html);
    await printPdf(html, pdf);
    const pages = await pdfPageCount(pdf);
    if (pages < 1) throw new Error(`report: ${pdf} has no pages`);
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
      `report: ${name}: ran in ${result.seconds.toFixed(0)} s; ${relative(Deno.cwd(), html)}, ` +
        `${relative(Deno.cwd(), pdf)} (${pages} pages)`,
    );
  }
  // The latent explorer from the runs the notebooks just trained (a warning when there are none).
  await initBackend();
  const explorer = await writeReportExplorer({ outDirectory, quick });
  if (explorer) {
    const megabytes = formatNumber(explorer.bytes / 1e6, { decimals: 1 });
    console.error(`report: ${relative(Deno.cwd(), explorer.file)} (${megabytes} MB)`);
  }
  const index = join(outDirectory, "index.html");
  await writeTextAtomic(index, indexHtml(entries, { quick, explorer: explorerLinkHtml(explorer) }));
  console.error(`report: ${relative(Deno.cwd(), index)}`);
  return entries;
}

function parseArgs(args: string[]): ReportOptions {
  const options: ReportOptions = { only: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--quick") options.quick = true;
    else if (arg === "--only" && i + 1 < args.length) options.only!.push(args[++i]);
    else if (arg.startsWith("--only=")) options.only!.push(arg.slice(7));
    else if (arg === "--out" && i + 1 < args.length) options.outDirectory = args[++i];
    else if (arg === "--notebooks" && i + 1 < args.length) options.notebooksDirectory = args[++i];
    else if (arg === "--cell-timeout" && i + 1 < args.length) {
      options.cellTimeoutSeconds = Number(args[++i]);
    } else {
      throw new Error(
        `report: unknown argument ${arg}; usage: deno task report [--quick] [--only NAME]... ` +
          "[--out DIR] [--notebooks DIR] [--cell-timeout SECONDS]",
      );
    }
  }
  return options;
}

if (import.meta.main) {
  try {
    await interruptible(() => runReport(parseArgs(Deno.args)));
  } catch (error) {
    exitIfInterrupted(
      error,
      "The report is unfinished; files already written are kept. Run the same command again: " +
        `deno task report ${Deno.args.join(" ")}`,
    );
    console.error(error instanceof Error ? error.message : error);
    Deno.exit(1);
  }
}
