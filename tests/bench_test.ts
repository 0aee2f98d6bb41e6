/** tools/bench.ts: a tiny real run (not timed: only the report's shape and sense are checked). */
import { ok as assert } from "node:assert";
import { type BenchModel, type BenchRow, main, medianRow } from "../tools/bench.ts";
import { main as scalingMain, scalingRows, scalingTable } from "../tools/bench_scaling.ts";
import { loadBlas } from "@kmnist/tfjs-blas";

Deno.test("medianRow keeps the median run and every run's images/s, in run order", () => {
  const row = (imagesPerSecond: number): BenchRow => ({
    model: "vanilla",
    path: "blas",
    imagesPerSecond,
    gflops: imagesPerSecond / 1000,
    fractionOfSgemm: 0.1,
    steps: 1,
  });
  const m = medianRow([row(30), row(10), row(20)]);
  assert(m.imagesPerSecond === 20 && m.gflops === 0.02, JSON.stringify(m));
  assert(JSON.stringify(m.samples) === "[30,10,20]", JSON.stringify(m.samples));
  assert(medianRow([row(5), row(7)]).imagesPerSecond === 5, "even count: the lower middle run");
  assert(medianRow([row(5)]).samples === undefined, "one run: no samples");
});

/** What `deno task bench --out` writes (the fields these tests read). */
interface BenchReport {
  sgemmGflops: number;
  sgemmSamples: number[];
  batchSize: number;
  peakResidentBytes: number;
  rows: BenchRow[];
}

/** Runs the bench in this process with `args`, and reads back the report it wrote with --out. */
async function benchReport(args: string[]): Promise<BenchReport> {
  const out = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await main(["--json", "--paths", "blas", ...args, "--out", out]);
    return JSON.parse(await Deno.readTextFile(out)) as BenchReport;
  } finally {
    await Deno.remove(out).catch(() => {});
  }
}

Deno.test({
  name: "deno task bench --json --out: two repeats of a short vanilla run, a sane report",
  ignore: loadBlas() === null,
  fn: async () => {
    const report = await benchReport(["--models", "vanilla", "--steps", "3", "--repeats", "2"]);
    assert(report.sgemmGflops > 1, `sgemm rate ${report.sgemmGflops}`);
    // The roof is measured before and after the model, and is the highest measurement.
    assert(report.sgemmSamples.length === 2, `roof samples ${report.sgemmSamples}`);
    assert(report.sgemmGflops === Math.max(...report.sgemmSamples), "roof is not the maximum");
    assert(report.rows.length === 1, `${report.rows.length} rows`);
    const [row] = report.rows;
    assert(row.model === "vanilla" && row.path === "blas", JSON.stringify(row));
    assert(row.samples?.length === 2, `samples ${JSON.stringify(row.samples)}`);
    assert(row.imagesPerSecond > 0 && Number.isFinite(row.meanLoss!), JSON.stringify(row));
    assert(row.fractionOfSgemm > 0 && row.fractionOfSgemm < 1, `${row.fractionOfSgemm}`);
    assert(row.kernelsPerStep! > 10, `kernels per step ${row.kernelsPerStep}`);
    assert(row.encodeSeconds! > 0 && row.reconstructSeconds! > 0, JSON.stringify(row));
  },
});

Deno.test({
  name: "bench --batch --no-inference: the new models at another batch, MACs from their layers",
  ignore: loadBlas() === null,
  fn: async () => {
    const report = await benchReport([
      "--models",
      "vae-mlp,classifier",
      "--batch",
      "16",
      "--steps",
      "2",
      "--no-inference",
    ]);
    assert(report.batchSize === 16, `batch ${report.batchSize}`);
    // A Deno process holding tfjs and two models takes well over 50 MiB.
    assert(report.peakResidentBytes > 50 * 2 ** 20, `peak RSS ${report.peakResidentBytes}`);
    const [mlp, classifier] = report.rows;
    assert(mlp.model === "vae-mlp" && mlp.forwardMacs === 651_200, JSON.stringify(mlp));
    assert(classifier.forwardMacs === 18_691_840, JSON.stringify(classifier));
    for (const row of report.rows) {
      assert(row.batchSize === 16 && row.steps === 2, JSON.stringify(row));
      assert(row.encodeSeconds === undefined, "--no-inference: nothing timed on 10,000 images");
      assert(Number.isFinite(row.meanLoss!) && row.meanLoss! > 0, JSON.stringify(row));
    }
    // Random labels over 10 classes: the untrained classifier's cross-entropy is near ln 10.
    assert(Math.abs(classifier.meanLoss! - Math.log(10)) < 0.5, `${classifier.meanLoss}`);
  },
});

