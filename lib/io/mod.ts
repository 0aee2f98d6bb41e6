/**
 * File helpers shared by the library and the tools: atomic writes, the machine's load from /proc, the project root, the run-folder
 * lock, the fault-injection hook of the crash tests, and the user settings read from the
 * environment (KMNIST_QUICK, KMNIST_CHROMIUM).
 *
 * @module
 */
export * from "./atomic_write.ts";
export * from "./cpu_load.ts";
export * from "./fault.ts";
export * from "./project_root.ts";
export * from "./run_lock.ts";
export * from "./settings.ts";
