/**
 * The study as real processes (`tools/study.ts`): a tiny grid run as two shards in parallel gives
 * the same records as one process; a trial killed mid-way (SIGKILL) resumes from its checkpoint
 * to the same results; bad shards and settings stop the tool with the fix.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { CHECKPOINT_MANIFEST } from "../lib/train/mod.ts";
import { CHECKPOINTS_FOLDER, loadTrialRecords, type TrialRecord } from "../lib/study/mod.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const TOOL = path.join(ROOT, "tools", "study.ts");

function studyCommand(args: string[], env: Record<string, string> = {}): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", TOOL, "--no-adopt", ...args],
    cwd: ROOT,
    env: { KMNIST_BLAS_THREADS: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  });
}

async function study(args: string[], env: Record<string, string> = {}) {
  const out = await studyCommand(args, env).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, text };
}

async function writeSettings(
  directory: string,
  settings: Record<string, unknown>,
): Promise<string> {
  const file = path.join(directory, "settings.json");
  await Deno.writeTextFile(file, JSON.stringify(settings));
  return file;
}

/** The records' settings and results (timing and write times differ from run to run). */
function comparable(records: Map<string, TrialRecord>) {
  return Object.fromEntries(
    [...records.entries()].sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, r]) => [key, { settings: r.settings, results: r.results }]),
  );
}

const TINY = {
  architectures: ["vanilla", "multilayer", "pca"],
  codeSizes: [2, 4],
  betas: [],
  designs: [],
  seeds: [],
  referenceVae: false,
  pixelBaseline: false,
  epochs: 2,
  trainImages: 300,
  validationSize: 100,
  testImages: 100,
};

Deno.test("two shards in parallel give the same records as one process", async () => {
  const work = await Deno.makeTempDir({ prefix: "study_shards_" });
  try {
    const settings = await writeSettings(work, TINY);
    const sharded = path.join(work, "sharded"), single = path.join(work, "single");
    const [a, b] = await Promise.all([
      study(["--settings", settings, "--dir", sharded, "--shard", "0/2"]),
      // The second shard takes its index from a Slurm array task's environment.
      study(["--settings", settings, "--dir", sharded], {
        SLURM_ARRAY_TASK_ID: "1",
        SLURM_ARRAY_TASK_COUNT: "2",
      }),
    ]);
    assert.equal(a.code, 0, a.text);
    assert.equal(b.code, 0, b.text);
    assert.match(a.text, /shard 0\/2/);
    assert.match(b.text, /shard 1\/2/);
    const one = await study(["--settings", settings, "--dir", single]);
    assert.equal(one.code, 0, one.text);
    assert.equal(one.text.match(/^\[\s*\d+\/6\]/gm)?.length, 6, "one line per trial");
    const fromShards = await loadTrialRecords(sharded);
    assert.equal(fromShards.size, 6);
    assert.deepEqual(comparable(fromShards), comparable(await loadTrialRecords(single)));
    // A second run reuses every trial and trains nothing.
    const again = await study(["--settings", settings, "--dir", single]);
    assert.match(again.text, /6 done, 0 to run/);
    assert.match(again.text, /0 trials run/);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("a trial killed mid-way (SIGKILL) resumes from its checkpoint to the same results", async () => {
  const work = await Deno.makeTempDir({ prefix: "study_resume_" });
  try {
    const settings = await writeSettings(work, {
      ...TINY,
      architectures: ["variational"],
      codeSizes: [2],
      epochs: 3,
      trainImages: 1500,
      iwaeSamples: 5,
      iwaeImages: 20,
    });
    const killed = path.join(work, "killed"), whole = path.join(work, "whole");
    const child = studyCommand(["--settings", settings, "--dir", killed]).spawn();
    // Wait for the first epoch's checkpoint, then kill the process before the trial finishes.
    const checkpoints = path.join(killed, CHECKPOINTS_FOLDER);
    let found = false;
    for (let i = 0; i < 6000 && !found; i++) {
      await new Promise((r) => setTimeout(r, 20));
      try {
        for (const entry of Deno.readDirSync(checkpoints)) {
          Deno.statSync(path.join(checkpoints, entry.name, CHECKPOINT_MANIFEST));
          found = true;
        }
      } catch { /* not yet */ }
    }
    child.kill("SIGKILL");
    const status = await child.output();
    assert.ok(found, "a checkpoint appeared");
    assert.equal(status.signal, "SIGKILL", "killed before it finished");
    assert.equal((await loadTrialRecords(killed)).size, 0, "no record of the unfinished trial");
    const resumed = await study(["--settings", settings, "--dir", killed]);
    assert.equal(resumed.code, 0, resumed.text);
    assert.match(resumed.text, /resumed@[12]/);
    const uninterrupted = await study(["--settings", settings, "--dir", whole]);
    assert.equal(uninterrupted.code, 0, uninterrupted.text);
    const records = await loadTrialRecords(killed);
    assert.equal([...records.values()][0].results.losses?.length, 3);
    assert.deepEqual(comparable(records), comparable(await loadTrialRecords(whole)));
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("the tool stops on a bad shard, bad settings or a corrupt record, naming the fix", async () => {
  const work = await Deno.makeTempDir({ prefix: "study_errors_" });
  try {
    const three = await study(["--list", "--shard", "3/2", "--dir", work]);
    assert.equal(three.code, 1);
    assert.match(three.text, /Shard 3\/2 \(--shard\): the index must be an integer in 0\.\.1/);
    const zero = await study(["--list", "--shard", "0/0", "--dir", work]);
    assert.equal(zero.code, 1);
    assert.match(zero.text, /count must be an integer of at least 1/);
    const kubernetes = await study(["--list", "--dir", work], { JOB_COMPLETION_INDEX: "0" });
    assert.match(kubernetes.text, /KMNIST_STUDY_SHARDS is not/);
    const settings = await writeSettings(work, { ...TINY, architectures: ["vae"] });
    const unknown = await study(["--list", "--settings", settings, "--dir", work]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.text, /Unknown architecture "vae"/);
    await Deno.writeTextFile(path.join(work, "deadbeefdeadbeef.json"), "{ half a rec");
    const corrupt = await study(["--list", "--dir", work]);
    assert.equal(corrupt.code, 1);
    assert.match(corrupt.text, /deadbeefdeadbeef\.json is corrupt/);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});
