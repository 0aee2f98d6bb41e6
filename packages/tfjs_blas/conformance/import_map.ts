/**
 * The import map the conformance run starts with: the project's own imports (deno.json) plus the
 * two bare specifiers tfjs-core's ES module files use that the project does not (`long`, and
 * `seedrandom` through seedrandom_shim.ts). Written to a temporary file per run, so it follows
 * deno.json.
 *
 * @module
 */
import * as path from "node:path";

/** npm versions tfjs-core 4.22.0 depends on (its package.json). */
const CORE_DEPENDENCIES: Readonly<Record<string, string>> = { long: "npm:long@4.0.0" };

/** The import map as an object. */
export async function conformanceImportMap(): Promise<{ imports: Record<string, string> }> {
  const config = new URL("../../../deno.json", import.meta.url);
  const { imports } = JSON.parse(await Deno.readTextFile(config)) as {
    imports: Record<string, string>;
  };
  const root = new URL("../../../", import.meta.url);
  const absolute = Object.fromEntries(
    Object.entries(imports).map((
      [k, v],
    ) => [k, v.startsWith("./") ? new URL(v, root).href : v]),
  );
  return {
    imports: {
      ...absolute,
      ...CORE_DEPENDENCIES,
      seedrandom: new URL("./seedrandom_shim.ts", import.meta.url).href,
    },
  };
}

/** Writes the import map into `dir` and returns its path. */
export async function writeConformanceImportMap(dir: string): Promise<string> {
  const file = path.join(dir, "import_map.json");
  await Deno.writeTextFile(file, JSON.stringify(await conformanceImportMap(), null, 2) + "\n");
  return file;
}
