/**
 * The denoising study of the convolutional notebook: a model trained on noisy inputs against the plain one, on the same seeded noise.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { IMAGE_PIXELS, type ImageSet, imagesToTensor } from "../data/mod.ts";
import type { Autoencoder } from "../models/mod.ts";
import { gaussianNoise } from "../train/mod.ts";

/** Results of {@link denoisingStudy} on a test set. */
export interface DenoisingResult {
  /** Noise standard deviation (pixel range [0, 1]). */
  stddev: number;
  /** MSE per pixel between the noisy inputs and the clean images. */
  noisyMse: number;
  /** MSE of the denoising model's output (noisy in) against the clean images. */
  denoisedMse: number;
  /** MSE of the plain model's output (noisy in) against the clean images. */
  plainOnNoisyMse: number;
  /** MSE of the plain model's output (clean in) against the clean images. */
  plainOnCleanMse: number;
  /** Test images used. */
  images: number;
  /** For the figure: the noisy, denoised and plain-model images of `shown` (floats). */
  shown: { noisy: Float32Array; denoised: Float32Array; plain: Float32Array; clean: Float32Array };
}

/**
 * Compares a denoising autoencoder (trained on noisy inputs, clean targets) with the plain one on
 * the same seeded Gaussian noise over a test set, in chunks of 1,000 images.
 */
export function denoisingStudy(options: {
  denoiser: Autoencoder;
  plain: Autoencoder;
  test: ImageSet;
  stddev: number;
  seed: number;
  shown: ArrayLike<number>;
}): DenoisingResult {
  const { denoiser, plain, test, stddev, seed } = options;
  const corrupt = gaussianNoise({ stddev, seed });
  const sums = { noisy: 0, denoised: 0, plainNoisy: 0, plainClean: 0 };
  for (let start = 0; start < test.count; start += 1000) {
    const size = Math.min(1000, test.count - start);
    const indices = Int32Array.from({ length: size }, (_, i) => start + i);
    const [a, b, c, d] = tf.tidy(() => {
      const clean = imagesToTensor(test, indices);
      // Negative steps are the validation/evaluation noise streams (never used in training).
      const noisy = corrupt(clean, -1 - start);
      const mse = (x: tf.Tensor) => tf.sum(tf.squaredDifference(x, clean));
      return [
        mse(noisy),
        mse(denoiser.reconstruct(noisy)),
        mse(plain.reconstruct(noisy)),
        mse(plain.reconstruct(clean)),
      ];
    });
    sums.noisy += a.dataSync()[0];
    sums.denoised += b.dataSync()[0];
    sums.plainNoisy += c.dataSync()[0];
    sums.plainClean += d.dataSync()[0];
    tf.dispose([a, b, c, d]);
  }
  const pixels = test.count * IMAGE_PIXELS;
  const shownImages = tf.tidy(() => {
    const clean = imagesToTensor(test, options.shown);
    const noisy = corrupt(clean, -1_000_000);
    return [noisy, denoiser.reconstruct(noisy), plain.reconstruct(noisy), clean];
  });
  const [noisy, denoised, plainOut, clean] = shownImages.map((t) => t.dataSync() as Float32Array);
  tf.dispose(shownImages);
  return {
    stddev,
    noisyMse: sums.noisy / pixels,
    denoisedMse: sums.denoised / pixels,
    plainOnNoisyMse: sums.plainNoisy / pixels,
    plainOnCleanMse: sums.plainClean / pixels,
    images: test.count,
    shown: { noisy, denoised, plain: plainOut, clean },
  };
}
