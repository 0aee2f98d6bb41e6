/**
 * The steps of notebook 05 (the comparison), each one short call: read the four experiments'
 * records, their metrics table and ranking, the VAE at the deterministic models' code size, the
 * reconstructions of all of them, the validation curves and the error per class. Functions that
 * return numbers (`comparisonRows`, `equalSizeRows`) are kept apart from those that draw them.
 *
 * ```ts
 * const comparison = await openComparison();
 * comparisonTable(comparison);
 * const vae32 = await addEqualSizeVae(comparison, { backend: backend.name });
 * ```
 *
 * @module
 */
import { imagesAsFloats } from "../data/mod.ts";
import { loadModel } from "../train/mod.ts";
import {
  columnsWithValues,
  type ComparisonRow,
  comparisonRow,
  type ExperimentRecord,
  experimentSettings,
  isQuickMode,
  loadAllExperimentRecords,
  loadExperimentData,
  modelName,
  rankingSummary,
  reconstructImages,
  runDirectory,
  sampleIndices,
} from "../experiments/mod.ts";
import { equalSizeVae, type TrialRecord, trialRow } from "../study/mod.ts";
import { classBars, compareHistories, type Figure, imageGrid } from "../plot/mod.ts";
import { formatNumber } from "../format/mod.ts";
import type { HtmlDisplay } from "./display.ts";
import { SHOWN_TEST_SEED } from "./figures.ts";
import { htmlTable } from "./html_table.ts";
import type { MarkdownDisplay } from "./prose.ts";
import { equalSizeVaeReading } from "./study_prose.ts";

/** The four experiments' records as notebook 05 compares them. */
export interface Comparison {
  /** Quick-mode records (`KMNIST_QUICK=1`)? */
  quick: boolean;
  /** One record per experiment, in notebook order. */
  records: ExperimentRecord[];
}

/** The VAE at the deterministic models' code size: its study record and checkpoint. */
export interface EqualSizeVae {
  /** Its row name. */
  name: string;
  /** The study trial's record. */
  record: TrialRecord;
  /** Its checkpoint folder. */
  checkpoint: string;
}

const QUICK_NOTE = "Quick mode: one epoch on a few thousand images; not results.";

/**
 * Reads the records of notebooks 01-04 (quick ones with `KMNIST_QUICK=1`); prints when each was
 * saved.
 *
 * @throws Error naming the experiment whose record is missing and the notebook to run.
 */
export async function openComparison(
  options: { quick?: boolean; print?: boolean } = {},
): Promise<Comparison> {
  const quick = options.quick ?? isQuickMode();
  const records = await loadAllExperimentRecords({ quick });
  if (options.print ?? true) {
    console.log(
      records.map((r) => `${r.title}: saved ${r.savedAt}${r.quick ? " (quick)" : ""}`).join("\n"),
    );
  }
  return { quick, records };
}

/** The comparison table's rows: one per experiment (k-NN in percent). */
export function comparisonRows(comparison: Comparison): ComparisonRow[] {
  return comparison.records.map(comparisonRow);
}

/** The four autoencoders' test metrics as an HTML table, the best of each column bold. */
export function comparisonTable(comparison: Comparison): HtmlDisplay {
  const rows = comparisonRows(comparison);
  return htmlTable({
    caption: "Test metrics of the four autoencoders",
    columns: columnsWithValues(rows),
    rows,
    note: comparisonNote(comparison),
  });
}

/** The tables' note: the test images, and quick mode. */
function comparisonNote(comparison: Comparison): string {
  const test = comparison.records[0]?.evaluation.testImages;
  return [
    test !== undefined
      ? `${formatNumber(test, { decimals: 0 })} test images; best of each column in bold.`
      : "",
    comparison.quick ? QUICK_NOTE : "",
  ].filter((s) => s).join(" ");
}

/** Which model is best on each measure, best first, as sentences. */
export function comparisonRanking(comparison: Comparison): string {
  return rankingSummary(comparison.records);
}

