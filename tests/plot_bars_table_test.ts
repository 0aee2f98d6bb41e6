/** Tests of the per-class bar chart and the metrics table figure. */
import assert from "node:assert/strict";
import { KMNIST_CLASSES } from "../lib/data/mod.ts";
import { classBars, type DecodedImage, decodePng, metricsTable, pixelAt } from "../lib/plot/mod.ts";

function hex(color: string): number[] {
  return [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
}

/** Count of pixels darker than 160 in a logical box. */
function ink(
  png: DecodedImage,
  box: { x: number; y: number; width: number; height: number },
  s: number,
): number {
  let n = 0;
  for (let y = Math.ceil(box.y * s); y < Math.floor((box.y + box.height) * s); y++) {
    for (let x = Math.ceil(box.x * s); x < Math.floor((box.x + box.width) * s); x++) {
      if (png.data[(y * png.width + x) * 4] < 160) n++;
    }
  }
  return n;
}

Deno.test("classBars: bar heights are proportional to the values, in the series colours", async () => {
  const dense = [0.2, 0.18, 0.16, 0.22, 0.21, 0.15, 0.17, 0.24, 0.19, 0.2];
  const conv = dense.map((v) => v * 0.6);
  const fig = classBars({
    title: "per-class error",
    series: [{ name: "dense", values: dense }, { name: "conv", values: conv }],
  });
  const { bars, y, area } = fig.layout;
  assert.equal(bars.length, 2);
  assert.equal(bars[0].length, 10);
  const base = area.y + area.height;
  for (let c = 0; c < 10; c++) {
    assert.ok(Math.abs(bars[0][c].y + bars[0][c].height - base) < 1e-9, "bars stand on zero");
    assert.ok(Math.abs(bars[1][c].height / bars[0][c].height - 0.6) < 1e-9);
    assert.ok(Math.abs(bars[0][c].y - y.map(dense[c])) < 1e-9);
  }
  const png = await decodePng(fig.toPng());
  const s = fig.scale;
  const colors = ["#0072B2", "#E69F00"].map(hex);
  for (let k = 0; k < 2; k++) {
    for (let c = 0; c < 10; c++) {
      const b = bars[k][c];
      const inside = pixelAt(png, (b.x + b.width / 2 - 0.5) * s, (b.y + b.height / 2) * s);
      assert.deepEqual(inside, colors[k], `bar ${k},${c}`);
      const above = pixelAt(png, (b.x + b.width / 2 - 0.5) * s, (b.y - 3) * s);
      assert.notDeepEqual(above, colors[k], `nothing of the bar above its top (${k},${c})`);
    }
  }
  // each class label (the character) has ink under its group
  for (const cx of fig.layout.classCenters) {
    assert.ok(ink(png, { x: cx - 9, y: base + 6, width: 18, height: 20 }, s) > 20);
  }
  assert.ok(ink(png, { x: area.x + 2, y: area.y + 2, width: 6, height: 6 }, s) === 0);
});

Deno.test("classBars rejects wrong lengths, negative values and NaN", () => {
  assert.throws(() => classBars({ series: [] }), /series is empty/);
  assert.throws(
    () => classBars({ series: [{ name: "a", values: [1, 2, 3] }] }),
    /3 values for 10 classes/,
  );
  const values = Array(10).fill(0.1);
  assert.throws(
    () => classBars({ series: [{ name: "a", values: [...values.slice(1), -1] }] }),
    />= 0/,
  );
  assert.throws(
    () => classBars({ series: [{ name: "a", values: [NaN, ...values.slice(1)] }] }),
    /NaN/,
  );
  assert.throws(
    () => classBars({ series: [{ name: "a", values }], classes: KMNIST_CLASSES.slice(0, 5) }),
    /10 values for 5 classes/,
  );
});

Deno.test("metricsTable: formatted numbers, best per column in bold, ink in every cell", async () => {
  const fig = metricsTable({
    title: "comparison",
    columns: [
      { key: "bce", label: "BCE", better: "lower", decimals: 4 },
      { key: "psnr", label: "PSNR", better: "higher", decimals: 1 },
      { key: "params", label: "parameters", decimals: 0 },
      { key: "note" },
    ],
    rows: [
      { name: "dense", values: { bce: 0.21234, psnr: 14.04, params: 101234, note: "baseline" } },
      { name: "conv", values: { bce: 0.15, psnr: 17.96, params: 58000 } },
      { name: "vae", values: { bce: 0.19, psnr: 15.5, params: 120500 } },
    ],
  });
  const { texts, bold, cells } = fig.layout;
  assert.deepEqual(texts[0], ["model", "BCE", "PSNR", "parameters", "note"]);
  assert.deepEqual(texts[1], ["dense", "0.2123", "14.0", "101,234", "baseline"]);
  assert.deepEqual(texts[2], ["conv", "0.1500", "18.0", "58,000", "—"]);
  assert.deepEqual(bold.slice(1).map((r) => r.slice(1, 3)), [[false, false], [true, true], [
    false,
    false,
  ]]);
  const png = await decodePng(fig.toPng());
  for (let r = 0; r < texts.length; r++) {
    for (let c = 0; c < texts[r].length; c++) {
      assert.ok(ink(png, cells[r][c], fig.scale) > 10, `cell ${r},${c} "${texts[r][c]}" has ink`);
    }
  }
  assert.throws(() => metricsTable({ columns: [], rows: [] }), /columns is empty/);
  assert.throws(() => metricsTable({ columns: [{ key: "a" }], rows: [] }), /rows is empty/);
  assert.throws(
    () => metricsTable({ columns: [{ key: "a" }], rows: [{ name: "m", values: { a: NaN } }] }),
    /NaN for "a"/,
  );
});
