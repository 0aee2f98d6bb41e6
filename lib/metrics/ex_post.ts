/**
 * A generator for any autoencoder by ex-post density estimation (Ghosh et al. 2020): encode the
 * training images, fit a Gaussian mixture to the codes ({@link fitGaussianMixture}), draw codes from
 * it and decode them. This is how the deterministic autoencoders get a generation row beside the
 * VAEs (whose own generator decodes prior draws).
 *
 * ```ts
 * const prior = fitExPostPrior(model, train, { seed: 0 });            // 10 components
 * const images = decodeExPostSamples(model, prior, 10_000, { seed: 1 }); // [10000, 28, 28, 1]
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type ImageSet, imagesToTensor } from "../data/mod.ts";
import {
  fitGaussianMixture,
  type GaussianMixture,
  type GaussianMixtureOptions,
  sampleGaussianMixture,
} from "./gaussian_mixture.ts";

/** What ex-post sampling needs of a model: codes of images, and images of codes. */
export interface CodeModel {
  /** Codes `[n, dims]` of `[n, 28, 28, 1]` images; the caller disposes them. */
  encode(images: tf.Tensor4D): tf.Tensor2D;
  /** Images `[n, 28, 28, 1]` of codes `[n, dims]`; the caller disposes them. */
  decode(codes: tf.Tensor2D): tf.Tensor4D;
}

/** Rows per encode/decode call. */
const CHUNK = 1000;

/** The codes of a whole image set, encoded in chunks of 1,000, as one row-major array. */
export function encodeImageSet(
  model: CodeModel,
  set: ImageSet,
): { codes: Float32Array; dims: number } {
  let codes = new Float32Array(0), dims = 0;
  for (let start = 0; start < set.count; start += CHUNK) {
    const size = Math.min(CHUNK, set.count - start);
    const block = tf.tidy(() =>
      model.encode(imagesToTensor(set, Int32Array.from({ length: size }, (_, i) => start + i)))
    );
    if (start === 0) {
      dims = block.shape[1];
      codes = new Float32Array(set.count * dims);
    }
    codes.set(block.dataSync(), start * dims);
    block.dispose();
  }
  return { codes, dims };
}

/** Fits the ex-post mixture to the codes of `train` (options as {@link fitGaussianMixture}'s). */
export function fitExPostPrior(
  model: CodeModel,
  train: ImageSet,
  options: Omit<GaussianMixtureOptions, "dims"> = {},
): GaussianMixture {
  if (train.count < 2) throw new Error(`fitExPostPrior: need training images, got ${train.count}.`);
  const { codes, dims } = encodeImageSet(model, train);
  return fitGaussianMixture(codes, { ...options, dims });
}

/** `count` seeded draws from the mixture, decoded in chunks of 1,000: `[count, 28, 28, 1]`. */
export function decodeExPostSamples(
  model: CodeModel,
  prior: GaussianMixture,
  count: number,
  options: { seed?: number } = {},
): tf.Tensor4D {
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`decodeExPostSamples: count must be a positive integer, got ${count}.`);
  }
  const codes = sampleGaussianMixture(prior, count, options);
  const parts: tf.Tensor4D[] = [];
  try {
    for (let start = 0; start < count; start += CHUNK) {
      const size = Math.min(CHUNK, count - start);
      parts.push(tf.tidy(() =>
        model.decode(
          tf.tensor2d(codes.subarray(start * prior.dims, (start + size) * prior.dims), [
            size,
            prior.dims,
          ]),
        )
      ));
    }
    return tf.concat(parts, 0);
  } finally {
    tf.dispose(parts);
  }
}
