/**
 * Axes: linear and log scales with ticks and tick labels from d3-scale (labels in the project's
 * number format, see lib/format/number_format.ts), and drawing of a framed plot area with tick labels, axis
 * labels and light grid lines.
 *
 * @module
 */
import type { SKRSContext2D } from "@napi-rs/canvas";
// @ts-types="@types/d3-scale"
import { scaleLinear, scaleLog } from "d3-scale";
import { font } from "./fonts.ts";
// Sets d3-format's default locale, which d3-scale's tickFormat uses for the labels.
import "../format/number_format.ts";
import { INK } from "./palette.ts";

/** A rectangle in logical pixels. */
export interface Box {
  /** Left edge. */
  x: number;
  /** Top edge. */
  y: number;
  /** Width. */
  width: number;
  /** Height. */
  height: number;
}

/** A 1-D mapping from data values to pixel coordinates, with its ticks and their labels. */
export interface Scale {
  /** "linear" or "log" (base 10). */
  readonly kind: "linear" | "log";
  /** Data interval shown, `[low, high]`. */
  readonly domain: readonly [number, number];
  /** Pixel interval it maps to (for a y axis, bottom first). */
  readonly range: readonly [number, number];
  /** Tick values inside the domain (d3-scale's `ticks`). */
  readonly ticks: readonly number[];
  /**
   * The label drawn at each tick, in the order of {@link Scale.ticks}; "" for a log axis's
   * unlabelled minor ticks.
   */
  readonly labels: readonly string[];
  /** Data value to pixel. */
  map(value: number): number;
  /** The tick formatter (d3-scale's `tickFormat`): formats a value like the tick labels. */
  format(value: number): string;
}

/** Options of {@link linearScale}. */
export interface LinearScaleOptions {
  /** Widen the domain to round tick values (d3's `nice`; default true). */
  nice?: boolean;
  /** About how many ticks (d3's tick count; default 5). */
  tickCount?: number;
  /** Only whole-number ticks, labelled without decimals (e.g. epochs; default false). */
  integer?: boolean;
}

function checkTickCount(where: string, count: number): void {
  if (!Number.isFinite(count) || count < 1) {
    throw new Error(`${where}: tickCount is ${count}; pass a count of at least 1.`);
  }
}

/**
 * A linear scale (d3-scale's `scaleLinear`): ticks at 1, 2 or 5 x 10^k, labelled with as many
 * decimals as the tick step needs (d3's `tickFormat`), so every label reads as its tick's value.
 *
 * @param domain data bounds (equal bounds are widened by ±0.5 or ±5 %).
 * @param range pixel bounds.
 * @throws Error for non-finite bounds or a tick count below 1.
 */
export function linearScale(
  domain: readonly [number, number],
  range: readonly [number, number],
  options: LinearScaleOptions = {},
): Scale {
  let [low, high] = domain;
  if (!Number.isFinite(low) || !Number.isFinite(high)) {
    throw new Error(`linearScale: domain must be finite, got [${low}, ${high}].`);
  }
  if (low === high) {
    const pad = low === 0 ? 0.5 : Math.abs(low) * 0.05;
    low -= pad;
    high += pad;
  }
  const count = options.tickCount ?? 5;
  checkTickCount("linearScale", count);
  const scale = scaleLinear().domain([low, high]).range([range[0], range[1]]);
  if (options.nice ?? true) scale.nice(count);
  let ticks = scale.ticks(count);
  let format = scale.tickFormat(count);
  if (options.integer) {
    ticks = ticks.filter(Number.isInteger);
    format = scale.tickFormat(count, ",d");
  }
  const [d0, d1] = scale.domain();
  return {
    kind: "linear",
    domain: [d0, d1],
    range,
    ticks,
    labels: ticks.map(format),
    map: (v) => scale(v),
    format,
  };
}

/**
 * A base-10 log scale over positive values (d3-scale's `scaleLog`), its domain padded by 4 % of
 * its decades on each side. Ticks are d3's: 1..9 x 10^k with labels thinned to keep them apart,
 * or linear ticks when the domain spans too little of a decade for that.
 *
 * @throws Error for bounds that are not positive and finite.
 */
export function logScale(
  domain: readonly [number, number],
  range: readonly [number, number],
  options: { tickCount?: number } = {},
): Scale {
  let [low, high] = domain;
  if (!(low > 0) || !(high > 0) || !Number.isFinite(high)) {
    throw new Error(
      `logScale: a log axis needs positive finite values, got [${low}, ${high}]. ` +
        `Use a linear axis (logY: false) for data with zeros or negatives.`,
    );
  }
  if (low === high) {
    low /= 1.5;
    high *= 1.5;
  }
  const count = options.tickCount ?? 5;
  checkTickCount("logScale", count);
  const pad = (Math.log10(high) - Math.log10(low)) * 0.04;
  low = Math.pow(10, Math.log10(low) - pad);
  high = Math.pow(10, Math.log10(high) + pad);
  const scale = scaleLog().domain([low, high]).range([range[0], range[1]]);
  const ticks = scale.ticks(count);
  const format = scale.tickFormat(count, ",");
  return {
    kind: "log",
    domain: [low, high],
    range,
    ticks,
    labels: ticks.map(format),
    map: (v) => scale(v),
    format,
  };
}

