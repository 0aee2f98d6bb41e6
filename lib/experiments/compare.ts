/**
 * Comparing experiments: the comparison table's rows and columns, and the sentences of the notebooks' conclusions (numbers from the records, nothing assumed).
 *
 * @module
 */
import { formatNumber } from "../format/number_format.ts";
import type { ExperimentRecord } from "./records.ts";

/** One row of the comparison tables (plain numbers; undefined where not measured). */
export interface ComparisonRow {
  /** Model name. */
  name: string;
  /** Values by column key. */
  values: Record<string, number | undefined>;
}

/** A metric column of the tables: record key, label, decimals, and which direction is better. */
export interface MetricColumn {
  /** Key in a row's values. */
  key: string;
  /** Column heading. */
  label: string;
  /** Fixed decimals (tables and sentences alike). */
  decimals: number;
  /** Which direction is better (none: neither, e.g. the VAE's rate). */
  better?: "lower" | "higher";
}

/**
 * Every metric column of the project's tables, the notebooks' comparisons and the design study's
 * table alike: one label and one number of decimals per measure (both use
 * lib/format/number_format.ts). k-NN accuracy is in percent.
 */
export const METRIC_COLUMNS: readonly MetricColumn[] = [
  { key: "parameters", label: "params", decimals: 0 },
  { key: "secondsPerEpoch", label: "s / epoch", decimals: 1, better: "lower" },
  { key: "mse", label: "test MSE", decimals: 4, better: "lower" },
  { key: "bce", label: "BCE (nats/px)", decimals: 4, better: "lower" },
  { key: "psnr", label: "PSNR (dB)", decimals: 2, better: "higher" },
  { key: "ssim", label: "SSIM", decimals: 3, better: "higher" },
  { key: "knnAccuracy", label: "k-NN acc. (%)", decimals: 1, better: "higher" },
  { key: "negativeElbo", label: "−ELBO (nats)", decimals: 1, better: "lower" },
  { key: "rate", label: "rate (nats)", decimals: 1 },
  { key: "distortion", label: "distortion (nats)", decimals: 1 },
  { key: "iwaeNll", label: "−log p(x) (nats)", decimals: 1, better: "lower" },
];

/** The columns of the notebooks' comparison tables: the metric columns up to −ELBO. */
export const COMPARISON_COLUMNS: readonly MetricColumn[] = METRIC_COLUMNS.filter((c) =>
  !["rate", "distortion", "iwaeNll"].includes(c.key)
);

/** The columns of {@link COMPARISON_COLUMNS} that have a value in at least one of `rows`. */
export function columnsWithValues(rows: readonly ComparisonRow[]): typeof COMPARISON_COLUMNS {
  return COMPARISON_COLUMNS.filter((c) => rows.some((r) => r.values[c.key] !== undefined));
}

/** The model's short name in tables and legends: its title without " autoencoder" ("Vanilla"). */
export function modelName(record: { title: string }): string {
  return record.title.replace(/ autoencoder$/, "");
}

/** A record as a comparison row (k-NN accuracy in percent). */
export function comparisonRow(record: ExperimentRecord): ComparisonRow {
  const e = record.evaluation;
  return {
    name: modelName(record),
    values: {
      parameters: e.parameters,
      secondsPerEpoch: record.training.secondsPerEpoch,
      mse: e.mse,
      bce: e.bce,
      psnr: e.psnr,
      ssim: e.ssim,
      knnAccuracy: e.knn ? e.knn.accuracy * 100 : undefined,
      negativeElbo: e.vae?.negativeElbo,
    },
  };
}

/**
 * Sentences comparing a record with earlier ones (test MSE, SSIM, k-NN accuracy, parameters,
 * time per epoch), for a notebook's conclusion. Numbers come from the records, nothing is assumed.
 */
export function compareWithPrevious(
  current: ExperimentRecord,
  previous: readonly ExperimentRecord[],
): string {
  const c = current.evaluation;
  const decimals = (key: string) => COMPARISON_COLUMNS.find((col) => col.key === key)!.decimals;
  const n = (key: string, value: number) => formatNumber(value, { decimals: decimals(key) });
  const pct = (a: number, b: number) =>
    formatNumber(a / b - 1, { decimals: 0, sign: a >= b, percent: true });
  const lines = [
    `${current.title}: test MSE ${n("mse", c.mse)}, SSIM ${n("ssim", c.ssim)}, PSNR ${
      n("psnr", c.psnr)
    } dB` +
    (c.knn ? `, k-NN accuracy of the codes ${n("knnAccuracy", c.knn.accuracy * 100)}%` : "") +
    `, ${n("parameters", c.parameters)} parameters, ` +
    `${n("secondsPerEpoch", current.training.secondsPerEpoch)} s/epoch.`,
  ];
  if (previous.length === 0) {
    lines.push("No earlier experiment has been run yet (run the notebooks in order to compare).");
  }
  for (const p of previous) {
    const e = p.evaluation;
    lines.push(
      `vs ${p.title}: MSE ${n("mse", e.mse)} (${pct(c.mse, e.mse)}), SSIM ${n("ssim", e.ssim)} ` +
        `(${
          formatNumber(c.ssim - e.ssim, { decimals: decimals("ssim"), sign: c.ssim >= e.ssim })
        })` +
        (c.knn && e.knn
          ? `, k-NN ${n("knnAccuracy", e.knn.accuracy * 100)}% (${
            n("knnAccuracy", (c.knn.accuracy - e.knn.accuracy) * 100)
          } points)`
          : "") +
        `, ${n("parameters", e.parameters)} parameters (${pct(c.parameters, e.parameters)}), ${
          n("secondsPerEpoch", p.training.secondsPerEpoch)
        } s/epoch.`,
    );
  }
  if (current.quick) lines.push("(Quick mode: one epoch on a few thousand images; not results.)");
  return lines.join("\n");
}

/** Which model is best on each comparison column, as sentences (numbers from the records). */
export function rankingSummary(records: readonly ExperimentRecord[]): string {
  const rows = records.map(comparisonRow);
  const lines: string[] = [];
  for (const column of COMPARISON_COLUMNS) {
    if (!column.better) continue;
    const have = rows.filter((r) => r.values[column.key] !== undefined);
    if (have.length < 2) continue;
    const sorted = [...have].sort((a, b) =>
      column.better === "lower"
        ? a.values[column.key]! - b.values[column.key]!
        : b.values[column.key]! - a.values[column.key]!
    );
    const order = sorted.map((r) =>
      `${r.name} ${formatNumber(r.values[column.key]!, { decimals: column.decimals })}`
    );
    lines.push(`${column.label}, best first: ${order.join(", ")}`);
  }
  if (records.some((r) => r.quick)) {
    lines.push("(Quick mode: one epoch on a few thousand images; not results.)");
  }
  return lines.join("\n");
}
