/**
 * File helpers shared by the library and the tools: atomic writes, the project root, the run-folder
 * lock and the fault-injection hook of the crash tests.
 *
 * @module
 */
export * from "./atomic_write.ts";
export * from "./fault.ts";
export * from "./project_root.ts";
export * from "./run_lock.ts";