/** A tick label as drawn: its tick, its text, and the box its ink occupies (logical pixels). */
export interface TickLabel {
  /** The tick's value. */
  value: number;
  /** The text drawn. */
  label: string;
  /** The label's ink box (from the font's measured bounding box). */
  box: Box;
}

/** What {@link drawAxes} drew: the tick labels of each axis. */
export interface AxesDrawing {
  /** Labels under the x axis (empty when x tick labels are off). */
  x: TickLabel[];
  /** Labels left of the y axis. */
  y: TickLabel[];
}

/** Texts of a set of axes. */
export interface AxesLabels {
  /** Title above the plot area. */
  title?: string;
  /** Label under the x axis. */
  xLabel?: string;
  /** Label left of the y axis (rotated). */
  yLabel?: string;
}

/**
 * Draws grid lines, the frame (left and bottom spines), tick marks and labels, axis labels and a
 * title around `area`. Labelled ticks get a grid line and a long mark, unlabelled (minor) ones a
 * short mark only.
 *
 * @returns the tick labels drawn, with their ink boxes.
 */
export function drawAxes(
  ctx: SKRSContext2D,
  area: Box,
  x: Scale,
  y: Scale,
  labels: AxesLabels = {},
  options: { xTickLabels?: boolean; gridX?: boolean } = {},
): AxesDrawing {
  const drawn: AxesDrawing = { x: [], y: [] };
  const xTicks = x.ticks.map((value, i) => ({ value, label: x.labels[i] ?? "" }));
  const yTicks = y.ticks.map((value, i) => ({ value, label: y.labels[i] ?? "" }));
  ctx.save();
  ctx.lineWidth = 1;
  ctx.strokeStyle = INK.grid;
  for (const t of yTicks) {
    if (!t.label) continue;
    const py = Math.round(y.map(t.value)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(area.x, py);
    ctx.lineTo(area.x + area.width, py);
    ctx.stroke();
  }
  if (options.gridX ?? true) {
    for (const t of xTicks) {
      if (!t.label) continue;
      const px = Math.round(x.map(t.value)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(px, area.y);
      ctx.lineTo(px, area.y + area.height);
      ctx.stroke();
    }
  }
  ctx.strokeStyle = INK.axis;
  ctx.beginPath();
  ctx.moveTo(area.x + 0.5, area.y);
  ctx.lineTo(area.x + 0.5, area.y + area.height + 0.5);
  ctx.lineTo(area.x + area.width, area.y + area.height + 0.5);
  ctx.stroke();
  ctx.fillStyle = INK.muted;
  ctx.font = font(11);
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  let yLabelWidth = 0;
  for (const t of yTicks) {
    const py = Math.round(y.map(t.value)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(area.x - (t.label ? 4 : 2), py);
    ctx.lineTo(area.x, py);
    ctx.stroke();
    if (!t.label) continue;
    yLabelWidth = Math.max(yLabelWidth, ctx.measureText(t.label).width);
    drawn.y.push({ ...t, box: fillMeasured(ctx, t.label, area.x - 7, py) });
  }
  if (options.xTickLabels ?? true) {
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of xTicks) {
      const px = Math.round(x.map(t.value)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(px, area.y + area.height);
      ctx.lineTo(px, area.y + area.height + (t.label ? 4 : 2));
      ctx.stroke();
      if (t.label) {
        drawn.x.push({ ...t, box: fillMeasured(ctx, t.label, px, area.y + area.height + 7) });
      }
    }
  }
  ctx.fillStyle = INK.text;
  ctx.font = font(12);
  if (labels.xLabel) {
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    ctx.fillText(labels.xLabel, area.x + area.width / 2, area.y + area.height + 24);
  }
  if (labels.yLabel) {
    ctx.save();
    ctx.translate(area.x - yLabelWidth - 16, area.y + area.height / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText(labels.yLabel, 0, 0);
    ctx.restore();
  }
  if (labels.title) {
    ctx.font = font(13, "bold");
    ctx.textAlign = "left";
    ctx.textBaseline = "bottom";
    ctx.fillText(labels.title, area.x, area.y - 8);
  }
  ctx.restore();
  return drawn;
}

/** Fills `text` at (x, y) with the context's font and alignment; returns its ink box. */
function fillMeasured(ctx: SKRSContext2D, text: string, x: number, y: number): Box {
  const m = ctx.measureText(text);
  ctx.fillText(text, x, y);
  return {
    x: x - m.actualBoundingBoxLeft,
    y: y - m.actualBoundingBoxAscent,
    width: m.actualBoundingBoxLeft + m.actualBoundingBoxRight,
    height: m.actualBoundingBoxAscent + m.actualBoundingBoxDescent,
  };
}

/** Draws a figure title centred at the top. */
export function drawFigureTitle(ctx: SKRSContext2D, title: string, width: number, y = 10): void {
  ctx.save();
  ctx.fillStyle = INK.text;
  ctx.font = font(15, "bold");
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  ctx.fillText(title, width / 2, y);
  ctx.restore();
}
