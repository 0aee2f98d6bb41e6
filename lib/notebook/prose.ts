/**
 * Prose that cannot drift from the numbers: sentences with a number or a comparison are rendered
 * from the records by a code cell (Jupyter's `text/markdown`), not typed into a markdown cell, so
 * a re-run that changes a number changes the sentence with it.
 *
 * @module
 */
import { formatNumber } from "../format/mod.ts";
import { JUPYTER_DISPLAY } from "../plot/mod.ts";
import type { EpochRecord } from "../train/mod.ts";

/** What the kernel shows of a {@link MarkdownDisplay}: markdown and plain text. */
export type MarkdownBundle = { "text/markdown": string; "text/plain": string };

/** An object the Deno kernel displays as rendered markdown (and prints as the markdown elsewhere). */
export class MarkdownDisplay {
  /** The markdown source. */
  readonly markdown: string;

  /** Wraps `markdown`. */
  constructor(markdown: string) {
    this.markdown = markdown;
  }

  /** Called by the Deno Jupyter kernel. */
  [JUPYTER_DISPLAY](): MarkdownBundle {
    return { "text/markdown": this.markdown, "text/plain": this.markdown };
  }

  /** The markdown (what `console.log` prints). */
  toString(): string {
    return this.markdown;
  }
}

/** Markdown paragraphs (blank-line separated) as one display. */
export function markdown(...paragraphs: readonly string[]): MarkdownDisplay {
  return new MarkdownDisplay(paragraphs.filter((p) => p.trim() !== "").join("\n\n"));
}

/** A markdown bullet list of `items`. */
export function bulletList(items: readonly string[]): string {
  return items.map((item) => `- ${item}`).join("\n");
}

/** How a series moved from its first to its last value, as {@link seriesTrend} reports it. */
export interface SeriesTrend {
  /** First value. */
  first: number;
  /** Last value. */
  last: number;
  /** Steps (of `values.length - 1`) in which the value rose. */
  rises: number;
  /** Steps in which it fell. */
  falls: number;
  /** Index of the largest value. */
  peak: number;
  /**
   * One word for the shape: "rose" (rose in every step), "fell" (fell in every step), "rose, then
   * fell" (a peak inside the series), "fell, then rose", or "moved" (neither).
   */
  shape: "rose" | "fell" | "rose, then fell" | "fell, then rose" | "moved";
}

/**
 * The trend of a series (e.g. the KL term per epoch): how often it rose and fell, and the word
 * for its shape. A sentence says "rose in all 10 epochs" only when it did.
 *
 * @throws Error for fewer than two values or a non-finite one.
 */
export function seriesTrend(values: readonly number[]): SeriesTrend {
  if (values.length < 2) {
    throw new Error(`seriesTrend: ${values.length} values; a trend needs at least two.`);
  }
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new Error(`seriesTrend: values[${bad}] is ${values[bad]}; pass finite numbers.`);
  }
  let rises = 0, falls = 0, peak = 0, low = 0;
  for (let i = 1; i < values.length; i++) {
    if (values[i] > values[i - 1]) rises++;
    else if (values[i] < values[i - 1]) falls++;
    if (values[i] > values[peak]) peak = i;
    if (values[i] < values[low]) low = i;
  }
  const steps = values.length - 1;
  const last = values.length - 1;
  let shape: SeriesTrend["shape"] = "moved";
  if (rises === steps) shape = "rose";
  else if (falls === steps) shape = "fell";
  else if (peak > 0 && peak < last && values[0] < values[peak] && values[last] < values[peak]) {
    shape = "rose, then fell";
  } else if (low > 0 && low < last && values[0] > values[low] && values[last] > values[low]) {
    shape = "fell, then rose";
  }
  return { first: values[0], last: values[last], rises, falls, peak, shape };
}

/**
 * A sentence on the VAE's KL term over the training epochs, from the history: where it started
 * and ended and whether it rose, fell or peaked (e.g. "The KL term rose in 9 of 10 epochs, from
 * 3.12 to 5.54 nats").
 *
 * @throws Error for a history without KL terms (not a variational model).
 */
export function klTrendSentence(history: readonly EpochRecord[]): string {
  const kl = history.map((r) => r.trainKl);
  if (kl.length === 0 || kl.some((v) => v === undefined)) {
    throw new Error(
      "klTrendSentence: the history has no KL term per epoch; pass a variational model's history.",
    );
  }
  const values = kl as number[];
  const n = (v: number) => formatNumber(v, { decimals: 2 });
  if (values.length === 1) {
    return `Trained for one epoch: the KL term averaged ${n(values[0])} nats per image.`;
  }
  const t = seriesTrend(values);
  const epochs = values.length;
  const path = `from ${n(t.first)} nats per image in epoch 1 to ${n(t.last)} in epoch ${epochs}`;
  switch (t.shape) {
    case "rose":
      return `The KL term rose in every one of the ${epochs} epochs, ${path}: the encoder was ` +
        `still putting more information into the codes when training stopped.`;
    case "fell":
      return `The KL term fell in every one of the ${epochs} epochs, ${path}.`;
    case "rose, then fell":
      return `The KL term rose to ${n(values[t.peak])} nats in epoch ${t.peak + 1} and then ` +
        `fell, ${path}.`;
    default:
      return `The KL term rose in ${t.rises} and fell in ${t.falls} of the ${epochs - 1} ` +
        `steps between epochs, ${path}.`;
  }
}
