/**
 * The convolutional autoencoder: two strided convolutions down to a dense code, and transposed
 * convolutions back up, trained with MSE. Its encoder trunk and decoder are shared with the VAE.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  type Autoencoder,
  checkPositiveInteger,
  IMAGE_SIZE,
  makeDeterministicAutoencoder,
  SeededInitializers,
} from "./common.ts";

/** Options for {@link buildConvolutional}. */
export interface ConvolutionalOptions {
  /** Size of the code (default 32). */
  latentDim?: number;
  /** Seed of the initialisers (default 0). */
  seed?: number;
}

/**
 * Applies the convolutional encoder trunk to `input`: Conv2D 32 k3 s2 same relu -> Conv2D 64 k3 s2
 * same relu -> Flatten (3136 features).
 */
export function convEncoderTrunk(
  input: tf.SymbolicTensor,
  init: SeededInitializers,
): tf.SymbolicTensor {
  let x = tf.layers.conv2d({
    filters: 32,
    kernelSize: 3,
    strides: 2,
    padding: "same",
    activation: "relu",
    kernelInitializer: init.glorot(),
    name: "enc_conv1",
  }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.conv2d({
    filters: 64,
    kernelSize: 3,
    strides: 2,
    padding: "same",
    activation: "relu",
    kernelInitializer: init.glorot(),
    name: "enc_conv2",
  }).apply(x) as tf.SymbolicTensor;
  return tf.layers.flatten({ name: "enc_flatten" }).apply(x) as tf.SymbolicTensor;
}

/**
 * The convolutional decoder as a model from codes `[latentDim]`: Dense 3136 relu -> Reshape 7x7x64
 * -> Conv2DTranspose 64 k3 s2 same relu -> Conv2DTranspose 32 k3 s2 same relu -> Conv2DTranspose 1
 * k3 same sigmoid.
 */
export function convDecoder(
  latentDim: number,
  init: SeededInitializers,
  name: string,
): tf.LayersModel {
  const code = tf.input({ shape: [latentDim], name: "code" });
  let x = tf.layers.dense({
    units: 7 * 7 * 64,
    activation: "relu",
    kernelInitializer: init.glorot(),
    name: "dec_dense",
  }).apply(code) as tf.SymbolicTensor;
  x = tf.layers.reshape({ targetShape: [7, 7, 64], name: "dec_reshape" }).apply(
    x,
  ) as tf.SymbolicTensor;
  const deconvs: [number, number, string][] = [[64, 2, "relu"], [32, 2, "relu"], [1, 1, "sigmoid"]];
  deconvs.forEach(([filters, strides, activation], i) => {
    x = tf.layers.conv2dTranspose({
      filters,
      kernelSize: 3,
      strides,
      padding: "same",
      activation: activation as "relu" | "sigmoid",
      kernelInitializer: init.glorot(),
      name: `dec_deconv${i + 1}`,
    }).apply(x) as tf.SymbolicTensor;
  });
  return tf.model({ inputs: code, outputs: x, name });
}

/** The convolutional autoencoder (278,369 parameters at latent 32). */
export function buildConvolutional(options: ConvolutionalOptions = {}): Autoencoder {
  const { latentDim = 32, seed = 0 } = options;
  checkPositiveInteger("latentDim", latentDim);
  const init = new SeededInitializers(seed);
  const image = tf.input({ shape: [IMAGE_SIZE, IMAGE_SIZE, 1], name: "image" });
  const features = convEncoderTrunk(image, init);
  const code = tf.layers.dense({
    units: latentDim,
    kernelInitializer: init.glorot(),
    name: "enc_code",
  }).apply(features) as tf.SymbolicTensor;
  const encoder = tf.model({ inputs: image, outputs: code, name: "conv_encoder" });
  const decoder = convDecoder(latentDim, init, "conv_decoder");
  return makeDeterministicAutoencoder({
    config: { kind: "convolutional", latentDim, seed },
    encoder,
    decoder,
  });
}
