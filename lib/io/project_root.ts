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

/**
 * `file` as people should see it in outputs that get committed: relative to the project root when
 * it lies inside the project or beside it (`../shared/...`); elsewhere only its last two path
 * segments after `…/`, so that no absolute path of the machine that ran it is printed.
 */
export function displayPath(file: string): string {
  const relative = path.relative(PROJECT_ROOT, path.resolve(file));
  if (relative === "") return ".";
  const ups = relative.split(path.sep).filter((part) => part === "..").length;
  if (!path.isAbsolute(relative) && ups <= 1) return relative;
  return `…/${path.resolve(file).split(path.sep).filter((p) => p !== "").slice(-2).join("/")}`;
}
