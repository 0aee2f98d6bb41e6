/**
 * A metrics table as a figure: rows = models, columns = metrics, numbers in the project's number
 * format (lib/format/number_format.ts, the same as the notebooks' text), the best value of each column in
 * bold.
 *
 * @module
 */
import type { SKRSContext2D } from "@napi-rs/canvas";
import { type Box, drawFigureTitle } from "./axes.ts";
import { Figure } from "./figure.ts";
import { font, measureText } from "./fonts.ts";
import { formatNumber } from "../format/number_format.ts";
import { INK } from "./palette.ts";

/** One column of a {@link metricsTable}. */
export interface MetricColumn {
  /** Key in each row's `values`. */
  key: string;
  /** Header text (default the key). */
  label?: string;
  /** Decimals shown, by the project's number format (default: 4 significant digits). */
  decimals?: number;
  /** Custom formatter (overrides `decimals`). */
  format?: (value: number) => string;
  /** Which value is best, drawn bold ("lower", "higher"; default none). */
  better?: "lower" | "higher";
}

/** One row (model) of a {@link metricsTable}. */
export interface MetricRow {
  /** Row header, e.g. "conv AE". */
  name: string;
  /** Value per column key: numbers are formatted, strings shown as they are. */
  values: Readonly<Record<string, number | string | undefined>>;
}

/** Options of {@link metricsTable}. */
export interface MetricsTableOptions {
  /** The columns, left to right. */
  columns: readonly MetricColumn[];
  /** The rows, top to bottom. */
  rows: readonly MetricRow[];
  /** Figure title. */
  title?: string;
  /** Small note under the table (e.g. "test set, 10,000 images"). */
  note?: string;
  /** PNG scale (default 2). */
  scale?: number;
}

/** Geometry of a {@link metricsTable} figure. */
export interface MetricsTableLayout {
  /** `cells[r][c]`: the box of row r (0 = header), column c (0 = row names). */
  cells: Box[][];
  /** `texts[r][c]`: the text drawn in each cell. */
  texts: string[][];
  /** `bold[r][c]`: whether the cell is highlighted as best. */
  bold: boolean[][];
}

/**
 * A table figure of metrics per model.
 *
 * ```ts
 * metricsTable({
 *   title: "Test set",
 *   columns: [{ key: "bce", label: "BCE", better: "lower" }, { key: "params", decimals: 0 }],
 *   rows: [{ name: "dense", values: { bce: 0.213, params: 101_000 } }],
 * });
 * ```
 *
 * @throws Error for no columns or rows, or a NaN value.
 */
export function metricsTable(options: MetricsTableOptions): Figure<MetricsTableLayout> {
  const where = "metricsTable";
  const { columns, rows } = options;
  if (!Array.isArray(columns) || columns.length === 0) {
    throw new Error(`${where}: columns is empty; pass columns: [{ key, label }].`);
  }
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new Error(`${where}: rows is empty; pass rows: [{ name, values }].`);
  }
  const best = columns.map((col) => {
    if (!col.better) return undefined;
    const nums = rows.map((r) => r.values[col.key]).filter((v): v is number =>
      typeof v === "number" && Number.isFinite(v)
    );
    if (nums.length < 2) return undefined;
    return col.better === "lower" ? Math.min(...nums) : Math.max(...nums);
  });
  const header = ["model", ...columns.map((c) => c.label ?? c.key)];
  const texts: string[][] = [header];
  const bold: boolean[][] = [header.map(() => true)];
  rows.forEach((row, r) => {
    const line = [row.name];
    const flags = [false];
    columns.forEach((col, c) => {
      const v = row.values[col.key];
      if (typeof v === "number" && Number.isNaN(v)) {
        throw new Error(
          `${where}: rows[${r}] "${row.name}" has NaN for "${col.key}"; leave it undefined ` +
            `(shown as "—") if the metric does not apply.`,
        );
      }
      let text: string;
      if (v === undefined) text = "—";
      else if (typeof v === "string") text = v;
      else if (col.format) text = col.format(v);
      else text = formatNumber(v, { decimals: col.decimals });
      line.push(text);
      flags.push(typeof v === "number" && best[c] !== undefined && v === best[c]);
    });
    texts.push(line);
    bold.push(flags);
  });
  const pad = 14;
  const rowH = 28;
  const colW = header.map((_, c) =>
    Math.max(
      ...texts.map((line, r) => measureText(line[c], font(13, bold[r][c] ? "bold" : "normal"))),
    ) +
    2 * pad
  );
  const tableW = colW.reduce((a, b) => a + b, 0);
  const title = options.title ?? "";
  const top = title ? 44 : 12;
  const left = 16;
  const width = Math.max(left * 2 + tableW, title ? measureText(title, font(15, "bold")) + 24 : 0);
  const height = top + texts.length * rowH + (options.note ? 30 : 14);
  const cells: Box[][] = texts.map((line, r) => {
    let x = left;
    return line.map((_, c) => {
      const box = { x, y: top + r * rowH, width: colW[c], height: rowH };
      x += colW[c];
      return box;
    });
  });
  const draw = (ctx: SKRSContext2D) => {
    if (title) drawFigureTitle(ctx, title, width);
    for (let r = 1; r < texts.length; r += 2) {
      ctx.fillStyle = "#F4F6F8";
      ctx.fillRect(left, top + r * rowH, tableW, rowH);
    }
    ctx.strokeStyle = INK.axis;
    ctx.lineWidth = 1.2;
    for (const yy of [top, top + rowH, top + texts.length * rowH]) {
      ctx.beginPath();
      ctx.moveTo(left, Math.round(yy) + 0.5);
      ctx.lineTo(left + tableW, Math.round(yy) + 0.5);
      ctx.stroke();
    }
    ctx.textBaseline = "middle";
    texts.forEach((line, r) => {
      line.forEach((text, c) => {
        const box = cells[r][c];
        ctx.font = font(13, bold[r][c] ? "bold" : "normal");
        ctx.fillStyle = INK.text;
        if (c === 0) {
          ctx.textAlign = "left";
          ctx.fillText(text, box.x + pad, box.y + rowH / 2);
        } else {
          ctx.textAlign = "right";
          ctx.fillText(text, box.x + box.width - pad, box.y + rowH / 2);
        }
      });
    });
    if (options.note) {
      ctx.font = font(11);
      ctx.fillStyle = INK.muted;
      ctx.textAlign = "left";
      ctx.textBaseline = "top";
      ctx.fillText(options.note, left, top + texts.length * rowH + 8);
    }
  };
  return new Figure<MetricsTableLayout>({
    width,
    height,
    draw,
    scale: options.scale,
    title: title || "metrics table",
    layout: { cells, texts, bold },
  });
}
