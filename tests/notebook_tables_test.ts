/**
 * lib/notebook's HTML tables and prose: numbers formatted by the project rule and right-aligned,
 * intervals, the best value bold, wide tables split for the page; the test-metrics table beside
 * the raw-pixel k-NN baseline measured with the same references; sentences rendered from
 * histories and records, never typed.
 */
import assert from "node:assert/strict";
import { initBackend } from "@kmnist/tfjs-blas";
import * as ex from "../lib/experiments/mod.ts";
import type { EvaluationReport } from "../lib/metrics/mod.ts";
import { pixelKnnAccuracy } from "../lib/metrics/mod.ts";
import type { EpochRecord, TrainResult } from "../lib/train/mod.ts";
import {
  comparisonTable,
  htmlTable,
  htmlTableCells,
  klTrendSentence,
  markdown,
  pixelBaseline,
  seriesTrend,
  studyTable,
  testMetrics,
} from "../lib/notebook/mod.ts";
import { JUPYTER_DISPLAY } from "../lib/plot/mod.ts";
import { summarizeTraining } from "../lib/records/mod.ts";

await initBackend({ backend: "cpu" });

/** The tables of an HTML string as rows of cell texts (tags stripped, entities decoded). */
function parseTables(html: string): { caption: string; rows: string[][] }[] {
  const decode = (s: string) =>
    s.replace(/<[^>]+>/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'").replace(/&amp;/g, "&");
  return [...html.matchAll(/<table[^>]*>([\s\S]*?)<\/table>/g)].map((t) => ({
    caption: decode(t[1].match(/<caption[^>]*>([\s\S]*?)<\/caption>/)?.[1] ?? ""),
    rows: [...t[1].matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) =>
      [...r[1].matchAll(/<t[dh][^>]*>([\s\S]*?)<\/t[dh]>/g)].map((c) => decode(c[1]))
    ),
  }));
}

const COLUMNS = [
  { key: "mse", label: "test MSE", decimals: 4, better: "lower" as const },
  { key: "params", label: "params", decimals: 0 },
  { key: "acc", label: "k-NN (%)", decimals: 1, better: "higher" as const },
];

Deno.test("htmlTable: numbers by the project format, right-aligned, best bold, intervals, '–' for none", () => {
  const table = htmlTable({
    caption: "Test <metrics>",
    note: "10,000 test images",
    columns: COLUMNS,
    rows: [
      { name: "vanilla", values: { mse: { value: 0.03891, low: 0.03852, high: 0.03934 } } },
      { name: "conv & co", values: { mse: 0.0216, params: 278369, acc: 94.71 } },
      { name: "pixels", values: { acc: 91.78, params: "none" } },
    ],
  });
  const bundle = table[JUPYTER_DISPLAY]();
  assert.equal(bundle["text/html"], table.html);
  const [parsed] = parseTables(table.html);
  assert.equal(parsed.caption, "Test <metrics>", "caption escaped and shown");
  assert.deepEqual(parsed.rows, [
    ["model", "test MSE", "params", "k-NN (%)"],
    ["vanilla", "0.0389 [0.0385, 0.0393]", "–", "–"],
    ["conv & co", "0.0216", "278,369", "94.7"],
    ["pixels", "–", "none", "91.8"],
  ]);
  // Every value cell is right-aligned; the best of each "better" column is bold.
  for (const td of table.html.matchAll(/<td style="([^"]*)">/g)) {
    assert.match(td[1], /text-align:right/);
  }
  const bold = [...table.html.matchAll(/<b>(.*?)<\/b>/g)].map((m) => m[1]);
  assert.deepEqual(bold, ["0.0216", "94.7"]);
  assert.match(table.html, /10,000 test images/);
  // The plain-text form lines the columns up.
  const lines = table.text.split("\n");
  assert.equal(lines[0], "Test <metrics>");
  assert.equal(lines[1].length, lines[3].length, "header and rows equally wide");
  assert.ok(lines[3].endsWith("94.7"));
  // A number copied from the table reads back as the value to the shown decimals.
  assert.equal(Number(parsed.rows[2][2].replace(/,/g, "")), 278369);
});

