/**
 * Detects a training that collapsed: the model gives (nearly) the same, (nearly) all-black output
 * whatever the input, as after a too large learning rate killed every unit. The loss then stays
 * flat at the all-black level and nothing fails, so training warns. (An untrained or barely
 * trained model also ignores its input, but gives grey, not black, images: no warning.)
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type ImageSet, imagesToTensor } from "../data/mod.ts";
import type { Autoencoder } from "../models/mod.ts";
import { formatNumber } from "../format/mod.ts";

/** What {@link collapseCheck} measured. */
export interface CollapseCheck {
  /** Mean over pixels of the variance of the reconstructions across images. */
  outputVariance: number;
  /** The same for the input images. */
  inputVariance: number;
  /** Mean pixel value of the reconstructions. */
  outputMean: number;
  /** Mean pixel value of the inputs. */
  inputMean: number;
  /**
   * Whether the outputs hardly depend on the inputs (variance across images below a tenth of
   * the inputs') and are nearly black (mean below a tenth of the inputs').
   */
  collapsed: boolean;
}

/** Compares how much the reconstructions of up to `count` images of `set` vary with the input. */
export function collapseCheck(model: Autoencoder, set: ImageSet, count = 256): CollapseCheck {
  const n = Math.min(count, set.count);
  const indices = Int32Array.from({ length: n }, (_, i) => i);
  const [outputVariance, inputVariance, outputMean, inputMean] = tf.tidy(() => {
    const x = imagesToTensor(set, indices);
    const y = model.reconstruct(x);
    const spread = (t: tf.Tensor) => tf.mean(tf.moments(t, 0).variance);
    return Array.from(tf.stack([spread(y), spread(x), tf.mean(y), tf.mean(x)]).dataSync());
  });
  const constant = !(outputVariance >= 0.1 * inputVariance);
  const black = !(outputMean >= 0.1 * inputMean);
  return {
    outputVariance,
    inputVariance,
    outputMean,
    inputMean,
    collapsed: n > 1 && inputVariance > 0 && constant && black,
  };
}

/** The warning for a collapsed training, naming the learning rate and what to try. */
export function collapseWarning(
  model: Autoencoder,
  check: CollapseCheck,
  details: { learningRate: number; loss: number },
): string {
  return `Warning: the ${model.kind} model collapsed: it gives nearly the same, nearly black ` +
    `image for every input (mean pixel ${formatNumber(check.outputMean, { decimals: 4 })} vs ` +
    `${formatNumber(check.inputMean, { decimals: 4 })} in the inputs; variance across images ` +
    `${check.outputVariance.toExponential(2)} vs ${check.inputVariance.toExponential(2)}), so ` +
    `its loss (${
      formatNumber(details.loss, { significant: 4 })
    }) stays at the level of an all-black guess. The learning rate ` +
    `(${details.learningRate}) is most likely too large: train again from scratch with a ` +
    `smaller one (the default is 0.001; deno task train --lr 0.001 --overwrite).`;
}
