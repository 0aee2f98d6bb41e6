/**
 * The experiment notebooks' tables as HTML (numbers a reader can copy): the test metrics of a
 * record beside the raw-pixel k-NN baseline measured with the same reference images.
 *
 * @module
 */
import { formatNumber } from "../format/mod.ts";
import { IMAGE_PIXELS } from "../data/mod.ts";
import { accuracy, KMNIST_PIXEL_KNN_BASELINE, knnClassify } from "../metrics/mod.ts";
import { columnsWithValues, comparisonRow, type ExperimentRecord } from "../experiments/mod.ts";
import type { ExperimentRun } from "./experiment.ts";
import type { HtmlDisplay } from "./display.ts";
import { htmlTable, type HtmlTableRow } from "./html_table.ts";

/** The raw-pixel k-NN baseline of an experiment, measured on its own sets. */
export interface PixelBaseline {
  /** Test accuracy of k-NN on the raw pixels, in [0, 1]. */
  accuracy: number;
  /** Neighbours. */
  k: number;
  /** Reference images (the experiment's training images, as for the codes' probe). */
  references: number;
  /** Test images classified. */
  testImages: number;
}

/**
 * k-NN on the raw 784 pixels with the experiment's training images as references and the same
 * protocol as the codes' probe (4 neighbours, 1/distance votes): the baseline the codes' k-NN
 * accuracy is compared with (the KMNIST paper's 92.1% uses all 60,000 training images; the
 * notebooks hold 5,000 out for validation). About half a minute on the full sets.
 */
export function pixelBaseline(run: ExperimentRun): PixelBaseline {
  const { train, test } = run.data;
  const k = run.settings.knnK;
  const predictions = knnClassify({
    reference: train.images,
    referenceLabels: train.labels,
    query: test.images,
    dim: IMAGE_PIXELS,
    k,
  });
  return {
    accuracy: accuracy(predictions, test.labels),
    k,
    references: train.count,
    testImages: test.count,
  };
}

/**
 * The record's test metrics as an HTML table; with a {@link pixelBaseline}, a "raw pixels" row
 * holds its k-NN accuracy, so the codes' probe is read against the same references.
 */
export function testMetrics(record: ExperimentRecord, pixels?: PixelBaseline): HtmlDisplay {
  const row = comparisonRow(record);
  const rows: HtmlTableRow[] = [row];
  const columns = columnsWithValues([row]);
  const pct = (v: number) => formatNumber(v, { decimals: 1, percent: true });
  let note = `${formatNumber(record.evaluation.testImages, { decimals: 0 })} test images.`;
  if (pixels && row.values.knnAccuracy !== undefined) {
    rows.push({
      name: `raw pixels (${pixels.k}-NN)`,
      values: { knnAccuracy: pixels.accuracy * 100 },
    });
    note +=
      ` k-NN with ${
        formatNumber(pixels.references, { decimals: 0 })
      } training images as references for the codes and the raw pixels alike` +
      ` (the KMNIST paper's ${pct(KMNIST_PIXEL_KNN_BASELINE)} on raw pixels uses all 60,000).`;
  }
  return htmlTable({ caption: "Test metrics", columns, rows, note });
}
