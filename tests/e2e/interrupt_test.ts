/**
 * Stop means stop (issue #20), end to end:
 * - the real kernel through jupyter_client (tests/e2e/fixtures/interrupt/drive_kernel.py, the
 *   project's kernelspec with interrupt_mode "signal"): a training cell stopped by Stop ends with
 *   an InterruptedError, the kernel lives with its variables, the model is usable, the resume
 *   matches the uninterrupted run bit for bit; a cell that never yields is ended by a second Stop
 *   (deno restarted, variables gone, the kernel answering again);
 * - tools/train.ts in a real process stopped by a real SIGINT: exit 130, the checkpoint kept, the
 *   resume command printed, and resuming gives the uninterrupted run's result;
 * - tools/study.ts stopped by a real SIGINT during its second trial: exit 130, the first trial's
 *   record kept, the command to continue printed.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { listFolder, runOutcome, runTrain } from "../helpers/train_cli.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

interface Step {
  name: string;
  reply: string | null;
  results: string[];
  error: { ename: string; evalue: string } | null;
  alive: boolean;
}

Deno.test("Jupyter's Stop ends a training cell, keeps the kernel, and the resume matches", async () => {
  const out = await new Deno.Command("/usr/bin/python3", {
    args: [path.join(ROOT, "tests/e2e/fixtures/interrupt/drive_kernel.py"), ROOT],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const result = JSON.parse(new TextDecoder().decode(out.stdout));
  const steps = new Map<string, Step>(result.steps.map((s: Step) => [s.name, s]));
  const step = (name: string) => {
    const s = steps.get(name);
    assert.ok(s, `step ${name} missing: ${stderr}`);
    return s;
  };
  for (const name of ["setup", "straight", "after", "resumed", "fresh"]) {
    assert.equal(step(name).reply, "ok", `${name}: ${JSON.stringify(step(name))}`);
  }
  const interrupted = step("interrupted");
  assert.equal(interrupted.reply, "error");
  assert.equal(interrupted.error?.ename, "InterruptedError");
  assert.match(
    interrupted.error!.evalue,
    // Mid-epoch, or at an epoch's end when the Stop came during its last batch.
    /^Interrupted: training stopped at (epoch \d\/3, batch \d+\/40|the end of epoch \d\/3) \(global step \d+, last batch loss 0\.\d+\)/,
  );
  assert.ok(interrupted.alive);
  // A string value is shown as JS writes it: '{...}'.
  const value = (name: string) => JSON.parse(step(name).results[0].slice(1, -1));
  const after = value("after");
  assert.equal(after.keep, 42, "a variable set before the Stop is intact");
  assert.equal(after.finite, true, "the model predicts");
  assert.deepEqual(step("resumed").results, step("straight").results, "the resume matches");
  const busy = step("busy");
  assert.equal(busy.error?.ename, "KernelRestarted");
  assert.match(busy.error!.evalue, /every variable of the session is lost/);
  assert.deepEqual(value("fresh"), { keep: "undefined", two: 2 });
  assert.ok(result.alive_at_end);
});

/** Starts tools/train.ts, waits for `pattern` on its output, sends SIGINT, returns the end. */
function interruptTrain(args: string[], pattern: RegExp) {
  return interruptTool(
    [path.join(ROOT, "tools/train.ts"), "--model", "vanilla", "--no-knn", ...args],
    pattern,
  );
}

/** The names of the files under `dir` (none when it does not exist yet). */
async function* walkNames(dir: string): AsyncGenerator<string> {
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isDirectory) yield* walkNames(path.join(dir, entry.name));
      else yield entry.name;
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/**
 * Starts `deno run -A ARGS` and sends it SIGINT once `pattern` is on its output (or `ready()`
 * says so, polled every 200 ms); returns how it ended.
 */
