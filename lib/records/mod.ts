/**
 * The one record format of a trained run (`metrics.json`): its fields, reading it (checked, with
 * errors naming the file and the fix), writing it (atomically), and the training summary it keeps.
 * The notebooks (through lib/experiments), `deno task train`, the design study and the report all
 * read and write it here.
 *
 * ```ts
 * import { buildRunRecord, readRunRecord, writeRunRecord } from "../lib/records/mod.ts";
 * await writeRunRecord("runs/conv", buildRunRecord({ name, title, quick, settings, training, evaluation }));
 * const record = await readRunRecord("runs/conv"); // undefined when it is not there yet
 * ```
 *
 * @module
 */
export * from "./format.ts";
export * from "./validate.ts";
export * from "./io.ts";
export * from "./training.ts";
