/**
 * A save survives a kill at every step (issue #14, part 2): tools/train.ts runs in a real child
 * process that SIGKILLs itself (KMNIST_KILL_AT) at each step of its second checkpoint save; then
 * `--resume` must give the bit-identical result of an uninterrupted run (weights, optimizer state,
 * history, test MSE), clean what the killed save left behind and take over the dead run's lock.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { CHECKPOINT_SAVE_STEPS } from "../../lib/train/mod.ts";
import { listFolder, runOutcome, runTrain } from "../helpers/train_cli.ts";

Deno.test("a kill at every step of a checkpoint save, then --resume: bit-identical to no kill", async () => {
  const root = await Deno.makeTempDir({ prefix: "kmnist_kill_" });
  try {
    const straight = path.join(root, "straight");
    const done = await runTrain(["--epochs", "3", "--out", straight]);
    assert.equal(done.code, 0, done.text);
    const expected = await runOutcome(straight);
    assert.equal(expected.epoch, 3);

    for (const step of CHECKPOINT_SAVE_STEPS) {
      const out = path.join(root, step);
      const killed = await runTrain(["--epochs", "3", "--out", out], {
        KMNIST_KILL_AT: `checkpoint:2:${step}`,
      });
      assert.equal(killed.signal, "SIGKILL", `${step}: not killed\n${killed.text}`);
      const left = await listFolder(out);
      const folders = left.filter((n) => n.startsWith("checkpoint-"));
      // What the kill left: the previous checkpoint, perhaps the new folder and a temporary.
      if (step === "manifest-written") assert.ok(left.some((n) => n.endsWith(".tmp")), `${left}`);
      if (step === "training_state.json") assert.equal(folders.length, 2, `${left}`);
      assert.ok(!left.includes("history.json"), `${step}: ${left}`);

      const resumed = await runTrain(["--epochs", "3", "--out", out, "--resume"]);
      assert.equal(resumed.code, 0, `${step}: ${resumed.text}`);
      assert.match(resumed.text, /Taking over the lock of .*no longer running/, step);
      assert.deepEqual(await runOutcome(out), expected, `${step}: resumed run differs`);
      const after = await listFolder(out);
      assert.deepEqual(
        after.filter((n) => !n.startsWith("checkpoint-")),
        ["checkpoint.json", "history.json", "metrics.json", "run.lock"],
        `${step}: ${after}`,
      );
      assert.equal(after.filter((n) => n.startsWith("checkpoint-")).length, 1, `${step}: ${after}`);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
