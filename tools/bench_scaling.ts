/**
 * How training cost grows with the batch and the thread count: tools/bench.ts run once per
 * (model, batch, threads) in a fresh process each, so each row's peak resident memory is that
 * model's alone, and the thread count is fixed before OpenBLAS and the C helpers load
 * (`KMNIST_BLAS_THREADS` and `OMP_NUM_THREADS` set to it).
 *
 *   deno task bench:scaling [--models vanilla,convolutional] [--batches 32,128,512]
 *                           [--threads 1,2] [--together] [--steps N] [--out FILE] [--json]
 *
 * Prints a Markdown table: training images/s at each thread count, the speed-up of the most
 * threads over one and the parallel efficiency (speed-up / threads), and the peak resident memory
 * (VmHWM) of the run with the most threads. `--together` also runs as many 1-thread processes at
 * once as the most threads (two on this machine) and adds their summed images/s: the other way to
 * use the cores, as the study could run two trials at a time. The runs go model by model, batch by
 * batch, the thread counts back to back, so slow drifts of the machine's load touch both sides
 * alike. Not a timed test: it prints what it measures (on a busy machine the ratios are the
 * figures to read).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import {
  BENCH_MODELS,
  type BenchModel,
  type BenchRow,
  fmt,
  parseBenchModels,
  wholeNumber,
} from "./bench.ts";
import { writeJsonAtomic } from "../lib/io/mod.ts";

/** One (model, batch, threads) run. */
export interface ScalingRun {
  /** The model (`BENCH_MODELS`). */
  model: BenchModel;
  /** Images per training step. */
  batchSize: number;
  /** OpenBLAS and OpenMP threads. */
  threads: number;
  /** Training images per second. */
  imagesPerSecond: number;
  /** Achieved training GFLOP/s. */
  gflops: number;
  /** The process's peak resident memory, bytes (null without /proc). */
  peakResidentBytes: number | null;
}

/** One row of the table: a (model, batch) at every thread count. */
export interface ScalingRow {
  model: BenchModel;
  batchSize: number;
  /** Images/s by thread count. */
  imagesPerSecond: Record<number, number>;
  /** Images/s at the most threads over images/s at one (NaN without a 1-thread run). */
  speedUp: number;
  /** speedUp / the most threads. */
  parallelEfficiency: number;
  /** Peak resident memory of the run with the most threads, bytes (null without /proc). */
  peakResidentBytes: number | null;
  /**
   * With `--together`: the summed images/s of as many 1-thread processes at once as the most
   * threads, and that over the most threads' images/s (above 1: running side by side wins).
   */
  together?: { processes: number; imagesPerSecond: number; gain: number };
}

/** Groups the runs into rows, in the order the runs came. */
export function scalingRows(runs: ScalingRun[], together: TogetherRun[] = []): ScalingRow[] {
  const rows = new Map<string, ScalingRun[]>();
  for (const run of runs) {
    const key = `${run.model}/${run.batchSize}`;
    rows.set(key, [...(rows.get(key) ?? []), run]);
  }
  return [...rows.values()].map((group) => {
    const byThreads: Record<number, number> = {};
    for (const run of group) byThreads[run.threads] = run.imagesPerSecond;
    const most = group.reduce((a, b) => (b.threads > a.threads ? b : a));
    const one = byThreads[1];
    const speedUp = one === undefined ? NaN : most.imagesPerSecond / one;
    const side = together.find((t) =>
      t.model === group[0].model && t.batchSize === group[0].batchSize
    );
    return {
      model: group[0].model,
      batchSize: group[0].batchSize,
      imagesPerSecond: byThreads,
      speedUp,
      parallelEfficiency: speedUp / most.threads,
      peakResidentBytes: most.peakResidentBytes,
      ...(side
        ? {
          together: {
            processes: side.processes,
            imagesPerSecond: side.imagesPerSecond,
            gain: side.imagesPerSecond / most.imagesPerSecond,
          },
        }
        : {}),
    };
  });
}

/** 1-thread processes run at once on one (model, batch). */
export interface TogetherRun {
  model: BenchModel;
  batchSize: number;
  /** How many ran at once. */
  processes: number;
  /** Their images/s, summed. */
  imagesPerSecond: number;
}

/** The rows as a Markdown table (numbers right-aligned). */
export function scalingTable(rows: ScalingRow[], threads: number[]): string {
  const most = Math.max(...threads);
  const together = rows.find((r) => r.together)?.together?.processes;
  const header = [
    "model",
    "batch",
    ...threads.map((t) => `img/s, ${t} thread${t === 1 ? "" : "s"}`),
    `speed-up ${most}/1`,
    "parallel efficiency",
    ...(together ? [`img/s, ${together} x 1 thread at once`, `at once / ${most} threads`] : []),
    "peak RSS MiB",
  ];
  const lines = rows.map((r) => [
    r.model,
    String(r.batchSize),
    ...threads.map((t) => fmt(r.imagesPerSecond[t])),
    fmt(r.speedUp, 2),
    Number.isFinite(r.parallelEfficiency) ? `${fmt(r.parallelEfficiency * 100)}%` : "-",
    ...(together ? [fmt(r.together?.imagesPerSecond), fmt(r.together?.gain, 2)] : []),
    fmt(r.peakResidentBytes === null ? null : r.peakResidentBytes / 2 ** 20),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]) =>
    `| ${
      cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")
    } |`;
  const rule = `| ${
    widths.map((w, i) => (i === 0 ? "-".repeat(w) : `${"-".repeat(w - 1)}:`)).join(" | ")
  } |`;
  return [row(header), rule, ...lines.map(row)].join("\n");
}

