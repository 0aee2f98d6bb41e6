/**
 * The MLP VAE ("mlp" design), the common reference VAE (Kingma & Welling 2014; PyTorch's
 * examples/vae): 784 -> Dense 400 relu -> z_mean, z_log_var (z each) and z -> Dense 400 relu ->
 * Dense 784 sigmoid, trained on BCE summed over the pixels + KL (Adam 1e-3, batch 128, 10 epochs
 * in the reference setting).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { checkPositiveInteger, IMAGE_PIXELS, IMAGE_SIZE, SeededInitializers } from "./common.ts";
import { makeVariational, type VariationalAutoencoder } from "./vae.ts";

/** Width of the MLP VAE's hidden layers. */
export const MLP_VAE_HIDDEN = 400;

/** Options for {@link buildMlpVariational}. */
export interface MlpVariationalOptions {
  /** Size of the latent space (default 20, the reference setting). */
  latentDim?: number;
  /** Seed of the initialisers and of the sampling noise (default 0). */
  seed?: number;
}

/** The "mlp" VAE design (652,824 parameters at latent 20). */
export function buildMlpVariational(options: MlpVariationalOptions = {}): VariationalAutoencoder {
  const { latentDim = 20, seed = 0 } = options;
  checkPositiveInteger("latentDim", latentDim);
  const init = new SeededInitializers(seed);
  const image = tf.input({ shape: [IMAGE_SIZE, IMAGE_SIZE, 1], name: "image" });
  const flat = tf.layers.flatten({ name: "enc_flatten" }).apply(image) as tf.SymbolicTensor;
  const hidden = tf.layers.dense({
    units: MLP_VAE_HIDDEN,
    activation: "relu",
    kernelInitializer: init.glorot(),
    name: "enc_dense",
  }).apply(flat) as tf.SymbolicTensor;
  const head = (name: string) =>
    tf.layers.dense({ units: latentDim, kernelInitializer: init.glorot(), name }).apply(
      hidden,
    ) as tf.SymbolicTensor;
  const zMean = head("z_mean");
  const zLogVar = head("z_log_var");
  const encoder = tf.model({ inputs: image, outputs: [zMean, zLogVar], name: "vae_encoder" });

  const code = tf.input({ shape: [latentDim], name: "code" });
  let x = tf.layers.dense({
    units: MLP_VAE_HIDDEN,
    activation: "relu",
    kernelInitializer: init.glorot(),
    name: "dec_dense",
  }).apply(code) as tf.SymbolicTensor;
  x = tf.layers.dense({
    units: IMAGE_PIXELS,
    activation: "sigmoid",
    kernelInitializer: init.glorot(),
    name: "dec_pixels",
  }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reshape({ targetShape: [IMAGE_SIZE, IMAGE_SIZE, 1], name: "dec_reshape" }).apply(
    x,
  ) as tf.SymbolicTensor;
  const decoder = tf.model({ inputs: code, outputs: x, name: "vae_decoder" });
  return makeVariational({
    config: { kind: "variational", latentDim, seed, design: "mlp" },
    encoder,
    decoder,
    title: "mlp vae (784-400-z-400-784)",
  });
}
