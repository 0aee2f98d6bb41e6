/**
 * Number formatting: the one rule for every number the project shows, in figures (tick labels,
 * tables, captions) and in the text the notebooks print.
 *
 * Everything goes through `d3-format` with one locale: "." as the decimal point, "," between
 * thousands, and the ASCII hyphen-minus "-" for negatives (d3's default is U+2212, which
 * `Number()` does not parse back). Rounding is d3-format's: fixed decimals come from
 * `Number.prototype.toFixed` on the binary value, so 42.05 (stored as 42.04999...) is "42.0"
 * everywhere, and a negative value that rounds to zero prints without its sign ("0.00", not
 * "-0.00").
 *
 * Loading this module makes that locale d3-format's default, so d3-scale's `tickFormat` (axis
 * labels) follows the same rule.
 *
 * ```ts
 * formatNumber(42.05, { decimals: 1 });                     // "42.0"
 * formatNumber(101234, { decimals: 0 });                    // "101,234"
 * formatNumber(-0.5, { decimals: 0, sign: true, percent: true }); // "-50%"
 * formatNumber(0.000123456);                               // "0.0001235" (4 significant)
 * ```
 *
 * @module
 */
// @ts-types="@types/d3-format"
import { format, formatDefaultLocale } from "d3-format";

/** The project's d3-format locale definition (en-US with an ASCII minus). */
export const NUMBER_LOCALE = {
  decimal: ".",
  thousands: ",",
  grouping: [3],
  currency: ["", ""] as [string, string],
  minus: "-",
};

formatDefaultLocale(NUMBER_LOCALE);

/** How {@link formatNumber} writes a value. */
export interface NumberFormatOptions {
  /** Fixed decimals, 0..20 (d3 `.Nf`); when absent, `significant` digits are used. */
  decimals?: number;
  /**
   * Significant digits, 1..21, in decimal notation (no exponent) with insignificant trailing
   * zeros trimmed (d3 `.N~r`; default 4).
   */
  significant?: number;
  /** Write "+" before positive values and zero (default false). */
  sign?: boolean;
  /** Multiply by 100 and append "%" (d3 `%`); `decimals` then counts the percent's decimals. */
  percent?: boolean;
}

function checkDigits(name: string, value: number, low: number, high: number): void {
  if (!Number.isInteger(value) || value < low || value > high) {
    throw new Error(
      `formatNumber: ${name} is ${value}; pass a whole number from ${low} to ${high}.`,
    );
  }
}

/**
 * The d3-format specifier that {@link formatNumber} uses for `options`, e.g. `",.4f"` for
 * `{ decimals: 4 }`, `"+,.0%"` for `{ decimals: 0, sign: true, percent: true }`.
 *
 * @throws Error for decimals outside 0..20 or significant digits outside 1..21.
 */
export function numberSpecifier(options: NumberFormatOptions = {}): string {
  const sign = options.sign ? "+" : "";
  if (options.decimals !== undefined) {
    checkDigits("decimals", options.decimals, 0, 20);
    return `${sign},.${options.decimals}${options.percent ? "%" : "f"}`;
  }
  const significant = options.significant ?? 4;
  checkDigits("significant", significant, 1, 21);
  return `${sign},.${significant}~${options.percent ? "p" : "r"}`;
}

const cache = new Map<string, (value: number) => string>();

/**
 * A formatting function for a d3-format `specifier`, in the project locale (see the module
 * documentation). Use it for tick labels or columns that need a specifier of their own.
 *
 * @throws Error naming the specifier when d3-format cannot parse it.
 */
export function numberFormat(specifier: string): (value: number) => string {
  const known = cache.get(specifier);
  if (known !== undefined) return known;
  let formatter: (value: number) => string;
  try {
    formatter = format(specifier);
  } catch (error) {
    throw new Error(
      `numberFormat: "${specifier}" is not a d3-format specifier (${
        (error as Error).message
      }); see https://d3js.org/d3-format#locale_format, e.g. ",.2f".`,
    );
  }
  cache.set(specifier, formatter);
  return formatter;
}

/**
 * Formats a number by the project rule: fixed `decimals` (thousands grouped) or, by default,
 * four significant digits with trailing zeros trimmed. Non-finite values print as "NaN",
 * "Infinity", "-Infinity".
 *
 * @throws Error for decimals outside 0..20 or significant digits outside 1..21.
 */
export function formatNumber(value: number, options: NumberFormatOptions = {}): string {
  if (!Number.isFinite(value)) return String(value);
  return numberFormat(numberSpecifier(options))(value);
}
