/**
 * The notebooks' markdown states no measured number: results are rendered by code cells from the
 * records (lib/notebook/prose.ts, study_prose.ts). What markdown may hold are the settings and
 * the architecture, and this test checks each such number against the code that defines it: every
 * decimal, percentage and grouped number ("5,000") of a markdown cell must be one of the values
 * below, computed from lib/ (small whole numbers, such as layer widths, years of citations and
 * notebook numbers, are not checked). A result typed into a markdown cell fails here.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { initBackend } from "@kmnist/tfjs-blas";
import { formatNumber } from "../lib/format/mod.ts";
import { PROJECT_ROOT } from "../lib/io/mod.ts";
import { architectureRows, buildModel } from "../lib/models/mod.ts";
import { experimentSettings } from "../lib/experiments/mod.ts";
import { COVERAGE_SHARE, studySettings } from "../lib/study/mod.ts";
import { TEST_BOOTSTRAP_RESAMPLES, wilsonInterval } from "../lib/metrics/mod.ts";
import { CODE_QUANTILES, PROBE_TEST_IMAGES } from "../lib/notebook/mod.ts";

await initBackend({ backend: "cpu" });

/** Every number a markdown cell may state, with where it comes from. */
function allowedNumbers(): Map<string, string> {
  const full = experimentSettings("convolutional", { quick: false });
  const study = studySettings({ quick: false });
  const allowed = new Map<string, string>();
  const add = (text: string, source: string) => allowed.set(text, source);
  const n = (v: number) => formatNumber(v, { decimals: 0 });
  add(n(full.validationSize), "experiment settings: validationSize");
  add(n(60000 - full.validationSize), "the KMNIST training file less the validation images");
  add(n(60000), "the KMNIST training file (lib/data/kmnist.ts checks its 60,000 images)");
  add(n(10000), "the KMNIST test file");
  add(n(PROBE_TEST_IMAGES), "lib/notebook PROBE_TEST_IMAGES (the codes drawn)");
  add(String(full.noiseStddev), "experiment settings: noiseStddev (denoising)");
  add(
    formatNumber(CODE_QUANTILES[1] - CODE_QUANTILES[0], { decimals: 0, percent: true }),
    "lib/notebook CODE_QUANTILES (the central share of codes the figures cover)",
  );
  for (const beta of study.betas) add(String(beta), "study settings: betas");
  add(
    n(TEST_BOOTSTRAP_RESAMPLES),
    "lib/metrics TEST_BOOTSTRAP_RESAMPLES (the intervals' resamples)",
  );
  add(
    formatNumber(wilsonInterval(1, 2).level, { decimals: 0, percent: true }),
    "lib/metrics intervals' default level",
  );
  add(
    formatNumber(COVERAGE_SHARE, { decimals: 0, percent: true }),
    "lib/study COVERAGE_SHARE (a class counts as covered)",
  );
  const conv = buildModel({ kind: "convolutional", latentDim: 32, seed: 0 });
  try {
    const flatten = architectureRows(conv).find((r) => r.type === "Flatten");
    assert.ok(flatten, "the convolutional encoder has a Flatten layer");
    add(n(Number(flatten.outputShape)), "the convolutional encoder's flattened features");
  } finally {
    conv.dispose();
  }
  return allowed;
}

/** The decimals, percentages and grouped numbers of a markdown text (code spans left out). */
function statedNumbers(markdown: string): string[] {
  const text = markdown.replace(/`[^`]*`/g, "");
  const found = text.matchAll(/(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+\.\d+%?|\d+%)(?![\w])/g);
  return [...found].map((m) => m[1]);
}

Deno.test("statedNumbers finds decimals, percentages and grouped numbers only", () => {
  assert.deepEqual(
    statedNumbers("MSE 0.0389, 92.1% of 60,000 images, z=32 in 2018; `0.5` is code; 99% here."),
    ["0.0389", "92.1%", "60,000", "99%"],
  );
});

Deno.test("notebook markdown states only numbers the code defines, no measured result", async () => {
  const allowed = allowedNumbers();
  const folder = join(PROJECT_ROOT, "notebooks");
  const names = [...Deno.readDirSync(folder)].map((e) => e.name).filter((n) => n.endsWith(".ipynb"))
    .sort();
  assert.equal(names.length, 6);
  const unbacked: string[] = [];
  for (const name of names) {
    const notebook = JSON.parse(await Deno.readTextFile(join(folder, name)));
    notebook.cells.forEach((cell: { cell_type: string; source: string | string[] }, i: number) => {
      if (cell.cell_type !== "markdown") return;
      const source = Array.isArray(cell.source) ? cell.source.join("") : cell.source;
      for (const number of statedNumbers(source)) {
        if (!allowed.has(number)) unbacked.push(`${name} cell ${i}: ${number}`);
      }
    });
  }
  assert.deepEqual(
    unbacked,
    [],
    "numbers typed into markdown that no setting backs; render them from the records " +
      "(lib/notebook/prose.ts) instead",
  );
});
