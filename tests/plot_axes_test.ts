/**
 * Axis tests: d3-scale ticks, every tick label reads as its tick's value (the old hand-written
 * ticks labelled 0.025 as "0.03"), and the labels drawn into real PNG bytes are those labels.
 */
import assert from "node:assert/strict";
import {
  type AxesDrawing,
  type Box,
  decodePng,
  drawAxes,
  Figure,
  formatNumber,
  linearScale,
  logScale,
  type Scale,
} from "../lib/plot/mod.ts";
import { font } from "../lib/plot/fonts.ts";

/** A label as a number: thousands separators dropped, ASCII minus only. */
function parseLabel(label: string): number {
  assert.match(label, /^-?[\d,]*\.?\d+(e-?\d+)?$/, `"${label}" is a plain number`);
  return Number(label.replaceAll(",", ""));
}

/** Asserts that every labelled tick's label parses back to the tick's value. */
function assertLabelsAreTicks(scale: Scale, what: string): void {
  assert.equal(scale.labels.length, scale.ticks.length, `${what}: one label per tick`);
  const labelled = scale.ticks.filter((_, i) => scale.labels[i] !== "");
  assert.ok(labelled.length >= 1, `${what}: a labelled tick (${scale.labels})`);
  scale.ticks.forEach((tick, i) => {
    const label = scale.labels[i];
    if (label === "") return;
    const value = parseLabel(label);
    const tolerance = 1e-9 * Math.max(Math.abs(tick), 1e-300);
    assert.ok(
      Math.abs(value - tick) <= tolerance,
      `${what}: tick ${tick} is labelled "${label}" (${value})`,
    );
    assert.equal(label, scale.format(tick), `${what}: the label is the tick formatter's`);
  });
  assert.equal(new Set(scale.labels.filter((l) => l)).size, labelled.length, "labels differ");
}

Deno.test("an axis over [0, 0.11]: ticks at a 1-2-5 step, each label equal to its tick", () => {
  for (const nice of [false, true]) {
    const y = linearScale([0, 0.11], [300, 0], { nice });
    assertLabelsAreTicks(y, `[0, 0.11] nice=${nice}`);
    const step = y.ticks[1] - y.ticks[0];
    const mantissa = step / Math.pow(10, Math.floor(Math.log10(step) + 1e-9));
    assert.ok([1, 2, 5].some((m) => Math.abs(m - mantissa) < 1e-9), `step ${step}`);
    assert.ok(y.ticks[0] >= y.domain[0] && y.ticks[y.ticks.length - 1] <= y.domain[1]);
    if (nice) {
      assert.ok(y.domain[0] <= 0 && y.domain[1] >= 0.11, `nice domain ${y.domain} covers data`);
      assert.equal(y.ticks[0], y.domain[0], "nice: the domain starts on a tick");
      assert.equal(y.ticks[y.ticks.length - 1], y.domain[1], "nice: the domain ends on a tick");
    } else assert.deepEqual(y.domain, [0, 0.11]);
    assert.equal(y.map(y.domain[0]), 300);
    assert.equal(y.map(y.domain[1]), 0);
  }
});

Deno.test("linear and log axes over many ranges: every label reads as its tick", () => {
  const ranges: [number, number][] = [
    [0, 0.11],
    [0, 0.0123],
    [0.0123, 0.0456],
    [0.13, 0.47],
    [3, 977],
    [-5, 5],
    [-0.37, -0.02],
    [1e-5, 3e-5],
    [0.1655, 0.1672],
    [0, 250_000],
  ];
  for (const [low, high] of ranges) {
    for (const count of [2, 5, 8]) {
      for (const nice of [false, true]) {
        assertLabelsAreTicks(
          linearScale([low, high], [0, 400], { nice, tickCount: count }),
          `linear [${low}, ${high}] count ${count} nice ${nice}`,
        );
      }
    }
  }
  const epochs = linearScale([1, 30], [0, 400], { nice: false, integer: true, tickCount: 8 });
  assert.ok(epochs.ticks.every(Number.isInteger), `integer ticks ${epochs.ticks}`);
  assert.ok(epochs.labels.every((l) => /^\d+$/.test(l)), `integer labels ${epochs.labels}`);
  assertLabelsAreTicks(epochs, "epochs 1..30");
  const two = linearScale([1, 2], [0, 400], { nice: false, integer: true, tickCount: 1 });
  assert.deepEqual(two.ticks, [1, 2]);
  for (const [low, high] of [[0.05, 50], [115, 272], [1e-4, 1], [2, 9], [20, 400]]) {
    const log = logScale([low, high], [300, 0]);
    assert.equal(log.kind, "log");
    assert.ok(log.domain[0] < low && log.domain[1] > high, `log [${low}, ${high}] padded`);
    assertLabelsAreTicks(log, `log [${low}, ${high}]`);
    const d1 = log.map(low) - log.map(2 * low);
    const d2 = log.map(2 * low) - log.map(4 * low);
    assert.ok(Math.abs(d1 - d2) < 1e-9, "equal ratios, equal distances");
  }
  const decades = logScale([0.05, 50], [300, 0]);
  for (const v of [0.1, 1, 10]) {
    assert.equal(decades.labels[decades.ticks.indexOf(v)], String(v), `decade ${v} labelled`);
  }
  assert.throws(() => linearScale([0, NaN], [0, 1]), /domain must be finite/);
  assert.throws(() => linearScale([0, 1], [0, 1], { tickCount: 0 }), /tickCount is 0/);
  assert.throws(() => logScale([0, 1], [0, 1]), /positive finite values.*logY: false/);
});

