/**
 * One run per run folder (issue #14, part 3): the run lock against a second run (in this process
 * and in a real child process), the take-over of a dead process's lock, a new run refused over an
 * existing checkpoint unless asked to overwrite, an unwritable folder refused before training.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import * as path from "node:path";
import { initBackend } from "@kmnist/tfjs-blas";
import { type ImageSet, loadKmnist, takeSubset } from "../lib/data/mod.ts";
import { buildModel } from "../lib/models/mod.ts";
import { acquireRunLock, RUN_LOCK_FILE } from "../lib/io/mod.ts";
import { hasCheckpoint, loadCheckpoint, train } from "../lib/train/mod.ts";

await initBackend();
const kmnist = await loadKmnist();
const range = (start: number, n: number) => Int32Array.from({ length: n }, (_, i) => start + i);
const TRAIN: ImageSet = takeSubset(kmnist.train, range(0, 256));
const ROOT = new URL("../", import.meta.url).pathname;

async function withFolder(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kmnist_runfolder_" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Starts a child Deno process that takes the lock of `dir`, says "locked" and waits. */
async function lockInChild(dir: string): Promise<Deno.ChildProcess> {
  const code = `import { acquireRunLock } from "./lib/io/mod.ts";
    await acquireRunLock(${JSON.stringify(dir)});
    console.log("locked");
    await new Promise((resolve) => setTimeout(resolve, 60000));`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", "--ext=ts", code],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes("locked")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the child ended before locking: ${text}`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return child;
}

Deno.test("a second lock on a run folder is refused, naming the holder; release frees it", async () => {
  await withFolder(async (dir) => {
    const first = await acquireRunLock(dir);
    const holder = JSON.parse(await Deno.readTextFile(path.join(dir, RUN_LOCK_FILE)));
    assert.equal(holder.pid, Deno.pid);
    await assert.rejects(
      acquireRunLock(dir),
      new RegExp(`is in use by another run: process ${Deno.pid}\\b.*Wait for that run to end`),
    );
    first.release();
    first.release(); // idempotent
    const second = await acquireRunLock(dir);
    assert.equal(second.tookOverFrom, undefined, "a released lock is not a stale one");
    second.release();
  });
});

Deno.test("a live child process's lock is refused; once it is killed, the lock is taken over and says so", async () => {
  await withFolder(async (dir) => {
    const child = await lockInChild(dir);
    try {
      await assert.rejects(
        acquireRunLock(dir, { hint: "choose another --out" }),
        new RegExp(`process ${child.pid}\\b.*holds run\\.lock.*choose another --out`),
      );
    } finally {
      child.kill("SIGKILL");
      await child.status;
      await child.stdout.cancel().catch(() => {});
    }
    const warnings: string[] = [];
    const lock = await acquireRunLock(dir, { warn: (m) => warnings.push(m) });
    assert.equal(lock.tookOverFrom?.pid, child.pid);
    assert.equal(warnings.length, 1);
    assert.match(
      warnings[0],
      new RegExp(`Taking over .*process ${child.pid}\\b.*no longer running`),
    );
    lock.release();
  });
});

Deno.test("an unwritable run folder is refused before any training, naming it", async () => {
  await withFolder(async (dir) => {
    const file = path.join(dir, "a_file");
    await Deno.writeTextFile(file, "not a folder");
    const out = path.join(file, "run");
    let epochs = 0;
    const model = buildModel({ kind: "vanilla", seed: 0 });
    await assert.rejects(
      train(model, {
        train: TRAIN,
        epochs: 1,
        progress: "none",
        checkpointDirectory: out,
        callbacks: { onEpochEnd: () => void epochs++ },
      }),
      /Cannot use .*a_file\/run as the run folder: .*Make it writable or choose another/,
    );
    assert.equal(epochs, 0);
    model.dispose();
  });
});

Deno.test("train(): a folder holding a checkpoint is refused unless overwrite; two runs at once are refused", async () => {
  await withFolder(async (dir) => {
    const options = {
      train: TRAIN,
      epochs: 1,
      progress: "none" as const,
      checkpointDirectory: dir,
    };
    const model = buildModel({ kind: "vanilla", seed: 0 });
    await train(model, options);
    assert.ok(await hasCheckpoint(dir));
    const tensorsBefore = tf.memory().numTensors;
    await assert.rejects(
      train(model, options),
      /already holds a checkpoint: pass overwrite: true .*--overwrite.*or resume it/,
    );
    assert.equal(tf.memory().numTensors, tensorsBefore, "a refused run leaves no tensor behind");
    // Overwriting starts again: a fresh model's one epoch, not two.
    const fresh = buildModel({ kind: "vanilla", seed: 1 });
    await train(fresh, { ...options, overwrite: true });
    const loaded = await loadCheckpoint(dir);
    assert.equal(loaded.state?.epoch, 1);
    assert.equal(loaded.model.config.seed, 1);
    loaded.model.dispose();
    loaded.optimizer?.dispose();
    // Two trainings into one folder at once: the second is refused, the first completes.
    const other = buildModel({ kind: "vanilla", seed: 2 });
    let begun!: () => void;
    const started = new Promise<void>((resolve) => (begun = resolve));
    const running = train(fresh, {
      ...options,
      epochs: 3,
      overwrite: true,
      callbacks: { onTrainBegin: () => begun() },
    });
    await started;
    await assert.rejects(
      train(other, { ...options, overwrite: true }),
      new RegExp(`is in use by another run: process ${Deno.pid}\\b`),
    );
    assert.equal((await running).state.epoch, 3);
    for (const m of [model, fresh, other]) m.dispose();
  });
});
