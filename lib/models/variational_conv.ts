/**
 * The bottleneck-free convolutional VAE ("conv" design): keras-io's conv trunk (Conv 32 s2 ->
 * Conv 64 s2 -> Flatten, 3,136 features) with the z_mean and z_log_var heads directly on the
 * features, and the same conv decoder. Nothing between the image and the code is narrower than
 * the code, so a 64-D mean code can have rank 64 (the keras design's 16-unit ReLU layer caps it
 * at 16, and can die).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { checkPositiveInteger, IMAGE_SIZE, SeededInitializers } from "./common.ts";
import { convDecoder, convEncoderTrunk } from "./convolutional.ts";
import { makeVariational, type VariationalAutoencoder } from "./vae.ts";

/** Options for {@link buildConvVariational}. */
export interface ConvVariationalOptions {
  /** Size of the latent space (default 32). */
  latentDim?: number;
  /** Seed of the initialisers and of the sampling noise (default 0). */
  seed?: number;
}

/** The "conv" VAE design (378,753 parameters at latent 32). */
export function buildConvVariational(
  options: ConvVariationalOptions = {},
): VariationalAutoencoder {
  const { latentDim = 32, seed = 0 } = options;
  checkPositiveInteger("latentDim", latentDim);
  const init = new SeededInitializers(seed);
  const image = tf.input({ shape: [IMAGE_SIZE, IMAGE_SIZE, 1], name: "image" });
  const features = convEncoderTrunk(image, init);
  const head = (name: string) =>
    tf.layers.dense({ units: latentDim, kernelInitializer: init.glorot(), name }).apply(
      features,
    ) as tf.SymbolicTensor;
  const zMean = head("z_mean");
  const zLogVar = head("z_log_var");
  const encoder = tf.model({ inputs: image, outputs: [zMean, zLogVar], name: "vae_encoder" });
  const decoder = convDecoder(latentDim, init, "vae_decoder");
  return makeVariational({
    config: { kind: "variational", latentDim, seed, design: "conv" },
    encoder,
    decoder,
    title: "conv vae (heads on the conv features)",
  });
}
