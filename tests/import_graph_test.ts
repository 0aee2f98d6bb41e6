/**
 * Imports run one way: `deno info --json` on every lib/ entry and tool gives the project's import
 * graph, which must hold no cycle between files, and whose lib/ folders may import only the folders
 * below them (io/format -> data -> models -> train -> metrics -> records -> experiments -> study
 * -> explorer -> notebook/report; plot sits low and draws what it is given).
 */
import assert from "node:assert/strict";
import * as path from "node:path";

const ROOT = new URL("../", import.meta.url).pathname;

/** lib/'s folders from the bottom up; each may import the folders of the layers below its own. */
const LAYERS: readonly (readonly string[])[] = [
  ["io", "format"],
  ["data"],
  ["models"],
  ["train"],
  ["metrics"],
  ["records"],
  ["experiments"],
  ["study"],
  ["explorer"],
  ["notebook", "report"],
];

/** What each lib/ folder may import (besides itself and npm/node packages). */
const ALLOWED: Record<string, readonly string[]> = Object.fromEntries(
  LAYERS.flatMap((layer, i) => layer.map((folder) => [folder, LAYERS.slice(0, i).flat()])),
);
// The plot layer: numbers in, figures out (lib/metrics for the latent scatter's PCA only); the
// explorer and the notebook steps draw with it.
ALLOWED.plot = ["io", "format", "data", "metrics"];
ALLOWED.explorer = [...ALLOWED.explorer, "plot"];
ALLOWED.notebook = [...ALLOWED.notebook, "plot"];

/** The project's files each file imports (file paths relative to the project root). */
async function importGraph(entries: string[]): Promise<Map<string, Set<string>>> {
  const graph = new Map<string, Set<string>>();
  for (const entry of entries) {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", entry],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(output.success, new TextDecoder().decode(output.stderr));
    const info = JSON.parse(new TextDecoder().decode(output.stdout));
    for (const module of info.modules ?? []) {
      if (!String(module.specifier).startsWith("file://")) continue;
      const from = path.relative(ROOT, new URL(module.specifier).pathname);
      const targets = graph.get(from) ?? new Set<string>();
      for (const dependency of module.dependencies ?? []) {
        const resolved = [dependency.code?.specifier, dependency.type?.specifier];
        // A relative specifier names a project file whatever a types directive says.
        if (String(dependency.specifier).startsWith(".")) {
          resolved.push(new URL(dependency.specifier, module.specifier).href);
        }
        for (const to of resolved) {
          if (typeof to === "string" && to.startsWith("file://")) {
            targets.add(path.relative(ROOT, new URL(to).pathname));
          }
        }
      }
      graph.set(from, targets);
    }
  }
  return graph;
}

/** The cycles of a graph (each as the path that closes it). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === "open") found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

Deno.test("cycles() finds a cycle and passes a one-way graph", () => {
  const graph = (edges: [string, string][]) => {
    const g = new Map<string, Set<string>>();
    for (const [a, b] of edges) g.set(a, (g.get(a) ?? new Set()).add(b));
    return g;
  };
  assert.deepEqual(cycles(graph([["a", "b"], ["b", "c"]])), []);
  assert.deepEqual(cycles(graph([["a", "b"], ["b", "c"], ["c", "a"]])), [["a", "b", "c", "a"]]);
});

Deno.test("imports run one way: no file cycle, every lib/ folder imports only those below it", async () => {
  const entries = [
    ...Object.keys(ALLOWED).map((folder) => `lib/${folder}/mod.ts`),
    "packages/tfjs_blas/mod.ts",
    ...[...Deno.readDirSync(path.join(ROOT, "tools"))]
      .filter((e) => e.name.endsWith(".ts")).map((e) => `tools/${e.name}`),
  ];
  const graph = await importGraph(entries);
  assert.ok(graph.size > 100, `only ${graph.size} files in the graph`);
  assert.deepEqual(cycles(graph), [], "import cycles");
  const wrong: string[] = [];
  for (const [from, targets] of graph) {
    const source = from.match(/^lib\/([^/]+)\//)?.[1];
    for (const to of targets) {
      if (from.startsWith("packages/") && !to.startsWith("packages/")) {
        wrong.push(`${from} -> ${to} (the speed package imports nothing from the project)`);
      }
      const target = to.match(/^lib\/([^/]+)\//)?.[1];
      if (!source || !target || source === target) continue;
      if (!(source in ALLOWED)) wrong.push(`${from}: lib/${source}/ has no place in the order`);
      else if (!ALLOWED[source].includes(target)) wrong.push(`${from} -> ${to}`);
    }
  }
  assert.deepEqual(wrong, [], "imports against the one-way order");
});
