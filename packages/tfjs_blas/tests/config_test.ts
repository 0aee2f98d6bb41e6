import { ok as assert } from "node:assert";
import { parseSpeedConfig, SWITCHES } from "../config.ts";
import { runSnippet } from "../../../tests/helpers/process.ts";

/** A reader over a fixed set of variables (nothing else set). */
const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

/** The error parseSpeedConfig throws for `vars`, or null when it accepts them. */
function errorFor(vars: Record<string, string>): Error | null {
  try {
    parseSpeedConfig(envOf(vars));
    return null;
  } catch (error) {
    return error as Error;
  }
}

Deno.test("with nothing set every switch has its documented default", () => {
  const config = parseSpeedConfig(envOf({}));
  assert(config.backend === undefined && config.blasThreads === undefined);
  assert(config.openblas === undefined && config.nativeCache === undefined);
  assert(config.openblasThreadTimeout === undefined);
  assert(config.native && config.nativeOpenmp && config.parallelBlocks && config.blockedConv);
  assert(config.fusedLayers && config.directConv && !config.phaseDetail);
  assert(config.cc === "cc" && config.col2imBlock === 131_072);
  // Every variable the README documents is one the parser reads.
  const read = new Set<string>();
  parseSpeedConfig((name) => {
    read.add(name);
    return undefined;
  });
  for (const { variable } of SWITCHES) assert(read.has(variable), `${variable} is never read`);
  assert(read.size === SWITCHES.length, `undocumented switches: ${[...read]}`);
});

Deno.test("valid values are parsed into their types", () => {
  const config = parseSpeedConfig(envOf({
    KMNIST_BACKEND: "wasm",
    KMNIST_BLAS_THREADS: "3",
    OPENBLAS_THREAD_TIMEOUT: "7",
    KMNIST_OPENBLAS: "/opt/lib/libopenblas.so",
    KMNIST_NATIVE: "0",
    KMNIST_CC: "clang",
    KMNIST_NATIVE_CACHE: "/tmp/helpers",
    KMNIST_NATIVE_OPENMP: "0",
    KMNIST_PARALLEL_BLOCKS: "0",
    KMNIST_BLOCKED_CONV: "0",
    KMNIST_COL2IM_BLOCK: "65536",
    KMNIST_FUSED_LAYERS: "0",
    KMNIST_DIRECT_CONV: "0",
    KMNIST_PHASE_DETAIL: "1",
  }));
  assert(config.backend === "wasm" && config.blasThreads === 3);
  assert(config.openblasThreadTimeout === 7 && config.openblas === "/opt/lib/libopenblas.so");
  assert(!config.native && config.cc === "clang" && config.nativeCache === "/tmp/helpers");
  assert(!config.nativeOpenmp && !config.parallelBlocks && !config.blockedConv);
  assert(config.col2imBlock === 65536 && !config.fusedLayers && !config.directConv);
  assert(config.phaseDetail);
  // An empty value counts as unset.
  assert(parseSpeedConfig(envOf({ KMNIST_BLAS_THREADS: "" })).blasThreads === undefined);
});

Deno.test("an invalid value is an error naming the variable, the value and what is allowed", () => {
  const cases: [string, string, RegExp][] = [
    ["KMNIST_BLAS_THREADS", "abc", /positive integer/],
    ["KMNIST_BLAS_THREADS", "0", /positive integer/],
    ["KMNIST_BLAS_THREADS", "2.5", /positive integer/],
    ["KMNIST_COL2IM_BLOCK", "-1", /positive integer/],
    ["OPENBLAS_THREAD_TIMEOUT", "31", /0 to 30/],
    ["KMNIST_BACKEND", "gpu", /blas, wasm, cpu/],
    ["KMNIST_NATIVE", "no", /0 \(off\) or 1 \(on\)/],
    ["KMNIST_FUSED_LAYERS", "false", /0 \(off\) or 1 \(on\)/],
    ["KMNIST_PARALLEL_BLOCKS", "2", /0 \(off\) or 1 \(on\)/],
    ["KMNIST_PHASE_DETAIL", "yes", /0 \(off\) or 1 \(on\)/],
  ];
  for (const [variable, value, allowed] of cases) {
    const error = errorFor({ [variable]: value });
    assert(error !== null, `${variable}=${value} was accepted`);
    assert(error.message.includes(`${variable}="${value}"`), error.message);
    assert(allowed.test(error.message), error.message);
  }
});

Deno.test("initBackend fails on an invalid switch, naming it (not silently ignored)", async () => {
  const code = `
    import { initBackend } from "./packages/tfjs_blas/mod.ts";
    try {
      await initBackend({ backend: "cpu" });
      console.log("started");
    } catch (error) {
      console.log(error.message);
    }`;
  const r = await runSnippet(code, { KMNIST_BLAS_THREADS: "abc" });
  assert(r.stdout.includes('KMNIST_BLAS_THREADS="abc" is not a valid value'), r.stdout + r.stderr);
  assert(!r.stdout.includes("started"), r.stdout);
});