/** A comma-separated list of whole numbers >= 1. */
function wholeNumbers(text: string, flag: string): number[] {
  return text.split(",").map((v) => wholeNumber(v.trim(), flag));
}

/** Runs tools/bench.ts for one (model, batch, threads) in a child process. */
async function runOne(
  model: BenchModel,
  batchSize: number,
  threads: number,
  steps: string | undefined,
): Promise<ScalingRun> {
  const bench = join(resolve(dirname(fileURLToPath(import.meta.url))), "bench.ts");
  const out = await Deno.makeTempFile({ prefix: "kmnist_scaling_", suffix: ".json" });
  try {
    const args = [
      "run",
      "--allow-all",
      bench,
      "--json",
      "--paths",
      "blas",
      "--no-inference",
      "--models",
      model,
      "--batch",
      String(batchSize),
      "--out",
      out,
      ...(steps ? ["--steps", steps] : []),
    ];
    const result = await new Deno.Command(Deno.execPath(), {
      args,
      env: { KMNIST_BLAS_THREADS: String(threads), OMP_NUM_THREADS: String(threads) },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!result.success) {
      throw new Error(
        `bench_scaling: tools/bench.ts failed for ${model}, batch ${batchSize}, ${threads} ` +
          `thread(s) (exit ${result.code}):\n${
            new TextDecoder().decode(result.stderr).slice(-1500)
          }`,
      );
    }
    const report = JSON.parse(await Deno.readTextFile(out)) as {
      blasThreads: number | null;
      peakResidentBytes: number | null;
      rows: BenchRow[];
    };
    if (report.blasThreads !== null && report.blasThreads !== threads) {
      throw new Error(
        `bench_scaling: asked for ${threads} thread(s), the bench ran OpenBLAS on ` +
          `${report.blasThreads}; is KMNIST_BLAS_THREADS overridden?`,
      );
    }
    const [row] = report.rows;
    return {
      model,
      batchSize,
      threads,
      imagesPerSecond: row.imagesPerSecond,
      gflops: row.gflops,
      peakResidentBytes: report.peakResidentBytes,
    };
  } finally {
    await Deno.remove(out).catch(() => {});
  }
}

/** Runs the scaling table from command-line arguments. */
export async function main(
  argv: string[],
): Promise<{ runs: ScalingRun[]; together: TogetherRun[]; rows: ScalingRow[] }> {
  const { values } = parseArgs({
    args: argv,
    options: {
      models: { type: "string", default: BENCH_MODELS.join(",") },
      batches: { type: "string", default: "32,128,512" },
      threads: { type: "string", default: "1,2" },
      steps: { type: "string" },
      out: { type: "string" },
      json: { type: "boolean", default: false },
      together: { type: "boolean", default: false },
    },
  });
  const models = parseBenchModels(values.models);
  const batches = wholeNumbers(values.batches, "--batches");
  const threads = wholeNumbers(values.threads, "--threads").sort((a, b) => a - b);
  if (values.steps !== undefined) wholeNumber(values.steps, "--steps");
  const log = (s: string) => {
    if (!values.json) console.log(s);
  };
  log(
    `load average at the start: ${Deno.loadavg().map((v) => fmt(v, 2)).join(", ")} ` +
      `(${navigator.hardwareConcurrency} cores)`,
  );
  const runs: ScalingRun[] = [];
  const together: TogetherRun[] = [];
  const most = Math.max(...threads);
  for (const model of models) {
    for (const batchSize of batches) {
      for (const t of threads) {
        const run = await runOne(model, batchSize, t, values.steps);
        runs.push(run);
        log(
          `${model}, batch ${batchSize}, ${t} thread(s): ${fmt(run.imagesPerSecond)} img/s, ` +
            `peak RSS ${fmt((run.peakResidentBytes ?? NaN) / 2 ** 20)} MiB`,
        );
      }
      if (values.together && most > 1) {
        const side = await Promise.all(
          Array.from({ length: most }, () => runOne(model, batchSize, 1, values.steps)),
        );
        const imagesPerSecond = side.reduce((sum, r) => sum + r.imagesPerSecond, 0);
        together.push({ model, batchSize, processes: most, imagesPerSecond });
        log(
          `${model}, batch ${batchSize}, ${most} x 1 thread at once: ${fmt(imagesPerSecond)} ` +
            `img/s in all (${side.map((r) => fmt(r.imagesPerSecond)).join(" + ")})`,
        );
      }
    }
  }
  const rows = scalingRows(runs, together);
  const result = {
    date: new Date().toISOString(),
    loadAverage: Deno.loadavg(),
    runs,
    together,
    rows,
  };
  if (values.out) await writeJsonAtomic(values.out, result);
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else {
    console.log("");
    console.log(scalingTable(rows, threads));
    console.log(`load average at the end: ${Deno.loadavg().map((v) => fmt(v, 2)).join(", ")}`);
  }
  return { runs, together, rows };
}

if (import.meta.main) await main(Deno.args);
