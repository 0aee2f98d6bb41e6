/**
 * The variational autoencoders. The reference design ("keras", keras-io's 2-D example, notebook
 * 04's and the explorer's plane) lives here: the convolutional encoder trunk -> Dense 16 relu ->
 * z_mean, z_log_var; a reparameterised sample z = mean + exp(logVar / 2) * eps; the convolutional
 * decoder. Loss: Bernoulli negative log-likelihood (BCE summed over the 784 pixels) + analytic KL,
 * averaged over the batch, in nats per image. {@link buildVariational} builds any design.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { checkPositiveInteger, IMAGE_SIZE, SeededInitializers, type VaeDesign } from "./common.ts";
import { convDecoder, convEncoderTrunk } from "./convolutional.ts";
import { makeVariational, parseDesign, type VariationalAutoencoder } from "./vae.ts";
import { buildConvVariational } from "./variational_conv.ts";
import { buildMlpVariational } from "./variational_mlp.ts";

/** Options for {@link buildVariational}. */
export interface VariationalOptions {
  /** Size of the latent space (default 2). */
  latentDim?: number;
  /** Seed of the initialisers and of the sampling noise (default 0). */
  seed?: number;
  /** The design (default "keras"; see `VAE_DESIGNS`). */
  design?: VaeDesign;
}

/** Width of the keras design's ReLU layer before the heads. */
export const KERAS_HIDDEN_UNITS = 16;

/** Builds the keras design (134,165 parameters at latent 2). */
function buildKerasVariational(latentDim: number, seed: number): VariationalAutoencoder {
  const init = new SeededInitializers(seed);
  const image = tf.input({ shape: [IMAGE_SIZE, IMAGE_SIZE, 1], name: "image" });
  const features = convEncoderTrunk(image, init);
  const hidden = tf.layers.dense({
    units: KERAS_HIDDEN_UNITS,
    activation: "relu",
    kernelInitializer: init.glorot(),
    name: "enc_dense",
  }).apply(features) as tf.SymbolicTensor;
  const zMean = tf.layers.dense({
    units: latentDim,
    kernelInitializer: init.glorot(),
    name: "z_mean",
  }).apply(hidden) as tf.SymbolicTensor;
  const zLogVar = tf.layers.dense({
    units: latentDim,
    kernelInitializer: init.glorot(),
    name: "z_log_var",
  }).apply(hidden) as tf.SymbolicTensor;
  const encoder = tf.model({ inputs: image, outputs: [zMean, zLogVar], name: "vae_encoder" });
  const decoder = convDecoder(latentDim, init, "vae_decoder");
  return makeVariational({
    config: { kind: "variational", latentDim, seed, design: "keras" },
    encoder,
    decoder,
    title: "vae",
  });
}

/**
 * A VAE of the given design: "keras" (the default; 134,165 parameters at latent 2), "conv" (heads
 * on the conv features), "conv-dense" (heads on a 256-unit ELU layer over them) or "mlp"
 * (784-400-z-400-784).
 */
export function buildVariational(options: VariationalOptions = {}): VariationalAutoencoder {
  const { latentDim = 2, seed = 0 } = options;
  const design = parseDesign(options.design ?? "keras");
  checkPositiveInteger("latentDim", latentDim);
  switch (design) {
    case "keras":
      return buildKerasVariational(latentDim, seed);
    case "conv":
    case "conv-dense":
      return buildConvVariational({ latentDim, seed, design });
    case "mlp":
      return buildMlpVariational({ latentDim, seed });
  }
}