Deno.test("bench and bench_scaling reject an unknown model or a bad number, naming the fix", async () => {
  const fails = async (
    tool: (args: string[]) => Promise<unknown>,
    args: string[],
    pattern: RegExp,
  ) => {
    try {
      await tool(args);
    } catch (error) {
      assert(pattern.test((error as Error).message), (error as Error).message);
      return;
    }
    throw new Error(`${args.join(" ")} did not fail`);
  };
  await fails(
    main,
    ["--models", "resnet"],
    /Unknown model "resnet": use any of vanilla, .*classifier/,
  );
  await fails(main, ["--batch", "0"], /--batch must be a whole number >= 1, got "0"/);
  await fails(main, ["--steps", "x"], /--steps must be a whole number >= 1, got "x"/);
  await fails(main, ["--repeats", "0"], /--repeats must be a whole number >= 1, got "0"/);
  await fails(main, ["--batch", ""], /--batch must be a whole number >= 1, got ""/);
  await fails(scalingMain, ["--batches", "32,x"], /--batches must be a whole number >= 1, got "x"/);
  await fails(scalingMain, ["--models", "vanilla,resnet"], /Unknown model "resnet"/);
});

Deno.test("scalingRows: speed-up and parallel efficiency from the runs; the table shows them", () => {
  const run = (model: BenchModel, batchSize: number, threads: number, ips: number) => ({
    model,
    batchSize,
    threads,
    imagesPerSecond: ips,
    gflops: ips / 100,
    peakResidentBytes: threads * 100 * 2 ** 20,
  });
  const rows = scalingRows([
    run("vanilla", 32, 1, 1000),
    run("vanilla", 32, 2, 1500),
    run("convolutional", 128, 1, 200),
    run("convolutional", 128, 2, 380),
  ]);
  assert(rows.length === 2, `${rows.length} rows`);
  assert(rows[0].speedUp === 1.5 && rows[0].parallelEfficiency === 0.75, JSON.stringify(rows[0]));
  assert(Math.abs(rows[1].parallelEfficiency - 0.95) < 1e-12, JSON.stringify(rows[1]));
  assert(rows[1].peakResidentBytes === 200 * 2 ** 20, "peak RSS of the 2-thread run");
  const table = scalingTable(rows, [1, 2]).split("\n");
  assert(table.length === 4, table.join("\n"));
  assert(
    /\| vanilla +\| +32 \| +1,000 \| +1,500 \| +1\.50 \| +75% \| +200 \|/.test(table[2]),
    table[2],
  );
  assert(/95%/.test(table[3]), table[3]);
  const withTogether = scalingRows(
    [run("vanilla", 32, 1, 1000), run("vanilla", 32, 2, 1500)],
    [{ model: "vanilla", batchSize: 32, processes: 2, imagesPerSecond: 1800 }],
  );
  assert(withTogether[0].together?.gain === 1.2, JSON.stringify(withTogether[0]));
  const lines = scalingTable(withTogether, [1, 2]).split("\n");
  assert(/2 x 1 thread at once \| at once \/ 2 threads/.test(lines[0]), lines[0]);
  assert(/\| +1,800 \| +1\.20 \| +200 \|$/.test(lines[2]), lines[2]);
});

Deno.test({
  name: "bench_scaling: one fresh process per thread count, each on the threads it was given",
  ignore: loadBlas() === null,
  fn: async () => {
    const { runs, together, rows } = await scalingMain([
      "--json",
      "--models",
      "vanilla",
      "--batches",
      "16",
      "--threads",
      "2,1",
      "--together",
      "--steps",
      "3",
    ]);
    assert(runs.length === 2 && rows.length === 1, JSON.stringify(runs));
    assert(together.length === 1 && together[0].processes === 2, JSON.stringify(together));
    assert(rows[0].together!.imagesPerSecond === together[0].imagesPerSecond, "in the row");
    assert(
      rows[0].together!.gain === together[0].imagesPerSecond / rows[0].imagesPerSecond[2],
      "the gain divides by the 2-thread run",
    );
    assert(runs.map((r) => r.threads).join() === "1,2", "thread counts run in increasing order");
    for (const r of runs) {
      assert(r.imagesPerSecond > 0 && r.peakResidentBytes! > 50 * 2 ** 20, JSON.stringify(r));
    }
    assert(Number.isFinite(rows[0].speedUp) && rows[0].speedUp > 0, JSON.stringify(rows[0]));
  },
});
