/**
 * The multilayer (deep dense) autoencoder: 784 -> 256 -> 128 -> 32 -> 128 -> 256 -> 784, MSE.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  type Autoencoder,
  checkPositiveInteger,
  IMAGE_PIXELS,
  IMAGE_SIZE,
  makeDeterministicAutoencoder,
  SeededInitializers,
} from "./common.ts";

/** Options for {@link buildMultilayer}. */
export interface MultilayerOptions {
  /** Size of the code (default 32). */
  latentDim?: number;
  /** Widths of the hidden layers from the image inwards (default [256, 128]); mirrored. */
  hidden?: readonly number[];
  /** Seed of the initialisers (default 0). */
  seed?: number;
}

/**
 * Dense 256 relu -> 128 relu -> 32 relu -> 128 relu -> 256 relu -> 784 sigmoid (476,720
 * parameters at the defaults).
 */
export function buildMultilayer(options: MultilayerOptions = {}): Autoencoder {
  const { latentDim = 32, hidden = [256, 128], seed = 0 } = options;
  checkPositiveInteger("latentDim", latentDim);
  hidden.forEach((units, i) => checkPositiveInteger(`hidden[${i}]`, units));
  const init = new SeededInitializers(seed);
  const encoder = tf.sequential({ name: "multilayer_encoder" });
  encoder.add(tf.layers.flatten({ inputShape: [IMAGE_SIZE, IMAGE_SIZE, 1], name: "enc_flatten" }));
  hidden.forEach((units, i) =>
    encoder.add(tf.layers.dense({
      units,
      activation: "relu",
      kernelInitializer: init.glorot(),
      name: `enc_dense${i + 1}`,
    }))
  );
  encoder.add(tf.layers.dense({
    units: latentDim,
    activation: "relu",
    kernelInitializer: init.glorot(),
    name: "enc_code",
  }));
  const decoder = tf.sequential({ name: "multilayer_decoder" });
  [...hidden].reverse().forEach((units, i) =>
    decoder.add(tf.layers.dense({
      ...(i === 0 ? { inputShape: [latentDim] } : {}),
      units,
      activation: "relu",
      kernelInitializer: init.glorot(),
      name: `dec_dense${i + 1}`,
    }))
  );
  decoder.add(tf.layers.dense({
    ...(hidden.length === 0 ? { inputShape: [latentDim] } : {}),
    units: IMAGE_PIXELS,
    activation: "sigmoid",
    kernelInitializer: init.glorot(),
    name: "dec_pixels",
  }));
  decoder.add(tf.layers.reshape({ targetShape: [IMAGE_SIZE, IMAGE_SIZE, 1], name: "dec_reshape" }));
  return makeDeterministicAutoencoder({
    config: { kind: "multilayer", latentDim, seed, hidden: [...hidden] },
    encoder,
    decoder,
  });
}
