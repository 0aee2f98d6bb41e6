/**
 * Where tfjs-core's own op test suite is, and which of its files the conformance run loads.
 *
 * The published `@tensorflow/tfjs-core@4.22.0` package ships the suite as ES modules in `dist/`
 * (`tests.js` lists every test file, `jasmine_util.js` runs them per test environment). Its imports
 * have no `.js` extension, which only a "sloppy" resolver accepts, and Deno treats files inside
 * `node_modules` as npm files with strict resolution. So the runner reaches the same files through
 * a symbolic link in a temporary folder ({@link linkCoreDist}) and runs with
 * `--unstable-sloppy-imports`: nothing is copied or edited.
 *
 * @module
 */
import * as path from "node:path";

/** Test files of tfjs-core (paths under `dist/`) that are not loaded, with the reason. */
export const SKIPPED_FILES: Readonly<Record<string, string>> = {
  "ops/rand_test.js": "imports the directory specifier '..', which no ES resolver maps to index.js",
};

/** The realpath of the installed `@tensorflow/tfjs-core` package's `dist/` folder. */
export async function coreDistDirectory(): Promise<string> {
  const root = new URL("../../../node_modules/@tensorflow/tfjs-core/dist", import.meta.url);
  try {
    return await Deno.realPath(root);
  } catch (error) {
    throw new Error(
      `tfjs-core's test suite is not installed at ${root.pathname} (${error}). Run ` +
        `"deno install" in the project root (deno.json imports npm:@tensorflow/tfjs-core@4.22.0).`,
    );
  }
}

/**
 * Creates a temporary folder holding a link `dist` to tfjs-core's `dist/` and returns the link's
 * path (remove the folder with {@link unlinkCoreDist}).
 */
export async function linkCoreDist(): Promise<string> {
  const target = await coreDistDirectory();
  const dir = await Deno.makeTempDir({ prefix: "tfjs_core_suite_" });
  const link = path.join(dir, "dist");
  await Deno.symlink(target, link, { type: "dir" });
  return link;
}

/** Removes the folder {@link linkCoreDist} made (the link only; the package is untouched). */
export async function unlinkCoreDist(link: string): Promise<void> {
  await Deno.remove(path.dirname(link), { recursive: true });
}

/** The test files `dist/tests.js` imports, as paths relative to `dist/` with `.js`. */
export async function listTestFiles(dist: string): Promise<string[]> {
  const text = await Deno.readTextFile(path.join(dist, "tests.js"));
  const files = [...text.matchAll(/^import '\.\/([^']+)';$/gm)].map((m) => `${m[1]}.js`);
  if (files.length === 0) {
    throw new Error(`No test imports found in ${path.join(dist, "tests.js")}: unexpected layout.`);
  }
  return files;
}

/** The files among `files` the run loads: all of them less {@link SKIPPED_FILES}. */
export function selectFiles(files: readonly string[]): string[] {
  return files.filter((f) => !(f in SKIPPED_FILES));
}
