/**
 * Runs tfjs-core 4.22.0's own op test suite (jasmine, as tfjs-backend-wasm and tfjs-node run it)
 * against one of the project's backends, with tfjs's test mode on (`IS_TEST`: the engine checks
 * for leaked data ids after every kernel).
 *
 *   deno run --allow-all packages/tfjs_blas/conformance/run.ts --backend blas|wasm|tfjs-wasm \
 *     [--json out.json] [--run-excluded] [--files ops/add_test.js,...] [--verbose]
 *
 * It restarts itself in a child process with `--unstable-sloppy-imports` and the import map of
 * import_map.ts (see suite.ts for why), so that the command above is all it takes.
 *
 * `blas` and `wasm` are `initBackend`'s choices (project kernels registered on tfjs's wasm
 * backend); `tfjs-wasm` is tfjs-backend-wasm as shipped, with no project code loaded. Tests in
 * filters.ts are skipped (jasmine reports them excluded) unless `--run-excluded`, which runs them
 * and records their outcome (used to check that plain tfjs wasm fails each of them too).
 * Prints a summary and exits 1 when a test outside the list fails or a test file does not load.
 *
 * @module
 */
import { createRequire } from "node:module";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { type ConformanceBackend, EXCLUDED_TESTS, exclusionFor } from "./filters.ts";

export type { ConformanceBackend };
import { writeConformanceImportMap } from "./import_map.ts";
import { linkCoreDist, listTestFiles, selectFiles, unlinkCoreDist } from "./suite.ts";
import { type ConformanceResult, type SpecOutcome, summarize } from "./result.ts";

/** The test environment every run registers: one name, so test names match across backends. */
export const TEST_ENV_NAME = "test-wasm";

// deno-lint-ignore no-explicit-any
type Jasmine = any;

function setUpJasmine(): { jasmine: Jasmine; env: Jasmine } {
  const require = createRequire(import.meta.url);
  // tfjs-core's dist/jasmine_util.js and some test files call a free `require`.
  Object.assign(globalThis, { require });
  const jasmineRequire = require("jasmine-core/lib/jasmine-core/jasmine.js");
  const jasmine = jasmineRequire.core(jasmineRequire);
  jasmine.DEFAULT_TIMEOUT_INTERVAL = 60000;
  const env = jasmine.getEnv();
  Object.assign(globalThis, jasmineRequire.interface(jasmine, env), { jasmine });
  return { jasmine, env };
}

async function startBackend(backend: ConformanceBackend): Promise<string> {
  // The union package registers every gradient and chained op, as the project's code sees them.
  await import("@tensorflow/tfjs");
  if (backend === "tfjs-wasm") {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    const dir = new URL(
      "../../../node_modules/@tensorflow/tfjs-backend-wasm/dist/",
      import.meta.url,
    );
    wasm.setWasmPaths(dir.href);
    return "tfjs-backend-wasm 4.22.0 as shipped (no project kernels)";
  }
  const { initBackend } = await import("../backend.ts");
  const info = await initBackend({ backend });
  if (info.name !== backend) {
    throw new Error(
      `Asked for the ${backend} backend, got ${info.name}: ${info.fallbackReason ?? "?"}. ` +
        `Install OpenBLAS (deno task setup) or run the conformance suite with --backend wasm.`,
    );
  }
  return JSON.stringify(info);
}

/** Options of {@link runConformance}. */
export interface RunOptions {
  /** The backend under test. */
  backend: ConformanceBackend;
  /** Run the tests filters.ts excludes and record their outcome (default false: skip them). */
  runExcluded?: boolean;
  /** Only these files (paths under tfjs-core's `dist/`, e.g. `ops/add_test.js`), to debug. */
  files?: string[];
}

