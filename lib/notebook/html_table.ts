/**
 * Metric tables as HTML (Jupyter's `text/html`): numbers a reader can select and copy, printed
 * at the page's type size in the PDF reports instead of a picture of a table. Numbers go through
 * the project's one formatter (lib/format), right-aligned; a value may carry an interval,
 * written "0.0389 [0.0385, 0.0393]"; the best value of a column is bold. A table wider than
 * `maxColumns` value columns is split into several tables, each repeating the row names, so it
 * fits the width of an A4 page.
 *
 * ```ts
 * htmlTable({
 *   caption: "Test metrics",
 *   columns: [{ key: "mse", label: "test MSE", decimals: 4, better: "lower" }],
 *   rows: [{ name: "vanilla", values: { mse: { value: 0.0389, low: 0.0385, high: 0.0393 } } }],
 * });
 * ```
 *
 * @module
 */
import { escapeHtml, formatNumber } from "../format/mod.ts";
import { HtmlDisplay } from "./display.ts";

/** A value with an interval (e.g. a 95% confidence interval). */
export interface IntervalValue {
  /** The estimate. */
  value: number;
  /** Lower end of the interval. */
  low: number;
  /** Upper end of the interval. */
  high: number;
}

/**
 * A measured value with its interval as a cell: `{ value, low, high }` scaled (e.g. 100 for a
 * percentage), the interval widened to contain the value; the bare value without bounds, and
 * nothing without a value.
 */
export function intervalCell(
  value: number | undefined,
  bounds?: { lower: number; upper: number },
  scale = 1,
): IntervalValue | number | undefined {
  if (value === undefined) return undefined;
  if (!bounds) return value * scale;
  return {
    value: value * scale,
    low: Math.min(bounds.lower, value) * scale,
    high: Math.max(bounds.upper, value) * scale,
  };
}

/** What a cell holds: a number, a number with an interval, text, or nothing ("–"). */
export type CellValue = number | IntervalValue | string | undefined;

/** One column of an {@link htmlTable}. */
export interface HtmlTableColumn {
  /** Key in each row's `values`. */
  key: string;
  /** Header text (default the key). */
  label?: string;
  /** Fixed decimals (default: 4 significant digits, the project's rule). */
  decimals?: number;
  /** Own formatter of the numbers (overrides `decimals`). */
  format?: (value: number) => string;
  /** Which value is best, shown bold ("lower" or "higher"; default none). */
  better?: "lower" | "higher";
}

/** One row of an {@link htmlTable}. */
export interface HtmlTableRow {
  /** Row header, e.g. "convolutional". */
  name: string;
  /** Value per column key. */
  values: Readonly<Record<string, CellValue>>;
}

/** Options of {@link htmlTable}. */
export interface HtmlTableOptions {
  /** The value columns, left to right (the row names come first). */
  columns: readonly HtmlTableColumn[];
  /** The rows, top to bottom. */
  rows: readonly HtmlTableRow[];
  /** Caption above the table. */
  caption?: string;
  /** Note under the table (e.g. "test set, 10,000 images; best of each column in bold"). */
  note?: string;
  /** Header of the row-name column (default "model"). */
  rowHeader?: string;
  /**
   * Most value columns in one table (default 8): a wider table is split into parts, each with the
   * row names, so it prints without shrinking the type.
   */
  maxColumns?: number;
}

/** The text of every cell, as {@link htmlTable} writes it (for tests and the plain-text form). */
export interface HtmlTableCells {
  /** Header: the row header, then each column's label. */
  header: string[];
  /** `body[r][c]`: row r's name (c = 0), then its formatted values. */
  body: string[][];
  /** `best[r][c]`: whether the value is its column's best (c = 0 is the row name: false). */
  best: boolean[][];
}

const TABLE_STYLE =
  "border-collapse:collapse;font-size:0.9em;margin:0.5em 0;font-variant-numeric:tabular-nums;";
const CAPTION_STYLE = "caption-side:top;text-align:left;font-weight:bold;padding-bottom:4px;";
const BASE_CELL = "padding:2px 10px;border-bottom:1px solid #ddd;white-space:nowrap;";
const NAME_CELL = `${BASE_CELL}text-align:left;`;
const NUMBER_CELL = `${BASE_CELL}text-align:right;`;
const NOTE_STYLE = "font-size:0.85em;color:#555;margin:0 0 0.8em 0;";

/**
 * Print rules: a long table may break across pages (JupyterLab's print CSS keeps each output on
 * one page, which pushes a tall table to the next page and leaves the rest of this one blank);
 * rows stay whole and the header repeats on each page.
 */
const PRINT_STYLE = "<style>@media print{.jp-OutputArea-child:has(.kmnist-tables)," +
  ".kmnist-tables,.kmnist-table{break-inside:auto !important}" +
  ".kmnist-table tr{break-inside:avoid}.kmnist-table thead{display:table-header-group}}</style>";

function isInterval(value: CellValue): value is IntervalValue {
  return typeof value === "object" && value !== null;
}

