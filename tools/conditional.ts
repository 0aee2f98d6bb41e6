/**
 * Trains the conditional VAE on KMNIST (55,000 / 5,000 split as the notebooks), saves it (default
 * runs/conditional/), and when the classifier exists (runs/classifier/, see tools/classifier.ts)
 * measures how often 1,000 prior samples per class are labelled as the class asked for.
 *
 * ```sh
 * npx -y deno@2.9.6 run --allow-all tools/conditional.ts [--epochs 10] [--latent 16] [--design conv|mlp] \
 *   [--train-images N] [--warmup-epochs 0] [--free-bits 0] [--per-class 1000] [--out runs/conditional]
 * npx -y deno@2.9.6 run --allow-all tools/conditional.ts --measure-only   # the saved one, measured again
 * ```
 *
 * @module
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { initBackend } from "@kmnist/tfjs-blas";
import { loadKmnist, splitTrainValidation, takeSubset } from "../lib/data/mod.ts";
import { PROJECT_ROOT } from "../lib/io/mod.ts";
import { conditionalAccuracy } from "../lib/metrics/mod.ts";
import type { ConditionalDesign, ConditionalVae } from "../lib/models/mod.ts";
import {
  type ConditionalRecord,
  hasClassifier,
  loadClassifier,
  loadConditional,
  saveConditional,
  trainConditional,
} from "../lib/train/mod.ts";

const runs = path.join(PROJECT_ROOT, "runs");
const { values } = parseArgs({
  args: Deno.args,
  options: {
    epochs: { type: "string", default: "10" },
    latent: { type: "string", default: "16" },
    design: { type: "string", default: "conv" },
    "train-images": { type: "string" },
    "warmup-epochs": { type: "string", default: "0" },
    "free-bits": { type: "string", default: "0" },
    "per-class": { type: "string", default: "1000" },
    seed: { type: "string", default: "0" },
    out: { type: "string", default: path.join(runs, "conditional") },
    classifier: { type: "string", default: path.join(runs, "classifier") },
    "measure-only": { type: "boolean", default: false },
  },
});
const backend = await initBackend();
const kmnist = await loadKmnist();
async function trained(): Promise<{ model: ConditionalVae; record: ConditionalRecord }> {
  if (values["measure-only"]) return await loadConditional(values.out);
  const split = splitTrainValidation(kmnist.train, { validationSize: 5000, seed: 0 });
  const train = values["train-images"]
    ? takeSubset(
      split.train,
      Int32Array.from({ length: Number(values["train-images"]) }, (_, i) => i),
    )
    : split.train;
  console.log(
    `backend ${
      JSON.stringify(backend)
    }; conditional VAE (${values.design}) z=${values.latent}, ${train.count} ` +
      `training images, ${values.epochs} epochs`,
  );
  const result = await trainConditional({
    train,
    validation: split.validation,
    epochs: Number(values.epochs),
    latentDim: Number(values.latent),
    design: values.design as ConditionalDesign,
    seed: Number(values.seed),
    schedule: {
      warmupEpochs: Number(values["warmup-epochs"]),
      freeBits: Number(values["free-bits"]),
    },
    onEpochEnd: (r) =>
      console.log(
        `epoch ${r.epoch}: train rec ${r.trainReconstruction.toFixed(2)} KL ${
          r.trainKl.toFixed(2)
        } | val -ELBO ${r.valLoss?.toFixed(2)} KL ${r.valKl?.toFixed(2)} | ${
          r.seconds.toFixed(1)
        } s`,
      ),
  });
  await saveConditional(values.out, result.model, result.record);
  console.log(`saved ${values.out}`);
  return result;
}

const { model } = await trained();
try {
  if (await hasClassifier(values.classifier)) {
    const { classifier } = await loadClassifier(values.classifier);
    const measured = conditionalAccuracy(model, classifier, {
      perClass: Number(values["per-class"]),
      seed: Number(values.seed),
    });
    classifier.dispose();
    console.log(
      `classifier labels ${(100 * measured.accuracy).toFixed(1)}% of ${measured.perClass} ` +
        `samples per class as the class asked for (worst class ${
          (100 * measured.worstClass).toFixed(1)
        }%): ${measured.classAccuracy.map((a) => (100 * a).toFixed(1)).join(" ")}`,
    );
  } else {
    console.log(
      `no classifier at ${values.classifier}: run tools/classifier.ts to measure samples`,
    );
  }
} finally {
  model.dispose();
}