Deno.test("htmlTable: a wide table is split into parts that repeat the row names", () => {
  const columns = Array.from({ length: 11 }, (_, i) => ({ key: `c${i}`, decimals: 2 }));
  const rows = ["a", "b"].map((name, r) => ({
    name,
    values: Object.fromEntries(columns.map((c, i) => [c.key, r * 100 + i])),
  }));
  const tables = parseTables(htmlTable({ caption: "Wide", columns, rows, maxColumns: 4 }).html);
  assert.deepEqual(tables.map((t) => t.caption), [
    "Wide (1 of 3)",
    "Wide (2 of 3)",
    "Wide (3 of 3)",
  ]);
  assert.deepEqual(tables.map((t) => t.rows[0].length - 1), [4, 4, 3], "even parts of <= 4");
  assert.deepEqual(tables.map((t) => t.rows[2][0]), ["b", "b", "b"], "row names in every part");
  assert.deepEqual(
    tables.flatMap((t) => t.rows[2].slice(1)),
    columns.map((_, i) => `1${String(i).padStart(2, "0")}.00`),
  );
  assert.equal(parseTables(htmlTable({ columns, rows }).html).length, 2, "default: 8 per part");
});

Deno.test("htmlTable rejects empty tables, repeated keys, NaN and intervals that miss their value", () => {
  assert.throws(() => htmlTable({ columns: [], rows: [] }), /columns is empty/);
  assert.throws(() => htmlTable({ columns: COLUMNS, rows: [] }), /rows is empty/);
  assert.throws(
    () => htmlTable({ columns: [{ key: "a" }, { key: "a" }], rows: [{ name: "m", values: {} }] }),
    /column "a" appears twice/,
  );
  assert.throws(
    () => htmlTable({ columns: COLUMNS, rows: [{ name: "m", values: { mse: NaN } }] }),
    /rows\[0\] "m" has NaN for "mse"/,
  );
  assert.throws(
    () =>
      htmlTable({
        columns: COLUMNS,
        rows: [{ name: "m", values: { mse: { value: 0.5, low: 0.6, high: 0.7 } } }],
      }),
    /does not contain the value 0.5/,
  );
  assert.throws(
    () => htmlTable({ columns: COLUMNS, rows: [{ name: "m", values: {} }], maxColumns: 0 }),
    /maxColumns is 0/,
  );
  const cells = htmlTableCells({ columns: COLUMNS, rows: [{ name: "m", values: { mse: 1 } }] });
  assert.deepEqual(cells.best, [[false, false, false, false]], "no best among fewer than two");
});

function fakeRecord(name: ex.ExperimentName, mse: number, knn: number): ex.ExperimentRecord {
  const settings = ex.experimentSettings(name, { quick: true });
  const evaluation = {
    kind: settings.kind,
    latentDim: settings.latentDim,
    parameters: 50992,
    testImages: 1000,
    mse,
    bce: mse * 4,
    psnr: 10 * Math.log10(1 / mse),
    psnrOfMeanMse: 10 * Math.log10(1 / mse),
    ssim: 0.5,
    perClass: [],
    knn: { k: 4, accuracy: knn, referenceCount: 5000, rawPixelBaseline: 0.921 },
    seconds: 1,
  } as EvaluationReport;
  const result = {
    history: [{ epoch: 1, trainLoss: mse, valLoss: mse, seconds: 2, imagesPerSecond: 50 }],
    wallSeconds: 2,
    imagesPerSecond: 50,
  } as unknown as TrainResult;
  return {
    format: "kmnist-experiment",
    name,
    title: settings.title,
    quick: true,
    settings,
    training: summarizeTraining(result, "cpu"),
    evaluation,
    savedAt: "2026-01-01T00:00:00.000Z",
  };
}

