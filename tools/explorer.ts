/**
 * Writes the latent explorer page (decoders running in the browser, offline).
 *
 *     deno task explorer [--quick] [--out reports/explorer.html] [--run NAME_OR_FOLDER ...]
 *                        [--test-images 1000] [--train-images 1000] [--screenshot FILE.png]
 *
 * Without --run: every trained experiment of the notebooks (runs/<name>, or runs/quick/<name>
 * with --quick) and the study's trials while the page stays under 6 MB. --screenshot opens the
 * written page in Chromium (offline), moves the pointer over the first 2-D model's plane, picks a
 * test point and saves a PNG of the page (the README's docs/explorer.png).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { displayPath, writeFileAtomic } from "../lib/io/mod.ts";
import { ExplorerInputError, writeExplorer } from "../lib/explorer/mod.ts";
import { initBackend } from "@kmnist/tfjs-blas";
import { formatNumber } from "../lib/format/mod.ts";

const USAGE = "usage: deno task explorer [--quick] [--out FILE] [--run NAME_OR_FOLDER ...] " +
  "[--test-images N] [--train-images N] [--screenshot FILE.png]";

function count(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 2) {
    throw new ExplorerInputError(
      `--${name} must be an integer of at least 2, got "${text}".\n${USAGE}`,
    );
  }
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean" },
      out: { type: "string" },
      run: { type: "string", multiple: true },
      "test-images": { type: "string" },
      "train-images": { type: "string" },
      screenshot: { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  await initBackend();
  const written = await writeExplorer({
    quick: values.quick ? true : undefined,
    out: values.out,
    runs: values.run,
    testImages: count("test-images", values["test-images"]),
    trainImages: count("train-images", values["train-images"]),
  });
  console.log(
    `${displayPath(written.file)}: ${
      formatNumber(written.bytes / 1e6, { decimals: 2 })
    } MB, runs ` +
      `${written.runs.join(", ")}`,
  );
  if (values.screenshot) {
    await screenshot(written.file, values.screenshot);
    console.log(`${displayPath(values.screenshot)}: screenshot of the page`);
  }
}

/** Opens the page offline, points at the plane, picks a test point and saves a PNG. */
async function screenshot(page: string, png: string): Promise<void> {
  const { openExplorer } = await import("../lib/explorer/browser.ts");
  const opened = await openExplorer({ file: page, width: 960, height: 860 });
  try {
    const api = "(globalThis.kmnistExplorer)";
    const view = await opened.page.evaluate(`${api}.view()`) as Record<string, number>;
    const pick = await opened.page.evaluate(
      `(() => { const [x, y] = ${api}.testPoint(3); return ${api}.clientPoint(x, y); })()`,
    ) as { x: number; y: number };
    await opened.page.mouse.click(pick.x, pick.y);
    const point = await opened.page.evaluate(
      `${api}.clientPoint(${view.cx + 0.3 * view.hx}, ${view.cy + 0.25 * view.hy})`,
    ) as { x: number; y: number };
    await opened.page.mouse.move(point.x, point.y);
    await opened.page.waitForFunction('document.getElementById("kx-glyph28").dataset.code');
    if (opened.errors.length > 0 || opened.blocked.length > 0) {
      throw new Error(
        `The page logged errors (${opened.errors.join("; ")}) or tried the network ` +
          `(${opened.blocked.join(", ")}).`,
      );
    }
    const bytes = await opened.page.screenshot({ type: "png", fullPage: true });
    await writeFileAtomic(png, new Uint8Array(bytes));
  } finally {
    await opened.close();
  }
}

try {
  await main();
} catch (error) {
  if (error instanceof ExplorerInputError || (error as Error).name === "TypeError") {
    const usage = error instanceof ExplorerInputError ? "" : `\n${USAGE}`;
    console.error(`explorer: ${(error as Error).message}${usage}`);
    Deno.exit(2);
  }
  throw error;
}
