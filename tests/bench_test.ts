/** tools/bench.ts: a tiny real run (not timed: only the report's shape and sense are checked). */
import { ok as assert } from "node:assert";
import { type BenchRow, main, medianRow } from "../tools/bench.ts";
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

Deno.test({
  name: "deno task bench --json --out: two repeats of a short vanilla run, a sane report",
  ignore: loadBlas() === null,
  fn: async () => {
    const out = await Deno.makeTempFile({ suffix: ".json" });
    try {
      await main([
        "--json",
        "--models",
        "vanilla",
        "--paths",
        "blas",
        "--steps",
        "3",
        "--repeats",
        "2",
        "--out",
        out,
      ]);
      const report = JSON.parse(await Deno.readTextFile(out)) as {
        sgemmGflops: number;
        sgemmSamples: number[];
        rows: BenchRow[];
      };
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
    } finally {
      await Deno.remove(out).catch(() => {});
    }
  },
});
