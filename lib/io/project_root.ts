/**
 * The project's root folder, and paths shown to people relative to it (committed outputs never
 * carry the absolute path of the machine that ran them).
 *
 * @module
 */
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/** Absolute path of the project root (the folder holding deno.json), with a trailing separator. */
export const PROJECT_ROOT: string = fileURLToPath(new URL("../../", import.meta.url));

/** `file` as a path relative to the project root when it lies inside it, else unchanged. */
export function displayPath(file: string): string {
  const relative = path.relative(PROJECT_ROOT, path.resolve(file));
  if (relative === "") return ".";
  return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}
