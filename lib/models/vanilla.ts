/**
 * The vanilla autoencoder: one dense layer each way (784 -> 32 -> 784), trained with MSE.
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

/** Options for {@link buildVanilla}. */
export interface VanillaOptions {
  /** Size of the code (default 32). */
  latentDim?: number;
  /** Seed of the initialisers (default 0). */
  seed?: number;
}

/** Flatten 784 -> Dense 32 relu -> Dense 784 sigmoid -> 28x28x1 (50,992 parameters at 32). */
export function buildVanilla(options: VanillaOptions = {}): Autoencoder {
  const { latentDim = 32, seed = 0 } = options;
  checkPositiveInteger("latentDim", latentDim);
  const init = new SeededInitializers(seed);
  const encoder = tf.sequential({
    name: "vanilla_encoder",
    layers: [
      tf.layers.flatten({ inputShape: [IMAGE_SIZE, IMAGE_SIZE, 1], name: "enc_flatten" }),
      tf.layers.dense({
        units: latentDim,
        activation: "relu",
        kernelInitializer: init.glorot(),
        name: "enc_code",
      }),
    ],
  });
  const decoder = tf.sequential({
    name: "vanilla_decoder",
    layers: [
      tf.layers.dense({
        inputShape: [latentDim],
        units: IMAGE_PIXELS,
        activation: "sigmoid",
        kernelInitializer: init.glorot(),
        name: "dec_pixels",
      }),
      tf.layers.reshape({ targetShape: [IMAGE_SIZE, IMAGE_SIZE, 1], name: "dec_reshape" }),
    ],
  });
  return makeDeterministicAutoencoder({
    config: { kind: "vanilla", latentDim, seed },
    encoder,
    decoder,
  });
}
