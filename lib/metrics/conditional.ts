/**
 * Does a conditional generator draw the character asked for? `perClass` samples of each class,
 * labelled by the classifier: the fraction it labels as the class asked for, per class and over
 * all samples.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Classifier, ConditionalVae } from "../models/mod.ts";

/** What {@link conditionalAccuracy} measured. */
export interface ConditionalAccuracy {
  /** Samples drawn per class. */
  perClass: number;
  /** Fraction of each class's samples the classifier labels as that class (index = class). */
  classAccuracy: number[];
  /** The same over all samples. */
  accuracy: number;
  /** The smallest class accuracy. */
  worstClass: number;
}

/** Labels `perClass` prior samples of each class with `classifier` (seeded by `seed`). */
export function conditionalAccuracy(
  model: ConditionalVae,
  classifier: Classifier,
  options: { perClass?: number; seed?: number; classes?: number } = {},
): ConditionalAccuracy {
  const { perClass = 1000, seed = 0, classes = 10 } = options;
  if (!Number.isInteger(perClass) || perClass < 1) {
    throw new Error(`conditionalAccuracy: perClass must be a positive integer, got ${perClass}.`);
  }
  const classAccuracy: number[] = [];
  for (let c = 0; c < classes; c++) {
    let correct = 0;
    for (let start = 0; start < perClass; start += 1000) {
      const n = Math.min(1000, perClass - start);
      const predicted = tf.tidy(() => {
        const images = model.sample(new Int32Array(n).fill(c), seed * 1_000_003 + c * 1000 + start);
        return classifier.predict(images).dataSync();
      });
      for (const p of predicted) if (p === c) correct++;
    }
    classAccuracy.push(correct / perClass);
  }
  return {
    perClass,
    classAccuracy,
    accuracy: classAccuracy.reduce((a, b) => a + b, 0) / classes,
    worstClass: Math.min(...classAccuracy),
  };
}
