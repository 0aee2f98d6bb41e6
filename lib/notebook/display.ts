/**
 * Rich output for the Deno Jupyter kernel without a figure: HTML tables and text, each an object
 * the kernel shows when it is a cell's last value (`Symbol.for("Jupyter.display")`), with a
 * plain-text form for terminals and text exports.
 *
 * @module
 */

import { formatNumber } from "../format/mod.ts";
import { JUPYTER_DISPLAY } from "../plot/mod.ts";

/** What the kernel shows of an {@link HtmlDisplay}: HTML and plain text. */
export type HtmlBundle = { "text/html": string; "text/plain": string };

/** An object the Deno kernel displays as HTML (and prints as its text form elsewhere). */
export class HtmlDisplay {
  /** The HTML shown in Jupyter and in the exported reports. */
  readonly html: string;
  /** The same content as plain text. */
  readonly text: string;

  /** Wraps `html` and its plain-text form `text`. */
  constructor(html: string, text: string) {
    this.html = html;
    this.text = text;
  }

  /** Called by the Deno Jupyter kernel. */
  [JUPYTER_DISPLAY](): HtmlBundle {
    return { "text/html": this.html, "text/plain": this.text };
  }

  /** The plain-text form (what `console.log` prints). */
  toString(): string {
    return this.text;
  }
}

/** "1 epoch", "10 epochs": a count with its noun in the right number. */
export function countOf(count: number, noun: string, plural = `${noun}s`): string {
  return `${formatNumber(count, { decimals: 0 })} ${count === 1 ? noun : plural}`;
}
