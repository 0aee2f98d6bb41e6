/**
 * Legends: a framed box of colour samples and labels.
 *
 * @module
 */
import type { SKRSContext2D } from "@napi-rs/canvas";
import type { Box } from "./axes.ts";
import { font, measureText } from "./fonts.ts";
import { INK } from "./palette.ts";

/** One legend entry. */
export interface LegendEntry {
  /** Text, e.g. "train" or "お o". */
  label: string;
  /** CSS colour. */
  color: string;
  /** Sample shape: a line (optionally dashed), a filled dot, or a filled square. */
  kind: "line" | "dot" | "square";
  /** Dashed line sample. */
  dashed?: boolean;
}

const ROW = 18;
const SAMPLE = 22;

/** The size of the legend box for `entries` at font size `fontSize`. */
export function legendSize(
  entries: readonly LegendEntry[],
  fontSize = 11,
): { width: number; height: number } {
  const textWidth = Math.max(0, ...entries.map((e) => measureText(e.label, font(fontSize))));
  return { width: 8 + SAMPLE + 6 + textWidth + 8, height: 6 + entries.length * ROW + 2 };
}

/** Where a legend's parts go, in logical pixels. */
export interface LegendLayout {
  /** The framed box. */
  box: Box;
  /** The box of each entry's label text, in entry order. */
  labels: Box[];
  /** The centre of each entry's colour sample. */
  samples: { x: number; y: number }[];
}

/** Computes a legend's geometry with its top-left corner at (x, y), without drawing. */
export function legendLayout(
  entries: readonly LegendEntry[],
  x: number,
  y: number,
  fontSize = 11,
): LegendLayout {
  const { width, height } = legendSize(entries, fontSize);
  const labels: Box[] = [];
  const samples: { x: number; y: number }[] = [];
  entries.forEach((entry, i) => {
    const cy = y + 6 + i * ROW + ROW / 2;
    samples.push({ x: x + 8 + SAMPLE / 2, y: cy });
    labels.push({
      x: x + 8 + SAMPLE + 6,
      y: cy - ROW / 2,
      width: measureText(entry.label, font(fontSize)),
      height: ROW,
    });
  });
  return { box: { x, y, width, height }, labels, samples };
}

/** Draws a legend laid out by {@link legendLayout}. */
export function drawLegend(
  ctx: SKRSContext2D,
  entries: readonly LegendEntry[],
  layout: LegendLayout,
  fontSize = 11,
): void {
  const { box } = layout;
  ctx.save();
  ctx.fillStyle = "rgba(255,255,255,0.9)";
  ctx.strokeStyle = "#CCCCCC";
  ctx.lineWidth = 1;
  ctx.fillRect(box.x, box.y, box.width, box.height);
  ctx.strokeRect(box.x + 0.5, box.y + 0.5, box.width - 1, box.height - 1);
  entries.forEach((entry, i) => {
    const { x: mx, y: cy } = layout.samples[i];
    ctx.fillStyle = entry.color;
    ctx.strokeStyle = entry.color;
    if (entry.kind === "line") {
      ctx.lineWidth = 2;
      ctx.setLineDash(entry.dashed ? [5, 3] : []);
      ctx.beginPath();
      ctx.moveTo(mx - SAMPLE / 2, cy);
      ctx.lineTo(mx + SAMPLE / 2, cy);
      ctx.stroke();
      ctx.setLineDash([]);
    } else if (entry.kind === "dot") {
      ctx.beginPath();
      ctx.arc(mx, cy, 4.5, 0, Math.PI * 2);
      ctx.fill();
    } else {
      ctx.fillRect(mx - 6, cy - 6, 12, 12);
    }
    ctx.fillStyle = INK.text;
    ctx.font = font(fontSize);
    ctx.textAlign = "left";
    ctx.textBaseline = "middle";
    ctx.fillText(entry.label, layout.labels[i].x, cy);
  });
  ctx.restore();
}
