/**
 * Writes the latent explorer page (decoders running in the browser, offline).
 *
 *     deno task explorer [--quick] [--out reports/explorer.html] [--run NAME_OR_FOLDER ...]
 *                        [--test-images 1000] [--train-images 1000] [--screenshot FILE.png]
 *
 * Without --run: every trained experiment of the notebooks (runs/<name>, or runs/quick/<name>
 * with --quick) and the study's trials while the page stays under 6 MB.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { displayPath } from "../lib/io/mod.ts";
import { ExplorerInputError, writeExplorer } from "../lib/explorer/mod.ts";
import { initBackend } from "../packages/tfjs_blas/mod.ts";

const USAGE = "usage: deno task explorer [--quick] [--out FILE] [--run NAME_OR_FOLDER ...] " +
  "[--test-images N] [--train-images N]";

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
    `${displayPath(written.file)}: ${(written.bytes / 1e6).toFixed(2)} MB, runs ` +
      `${written.runs.join(", ")}`,
  );
}

try {
  await main();
} catch (error) {
  if (error instanceof ExplorerInputError || (error as Error).name === "TypeError") {
    console.error(`explorer: ${(error as Error).message}`);
    Deno.exit(2);
  }
  throw error;
}
