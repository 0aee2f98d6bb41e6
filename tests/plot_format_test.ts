/**
 * The one number format: the notebooks' sentences (lib/experiments/compare.ts) and the figures
 * (metrics table, tick labels) print a value identically, by d3-format's rounding.
 */
import assert from "node:assert/strict";
import {
  compareWithPrevious,
  COMPARISON_COLUMNS,
  comparisonRow,
  rankingSummary,
} from "../lib/experiments/compare.ts";
import type { ExperimentRecord } from "../lib/experiments/records.ts";
import {
  decodePng,
  formatNumber,
  linearScale,
  metricsTable,
  numberFormat,
  numberSpecifier,
} from "../lib/plot/mod.ts";

/** A record with the fields the comparison reads. */
function record(
  title: string,
  values: { mse: number; ssim: number; psnr: number; knn: number; parameters: number },
): ExperimentRecord {
  return {
    title,
    quick: false,
    training: { secondsPerEpoch: 12.25 },
    evaluation: {
      mse: values.mse,
      bce: values.mse * 4,
      psnr: values.psnr,
      ssim: values.ssim,
      parameters: values.parameters,
      knn: { k: 4, accuracy: values.knn, referenceCount: 100, rawPixelBaseline: 0.9 },
    },
  } as unknown as ExperimentRecord;
}

/** Values whose decimal halves fall on either side in binary: the rounding rule shows. */
const HALVES = [
  { knn: 0.4205, mse: 0.01235, ssim: 0.8125, psnr: 20.005 },
  { knn: 0.8115, mse: 0.02345, ssim: 0.6375, psnr: 18.125 },
];

Deno.test("a value like 42.05 prints identically in the notebook text and in the table figure", async () => {
  // 42.05 is where toFixed (exact binary value, 42.0) and toLocaleString (42.1) disagreed.
  assert.notEqual(
    (42.05).toFixed(1),
    (42.05).toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 }),
    "the test value is one the two old roundings disagree on",
  );
  const records = HALVES.map((v, i) =>
    record(`Model ${i} autoencoder`, { ...v, parameters: 101_234 + i })
  );
  const rows = records.map(comparisonRow);
  const table = metricsTable({ columns: COMPARISON_COLUMNS, rows });
  const text = compareWithPrevious(records[0], [records[1]]);
  const ranking = rankingSummary(records);
  records.forEach((_, i) => {
    const cells = table.layout.texts[i + 1];
    COMPARISON_COLUMNS.forEach((column, c) => {
      const value = rows[i].values[column.key];
      if (value === undefined) return;
      const cell = cells[c + 1];
      assert.equal(cell, formatNumber(value, { decimals: column.decimals }), column.key);
      // the sentence prints every column of the current model, the previous one's but PSNR
      const inText = ["mse", "ssim", "knnAccuracy", "parameters", "secondsPerEpoch"];
      if (i === 0) inText.push("psnr");
      if (inText.includes(column.key)) {
        assert.ok(text.includes(` ${cell}`), `sentence has ${column.key} "${cell}":\n${text}`);
      }
      if (column.better) {
        assert.ok(ranking.includes(`${rows[i].name} ${cell}`), `ranking has "${cell}"`);
      }
    });
  });
  assert.ok(text.includes("k-NN accuracy of the codes 42.0%"), text);
  assert.equal(
    table.layout.texts[1][COMPARISON_COLUMNS.findIndex((c) => c.key === "knnAccuracy") + 1],
    "42.0",
  );
  assert.ok(text.includes("101,234 parameters"), "grouped like the table");
  const png = await decodePng(table.toPng());
  assert.equal(png.width, Math.round(table.width * table.scale), "the table renders to PNG");
});

Deno.test("formatNumber: d3-format's rounding, grouping, signs and percent; bad options fail", () => {
  for (const v of [42.05, 1.005, 2.675, 0.125, -0.125, 1234.5, -0.04]) {
    for (const decimals of [0, 1, 2]) {
      // d3's "f" is toFixed on the binary value; only the grouping and the minus differ
      const want = Math.abs(v).toFixed(decimals);
      const negative = v < 0 && Number(want) !== 0;
      const got = formatNumber(v, { decimals });
      assert.equal(got.replaceAll(",", ""), (negative ? "-" : "") + want, `${v} ${decimals}`);
    }
  }
  assert.equal(formatNumber(-0.004, { decimals: 2 }), "0.00", "no negative zero");
  assert.equal(formatNumber(-0.5, { decimals: 0, percent: true }), "-50%");
  assert.equal(formatNumber(0.25, { decimals: 0, sign: true, percent: true }), "+25%");
  assert.equal(formatNumber(0.21234), "0.2123", "4 significant digits by default");
  assert.equal(formatNumber(1234567, { decimals: 0 }), "1,234,567");
  assert.equal(formatNumber(NaN), "NaN");
  assert.equal(numberSpecifier({ decimals: 3 }), ",.3f");
  assert.equal(numberFormat(",.2f")(-1234.567), "-1,234.57");
  // a tick formatter from d3-scale uses the same locale
  const ticks = linearScale([-2000, 2000], [0, 1], { nice: false });
  assert.ok(ticks.labels.includes("-2,000"), `${ticks.labels}`);
  assert.throws(() => formatNumber(1, { decimals: 1.5 }), /decimals is 1.5; pass a whole number/);
  assert.throws(() => formatNumber(1, { decimals: 21 }), /from 0 to 20/);
  assert.throws(() => formatNumber(1, { significant: 0 }), /significant is 0/);
  assert.throws(() => numberFormat("nonsense"), /"nonsense" is not a d3-format specifier/);
});