function checkRows(options: HtmlTableOptions): void {
  const where = "htmlTable";
  const { columns, rows } = options;
  if (!Array.isArray(columns) || columns.length === 0) {
    throw new Error(`${where}: columns is empty; pass columns: [{ key, label }].`);
  }
  if (!Array.isArray(rows) || rows.length === 0) {
    throw new Error(`${where}: rows is empty; pass rows: [{ name, values }].`);
  }
  const keys = new Set<string>();
  for (const column of columns) {
    if (keys.has(column.key)) {
      throw new Error(`${where}: column "${column.key}" appears twice; give each column its key.`);
    }
    keys.add(column.key);
  }
  const max = options.maxColumns ?? 8;
  if (!Number.isInteger(max) || max < 1) {
    throw new Error(`${where}: maxColumns is ${max}; pass a whole number of at least 1.`);
  }
  rows.forEach((row, r) => {
    for (const column of columns) {
      const v = row.values[column.key];
      const numbers = typeof v === "number" ? [v] : isInterval(v) ? [v.value, v.low, v.high] : [];
      if (numbers.some((x) => typeof x !== "number" || Number.isNaN(x))) {
        throw new Error(
          `${where}: rows[${r}] "${row.name}" has NaN for "${column.key}"; leave it undefined ` +
            `(shown as "–") where the metric does not apply.`,
        );
      }
      if (isInterval(v) && !(v.low <= v.value && v.value <= v.high)) {
        throw new Error(
          `${where}: rows[${r}] "${row.name}", "${column.key}": the interval [${v.low}, ` +
            `${v.high}] does not contain the value ${v.value}; pass { value, low, high } with ` +
            `low <= value <= high.`,
        );
      }
    }
  });
}

/** The formatted text of each cell and which values are their column's best. */
export function htmlTableCells(options: HtmlTableOptions): HtmlTableCells {
  checkRows(options);
  const { columns, rows } = options;
  const estimate = (v: CellValue) =>
    typeof v === "number" ? v : isInterval(v) ? v.value : undefined;
  const best = columns.map((column) => {
    if (!column.better) return undefined;
    const numbers = rows.map((r) => estimate(r.values[column.key]))
      .filter((v): v is number => v !== undefined && Number.isFinite(v));
    if (numbers.length < 2) return undefined;
    return column.better === "lower" ? Math.min(...numbers) : Math.max(...numbers);
  });
  const formatWith = (column: HtmlTableColumn) => (v: number) =>
    column.format ? column.format(v) : formatNumber(v, { decimals: column.decimals });
  const body = rows.map((row) => [
    row.name,
    ...columns.map((column) => {
      const v = row.values[column.key];
      const f = formatWith(column);
      if (v === undefined) return "–";
      if (typeof v === "string") return v;
      if (typeof v === "number") return f(v);
      return `${f(v.value)} [${f(v.low)}, ${f(v.high)}]`;
    }),
  ]);
  const bestFlags = rows.map((row) => [
    false,
    ...columns.map((column, c) => {
      const v = estimate(row.values[column.key]);
      return v !== undefined && best[c] !== undefined && v === best[c];
    }),
  ]);
  return {
    header: [options.rowHeader ?? "model", ...columns.map((c) => c.label ?? c.key)],
    body,
    best: bestFlags,
  };
}

/** Splits `count` columns into parts of at most `max`, as even as possible. */
function columnParts(count: number, max: number): number[][] {
  const parts = Math.ceil(count / max);
  const size = Math.ceil(count / parts);
  const out: number[][] = [];
  for (let start = 0; start < count; start += size) {
    out.push(Array.from({ length: Math.min(size, count - start) }, (_, i) => start + i));
  }
  return out;
}

/**
 * A metrics table as HTML (displayed by Jupyter and kept by the HTML and PDF reports) with an
 * aligned plain-text form.
 *
 * @throws Error for no columns or rows, a repeated column key, NaN values, or an interval that
 *   does not contain its value.
 */
export function htmlTable(options: HtmlTableOptions): HtmlDisplay {
  const cells = htmlTableCells(options);
  const parts = columnParts(options.columns.length, options.maxColumns ?? 8);
  const tables = parts.map((part, p) => {
    const caption = options.caption === undefined ? "" : options.caption +
      (parts.length > 1 ? ` (${p + 1} of ${parts.length})` : "");
    const head = [0, ...part.map((c) => c + 1)];
    return [
      `<table class="kmnist-table" style="${TABLE_STYLE}">`,
      caption ? `<caption style="${CAPTION_STYLE}">${escapeHtml(caption)}</caption>` : "",
      "<thead><tr>" +
      head.map((c) =>
        `<th style="${c === 0 ? NAME_CELL : NUMBER_CELL}">${escapeHtml(cells.header[c])}</th>`
      ).join("") +
      "</tr></thead>",
      "<tbody>",
      ...cells.body.map((line, r) =>
        "<tr>" +
        head.map((c) => {
          const text = escapeHtml(line[c]);
          const shown = cells.best[r][c] ? `<b>${text}</b>` : text;
          return c === 0
            ? `<th scope="row" style="${NAME_CELL}font-weight:normal;">${shown}</th>`
            : `<td style="${NUMBER_CELL}">${shown}</td>`;
        }).join("") +
        "</tr>"
      ),
      "</tbody></table>",
    ].filter((s) => s !== "").join("\n");
  });
  const note = options.note ? `\n<p style="${NOTE_STYLE}">${escapeHtml(options.note)}</p>` : "";
  const html = `${PRINT_STYLE}\n<div class="kmnist-tables">\n${tables.join("\n")}${note}\n</div>`;

  const all = [cells.header, ...cells.body];
  const widths = cells.header.map((_, c) => Math.max(...all.map((line) => line[c].length)));
  const line = (row: string[]) =>
    row.map((t, c) => c === 0 ? t.padEnd(widths[c]) : t.padStart(widths[c])).join("  ")
      .trimEnd();
  const text = [
    ...(options.caption ? [options.caption] : []),
    line(cells.header),
    ...cells.body.map(line),
    ...(options.note ? [options.note] : []),
  ].join("\n");
  return new HtmlDisplay(html, text);
}
