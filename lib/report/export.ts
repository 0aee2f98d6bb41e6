/**
 * Exporting an executed notebook: standalone HTML (the project's offline nbconvert template, images
 * inline), a PDF printed by headless chromium (A4, print CSS), and checks of both (page count, a
 * rendered page, addresses the HTML would load from the network).
 *
 * @module
 */
import { dirname, join } from "node:path";
import { chromiumSetting, copyFileAtomic, PROJECT_ROOT } from "../io/mod.ts";
import { runCommand as run } from "./command.ts";

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

/**
 * Prints an HTML report to PDF with headless Chromium (`KMNIST_CHROMIUM`, else Debian's; offline,
 * A4, print CSS), atomically.
 */
export async function printPdf(html: string, pdf: string): Promise<void> {
  const profile = await Deno.makeTempDir({ prefix: "report_chromium_" });
  const out = join(profile, "out.pdf");
  const page = join(profile, "page.html");
  try {
    await Deno.writeTextFile(page, printableHtml(await Deno.readTextFile(html)));
    await run(chromiumSetting(), [
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
