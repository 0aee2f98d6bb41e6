/**
 * Trains the KMNIST classifier (lib/models/classifier.ts) on the 60,000 training images, measures
 * its test accuracy and saves it (default runs/classifier/); an existing one is loaded and
 * re-measured unless --overwrite.
 *
 * ```sh
 * npx -y deno@2.9.6 run --allow-all tools/classifier.ts [--out runs/classifier] [--epochs 8] [--overwrite]
 * ```
 *
 * @module
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { initBackend } from "@kmnist/tfjs-blas";
import { loadKmnist } from "../lib/data/mod.ts";
import { PROJECT_ROOT } from "../lib/io/mod.ts";
import { CLASSIFIER_RECORD, classifierAccuracy, ensureClassifier } from "../lib/train/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    out: { type: "string", default: path.join(PROJECT_ROOT, "runs", "classifier") },
    epochs: { type: "string" },
    seed: { type: "string" },
    overwrite: { type: "boolean", default: false },
  },
});
const backend = await initBackend();
const kmnist = await loadKmnist();
if (values.overwrite) await Deno.remove(path.join(values.out, CLASSIFIER_RECORD)).catch(() => {});
const { classifier, record, trained } = await ensureClassifier({
  directory: values.out,
  train: kmnist.train,
  test: kmnist.test,
  ...(values.epochs ? { epochs: Number(values.epochs) } : {}),
  ...(values.seed ? { seed: Number(values.seed) } : {}),
  backend: JSON.stringify(backend),
  log: console.log,
});
const accuracy = trained ? record.testAccuracy : classifierAccuracy(classifier, kmnist.test);
const mean = record.secondsPerEpoch.reduce((a, b) => a + b, 0) / record.secondsPerEpoch.length;
console.log(
  `${trained ? "trained" : "loaded"} ${values.out}: ${classifier.countParams()} parameters, ` +
    `test accuracy ${(100 * accuracy).toFixed(2)}% on ${kmnist.test.count} images, ` +
    `${record.training.epochs} epochs at ${mean.toFixed(1)} s/epoch`,
);
classifier.dispose();