Deno.test("tick labels and the number formatter agree: same rounding, ASCII minus", () => {
  const y = linearScale([-0.5, 0.5], [200, 0], { nice: false, tickCount: 10 });
  assert.ok(y.ticks.some((t) => t < 0), "negative ticks");
  y.ticks.forEach((t, i) => {
    assert.equal(y.labels[i], formatNumber(t, { decimals: 1 }), `tick ${t}`);
    if (t < 0) assert.ok(y.labels[i].startsWith("-"), `"${y.labels[i]}" uses "-"`);
  });
  const big = linearScale([0, 250_000], [0, 400], { nice: false });
  big.ticks.forEach((t, i) => assert.equal(big.labels[i], formatNumber(t, { decimals: 0 })));
  assert.ok(big.labels.some((l) => l.includes(",")), "thousands grouped like the tables");
});

/** Columns of `png` (device pixels) with dark ink inside `box` (logical pixels, scale `s`). */
function inkColumns(png: { width: number; data: Uint8ClampedArray }, box: Box, s: number) {
  const columns: number[] = [];
  for (let x = Math.floor(box.x * s); x < Math.ceil((box.x + box.width) * s); x++) {
    for (let y = Math.floor(box.y * s); y < Math.ceil((box.y + box.height) * s); y++) {
      if (png.data[(y * png.width + x) * 4] < 180) {
        columns.push(x);
        break;
      }
    }
  }
  return columns;
}

/** Ink width (logical pixels) of `text` drawn alone in the tick-label font at scale `s`. */
async function textInkWidth(text: string, s: number): Promise<number> {
  const fig = new Figure({
    width: 120,
    height: 24,
    scale: s,
    title: text,
    layout: {},
    draw: (ctx) => {
      ctx.font = font(11);
      ctx.fillStyle = "#000000";
      ctx.textBaseline = "top";
      ctx.fillText(text, 10, 4);
    },
  });
  const columns = inkColumns(
    await decodePng(fig.toPng()),
    { x: 0, y: 0, width: 120, height: 24 },
    s,
  );
  return (columns[columns.length - 1] - columns[0] + 1) / s;
}

Deno.test("drawAxes over [0, 0.11] into PNG bytes: the ink of each label spans that label", async () => {
  const area: Box = { x: 70, y: 20, width: 300, height: 240 };
  const x = linearScale([1, 10], [area.x, area.x + area.width], { nice: false, integer: true });
  const y = linearScale([0, 0.11], [area.y + area.height, area.y], { nice: false });
  const holder: { drawn?: AxesDrawing } = {};
  const fig = new Figure({
    width: 400,
    height: 320,
    title: "axis over [0, 0.11]",
    layout: {},
    draw: (ctx) => {
      holder.drawn = drawAxes(ctx, area, x, y, { xLabel: "epoch" });
    },
  });
  const png = await decodePng(fig.toPng());
  const s = fig.scale;
  const drawn = holder.drawn;
  assert.ok(drawn, "drawAxes ran");
  assert.deepEqual(drawn.y.map((t) => t.value), [...y.ticks]);
  assert.deepEqual(drawn.y.map((t) => t.label), [...y.labels]);
  assert.deepEqual(drawn.x.map((t) => t.label), [...x.labels]);
  for (const t of [...drawn.y, ...drawn.x]) {
    assert.ok(Math.abs(parseLabel(t.label) - t.value) < 1e-12, `"${t.label}" is ${t.value}`);
    // the ink inside the label's box is as wide as the label's text rendered alone
    const columns = inkColumns(png, t.box, s);
    assert.ok(columns.length > 0, `ink for "${t.label}"`);
    const inkWidth = (columns[columns.length - 1] - columns[0] + 1) / s;
    const alone = await textInkWidth(t.label, s);
    assert.ok(
      Math.abs(inkWidth - alone) <= 1 / s,
      `"${t.label}": ${inkWidth} px of ink at the tick, ${alone} px when drawn alone`,
    );
  }
  // y labels: right-aligned left of the axis, centred on their ticks, not overlapping
  for (let i = 0; i < drawn.y.length; i++) {
    const { box, value } = drawn.y[i];
    assert.ok(box.x + box.width <= area.x, "left of the axis");
    assert.ok(Math.abs(box.y + box.height / 2 - y.map(value)) < 3, "centred on the tick");
    if (i > 0) {
      const below = drawn.y[i - 1].box;
      assert.ok(box.y + box.height < below.y, `labels ${i - 1} and ${i} apart`);
      const top = box.y + box.height + 1;
      const gap: Box = { x: area.x - 60, y: top, width: 55, height: below.y - 1 - top };
      if (gap.height * s >= 1) {
        assert.equal(inkColumns(png, gap, s).length, 0, `no ink between labels ${i - 1}, ${i}`);
      }
    }
  }
});
