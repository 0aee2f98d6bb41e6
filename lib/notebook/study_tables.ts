/**
 * The comparison tables of notebooks 05 and 06 as HTML (numbers a reader can copy, at the page's
 * type size in the PDF): the experiments side by side, and every trial of the design study, split
 * into two tables of a few columns each so that they fit an A4 page.
 *
 * @module
 */
import { formatNumber } from "../format/mod.ts";
import { columnsWithValues, type ComparisonRow } from "../experiments/mod.ts";
import type { TrialRecord } from "../study/mod.ts";
import { studyRows } from "../plot/study_figures.ts";
import type { HtmlDisplay } from "./display.ts";
import { htmlTable, type HtmlTableColumn } from "./html_table.ts";

const QUICK_NOTE = "Quick mode: one epoch on a few thousand images; not results.";

/** Options of {@link comparisonTable}. */
export interface ComparisonTableOptions {
  /** Caption above the table. */
  caption: string;
  /** Quick-mode records (adds the note that these are not results). */
  quick?: boolean;
  /** Note under the table. */
  note?: string;
}

/**
 * Experiments side by side (one row each: parameters, seconds per epoch, test MSE, BCE, PSNR,
 * SSIM, k-NN accuracy, −ELBO), the best of each column bold; columns no row has are left out.
 */
export function comparisonTable(
  rows: readonly ComparisonRow[],
  options: ComparisonTableOptions,
): HtmlDisplay {
  const columns: HtmlTableColumn[] = columnsWithValues(rows).map((c) => ({ ...c }));
  const notes = [options.note, options.quick ? QUICK_NOTE : undefined].filter((n) => n);
  return htmlTable({
    caption: options.caption,
    columns,
    rows,
    note: notes.length > 0 ? notes.join(" ") : undefined,
  });
}

/** The study table's columns (the same measures as the experiments' table, and the VAE's terms). */
export const STUDY_COLUMNS: readonly HtmlTableColumn[] = [
  { key: "parameters", label: "params", decimals: 0 },
  { key: "secondsPerEpoch", label: "s / epoch", decimals: 1, better: "lower" },
  { key: "mse", label: "test MSE", decimals: 4, better: "lower" },
  { key: "bce", label: "BCE", decimals: 4, better: "lower" },
  { key: "psnr", label: "PSNR (dB)", decimals: 2, better: "higher" },
  { key: "ssim", label: "SSIM", decimals: 3, better: "higher" },
  { key: "knn", label: "4-NN (%)", decimals: 2, better: "higher" },
  { key: "elbo", label: "−ELBO", decimals: 1, better: "lower" },
  { key: "rate", label: "rate", decimals: 1 },
  { key: "distortion", label: "distortion", decimals: 1 },
  { key: "iwae", label: "−log p(x)", decimals: 1, better: "lower" },
];

/**
 * Every trial of the design study, one row, as two HTML tables (reconstruction and codes; the
 * VAE's likelihood terms), each with the trial names, so the 35 rows print at the page's type
 * size.
 *
 * @throws Error for no records.
 */
export function studyTable(records: readonly TrialRecord[]): HtmlDisplay {
  if (records.length === 0) throw new Error("studyTable: no finished trials; run the study first.");
  const test = formatNumber(records[0].results.testImages, { decimals: 0 });
  const quick = records.some((r) => r.settings.trainImages !== undefined);
  return htmlTable({
    caption: "The design study: every trial",
    rowHeader: "trial",
    columns: STUDY_COLUMNS,
    rows: studyRows(records),
    maxColumns: 7,
    note:
      `Test set, ${test} images; 4-NN: distance-weighted votes, training codes as references; ` +
      `VAE terms in nats per image (rate: KL, distortion: −E log p(x|z)); best of each column in ` +
      `bold.${quick ? ` ${QUICK_NOTE}` : ""}`,
  });
}
