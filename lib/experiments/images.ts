/**
 * Choosing images (examples per class, seeded samples) and pushing them through a model: floats, reconstructions, codes, a decode function for the plots. No tensor is left behind.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type ImageSet, imagesToTensor, KMNIST_CLASSES, shuffledIndices } from "../data/mod.ts";
import type { Autoencoder } from "../models/mod.ts";

/**
 * Example images of every class: `perClass` rows of ten indices, row k holding the k-th image of
 * each class in the set (class order お, き, す, つ, な, は, ま, や, れ, を).
 */
export function examplesPerClass(set: ImageSet, perClass = 1): Int32Array[] {
  const rows = Array.from({ length: perClass }, () => new Int32Array(KMNIST_CLASSES.length));
  for (const c of KMNIST_CLASSES) {
    let found = 0;
    for (let i = 0; i < set.count && found < perClass; i++) {
      if (set.labels[i] === c.index) rows[found++][c.index] = i;
    }
    if (found < perClass) {
      throw new Error(
        `examplesPerClass: the set has ${found} images of class ${c.char}, not ${perClass}.`,
      );
    }
  }
  return rows;
}

/** Captions "お o" ... "を wo" for a row of {@link examplesPerClass}. */
export function classCaptions(): string[] {
  return KMNIST_CLASSES.map((c) => `${c.char} ${c.romaji}`);
}

/** `count` distinct seeded random indices into a set of `size` images. */
export function sampleIndices(size: number, count: number, seed: number): Int32Array {
  return shuffledIndices(size, seed).slice(0, Math.min(count, size));
}

/** Reconstructions of the chosen images (floats in [0, 1]); no tensor is left behind. */
export function reconstructImages(
  model: Autoencoder,
  set: ImageSet,
  indices: ArrayLike<number>,
): Float32Array {
  const output = tf.tidy(() => model.reconstruct(imagesToTensor(set, indices)));
  try {
    return output.dataSync() as Float32Array;
  } finally {
    output.dispose();
  }
}

/** Latent codes (row-major `[count, latentDim]`) of the chosen images, with their labels. */
export function encodeImages(
  model: Autoencoder,
  set: ImageSet,
  indices: ArrayLike<number>,
): { codes: Float32Array; labels: Uint8Array; dim: number } {
  const codes = tf.tidy(() => model.encode(imagesToTensor(set, indices)));
  try {
    const labels = Uint8Array.from({ length: indices.length }, (_, i) => set.labels[indices[i]]);
    return { codes: codes.dataSync() as Float32Array, labels, dim: model.config.latentDim };
  } finally {
    codes.dispose();
  }
}

/**
 * A decode function for the plotting helpers (`manifold`, `priorSamples`,
 * `interpolationStrip`): latent codes in, images out as floats; no tensor is left behind.
 */
export function decoderOf(model: Autoencoder): (z: Float32Array, count: number) => Float32Array {
  return (z, count) => {
    const images = tf.tidy(() => model.decode(tf.tensor2d(z, [count, model.config.latentDim])));
    try {
      return images.dataSync() as Float32Array;
    } finally {
      images.dispose();
    }
  };
}
