/**
 * Honest timings: the /proc readers on the real /proc, the busy rule against a real CPU hog
 * process, the load kept per epoch by the training loop, records written before loads were kept
 * (unknown, never quiet), the study's marks, and the report's timings file on the index page.
 * Nothing here asserts on a wall time.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { initBackend } from "@kmnist/tfjs-blas";
import {
  BUSY_OTHER_CORES,
  CLOCK_TICKS_PER_SECOND,
  combineLoads,
  type CpuSample,
  type IntervalLoad,
  intervalLoad,
  loadAverage,
  machineCpu,
  processCpuSeconds,
  sampleCpu,
  timingFlag,
} from "../lib/io/mod.ts";
import { type ImageSet, loadKmnist, takeSubset } from "../lib/data/mod.ts";
import { buildModel } from "../lib/models/mod.ts";
import { train } from "../lib/train/mod.ts";
import { summarizeSavedTraining, summarizeTraining } from "../lib/records/mod.ts";
import {
  costFront,
  costPanels,
  loadTrialRecords,
  saveTrialRecord,
  timeSummary,
  timingNote,
  type TrialRecord,
  type TrialSettings,
  trialTimingFlag,
} from "../lib/study/mod.ts";
import { studyTableRows } from "../lib/notebook/study.ts";
import { costFigure, decodePng, pixelAt } from "../lib/plot/mod.ts";
import {
  indexHtml,
  readReportTimings,
  recordFromScratch,
  type ReportTimings,
  runsFolderEmpty,
  timingsFile,
  writeReportTimings,
} from "../lib/report/mod.ts";

/** An index entry for a notebook name (its own seconds: 1, so the file's times must win). */
function entry(name: string) {
  return {
    name,
    title: name,
    html: `${name}.html`,
    pdf: `${name}.pdf`,
    notebook: `${name}.ipynb`,
    seconds: 1,
  };
}

const HAS_PROC = (() => {
  try {
    Deno.statSync("/proc/self/stat");
    return true;
  } catch {
    return false;
  }
})();

/** Spins until this process has used `seconds` more CPU (a short, real load of our own). */
function burn(seconds: number): void {
  const start = processCpuSeconds()!;
  let x = 0;
  while (processCpuSeconds()! - start < seconds) {
    for (let i = 0; i < 100_000; i++) x += Math.sqrt(i);
  }
  if (x < 0) throw new Error("unreachable");
}

Deno.test({
  name: "the /proc readers give plausible, monotonic values; the clock tick is the system's",
  ignore: !HAS_PROC,
  fn: async () => {
    const first = sampleCpu();
    assert.ok(first, "sampleCpu read /proc");
    assert.ok(first.processSeconds >= 0 && first.machineBusySeconds > first.processSeconds);
    assert.ok(first.cores >= 1 && first.cores <= 4096);
    assert.ok(first.loadAverage >= 0 && first.loadAverage === loadAverage());
    burn(0.2);
    const second = sampleCpu()!;
    const load = intervalLoad(first, second);
    // Our own spin shows in both clocks: at least 0.2 s of our CPU (less a tick of rounding),
    // and the machine's busy time grew by at least as much.
    assert.ok(load.cpuSeconds >= 0.2 - 1 / CLOCK_TICKS_PER_SECOND, `cpu ${load.cpuSeconds}`);
    assert.ok(
      second.machineBusySeconds - first.machineBusySeconds >= load.cpuSeconds - 0.02,
      "the machine's busy time includes ours",
    );
    assert.ok(load.otherCpuSeconds >= 0 && load.otherCores >= 0);
    assert.ok(machineCpu()!.busySeconds >= second.machineBusySeconds);
    assert.ok(processCpuSeconds()! >= second.processSeconds);
    // USER_HZ as the system reports it.
    const getconf = await new Deno.Command("getconf", { args: ["CLK_TCK"], stdout: "piped" })
      .output().catch(() => undefined);
    if (getconf?.success) {
      assert.equal(Number(new TextDecoder().decode(getconf.stdout).trim()), CLOCK_TICKS_PER_SECOND);
    }
  },
});

