/**
 * Runs every notebook through the Deno kernel and exports each as an HTML and a PDF report.
 *
 *     npx -y deno@2.9.6 task report                 # full runs: notebooks saved in place, reports/
 *     npx -y deno@2.9.6 task report --quick         # KMNIST_QUICK=1, into reports/quick/ only
 *     npx -y deno@2.9.6 task report --only 03_convolutional --only 05_comparison
 *     npx -y deno@2.9.6 task report --out /tmp/r    # reports (and, with --quick, notebooks) there
 *     npx -y deno@2.9.6 task report --export-only --only 04_variational   # re-export, run nothing
 *
 * Per notebook `notebooks/NAME.ipynb`: tools/execute_notebook.py executes it (full mode: saved in
 * place, so committed notebooks carry their outputs; quick mode: saved to the output folder, so the
 * committed notebooks are never touched), `jupyter nbconvert --to html` exports `NAME.html` (images
 * inline), headless chromium prints it to `NAME.pdf`, and the PDF is checked (pdfinfo: pages > 0).
 * Last, `index.html` links the reports with headline metrics read from the runs' records
 * (metrics.json, lib/records), when present. Notebooks run in file-name order (05_comparison
 * reads what 01-04 saved). Stops at the first failing notebook, naming it and the cell.
 * `--export-only` exports the notebooks as last executed (after a fix to a markdown cell's text),
 * executing nothing and leaving timings.json, the explorer and index.html as they are.
 * The work is lib/report's; this file parses the flags.
 *
 * @module
 */
import { exportReports, type ReportOptions, runReport } from "../lib/report/mod.ts";
import { exitIfInterrupted, interruptible } from "../lib/train/mod.ts";

function parseArgs(args: string[]): ReportOptions & { exportOnly?: boolean } {
  const options: ReportOptions & { exportOnly?: boolean } = { only: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--quick") options.quick = true;
    else if (arg === "--export-only") options.exportOnly = true;
    else if (arg === "--only" && i + 1 < args.length) options.only!.push(args[++i]);
    else if (arg.startsWith("--only=")) options.only!.push(arg.slice(7));
    else if (arg === "--out" && i + 1 < args.length) options.outDirectory = args[++i];
    else if (arg === "--notebooks" && i + 1 < args.length) options.notebooksDirectory = args[++i];
    else if (arg === "--cell-timeout" && i + 1 < args.length) {
      options.cellTimeoutSeconds = Number(args[++i]);
    } else {
      throw new Error(
        `report: unknown argument ${arg}; usage: deno task report [--quick] [--only NAME]... ` +
          "[--out DIR] [--notebooks DIR] [--cell-timeout SECONDS] [--export-only]",
      );
    }
  }
  return options;
}

if (import.meta.main) {
  try {
    const options = parseArgs(Deno.args);
    await interruptible<unknown>(() =>
      options.exportOnly ? exportReports(options) : runReport(options)
    );
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
