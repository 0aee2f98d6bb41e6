/**
 * The study's VAE trials train with their design and training option: a real trial of each
 * option on a few hundred KMNIST images, through runTrial (checkpoint, training, measures).
 */
import assert from "node:assert/strict";
import { initBackend } from "@kmnist/tfjs-blas";
import {
  loadStudyData,
  runTrial,
  studyGrid,
  studySettings,
  trialKey,
  trialLabel,
  type TrialSettings,
} from "../lib/study/mod.ts";
import { loadModel } from "../lib/train/mod.ts";
import * as path from "node:path";

await initBackend();

Deno.test("study VAE trials: the design is built, warm-up and free bits change the training", async () => {
  const directory = await Deno.makeTempDir({ prefix: "study_vae_" });
  try {
    const settings = { ...studySettings({ quick: true }), trainImages: 600, testImages: 200 };
    const trials = studyGrid({ ...settings, iwaeImages: 20, iwaeSamples: 5 })
      .filter((t) => t.architecture === "variational" && t.design === "mlp")
      .map((t): TrialSettings => ({ ...t, latentDim: 4 }));
    assert.deepEqual(trials.map(trialLabel), [
      "variational/mlp z=4",
      "variational/mlp z=4 warm-up 1",
      "variational/mlp z=4 free bits 0.5",
    ]);
    const data = await loadStudyData(trials[0]);
    const firstLoss: number[] = [];
    for (const trial of trials) {
      const key = await trialKey(trial);
      const { results } = await runTrial({ trial, key, directory, data, backend: "test" });
      firstLoss.push(results.losses![0].trainLoss);
      assert.ok(results.vae !== undefined);
      const saved = await loadModel(path.join(directory, "checkpoints", key));
      assert.equal(saved.config.design, "mlp");
      saved.dispose();
    }
    // Warm-up starts with a KL weight of 0 (a lower objective than the ELBO), free bits add the
    // floor's excess (a higher one): the same seed, data and noise otherwise.
    assert.ok(firstLoss[1] < firstLoss[0], `warm-up ${firstLoss[1]} vs plain ${firstLoss[0]}`);
    assert.ok(firstLoss[2] > firstLoss[0], `free bits ${firstLoss[2]} vs plain ${firstLoss[0]}`);
  } finally {
    await Deno.remove(directory, { recursive: true });
  }
});
