/**
 * How the project prints numbers, in figures and in text alike: one formatter (d3-format, en-US
 * grouping, an ASCII minus), so a value reads the same in a table, a tick label and a sentence.
 *
 * @module
 */
export * from "./number_format.ts";
export * from "./encoding.ts";
