/**
 * The conformance tier: tfjs-core 4.22.0's own test suite (about 4,200 tests) on each of the
 * project's kernel sets, each run in its own process (run.ts), with tfjs's leak check on.
 *
 * - plain tfjs wasm runs every test, the excluded ones included: each excluded test must fail
 *   there (an exclusion is justified only by plain tfjs wasm failing it too), and nothing else;
 * - the project's `wasm` option, `blas`, and `blas` without the native helpers must pass every
 *   test but the excluded ones.
 */
import { ok as assert } from "node:assert";
import type { ConformanceResult } from "./result.ts";
import type { ConformanceBackend } from "./filters.ts";
import { loadBlas } from "../kernel_sets.ts";

async function runSuite(
  backend: ConformanceBackend,
  options: { runExcluded?: boolean; env?: Record<string, string> } = {},
): Promise<ConformanceResult> {
  const dir = await Deno.makeTempDir({ prefix: "tfjs_conformance_result_" });
  const json = `${dir}/result.json`;
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        new URL("./run.ts", import.meta.url).pathname,
        `--backend=${backend}`,
        `--json=${json}`,
        ...(options.runExcluded ? ["--run-excluded"] : []),
      ],
      env: options.env ?? {},
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder();
    let result: ConformanceResult;
    try {
      result = JSON.parse(await Deno.readTextFile(json));
    } catch {
      throw new Error(
        `The ${backend} run wrote no result (exit ${out.code}):\n${text.decode(out.stdout)}\n` +
          text.decode(out.stderr).slice(-4000),
      );
    }
    console.log(text.decode(out.stdout).split("\n")[0]);
    return result;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function assertConforms(label: string, r: ConformanceResult): void {
  assert(
    r.unexpected.length === 0,
    `${label}: ${r.unexpected.length} unexpected failures:\n${
      r.unexpected.slice(0, 30).join("\n")
    }`,
  );
  assert(r.counts.passed > 0 && r.files > 0, `${label}: no test ran`);
}

const specNames = new Map<string, Set<string>>();

Deno.test("plain tfjs wasm fails each excluded test, and only those", async () => {
  const r = await runSuite("tfjs-wasm", { runExcluded: true });
  assertConforms("tfjs-wasm", r);
  assert(
    r.excludedPassed.length === 0,
    `excluded tests that plain tfjs wasm passes (remove them from filters.ts):\n` +
      r.excludedPassed.join("\n"),
  );
  assert(r.counts.excluded > 0 && r.counts.excludedFailed === r.counts.excluded);
  specNames.set("tfjs-wasm", new Set(r.specs.map((s) => s.name)));
});

Deno.test("the project's wasm option passes tfjs-core's suite", async () => {
  const r = await runSuite("wasm");
  assertConforms("wasm", r);
  specNames.set("wasm", new Set(r.specs.map((s) => s.name)));
});

Deno.test({
  name: "blas passes tfjs-core's suite",
  ignore: loadBlas() === null,
  fn: async () => {
    const r = await runSuite("blas");
    assertConforms("blas", r);
    assert(r.backendInfo.includes('"native":true'), `native helpers not in use: ${r.backendInfo}`);
    specNames.set("blas", new Set(r.specs.map((s) => s.name)));
  },
});

Deno.test({
  name: "blas without the native helpers passes tfjs-core's suite",
  ignore: loadBlas() === null,
  fn: async () => {
    const r = await runSuite("blas", { env: { KMNIST_NATIVE: "0" } });
    assertConforms("blas (KMNIST_NATIVE=0)", r);
    assert(r.backendInfo.includes('"native":false'), `native helpers in use: ${r.backendInfo}`);
    specNames.set("blas-js", new Set(r.specs.map((s) => s.name)));
  },
});

Deno.test("every run saw the same tests", () => {
  const [first, ...rest] = [...specNames.entries()];
  assert(first !== undefined, "no run recorded its tests");
  for (const [label, names] of rest) {
    const missing = [...first[1]].filter((n) => !names.has(n));
    assert(
      names.size === first[1].size && missing.length === 0,
      `${label} saw ${names.size} tests, ${first[0]} ${first[1].size}; missing e.g. ${missing[0]}`,
    );
  }
});
