/**
 * The report: notebooks executed through the real Deno kernel, exported to HTML and PDF, and an
 * index page with each run's headline metrics. `tools/report.ts` is the command line over
 * {@link runReport}; the tests use the parts.
 *
 * ```ts
 * import { runReport } from "../lib/report/mod.ts";
 * await runReport({ quick: true, only: ["01_vanilla"] }); // reports/quick/01_vanilla.html, .pdf
 * ```
 *
 * @module
 */
export * from "./execute.ts";
export * from "./export.ts";
export * from "./index_page.ts";
export * from "./run.ts";
export * from "./timings.ts";