/**
 * The VAE at code size 32 (β = 1) as a study trial: the study's record when it has run, trained
 * otherwise (the study then reuses it).
 */
export async function addEqualSizeVae(
  comparison: Comparison,
  options: { backend?: string; log?: (line: string) => void } = {},
): Promise<EqualSizeVae> {
  const run = await equalSizeVae({ quick: comparison.quick, ...options });
  return {
    name: `Variational (${run.record.settings.latentDim}-D)`,
    record: run.record,
    checkpoint: run.checkpoint,
  };
}

/**
 * What the equal-size VAE's row shows, as markdown from the two VAEs' records (its KL term and
 * whether the posterior collapsed, MSE, −ELBO and 4-NN against the 2-D VAE's).
 *
 * @throws Error when the comparison holds no variational experiment.
 */
export function equalSizeReading(comparison: Comparison, vae: EqualSizeVae): MarkdownDisplay {
  const small = comparison.records.find((r) => r.name === "variational");
  if (!small) {
    throw new Error("equalSizeReading: no variational experiment record; run notebook 04 first.");
  }
  return equalSizeVaeReading({ small, equal: vae.record });
}

/** The rows of the equal-size table: the four experiments and the 32-D VAE. */
export function equalSizeRows(comparison: Comparison, vae: EqualSizeVae): ComparisonRow[] {
  return [...comparisonRows(comparison), trialRow(vae.record, vae.name)];
}

/** The equal-size table: the four autoencoders and the VAE with a 32-number code. */
export function equalSizeTable(comparison: Comparison, vae: EqualSizeVae): HtmlDisplay {
  const rows = equalSizeRows(comparison, vae);
  return htmlTable({
    caption: `At equal code size: the VAE with a ${vae.record.settings.latentDim}-number code`,
    columns: columnsWithValues(rows),
    rows,
    note: comparisonNote(comparison),
  });
}

/**
 * The twelve test images every notebook shows, reconstructed by the four autoencoders and the
 * equal-size VAE (models loaded from their checkpoints and disposed).
 */
export async function comparisonReconstructions(
  comparison: Comparison,
  vae: EqualSizeVae,
): Promise<Figure<unknown>> {
  const settings = experimentSettings("vanilla", { quick: comparison.quick });
  const { test } = await loadExperimentData(settings);
  const shown = sampleIndices(test.count, 12, SHOWN_TEST_SEED);
  const rows = [{ title: "original", images: imagesAsFloats(test, shown) }];
  const models = [
    ...comparison.records.map((r) => ({
      title: modelName(r),
      folder: runDirectory(r.name, comparison.quick),
    })),
    { title: vae.name, folder: vae.checkpoint },
  ];
  for (const { title, folder } of models) {
    const model = await loadModel(folder);
    try {
      rows.push({ title, images: reconstructImages(model, test, shown) });
    } finally {
      model.dispose();
    }
  }
  return imageGrid({
    title: "Test images reconstructed by the four autoencoders and the " +
      `${vae.record.settings.latentDim}-D VAE`,
    rows,
  });
}

/** Validation MSE per epoch of the models trained with MSE (the VAE's loss is in nats). */
export function validationCurves(comparison: Comparison): Figure<unknown> {
  const mseModels = comparison.records.filter((r) => r.name !== "variational");
  return compareHistories(
    Object.fromEntries(mseModels.map((r) => [modelName(r), r.training.history])),
    { title: "Validation MSE per epoch", validationOnly: true, xLabel: "epoch", yLabel: "MSE" },
  );
}

/** Test MSE per class of every model. */
export function errorPerClassComparison(comparison: Comparison): Figure<unknown> {
  return classBars({
    title: "Test MSE per class",
    series: comparison.records.map((r) => ({
      name: modelName(r),
      values: r.evaluation.perClass.map((c) => c.mse),
    })),
    yLabel: "MSE per pixel",
  });
}
