/**
 * The experiments of the notebooks: their settings in one place, the data each one trains on, and
 * the records (metrics.json) and checkpoints they leave in `runs/`, which later notebooks and
 * `deno task report` read.
 *
 * ```ts
 * import { experimentSettings, loadExperimentData, saveExperimentRecord } from "../lib/experiments/mod.ts";
 * const settings = experimentSettings("convolutional"); // KMNIST_QUICK=1 selects quick mode
 * const data = await loadExperimentData(settings);       // fit / validation / test sets
 * // ... build, train (checkpointDirectory: settings.runDirectory), evaluate ...
 * await saveExperimentRecord(settings, { model, result, evaluation });
 * ```
 *
 * Full runs: 10 epochs, batches of 128, Adam 1e-3, 5,000 validation images carved from the 60,000
 * training images (seeded), all 10,000 test images for evaluation, seed 0; written to
 * `runs/<name>/`. Quick mode (`KMNIST_QUICK=1`, for tests): 3,000 training, 500 validation and
 * 1,000 test images, one epoch, smaller likelihood estimates; written to `runs/quick/<name>/` so
 * it never overwrites a full run.
 *
 * @module
 */
export * from "./settings.ts";
export * from "./data.ts";
export * from "./images.ts";
export * from "./records.ts";
export * from "./compare.ts";
export * from "./denoising.ts";
