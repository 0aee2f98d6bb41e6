/**
 * A model's architecture as an HTML table that fits a printed page (tfjs's 90-column text summary
 * wraps and cuts layer names in the PDF reports).
 *
 * @module
 */
import { formatNumber } from "../format/mod.ts";
import { architectureRows, type Autoencoder } from "../models/mod.ts";
import { escapeHtml } from "../format/mod.ts";
import { HtmlDisplay } from "./display.ts";

const TABLE_STYLE = "border-collapse:collapse;font-size:0.9em;margin:0.5em 0;";
const CELL = "padding:2px 10px;border-bottom:1px solid #ddd;text-align:left;white-space:nowrap;";
const NUMBER_CELL =
  "padding:2px 10px;border-bottom:1px solid #ddd;text-align:right;white-space:nowrap;";

/**
 * The encoder's and the decoder's layers (type, output shape, activation, parameters) as one table
 * with a total, displayed as HTML in Jupyter and as aligned text elsewhere.
 */
export function architectureTable(model: Autoencoder): HtmlDisplay {
  const rows = architectureRows(model);
  const total = model.countParams();
  const n = (v: number) => formatNumber(v, { decimals: 0 });
  const title = `${model.kind} autoencoder, latent ${model.config.latentDim}: ` +
    `${n(total)} trainable parameters`;
  const header = ["part", "layer", "type", "output shape", "activation", "parameters"];
  const cells = rows.map((r) => [
    r.part,
    r.name,
    r.type,
    r.outputShape,
    r.activation,
    n(r.parameters),
  ]);
  const html = [
    `<table style="${TABLE_STYLE}">`,
    `<caption style="text-align:left;font-weight:bold;padding-bottom:4px;">${
      escapeHtml(title)
    }</caption>`,
    "<thead><tr>" +
    header.map((h, i) => `<th style="${i === 5 ? NUMBER_CELL : CELL}">${h}</th>`).join("") +
    "</tr></thead><tbody>",
    ...cells.map((row) =>
      "<tr>" +
      row.map((c, i) => `<td style="${i === 5 ? NUMBER_CELL : CELL}">${escapeHtml(c)}</td>`)
        .join("") +
      "</tr>"
    ),
    `</tbody><tfoot><tr><td style="${CELL}" colspan="5"><b>total</b></td>` +
    `<td style="${NUMBER_CELL}"><b>${n(total)}</b></td></tr></tfoot></table>`,
  ].join("\n");
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i].length)));
  const line = (row: string[]) =>
    row.map((c, i) => i === 5 ? c.padStart(widths[i]) : c.padEnd(widths[i])).join("  ").trimEnd();
  const text = [title, line(header), ...cells.map(line), `total ${n(total)}`].join("\n");
  return new HtmlDisplay(html, text);
}
