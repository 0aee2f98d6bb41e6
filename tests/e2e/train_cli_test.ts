/**
 * tools/train.ts as a careful user drives it (issue #14, parts 1, 3 and 4), each in a real child
 * process: resumes that continue the same run bit for bit, flags that contradict the checkpoint
 * refused by name, one run per folder, unusable folders and broken checkpoints named with the fix,
 * and a collapsed training that warns.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { runSnippet } from "../helpers/process.ts";
import { listFolder, runOutcome, runTrain } from "../helpers/train_cli.ts";

async function withRoot(body: (root: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "kmnist_cli_" });
  try {
    await body(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

function ok(result: { code: number; text: string }, what: string): void {
  assert.equal(result.code, 0, `${what}\n${result.text}`);
}

/** Runs a command that must be refused with exit 1 and a message matching every pattern. */
async function refused(args: string[], ...patterns: RegExp[]): Promise<string> {
  const result = await runTrain(args);
  assert.equal(result.code, 1, `${args.join(" ")}\n${result.text}`);
  for (const p of patterns) assert.match(result.text, p, args.join(" "));
  assert.doesNotMatch(result.text, /^epoch \d/m, `${args.join(" ")} trained`);
  return result.text;
}

Deno.test("--lr 0.01 resumed twice ends bit-identical to an uninterrupted run and records 0.01", async () => {
  await withRoot(async (root) => {
    const straight = path.join(root, "straight"), pieces = path.join(root, "pieces");
    ok(await runTrain(["--lr", "0.01", "--epochs", "3", "--out", straight]), "straight");
    ok(await runTrain(["--lr", "0.01", "--epochs", "1", "--out", pieces]), "epoch 1");
    ok(await runTrain(["--epochs", "2", "--resume", "--out", pieces]), "resume to 2");
    ok(await runTrain(["--epochs", "3", "--resume", "--out", pieces]), "resume to 3");
    const expected = await runOutcome(straight);
    assert.equal(expected.learningRate, 0.01);
    assert.deepEqual(await runOutcome(pieces), expected);
  });
});

Deno.test("a --noise run resumed without --noise continues with the noise, bit for bit", async () => {
  await withRoot(async (root) => {
    const straight = path.join(root, "straight"), pieces = path.join(root, "pieces");
    ok(await runTrain(["--noise", "0.3", "--epochs", "2", "--out", straight]), "straight");
    ok(await runTrain(["--noise", "0.3", "--epochs", "1", "--out", pieces]), "epoch 1");
    ok(await runTrain(["--epochs", "2", "--resume", "--out", pieces]), "resume");
    const expected = await runOutcome(straight);
    assert.deepEqual(expected.noise, { stddev: 0.3, seed: 0 });
    assert.deepEqual(await runOutcome(pieces), expected);
  });
});

Deno.test("flags that contradict the checkpoint, and pointless epochs, are refused by name", async () => {
  await withRoot(async (root) => {
    const out = path.join(root, "run");
    ok(await runTrain(["--lr", "0.01", "--epochs", "2", "--out", out]), "first run");
    const manifest = await Deno.readTextFile(path.join(out, "checkpoint.json"));
    const resume = ["--resume", "--epochs", "3", "--out", out];
    await refused(
      [...resume, "--lr", "0.5"],
      /--lr 0\.5 conflicts with the checkpoint, saved 0\.01/,
    );
    await refused([...resume, "--noise", "0.3"], /--noise stddev 0\.3.* conflicts .*saved none/);
    await refused([...resume, "--latent", "8"], /--latent 8 conflicts .*latent size 32/);
    await refused([...resume, "--validation", "2000"], /--validation 2000 conflicts .*saved 200/);
    await refused([...resume, "--batch-size", "64"], /--batch-size 64 conflicts .*saved 128/);
    await refused(
      ["--resume", "--epochs", "1", "--out", out],
      /--epochs 1 is not more than the 2 epoch\(s\) .*--epochs 3 or more, or --evaluate-only/,
    );
    await refused(["--epochs", "0", "--out", out], /--epochs must be at least 1, got 0/);
    // A plain run into the folder would silently replace the checkpoint: refused.
    await refused(
      ["--epochs", "2", "--out", out],
      /already holds a checkpoint: add --resume .*--overwrite/,
    );
    assert.equal(await Deno.readTextFile(path.join(out, "checkpoint.json")), manifest);
    // --overwrite starts a new run: nothing of the old one remains.
    ok(await runTrain(["--epochs", "1", "--overwrite", "--out", out]), "overwrite");
    const outcome = await runOutcome(out);
    assert.equal(outcome.epoch, 1);
    assert.equal(outcome.learningRate, 0.001);
    assert.equal(outcome.losses.length, 1);
  });
});