/** Runs the suite in this process (once per process: jasmine and tfjs keep global state). */
export async function runConformance(options: RunOptions): Promise<ConformanceResult> {
  const started = performance.now();
  const { env } = setUpJasmine();
  const backendInfo = await startBackend(options.backend);
  const dist = await linkCoreDist();
  try {
    const all = await listTestFiles(dist);
    const files = options.files ?? selectFiles(all);
    const jasmineUtil = await import(path.join(dist, "jasmine_util.js"));
    jasmineUtil.setTestEnvs([{ name: TEST_ENV_NAME, backendName: "wasm", isDataSync: true }]);
    const runExcluded = options.runExcluded ?? false;
    env.configure({
      random: false,
      stopOnSpecFailure: false,
      specFilter: (spec: Jasmine) =>
        runExcluded || exclusionFor(spec.getFullName(), options.backend) === undefined,
    });
    const loadErrors: Record<string, string> = {};
    for (const file of files) {
      try {
        await import(path.join(dist, file));
      } catch (error) {
        loadErrors[file] = String(error).slice(0, 500);
      }
    }
    const specs: SpecOutcome[] = [];
    const suiteErrors: string[] = [];
    await new Promise<void>((resolve) => {
      env.addReporter({
        specDone(r: Jasmine) {
          const messages = (r.failedExpectations ?? []).map((e: Jasmine) => String(e.message));
          specs.push({
            name: r.fullName,
            status: r.status,
            message: messages.join(" | ").slice(0, 400),
          });
        },
        suiteDone(r: Jasmine) {
          for (const e of r.failedExpectations ?? []) {
            suiteErrors.push(`${r.fullName}: ${String(e.message).slice(0, 400)}`);
          }
        },
        jasmineDone(r: Jasmine) {
          for (const e of r.failedExpectations ?? []) {
            suiteErrors.push(`(top level): ${String(e.message).slice(0, 400)}`);
          }
          resolve();
        },
      });
      env.execute();
    });
    return summarize({
      backend: options.backend,
      backendInfo,
      files: files.length,
      runExcluded,
      specs,
      suiteErrors,
      loadErrors,
      exclusions: EXCLUDED_TESTS.length,
      seconds: (performance.now() - started) / 1000,
    });
  } finally {
    await unlinkCoreDist(dist);
  }
}

/** Environment variable set in the child process that runs the suite. */
const CHILD = "KMNIST_CONFORMANCE_CHILD";

/** Runs this file again with the flags the suite needs; returns its exit code. */
async function restartWithSuiteFlags(): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "tfjs_conformance_" });
  try {
    const importMap = await writeConformanceImportMap(dir);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        "--unstable-sloppy-imports",
        `--import-map=${importMap}`,
        new URL(import.meta.url).pathname,
        ...Deno.args,
      ],
      env: { [CHILD]: "1" },
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    });
    return (await child.spawn().status).code;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main && Deno.env.get(CHILD) !== "1") {
  Deno.exit(await restartWithSuiteFlags());
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      backend: { type: "string", default: "blas" },
      json: { type: "string" },
      "run-excluded": { type: "boolean", default: false },
      files: { type: "string" },
      verbose: { type: "boolean", default: false },
    },
  });
  const backend = values.backend as ConformanceBackend;
  if (!["blas", "wasm", "tfjs-wasm"].includes(backend)) {
    console.error(`Unknown --backend "${backend}": use blas, wasm or tfjs-wasm.`);
    Deno.exit(2);
  }
  const result = await runConformance({
    backend,
    runExcluded: values["run-excluded"],
    files: values.files?.split(","),
  });
  if (values.json !== undefined) {
    await Deno.writeTextFile(values.json, JSON.stringify(result, null, 1) + "\n");
  }
  const c = result.counts;
  console.log(
    `${backend} (${result.files} files, ${result.seconds.toFixed(0)} s): ` +
      `${c.passed} passed, ${c.failed} failed, ${c.excluded} excluded` +
      (result.runExcluded ? ` (of which ${c.excludedFailed} failed when run)` : "") +
      `, ${c.suiteErrors} suite errors, ${c.loadErrors} files not loaded`,
  );
  const show = values.verbose ? Infinity : 40;
  for (const f of result.unexpected.slice(0, show)) console.log(`UNEXPECTED ${f}`);
  if (result.unexpected.length > show) {
    console.log(`... and ${result.unexpected.length - show} more (--verbose or --json)`);
  }
  Deno.exit(result.unexpected.length === 0 ? 0 : 1);
}
