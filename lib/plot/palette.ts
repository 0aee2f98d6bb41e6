/**
 * Colours: the Okabe-Ito colour-blind-safe palette for series and classes (not in
 * d3-scale-chromatic, so kept here), and viridis from d3-scale-chromatic for heat maps.
 *
 * @module
 */
// @ts-types="@types/d3-scale-chromatic"
import { interpolateViridis } from "d3-scale-chromatic";

/**
 * Okabe & Ito (2008) colours, safe for the common colour-vision deficiencies, plus two greys so
 * that ten classes each get their own colour. Order: blue, orange, bluish green, vermillion,
 * reddish purple, sky blue, yellow, black, grey, light brown.
 */
export const OKABE_ITO: readonly string[] = [
  "#0072B2",
  "#E69F00",
  "#009E73",
  "#D55E00",
  "#CC79A7",
  "#56B4E9",
  "#F0E442",
  "#000000",
  "#999999",
  "#8C6D31",
];

/** The colour of series or class `i` (cycles through {@link OKABE_ITO}). */
export function seriesColor(i: number): string {
  return OKABE_ITO[((i % OKABE_ITO.length) + OKABE_ITO.length) % OKABE_ITO.length];
}

/** Figure text and axis colours. */
export const INK = { text: "#222222", muted: "#555555", axis: "#444444", grid: "#E6E6E6" };

/**
 * The viridis colour of `t` in [0, 1] (clamped; non-finite counts as 0) as `[r, g, b]` bytes:
 * d3-scale-chromatic's `interpolateViridis` (matplotlib's 256-colour table); perceptually
 * uniform and CVD-safe.
 */
export function viridis(t: number): [number, number, number] {
  return hexToRgb(interpolateViridis(Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0))));
}

/** Parses `#RRGGBB` into `[r, g, b]` bytes. */
export function hexToRgb(hex: string): [number, number, number] {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`hexToRgb: expected a colour like "#0072B2", got "${hex}".`);
  return [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)];
}