Deno.test("a run folder in use, or unusable, is refused before any training, naming why", async () => {
  await withRoot(async (root) => {
    const file = path.join(root, "a_file");
    await Deno.writeTextFile(file, "");
    await refused(
      ["--epochs", "1", "--out", path.join(file, "run")],
      /Cannot use .*a_file\/run as the run folder: .*choose another --out/,
    );
    // A live process holds the folder: the run is refused naming it.
    const out = path.join(root, "busy");
    const holder = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        "--quiet",
        "--ext=ts",
        `import { acquireRunLock } from "./lib/io/mod.ts";
         await acquireRunLock(${JSON.stringify(out)});
         console.log("locked");
         await new Promise((resolve) => setTimeout(resolve, 60000));`,
      ],
      cwd: new URL("../../", import.meta.url).pathname,
      stdout: "piped",
    }).spawn();
    try {
      const reader = holder.stdout.getReader();
      let said = "";
      while (!said.includes("locked")) {
        const { value, done } = await reader.read();
        if (done) throw new Error("the lock holder ended");
        said += new TextDecoder().decode(value);
      }
      reader.releaseLock();
      await refused(
        ["--epochs", "1", "--out", out],
        new RegExp(`is in use by another run: process ${holder.pid}\\b.*choose another --out`),
      );
    } finally {
      holder.kill("SIGKILL");
      await holder.status;
      await holder.stdout.cancel().catch(() => {});
    }
    assert.deepEqual(await listFolder(out), ["run.lock"]);
  });
});

Deno.test("broken checkpoints: NaN weights, a truncated weights.bin, a missing checkpoint", async () => {
  await withRoot(async (root) => {
    const nan = path.join(root, "nan");
    const saved = await runSnippet(`
      import * as tf from "@tensorflow/tfjs";
      import { initBackend } from "@kmnist/tfjs-blas";
      import { buildModel } from "./lib/models/mod.ts";
      import { saveCheckpoint } from "./lib/train/mod.ts";
      await initBackend();
      const model = buildModel({ kind: "vanilla", seed: 0 });
      model.model.setWeights(model.model.getWeights().map((w) => tf.fill(w.shape, NaN)));
      await saveCheckpoint(${JSON.stringify(nan)}, { model });`);
    assert.ok(saved.ok, saved.stderr);
    await refused(
      ["--evaluate-only", "--out", nan],
      /weights\.bin holds NaN in weight .*cannot be evaluated.*--lr.*--overwrite/,
    );
    const out = path.join(root, "run");
    ok(await runTrain(["--epochs", "1", "--out", out]), "first run");
    const folder = (await listFolder(out)).find((n) => n.startsWith("checkpoint-"))!;
    const weights = path.join(out, folder, "weights.bin");
    await Deno.truncate(weights, 1000);
    await refused(
      ["--resume", "--epochs", "2", "--out", out],
      /weights\.bin is 1000 bytes, checkpoint\.json says 203968: it is truncated; restore/,
    );
    await refused(
      ["--resume", "--epochs", "2", "--out", path.join(root, "empty")],
      /--resume: .*empty holds no checkpoint; train without --resume first/,
    );
  });
});

Deno.test("a training that collapses (lr 10 on vanilla) ends with a warning saying so and what to try", async () => {
  await withRoot(async (root) => {
    const out = path.join(root, "collapse");
    const result = await runTrain([
      "--train-images",
      "3000",
      "--lr",
      "10",
      "--epochs",
      "2",
      "--out",
      out,
    ]);
    ok(result, "collapsing run");
    assert.match(
      result.text,
      /the vanilla model collapsed: .*nearly black.*learning rate \(10\) is most likely too large/,
    );
    const history = JSON.parse(await Deno.readTextFile(path.join(out, "history.json")));
    assert.equal(history.warnings.length, 1);
    const healthy = await runTrain([
      "--train-images",
      "3000",
      "--epochs",
      "2",
      "--out",
      path.join(root, "ok"),
    ]);
    ok(healthy, "healthy run");
    assert.doesNotMatch(healthy.text, /collapsed/);
  });
});