async function interruptTool(
  args: string[],
  pattern?: RegExp,
  ready?: () => Promise<boolean>,
) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  let sent = false;
  const read = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      if (!sent && pattern?.test(text)) {
        sent = true;
        child.kill("SIGINT");
      }
    }
  };
  let done = false;
  const poll = async () => {
    while (ready && !sent && !done) {
      if (await ready()) {
        sent = true;
        child.kill("SIGINT");
      } else await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };
  const status = child.status.then((s) => {
    done = true;
    return s;
  });
  const [end] = await Promise.all([status, read(child.stdout), read(child.stderr), poll()]);
  const code = end.code;
  return { code, signal: end.signal, text, sent };
}

Deno.test("Ctrl-C stops tools/train.ts cleanly: exit 130, checkpoint kept, resume matches", async () => {
  const root = await Deno.makeTempDir({ prefix: "kmnist_ctrl_c_" });
  try {
    const stopped = path.join(root, "stopped"), straight = path.join(root, "straight");
    const size = ["--train-images", "3000", "--validation", "200"];
    const run = await interruptTrain([...size, "--epochs", "40", "--out", stopped], /^epoch 1\//m);
    assert.ok(run.sent, run.text);
    assert.equal(run.code, 130, run.text);
    assert.match(run.text, /Interrupted: training stopped at (epoch \d+\/40, batch|the end)/);
    assert.match(run.text, /Continue with: deno task train .*--out .*stopped --resume/);
    const names = await listFolder(stopped);
    assert.ok(names.includes("checkpoint.json"), names.join(" "));
    assert.ok(!names.some((n) => n.includes(".tmp") || n.startsWith(".")), names.join(" "));
    const manifest = JSON.parse(await Deno.readTextFile(path.join(stopped, "checkpoint.json")));
    const saved = manifest.epoch as number;
    assert.ok(saved >= 1 && saved < 40, `checkpoint at epoch ${saved}`);
    const epochs = String(saved + 1);
    const resumed = await runTrain([...size, "--epochs", epochs, "--resume", "--out", stopped]);
    assert.equal(resumed.code, 0, resumed.text);
    const full = await runTrain([...size, "--epochs", epochs, "--out", straight]);
    assert.equal(full.code, 0, full.text);
    assert.deepEqual(await runOutcome(stopped), await runOutcome(straight));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("Ctrl-C stops tools/study.ts cleanly: exit 130, finished trials kept", async () => {
  const root = await Deno.makeTempDir({ prefix: "kmnist_study_ctrl_c_" });
  try {
    const settings = path.join(root, "settings.json");
    await Deno.writeTextFile(
      settings,
      JSON.stringify({
        architectures: ["vanilla"],
        codeSizes: [2, 4, 8],
        betas: [],
        designs: [],
        seeds: [],
        referenceVae: false,
        pixelBaseline: false,
        epochs: 200,
        trainImages: 2000,
        validationSize: 100,
        testImages: 100,
      }),
    );
    const args = [path.join(ROOT, "tools/study.ts"), "--no-adopt", "--settings", settings];
    const dir = path.join(root, "study");
    // Stop once the first trial has saved a checkpoint: its training is then running.
    const run = await interruptTool([...args, "--dir", dir], undefined, async () => {
      for await (const file of walkNames(dir)) if (file === "checkpoint.json") return true;
      return false;
    });
    assert.ok(run.sent, run.text);
    assert.equal(run.code, 130, run.text);
    assert.match(run.text, /Interrupted: training stopped at (the end of )?epoch \d+\/200/);
    assert.match(run.text, /Finished trials are kept.*deno task study .*--settings/s);
    const kept = [];
    for await (const file of walkNames(dir)) kept.push(file);
    assert.ok(kept.includes("checkpoint.json"), "the interrupted trial's checkpoint is kept");
    const list = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", ...args, "--dir", dir, "--list"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.match(new TextDecoder().decode(list.stdout), /3 trials \(shard \d\/1\), 3 to run\./);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
