/**
 * File helpers shared by the library and the tools: atomic writes and the project root.
 *
 * @module
 */
export * from "./atomic_write.ts";
export * from "./project_root.ts";
