/**
 * The variational autoencoder: the convolutional encoder trunk -> Dense 16 relu -> z_mean,
 * z_log_var; a reparameterised sample z = mean + exp(logVar / 2) * eps; the convolutional decoder.
 * Loss: Bernoulli negative log-likelihood (BCE summed over the 784 pixels) + analytic KL, averaged
 * over the batch, in nats per image.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  type Autoencoder,
  binaryCrossEntropyPerImage,
  checkPositiveInteger,
  deriveSeed,
  gaussianKl,
  IMAGE_SIZE,
  inChunks,
  INFER,
  SeededInitializers,
  summaryText,
  trainableVariablesOf,
} from "./common.ts";
import { convDecoder, convEncoderTrunk } from "./convolutional.ts";

/** Options for {@link buildVariational}. */
export interface VariationalOptions {
  /** Size of the latent space (default 2). */
  latentDim?: number;
  /** Seed of the initialisers and of the sampling noise (default 0). */
  seed?: number;
}

/** The posterior q(z|x) = N(mean, exp(logVar)) of a batch. */
export interface Posterior {
  /** `[n, latentDim]` means. */
  mean: tf.Tensor2D;
  /** `[n, latentDim]` log-variances. */
  logVar: tf.Tensor2D;
}

/** The VAE: an {@link Autoencoder} that also exposes its posterior. */
export interface VariationalAutoencoder extends Autoencoder {
  /** Always "variational". */
  readonly kind: "variational";
  /** The posterior parameters of `images`, in chunks of <= 1000. */
  posterior(images: tf.Tensor4D): Posterior;
}

/** Offset that keeps the VAE's noise seeds apart from its initialiser seeds. */
const NOISE_SEED_OFFSET = 1 << 20;

/** The seed of the sampling noise at global step `step` of a VAE with seed `seed`. */
export function vaeNoiseSeed(seed: number, step: number): number {
  return deriveSeed(seed, NOISE_SEED_OFFSET + step);
}

/** Whether a model is the VAE. */
export function isVariational(model: Autoencoder): model is VariationalAutoencoder {
  return model.kind === "variational";
}

/** The VAE (134,165 parameters at latent 2). */
export function buildVariational(options: VariationalOptions = {}): VariationalAutoencoder {
  const { latentDim = 2, seed = 0 } = options;
  checkPositiveInteger("latentDim", latentDim);
  const config = { kind: "variational" as const, latentDim, seed };
  const init = new SeededInitializers(seed);
  const image = tf.input({ shape: [IMAGE_SIZE, IMAGE_SIZE, 1], name: "image" });
  const features = convEncoderTrunk(image, init);
  const hidden = tf.layers.dense({
    units: 16,
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

  const input = tf.input({ shape: [IMAGE_SIZE, IMAGE_SIZE, 1], name: "image" });
  const [mean] = encoder.apply(input) as tf.SymbolicTensor[];
  const model = tf.model({
    inputs: input,
    outputs: decoder.apply(mean) as tf.SymbolicTensor,
    name: "vae_autoencoder",
  });
  const trainableVariables = trainableVariablesOf(model);

  function posterior(images: tf.Tensor4D): Posterior {
    const both = inChunks(images, (x) => {
      const [m, v] = encoder.predict(x, INFER) as tf.Tensor2D[];
      return tf.concat([m, v], 1) as tf.Tensor2D;
    });
    const [m, v] = tf.split(both, 2, 1) as tf.Tensor2D[];
    both.dispose();
    return { mean: m, logVar: v };
  }

  return {
    kind: "variational",
    config,
    encoder,
    decoder,
    model,
    trainableVariables,
    posterior,
    lossTerms(batch, options = {}) {
      return tf.tidy(() => {
        const [m, v] = encoder.apply(batch) as tf.Tensor2D[];
        const noise = tf.randomNormal(
          m.shape,
          0,
          1,
          "float32",
          vaeNoiseSeed(seed, options.step ?? 0),
        );
        const z = tf.add(m, tf.mul(tf.exp(tf.mul(0.5, v)), noise));
        const output = decoder.apply(z) as tf.Tensor4D;
        const reconstruction = tf.mean(
          binaryCrossEntropyPerImage(options.target ?? batch, output),
        ) as tf.Scalar;
        const kl = tf.mean(gaussianKl(m, v)) as tf.Scalar;
        return { loss: tf.add(reconstruction, kl) as tf.Scalar, reconstruction, kl };
      });
    },
    encode: (images) => inChunks(images, (x) => (encoder.predict(x, INFER) as tf.Tensor2D[])[0]),
    decode: (codes) => inChunks(codes, (z) => decoder.predict(z, INFER) as tf.Tensor4D),
    reconstruct: (images) => inChunks(images, (x) => model.predict(x, INFER) as tf.Tensor4D),
    countParams: () => model.countParams(),
    summary: () =>
      `vae (latent ${latentDim}, seed ${seed})\n${summaryText(encoder)}\n${
        summaryText(decoder)
      }\nTotal params: ${model.countParams()}`,
    dispose: () => model.dispose(),
  };
}
