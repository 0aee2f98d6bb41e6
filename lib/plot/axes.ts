/**
 * Axes: linear and log scales with "nice" ticks, and drawing of a framed plot area with tick
 * labels, axis labels and light grid lines.
 *
 * @module
 */
import type { SKRSContext2D } from "@napi-rs/canvas";
import { font } from "./fonts.ts";
import { formatNumber, INK } from "./palette.ts";

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

/** A 1-D mapping from data values to pixel coordinates. */
export interface Scale {
  /** "linear" or "log" (base 10). */
  readonly kind: "linear" | "log";
  /** Data interval shown, `[low, high]`. */
  readonly domain: readonly [number, number];
  /** Pixel interval it maps to (for a y axis, bottom first). */
  readonly range: readonly [number, number];
  /** Tick values inside the domain. */
  readonly ticks: readonly number[];
  /** Data value to pixel. */
  map(value: number): number;
  /** Formats a tick value. */
  format(value: number): string;
}

/**
 * "Nice" tick values (steps of 1, 2 or 5 times a power of ten) covering `[low, high]`, about
 * `count` of them.
 */
export function niceTicks(low: number, high: number, count = 5, integer = false): number[] {
  if (!Number.isFinite(low) || !Number.isFinite(high)) {
    throw new Error(`niceTicks: bounds must be finite, got [${low}, ${high}].`);
  }
  if (high < low) [low, high] = [high, low];
  if (high === low) return [low];
  const raw = (high - low) / Math.max(1, count);
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const multipliers = integer ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10];
  let step = multipliers.map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  if (integer) step = Math.max(1, Math.round(step));
  const first = Math.ceil(low / step - 1e-9);
  const last = Math.floor(high / step + 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

function stepDecimals(ticks: readonly number[]): number {
  if (ticks.length > 0 && ticks.every(Number.isInteger)) return 0;
  if (ticks.length < 2) return 2;
  const step = Math.abs(ticks[1] - ticks[0]);
  return Math.max(0, Math.min(8, -Math.floor(Math.log10(step) + 1e-9)));
}

/**
 * A linear scale; with `nice` (default) the domain widens to tick values.
 *
 * @param domain data bounds (equal bounds are widened by ±0.5 or ±5 %).
 * @param range pixel bounds.
 */
export function linearScale(
  domain: readonly [number, number],
  range: readonly [number, number],
  options: { nice?: boolean; tickCount?: number; integer?: boolean } = {},
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
  const integer = options.integer ?? false;
  let ticks = niceTicks(low, high, options.tickCount ?? 5, integer);
  if (options.nice ?? true) {
    const step = ticks.length > 1 ? ticks[1] - ticks[0] : high - low;
    low = Math.min(low, Number((Math.floor(low / step + 1e-9) * step).toPrecision(12)));
    high = Math.max(high, Number((Math.ceil(high / step - 1e-9) * step).toPrecision(12)));
    ticks = niceTicks(low, high, options.tickCount ?? 5, integer);
  }
  const decimals = stepDecimals(ticks);
  const [r0, r1] = range;
  return {
    kind: "linear",
    domain: [low, high],
    range,
    ticks,
    map: (v) => r0 + ((v - low) / (high - low)) * (r1 - r0),
    format: (v) => {
      const abs = Math.abs(v);
      if (abs !== 0 && (abs >= 1e5 || abs < 1e-4)) return formatNumber(v, 2);
      const text = v.toFixed(decimals);
      return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
    },
  };
}

/**
 * A base-10 log scale over positive values; the domain widens to whole decades when that adds
 * little, ticks at 1, 2, 5 x 10^k when it spans under two decades, else at powers of ten.
 */
export function logScale(
  domain: readonly [number, number],
  range: readonly [number, number],
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
  const pad = (Math.log10(high) - Math.log10(low)) * 0.04;
  const l0 = Math.log10(low) - pad;
  const l1 = Math.log10(high) + pad;
  low = Math.pow(10, l0);
  high = Math.pow(10, l1);
  const decades = l1 - l0;
  const ticks: number[] = [];
  const mantissas = decades < 1 ? [1, 1.5, 2, 3, 4, 5, 6, 8] : decades < 2.5 ? [1, 2, 5] : [1];
  for (let p = Math.floor(l0); p <= Math.ceil(l1); p++) {
    for (const m of mantissas) {
      const v = m * Math.pow(10, p);
      if (v >= low * (1 - 1e-9) && v <= high * (1 + 1e-9)) ticks.push(Number(v.toPrecision(12)));
    }
  }
  if (ticks.length < 2) ticks.splice(0, ticks.length, low, high);
  const [r0, r1] = range;
  return {
    kind: "log",
    domain: [low, high],
    range,
    ticks,
    map: (v) => r0 + ((Math.log10(v) - l0) / (l1 - l0)) * (r1 - r0),
    format: (v) => {
      const abs = Math.abs(v);
      return abs >= 1e5 || abs < 1e-3 ? formatNumber(v, 2) : String(Number(v.toPrecision(3)));
    },
  };
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
 * title around `area`.
 */
export function drawAxes(
  ctx: SKRSContext2D,
  area: Box,
  x: Scale,
  y: Scale,
  labels: AxesLabels = {},
  options: { xTickLabels?: boolean; gridX?: boolean } = {},
): void {
  ctx.save();
  ctx.lineWidth = 1;
  ctx.strokeStyle = INK.grid;
  for (const t of y.ticks) {
    const py = Math.round(y.map(t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(area.x, py);
    ctx.lineTo(area.x + area.width, py);
    ctx.stroke();
  }
  if (options.gridX ?? true) {
    for (const t of x.ticks) {
      const px = Math.round(x.map(t)) + 0.5;
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
  for (const t of y.ticks) {
    const py = Math.round(y.map(t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(area.x - 4, py);
    ctx.lineTo(area.x, py);
    ctx.stroke();
    const text = y.format(t);
    yLabelWidth = Math.max(yLabelWidth, ctx.measureText(text).width);
    ctx.fillText(text, area.x - 7, py);
  }
  if (options.xTickLabels ?? true) {
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of x.ticks) {
      const px = Math.round(x.map(t)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(px, area.y + area.height);
      ctx.lineTo(px, area.y + area.height + 4);
      ctx.stroke();
      ctx.fillText(x.format(t), px, area.y + area.height + 7);
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
