/**
 * Subsets, the validation split, and conversion of images to tensors.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { IMAGE_PIXELS, IMAGE_SIZE, type ImageSet } from "./kmnist.ts";
import { shuffledIndices } from "./random.ts";
import { imagesAsFloats } from "./pixels.ts";

/** The images at `indices`, in that order, copied into a new set. */
export function takeSubset(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const images = new Uint8Array(indices.length * IMAGE_PIXELS);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i];
    if (!Number.isInteger(index) || index < 0 || index >= set.count) {
      throw new Error(
        `takeSubset: index ${index} at position ${i} is outside 0..${set.count - 1}.`,
      );
    }
    images.set(
      set.images.subarray(index * IMAGE_PIXELS, (index + 1) * IMAGE_PIXELS),
      i * IMAGE_PIXELS,
    );
    labels[i] = set.labels[index];
  }
  return { images, labels, count: indices.length };
}

/** Options for {@link splitTrainValidation}. */
export interface ValidationSplitOptions {
  /** Images held out for validation (default 5,000); 0 keeps all for training. */
  validationSize?: number;
  /** Seed of the shuffle that decides which images are held out (default 0). */
  seed?: number;
}

/**
 * Carves a validation set out of the training images: shuffles them with a seed and holds out the
 * last `validationSize`. The test set is never touched, so it stays unseen until final evaluation.
 */
export function splitTrainValidation(
  train: ImageSet,
  options: ValidationSplitOptions = {},
): { train: ImageSet; validation: ImageSet } {
  const { validationSize = 5000, seed = 0 } = options;
  if (!Number.isInteger(validationSize) || validationSize < 0 || validationSize >= train.count) {
    throw new Error(
      `splitTrainValidation: validationSize must be an integer in 0..${train.count - 1}, ` +
        `got ${validationSize}.`,
    );
  }
  const order = shuffledIndices(train.count, seed);
  const cut = train.count - validationSize;
  return {
    train: takeSubset(train, order.subarray(0, cut)),
    validation: takeSubset(train, order.subarray(cut)),
  };
}

/**
 * Images as a float32 tensor `[n, 28, 28, 1]` with values in [0, 1] (grey level / 255).
 *
 * @param indices which images, in order; all of them when omitted.
 */
export function imagesToTensor(set: ImageSet, indices?: ArrayLike<number>): tf.Tensor4D {
  const count = indices ? indices.length : set.count;
  const values = imagesAsFloats(set, indices);
  return tf.tensor4d(values, [count, IMAGE_SIZE, IMAGE_SIZE, 1], "float32");
}

/** Labels as an int32 tensor `[n]`, for the images at `indices` (all when omitted). */
export function labelsToTensor(set: ImageSet, indices?: ArrayLike<number>): tf.Tensor1D {
  const values = indices
    ? Int32Array.from(indices, (i) => set.labels[i])
    : Int32Array.from(set.labels);
  return tf.tensor1d(values, "int32");
}