Deno.test({
  name: "a real CPU hog beside a measured interval flags it busy",
  ignore: !HAS_PROC,
  fn: async () => {
    const hog = new Deno.Command("sh", {
      args: ["-c", "while :; do :; done"],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      // Let it start, then time an interval in which this process only sleeps.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const start = sampleCpu()!;
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const load = intervalLoad(start, sampleCpu()!);
      for (
        const key of [
          "wallSeconds",
          "cpuSeconds",
          "otherCpuSeconds",
          "otherCores",
          "loadAverage",
          "cores",
        ] as const
      ) {
        assert.equal(typeof load[key], "number", key);
        assert.ok(Number.isFinite(load[key]), key);
      }
      assert.equal(load.busy, true, `other work ${load.otherCores} cores beside a hog`);
      assert.equal(timingFlag(load), "busy");
    } finally {
      hog.kill("SIGKILL");
      await hog.status;
    }
  },
});

function sample(wallMs: number, process: number, machine: number): CpuSample {
  return { wallMs, processSeconds: process, machineBusySeconds: machine, cores: 2, loadAverage: 1 };
}

Deno.test("the busy rule: other work above a quarter of a core, summed over intervals", () => {
  // 10 s wall, 19 s ours, 21.5 s of the machine: 2.5 s other = 0.25 cores, not above the rule.
  const edge = intervalLoad(sample(0, 100, 500), sample(10_000, 119, 521.5));
  assert.ok(Math.abs(edge.otherCores - BUSY_OTHER_CORES) < 1e-9);
  assert.equal(edge.busy, false);
  const busy = intervalLoad(sample(0, 100, 500), sample(10_000, 110, 515));
  assert.ok(Math.abs(busy.otherCores - 0.5) < 1e-9);
  assert.equal(busy.busy, true);
  // One stray tick of other work in a 10 ms interval is rounding, not a busy machine; four
  // ticks (one more than the rounding allowance) are busy.
  assert.equal(intervalLoad(sample(0, 1, 5), sample(10, 1.01, 5.02)).busy, false);
  assert.equal(intervalLoad(sample(0, 1, 5), sample(10, 1.01, 5.05)).busy, true);
  // Tick rounding can make the machine's part smaller than ours: never a negative other.
  assert.equal(intervalLoad(sample(0, 0, 0), sample(1000, 1, 0.99)).otherCpuSeconds, 0);
  // Together: busy when any part was, unknown when any part is.
  const both = combineLoads([edge, busy])!;
  assert.equal(both.wallSeconds, 20);
  assert.equal(both.busy, true);
  assert.equal(combineLoads([edge, edge])!.busy, false);
  assert.equal(combineLoads([edge, undefined]), undefined);
  assert.equal(combineLoads([]), undefined);
  assert.equal(timingFlag(undefined), "unknown");
  assert.equal(timingFlag(edge), "quiet");
});

Deno.test({
  name: "training keeps each epoch's load; the run record sums it; old histories stay unknown",
  ignore: !HAS_PROC,
  fn: async () => {
    await initBackend();
    const kmnist = await loadKmnist();
    const range = (start: number, n: number) => Int32Array.from({ length: n }, (_, i) => start + i);
    // /proc counts CPU time in 10 ms ticks, so an epoch must take well over one tick for its CPU
    // seconds to be above zero: 512 images through the small convolutional model take about
    // 0.5 s of CPU an epoch here (256 through the dense one took 9 ms, sometimes no tick at all).
    const set: ImageSet = takeSubset(kmnist.train, range(0, 512));
    const model = buildModel({ kind: "convolutional", latentDim: 4, seed: 1 });
    try {
      const result = await train(model, {
        train: set,
        validation: takeSubset(kmnist.train, range(50000, 64)),
        epochs: 2,
        batchSize: 64,
        seed: 1,
        progress: "none",
      });
      for (const h of result.history) {
        assert.ok(h.load, `epoch ${h.epoch} has a load`);
        assert.ok(h.load.cpuSeconds > 0 && h.load.wallSeconds > 0);
        assert.equal(typeof h.load.busy, "boolean");
      }
      const summary = summarizeTraining(result, "test");
      assert.ok(summary.load);
      assert.equal(summary.load.busy, result.history.some((h) => h.load!.busy));
      // A history from before loads were kept: no load, i.e. unknown.
      const old = result.history.map(({ load: _l, ...rest }) => rest);
      const saved = summarizeSavedTraining(
        { epoch: 2, step: 16, history: old } as unknown as Parameters<
          typeof summarizeSavedTraining
        >[0],
        undefined,
      );
      assert.equal(saved.load, undefined);
      assert.equal(timingFlag(saved.load), "unknown");
    } finally {
      model.dispose();
    }
  },
});

const QUIET: IntervalLoad = {
  wallSeconds: 10,
  cpuSeconds: 19,
  otherCpuSeconds: 0.5,
  otherCores: 0.05,
  loadAverage: 2,
  cores: 2,
  busy: false,
};
const BUSY: IntervalLoad = { ...QUIET, otherCpuSeconds: 8, otherCores: 0.8, busy: true };

function settings(architecture: "vanilla" | "convolutional", latentDim: number): TrialSettings {
  return {
    architecture,
    latentDim,
    seed: 1,
    epochs: 2,
    batchSize: 64,
    learningRate: 1e-3,
    validationSize: 100,
    splitSeed: 0,
    knnK: 4,
  } as TrialSettings;
}

Deno.test("old trial records (no load) read as unknown; the table and cost figure mark them", async () => {
  const directory = await Deno.makeTempDir();
  try {
    const results = (mse: number) => ({
      parameters: 1000,
      testImages: 100,
      mse,
      knnAccuracy: 0.5,
      knnReferences: 300,
    });
    const timing = (seconds: number, load?: IntervalLoad) => ({
      secondsPerEpoch: seconds,
      evaluationSeconds: 1,
      backend: "cpu",
      ...(load ? { load } : {}),
    });
    // One record as written before loads were kept, one quiet, one busy.
    const old = await saveTrialRecord(directory, {
      settings: settings("vanilla", 2),
      results: results(0.06),
      timing: timing(1),
      source: "study",
    });
    const quiet = await saveTrialRecord(directory, {
      settings: settings("vanilla", 8),
      results: results(0.04),
      timing: timing(3, QUIET),
      source: "study",
    });
    const busy = await saveTrialRecord(directory, {
      settings: settings("convolutional", 8),
      results: results(0.03),
      timing: timing(2, BUSY),
      source: "study",
    });
    const records: TrialRecord[] = [...(await loadTrialRecords(directory)).values()];
    assert.equal(records.length, 3);
    const byKey = (key: string) => records.find((r) => r.key === key)!;
    assert.equal(trialTimingFlag(byKey(old.key)), "unknown");
    assert.equal(trialTimingFlag(byKey(quiet.key)), "quiet");
    assert.equal(trialTimingFlag(byKey(busy.key)), "busy");
    // The key is the settings' hash alone: the same settings with a load hash the same.
    assert.equal(
      (await saveTrialRecord(directory, {
        settings: settings("vanilla", 2),
        results: results(0.06),
        timing: timing(1, QUIET),
        source: "study",
      })).key,
      old.key,
    );
    await saveTrialRecord(directory, {
      settings: settings("vanilla", 2),
      results: results(0.06),
      timing: timing(1),
      source: "study",
    });
    // The table writes marked seconds as text (never bold as best).
    const rows = studyTableRows(records);
    const cell = (label: string) => rows.find((r) => r.name === label)!.values.secondsPerEpoch;
    assert.equal(cell(old.label), "1.0†");
    assert.equal(cell(quiet.label), 3);
    assert.equal(cell(busy.label), "2.0*");
    // The seconds front uses the quiet trial only, though the others are faster; the note says so.
    assert.deepEqual(costFront(records, "secondsPerEpoch").map((p) => p.name), [quiet.label]);
    assert.deepEqual(costFront(records, "parameters").length > 0, true);
    const note = timingNote(records)!;
    assert.match(note, /1 timed on a busy machine/);
    assert.match(note, /1 with no load recorded/);
    assert.match(note, /uses the 1 quiet one only/);
    const seconds = costPanels(records)[1];
    assert.match(seconds.title, /hollow/);
    const flags = seconds.lines.flatMap((l) => l.points.map((p) => [p.name, p.timing]));
    assert.deepEqual(
      new Map(flags as [string, string][]),
      new Map([[old.label, "unknown"], [quiet.label, "quiet"], [busy.label, "busy"]]),
    );
    assert.match(
      timeSummary(records),
      /3 trained trials: 1 timed on a quiet machine, 1 on a busy one .*, 1 with no load recorded/,
    );
    assert.doesNotMatch(timeSummary(records), /evaluation by pass/, "none recorded its passes");
    const parts = { reconstruction: 30, knn: 90, generation: 59.6 };
    const withParts = records.map((r, i) =>
      i < 2 ? { ...r, timing: { ...r.timing, evaluationParts: parts } } : r
    );
    assert.match(
      timeSummary(withParts),
      /evaluation by pass \(the 2 trials that recorded it\): reconstruction 1:00, −ELBO 0:00, IWAE 0:00, k-NN 3:00, latent usage 0:00, samples 1:59/,
    );
    // Every trial quiet: no note.
    assert.equal(
      timingNote(records.map((r) => ({ ...r, timing: { ...r.timing, load: QUIET } }))),
      undefined,
    );
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
});

Deno.test("the cost figure draws hollow points as rings, filled ones solid", async () => {
  const figure = costFigure([{
    title: "seconds per epoch",
    lines: [
      { name: "quiet", points: [{ cost: 1, mse: 0.1 }] },
      { name: "busy", points: [{ cost: 10, mse: 0.01, hollow: true }] },
    ],
    front: [{ cost: 1, mse: 0.1 }],
  }]);
  const png = await decodePng(figure.toPng());
  const panel = figure.layout.panels[0];
  const centre = (cost: number, mse: number) => {
    const [x, y] = panel.toPixel(cost, mse);
    return pixelAt(png, x * figure.scale, y * figure.scale);
  };
  const isWhite = ([r, g, b]: number[]) => r > 240 && g > 240 && b > 240;
  assert.ok(!isWhite(centre(1, 0.1)), "a filled marker is coloured at its centre");
  assert.ok(isWhite(centre(10, 0.01)), "a hollow marker is white at its centre");
  const [x, y] = panel.toPixel(10, 0.01);
  assert.ok(
    !isWhite(pixelAt(png, (x + 3.2) * figure.scale, y * figure.scale)),
    "its ring is drawn",
  );
});

Deno.test("the index page shows the wall times of a timings file", async () => {
  const directory = await Deno.makeTempDir();
  try {
    const file = timingsFile(directory);
    assert.equal(await readReportTimings(file), undefined);
    await writeReportTimings(file, {
      format: "kmnist-report-timings",
      version: 1,
      quick: false,
      notebooks: {
        "01_vanilla": { executeSeconds: 125, exportSeconds: 9, finishedAt: "2026-12-04T10:00:00Z" },
        "06_design_space": { executeSeconds: 3725, finishedAt: "2026-12-04T11:00:00Z" },
      },
      explorerSeconds: 42,
      lastRun: {
        startedAt: "2026-12-04T09:58:00Z",
        notebooks: ["01_vanilla", "06_design_space"],
        seconds: 4000,
      },
    });
    const timings = await readReportTimings(file);
    const page = indexHtml([entry("01_vanilla"), entry("06_design_space")], {
      quick: false,
      timings,
    });
    // Each notebook's time from the file (not the entry's), the study's and the whole run's.
    assert.match(page, /<td class="n">2:05<\/td><\/tr>/);
    assert.match(page, /<td class="n">1:02:05<\/td><\/tr>/);
    assert.match(page, /the design study \(06_design_space\) 1:02:05 to execute/);
    assert.match(page, /the whole report run 1:06:40/);
    assert.match(page, /the latent explorer 0:42/);
    // Without a file: the entries' own seconds, no paragraph.
    const bare = indexHtml([entry("01_vanilla")], { quick: false });
    assert.match(bare, /<td class="n">0:01<\/td><\/tr>/);
    assert.doesNotMatch(bare, /Wall times measured/);
    // A corrupt or foreign file is refused with the fix.
    await Deno.writeTextFile(file, "{ not json");
    await assert.rejects(readReportTimings(file), /timings.json is corrupt .*delete it/);
    await Deno.writeTextFile(join(directory, "timings.json"), JSON.stringify({ format: "x" }));
    await assert.rejects(readReportTimings(file), /not a report timings file/);
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
});

Deno.test("a run from an empty runs/ is kept apart; a later run re-using its models is named so", async () => {
  // runsFolderEmpty on a real folder: missing, empty, quick runs only, then a saved model.
  const runs = join(await Deno.makeTempDir(), "runs");
  try {
    assert.equal(await runsFolderEmpty(runs), true, "a missing folder is empty");
    await Deno.mkdir(join(runs, "quick", "vanilla"), { recursive: true });
    assert.equal(await runsFolderEmpty(runs, ["quick"]), true, "quick runs are not re-used");
    assert.equal(await runsFolderEmpty(runs), false);
    await Deno.mkdir(join(runs, "vanilla"));
    assert.equal(await runsFolderEmpty(runs, ["quick"]), false, "a saved model is");
  } finally {
    await Deno.remove(join(runs, ".."), { recursive: true });
  }
  const all = ["01_vanilla", "06_design_space"];
  const timings: ReportTimings = {
    format: "kmnist-report-timings",
    version: 1,
    quick: false,
    notebooks: {
      "01_vanilla": { executeSeconds: 125, finishedAt: "2026-12-05T10:02:05Z" },
      "06_design_space": { executeSeconds: 3725, finishedAt: "2026-12-05T11:04:10Z" },
    },
    explorerSeconds: 42,
    lastRun: { startedAt: "2026-12-05T10:00:00Z", notebooks: all, fromEmptyRuns: true },
  };
  // A function, so the type checker does not narrow the record after an assertion.
  const scratch = () => timings.fromScratch;
  recordFromScratch(timings, all);
  assert.equal(scratch(), undefined, "an unfinished run is not recorded");
  timings.lastRun!.seconds = 4000;
  recordFromScratch(timings, [...all, "07_new"]);
  assert.equal(scratch(), undefined, "nor one that skipped a notebook");
  recordFromScratch(timings, all);
  assert.equal(scratch()?.seconds, 4000);
  assert.equal(scratch()?.notebooks["06_design_space"].executeSeconds, 3725);
  // A later run that re-used the saved models: its times go to notebooks and lastRun only.
  timings.notebooks["06_design_space"] = { executeSeconds: 600, finishedAt: "2026-12-05T15:10Z" };
  timings.lastRun = {
    startedAt: "2026-12-05T15:00:00Z",
    notebooks: all,
    fromEmptyRuns: false,
    seconds: 700,
  };
  recordFromScratch(timings, all);
  assert.equal(scratch()?.startedAt, "2026-12-05T10:00:00Z", "kept");
  assert.equal(scratch()?.notebooks["06_design_space"].executeSeconds, 3725);
  const page = indexHtml(all.map(entry), { quick: false, timings });
  // The table and the first paragraph show the run from nothing; the second names the re-use.
  assert.match(page, /<td class="n">1:02:05<\/td><\/tr>/);
  assert.doesNotMatch(page, /<td class="n">10:00<\/td><\/tr>/);
  assert.match(page, /last complete run from an empty runs\/ folder.*the whole report run 1:06:40/);
  assert.match(
    page,
    /The last run \(started 2026-12-05T15:00:00Z, 2 notebooks\) took 11:40; it re-used/,
  );
  // Without a from-scratch record, a re-using run says that its times are not from nothing.
  delete timings.fromScratch;
  assert.match(
    indexHtml(all.map(entry), { quick: false, timings }),
    /<td class="n">10:00<\/td><\/tr>[\s\S]*That run re-used models saved in runs\//,
  );
});
