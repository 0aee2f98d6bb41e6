/**
 * Colours: the Okabe-Ito colour-blind-safe palette for series and classes, viridis for heat maps,
 * and number formatting shared by the figures.
 *
 * @module
 */

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

// viridis, 9 stops (matplotlib's values at 0, 1/8, ..., 1); perceptually uniform and CVD-safe.
const VIRIDIS_STOPS: readonly (readonly [number, number, number])[] = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

/** The viridis colour of `t` in [0, 1] (clamped) as `[r, g, b]` bytes. */
export function viridis(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS_STOPS.length - 1);
  const i = Math.min(VIRIDIS_STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS_STOPS[i];
  const b = VIRIDIS_STOPS[i + 1];
  return [
    Math.round(a[0] + (b[0] - a[0]) * f),
    Math.round(a[1] + (b[1] - a[1]) * f),
    Math.round(a[2] + (b[2] - a[2]) * f),
  ];
}

/** Parses `#RRGGBB` into `[r, g, b]` bytes. */
export function hexToRgb(hex: string): [number, number, number] {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`hexToRgb: expected a colour like "#0072B2", got "${hex}".`);
  return [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)];
}

/**
 * Formats a number for axes and tables: fixed `digits` significant decimals for moderate
 * magnitudes, exponent notation for very small or large ones, no "-0".
 */
export function formatNumber(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 1e5 || abs < 1e-3) {
    return value.toExponential(Math.max(0, digits - 1)).replace(/\.?0+e/, "e").replace("e+", "e");
  }
  const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(abs)));
  const text = value.toFixed(Math.min(decimals, 10));
  return text === "-0" ? "0" : text;
}