Deno.test("testMetrics: the record's numbers and the raw-pixel k-NN measured with the same references", async () => {
  const settings = ex.experimentSettings("vanilla", { quick: true });
  const data = await ex.loadExperimentData(settings);
  const run = { settings, data, backend: "cpu" };
  const pixels = pixelBaseline(run);
  // The reference: lib/metrics' raw-pixel k-NN on the same two sets.
  const expected = pixelKnnAccuracy({ train: data.train, test: data.test, k: settings.knnK });
  assert.equal(pixels.accuracy, expected);
  assert.equal(pixels.references, data.train.count);
  assert.ok(
    pixels.accuracy > 0.6 && pixels.accuracy < 1,
    `quick-mode pixel 4-NN ${pixels.accuracy}`,
  );

  const record = fakeRecord("vanilla", 0.03891, 0.9012);
  const table = testMetrics(record, pixels);
  const [parsed] = parseTables(table.html);
  const header = parsed.rows[0];
  const value = (row: number, label: string) => parsed.rows[row][header.indexOf(label)];
  assert.equal(value(1, "test MSE"), "0.0389");
  assert.equal(value(1, "k-NN acc. (%)"), "90.1");
  assert.equal(parsed.rows[2][0], "raw pixels (4-NN)");
  assert.equal(value(2, "k-NN acc. (%)"), (pixels.accuracy * 100).toFixed(1));
  assert.equal(value(2, "test MSE"), "–");
  const refs = data.train.count.toLocaleString("en-US");
  assert.match(table.html, new RegExp(`k-NN with ${refs} training images as references`));
  assert.match(table.html, /the KMNIST paper&#39;s 92\.1% on raw pixels uses all 60,000/);
  // Without a baseline: the record alone.
  assert.equal(parseTables(testMetrics(record).html)[0].rows.length, 2);
});

function history(kl: number[]): EpochRecord[] {
  return kl.map((v, i) => ({
    epoch: i + 1,
    trainLoss: 200 + v,
    trainKl: v,
    seconds: 1,
    imagesPerSecond: 1,
  }));
}

Deno.test("seriesTrend and klTrendSentence say what the numbers did", () => {
  assert.equal(seriesTrend([1, 2, 3]).shape, "rose");
  assert.equal(seriesTrend([3, 2, 1]).shape, "fell");
  assert.equal(seriesTrend([1, 4, 2]).shape, "rose, then fell");
  assert.equal(seriesTrend([3, 1, 2]).shape, "fell, then rose");
  assert.equal(seriesTrend([1, 2, 2, 3]).shape, "moved");
  assert.deepEqual(seriesTrend([1, 2, 2, 3]), {
    first: 1,
    last: 3,
    rises: 2,
    falls: 0,
    peak: 3,
    shape: "moved",
  });
  assert.throws(() => seriesTrend([1]), /at least two/);
  assert.throws(() => seriesTrend([1, NaN]), /values\[1\] is NaN/);

  // Rising in all ten epochs is never called "settling".
  const rising = klTrendSentence(history([3.1, 3.9, 4.4, 4.7, 4.9, 5.1, 5.2, 5.3, 5.45, 5.54]));
  assert.equal(
    rising,
    "The KL term rose in every one of the 10 epochs, from 3.10 nats per image in epoch 1 to " +
      "5.54 in epoch 10: the encoder was still putting more information into the codes when " +
      "training stopped.",
  );
  assert.doesNotMatch(rising, /settle/);
  assert.match(klTrendSentence(history([2, 6, 5])), /rose to 6\.00 nats in epoch 2 and then fell/);
  assert.match(klTrendSentence(history([2, 3, 2.5, 4])), /rose in 2 and fell in 1 of the 3 steps/);
  assert.match(klTrendSentence(history([4.2])), /one epoch: the KL term averaged 4\.20/);
  assert.throws(
    () => klTrendSentence([{ epoch: 1, trainLoss: 0.04, seconds: 1, imagesPerSecond: 1 }]),
    /no KL term per epoch/,
  );
});

Deno.test("markdown: a text/markdown display of the paragraphs", () => {
  const shown = markdown("First **1.5**.", "", "Second.");
  assert.deepEqual(shown[JUPYTER_DISPLAY](), {
    "text/markdown": "First **1.5**.\n\nSecond.",
    "text/plain": "First **1.5**.\n\nSecond.",
  });
  assert.equal(String(shown), "First **1.5**.\n\nSecond.");
});

Deno.test("studyTable: every trial in two tables that repeat the trial names; comparisonTable", () => {
  const trial = (architecture: string, z: number, mse: number | undefined, rate?: number) => ({
    format: "kmnist-study-trial" as const,
    version: 1 as const,
    key: `${architecture}${z}`,
    label: architecture === "pixels" ? "raw pixels" : `${architecture} z=${z}`,
    settings: {
      architecture: architecture as "pca",
      latentDim: z,
      validationSize: 5000,
      splitSeed: 0,
      knnK: 4,
    },
    results: {
      parameters: z * 1000,
      testImages: 10000,
      ...(mse !== undefined ? { mse, bce: 0.2, psnr: 15, ssim: 0.5 } : {}),
      knnAccuracy: 0.5 + z / 200,
      knnReferences: 55000,
      ...(rate !== undefined ? { vae: { negativeElbo: 290.07, distortion: 284.53, rate } } : {}),
    },
    timing: { secondsPerEpoch: mse === undefined ? undefined : 1.25, evaluationSeconds: 1 },
    source: "study",
    savedAt: "2026-01-01T00:00:00.000Z",
  });
  const records = [
    trial("pixels", 784, undefined),
    trial("pca", 2, 0.0895),
    trial("vanilla", 32, 0.03891),
    trial("variational", 2, 0.0855, 5.54),
  ] as unknown as Parameters<typeof studyTable>[0]["records"];
  const display = studyTable({ settings: { quick: false } as never, records });
  const tables = parseTables(display.html);
  assert.equal(tables.length, 2, "11 measures in two tables");
  assert.deepEqual(tables.map((t) => t.caption), [
    "The design study: every trial (1 of 2)",
    "The design study: every trial (2 of 2)",
  ]);
  for (const t of tables) {
    assert.deepEqual(t.rows.map((r) => r[0]), [
      "trial",
      "raw pixels",
      "pca z=2",
      "vanilla z=32",
      "variational z=2",
    ]);
  }
  const [first, second] = tables;
  assert.deepEqual(first.rows[3], [
    "vanilla z=32",
    "32,000",
    "1.3†", // a record without the machine's load: its timing is unknown, never taken as quiet
    "0.0389",
    "0.2000",
    "15.00",
    "0.500",
  ]);
  assert.deepEqual(second.rows[0], [
    "trial",
    "k-NN acc. (%)",
    "−ELBO (nats)",
    "rate (nats)",
    "distortion (nats)",
    "−log p(x) (nats)",
  ]);
  assert.deepEqual(second.rows[4], ["variational z=2", "51.0", "290.1", "5.5", "284.5", "–"]);
  assert.match(display.html, /Test set, 10,000 images/);
  assert.throws(() => studyTable({ settings: {} as never, records: [] }), /no finished trials/);

  const comparison = comparisonTable({
    quick: true,
    records: [fakeRecord("vanilla", 0.0389, 0.901), fakeRecord("convolutional", 0.0216, 0.947)],
  });
  const [t] = parseTables(comparison.html);
  assert.equal(t.caption, "Test metrics of the four autoencoders");
  assert.deepEqual(t.rows.map((r) => r[0]), ["model", "Vanilla", "Convolutional"]);
  const header = t.rows[0];
  assert.equal(t.rows[2][header.indexOf("test MSE")], "0.0216");
  assert.equal(t.rows[2][header.indexOf("k-NN acc. (%)")], "94.7");
  assert.match(comparison.html, /<b>0\.0216<\/b>/);
  assert.match(comparison.html, /Quick mode: one epoch/);
});
