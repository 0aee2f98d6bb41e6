/**
 * The package's boundary: research code (lib/, notebooks/) imports nothing from it but
 * `initBackend` (and its result types), through the workspace name, never a file inside it.
 */
import { ok as assert } from "node:assert";
import { join } from "node:path";

const ROOT = new URL("../../../", import.meta.url).pathname;

/** Names research code may import from the package. */
const ALLOWED = new Set(["initBackend", "BackendInfo", "BackendName", "InitBackendOptions"]);

/** Every .ts file under `dir`, recursively. */
async function* sources(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* sources(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

/** The code of a notebook's cells. */
async function notebookCode(path: string): Promise<string> {
  const notebook = JSON.parse(await Deno.readTextFile(path)) as {
    cells: { cell_type: string; source: string | string[] }[];
  };
  return notebook.cells.filter((c) => c.cell_type === "code")
    .map((c) => Array.isArray(c.source) ? c.source.join("") : c.source).join("\n");
}

/** Problems with the package imports in `code` (from `where`). */
function problems(code: string, where: string): string[] {
  const found: string[] = [];
  const imports = code.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s+from\s+"([^"]+)"/g);
  for (const [, , names, specifier] of imports) {
    const fromPackage = specifier === "@kmnist/tfjs-blas" || specifier.includes("tfjs_blas");
    if (!fromPackage) continue;
    if (specifier !== "@kmnist/tfjs-blas") found.push(`${where}: imports the file ${specifier}`);
    for (const raw of names.split(",")) {
      const name = raw.trim().replace(/^type\s+/, "").split(/\s+as\s+/)[0];
      if (name !== "" && !ALLOWED.has(name)) found.push(`${where}: imports ${name}`);
    }
  }
  for (const m of code.matchAll(/(?:import|from)\s*\(?\s*"([^"]*tfjs[-_]blas[^"]*)"/g)) {
    if (m[1] !== "@kmnist/tfjs-blas") found.push(`${where}: imports the file ${m[1]}`);
  }
  return [...new Set(found)];
}

Deno.test("research code imports only initBackend from the speed package", async () => {
  const found: string[] = [];
  let files = 0;
  for await (const path of sources(join(ROOT, "lib"))) {
    found.push(...problems(await Deno.readTextFile(path), path.slice(ROOT.length)));
    files++;
  }
  for await (const entry of Deno.readDir(join(ROOT, "notebooks"))) {
    if (!entry.name.endsWith(".ipynb")) continue;
    const path = join(ROOT, "notebooks", entry.name);
    found.push(...problems(await notebookCode(path), `notebooks/${entry.name}`));
    files++;
  }
  assert(files > 10, `only ${files} research files found under ${ROOT}`);
  assert(found.length === 0, `research code reaches into the speed package:\n${found.join("\n")}`);
});

Deno.test("the boundary check catches a deep import and a name other than initBackend", () => {
  const deep = 'import { fuseLayerCalls } from "../../packages/tfjs_blas/fused_layers.ts";';
  assert(problems(deep, "x").length === 2, problems(deep, "x").join("; "));
  assert(problems('import { loadBlas } from "@kmnist/tfjs-blas";', "x").length === 1);
  assert(problems('import { initBackend } from "@kmnist/tfjs-blas";', "x").length === 0);
});
