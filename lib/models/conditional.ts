/**
 * The conditional VAE (Sohn et al. 2015): the class label, one-hot, is fed to the encoder (beside
 * the conv features) and to the decoder (beside the code), so that a code drawn from the prior
 * decodes to the character asked for. Built on the "conv" design: keras-io's conv trunk with the
 * heads on [features, label], and the conv decoder on [z, label].
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  binaryCrossEntropyPerImage,
  checkPositiveInteger,
  deriveSeed,
  IMAGE_PIXELS,
  IMAGE_SIZE,
  MAX_INFERENCE_BATCH,
  SeededInitializers,
  summaryText,
  trainableVariablesOf,
} from "./common.ts";
import { convDecoder, convEncoderTrunk } from "./convolutional.ts";
import { MLP_VAE_HIDDEN } from "./variational_mlp.ts";
import { type Posterior, vaeNoiseSeed, vaeObjective } from "./vae.ts";

/** The classes a conditional VAE is conditioned on (KMNIST's ten). */
export const CONDITIONAL_CLASSES = 10;

/** The JSON-able description that rebuilds a conditional VAE (weights aside). */
export interface ConditionalConfig {
  /** Always "conditional". */
  kind: "conditional";
  /** Size of the latent code. */
  latentDim: number;
  /** Seed of the initialisers, the training noise and the samples. */
  seed: number;
  /** The network: "conv" (absent in configs written before the MLP existed) or "mlp". */
  design?: ConditionalDesign;
}

/**
 * The conditional VAE's networks: "conv" (keras-io's conv trunk with the heads on [features,
 * label], the conv decoder on [z, label]) or "mlp" (the reference VAE's 784-400-z-400-784 with the
 * one-hot label beside the image and beside the code).
 */
export type ConditionalDesign = "conv" | "mlp";

/** Options for {@link buildConditional}. */
export interface ConditionalOptions {
  /** Size of the latent code (default 16). */
  latentDim?: number;
  /** Seed (default 0). */
  seed?: number;
  /** The network (default "conv"). */
  design?: ConditionalDesign;
}

/** Options of {@link ConditionalVae.lossTerms}. */
export interface ConditionalLossOptions {
  /** Global step: seeds the sampling noise (default 0). */
  step?: number;
  /** Weight of the KL term (default 1). */
  klWeight?: number;
  /** Free bits per latent dimension (default 0). */
  freeBits?: number;
}

/** The conditional VAE. */
export interface ConditionalVae {
  /** What rebuilds it. */
  readonly config: ConditionalConfig;
  /** [image, one-hot label] -> [z_mean, z_log_var]. */
  readonly encoder: tf.LayersModel;
  /** [code, one-hot label] -> image. */
  readonly decoder: tf.LayersModel;
  /** [image, label] -> reconstruction through z_mean (saved in checkpoints). */
  readonly model: tf.LayersModel;
  /** The variables the optimizer updates. */
  readonly trainableVariables: tf.Variable[];
  /** −ELBO terms of a batch (nats per image), as the unconditional VAE's. */
  lossTerms(
    images: tf.Tensor4D,
    labels: tf.Tensor1D,
    options?: ConditionalLossOptions,
  ): { loss: tf.Scalar; reconstruction: tf.Scalar; kl: tf.Scalar };
  /** q(z | x, y) of a batch, in chunks of <= 1000. */
  posterior(images: tf.Tensor4D, labels: tf.Tensor1D): Posterior;
  /** Images (Bernoulli means) of codes under labels, in chunks of <= 1000. */
  decode(codes: tf.Tensor2D, labels: tf.Tensor1D): tf.Tensor4D;
  /** `labels.length` images of the asked classes from codes drawn from the prior, seeded. */
  sample(labels: ArrayLike<number>, seed: number): tf.Tensor4D;
  /** Number of trainable parameters. */
  countParams(): number;
  /** Keras-style summary. */
  summary(): string;
  /** Frees the variables. */
  dispose(): void;
}

/** The MLP decoder: [z, label] -> 400 ReLU -> 784 sigmoid -> 28x28x1. */
function mlpDecoderBody(
  inputs: number,
  dense: (units: number, name: string, activation?: "relu" | "sigmoid") => tf.layers.Layer,
): tf.LayersModel {
  const input = tf.input({ shape: [inputs], name: "code_label" });
  let x = dense(MLP_VAE_HIDDEN, "dec_dense", "relu").apply(input) as tf.SymbolicTensor;
  x = dense(IMAGE_PIXELS, "dec_pixels", "sigmoid").apply(x) as tf.SymbolicTensor;
  x = tf.layers.reshape({ targetShape: [IMAGE_SIZE, IMAGE_SIZE, 1], name: "dec_reshape" })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: "cvae_decoder_body" });
}

function oneHot(labels: tf.Tensor1D): tf.Tensor2D {
  return tf.oneHot(tf.cast(labels, "int32"), CONDITIONAL_CLASSES).toFloat() as tf.Tensor2D;
}

/** Offset keeping the sample seeds apart from the training noise seeds. */
const SAMPLE_SEED_OFFSET = 1 << 23;

/** The conditional VAE (conv design; 384,233 parameters at latent 16). */
export function buildConditional(options: ConditionalOptions = {}): ConditionalVae {
  const { latentDim = 16, seed = 0, design = "conv" } = options;
  checkPositiveInteger("latentDim", latentDim);
  if (design !== "conv" && design !== "mlp") {
    throw new Error(
      `buildConditional: design must be "conv" or "mlp", got ${JSON.stringify(design)}.`,
    );
  }
  const config: ConditionalConfig = {
    kind: "conditional",
    latentDim,
    seed,
    ...(design !== "conv" ? { design } : {}),
  };
  const init = new SeededInitializers(seed);
  const image = tf.input({ shape: [IMAGE_SIZE, IMAGE_SIZE, 1], name: "image" });
  const label = tf.input({ shape: [CONDITIONAL_CLASSES], name: "label" });
  const dense = (units: number, name: string, activation?: "relu" | "sigmoid") =>
    tf.layers.dense({ units, activation, kernelInitializer: init.glorot(), name });
  const features = design === "conv" ? convEncoderTrunk(image, init) : dense(
    MLP_VAE_HIDDEN,
    "enc_dense",
    "relu",
  ).apply(
    tf.layers.concatenate({ name: "enc_image_label" }).apply([
      tf.layers.flatten({ name: "enc_flatten" }).apply(image) as tf.SymbolicTensor,
      label,
    ]) as tf.SymbolicTensor,
  ) as tf.SymbolicTensor;
  const joined = tf.layers.concatenate({ name: "enc_join" }).apply([
    features,
    label,
  ]) as tf.SymbolicTensor;
  const head = (name: string) =>
    tf.layers.dense({ units: latentDim, kernelInitializer: init.glorot(), name }).apply(
      joined,
    ) as tf.SymbolicTensor;
  const encoder = tf.model({
    inputs: [image, label],
    outputs: [head("z_mean"), head("z_log_var")],
    name: "cvae_encoder",
  });
  const code = tf.input({ shape: [latentDim], name: "code" });
  const codeLabel = tf.input({ shape: [CONDITIONAL_CLASSES], name: "label" });
  const inner = design === "conv"
    ? convDecoder(latentDim + CONDITIONAL_CLASSES, init, "cvae_decoder_body")
    : mlpDecoderBody(latentDim + CONDITIONAL_CLASSES, dense);
  const both = tf.layers.concatenate({ name: "dec_join" }).apply([
    code,
    codeLabel,
  ]) as tf.SymbolicTensor;
  const decoder = tf.model({
    inputs: [code, codeLabel],
    outputs: inner.apply(both) as tf.SymbolicTensor,
    name: "cvae_decoder",
  });
  const xIn = tf.input({ shape: [IMAGE_SIZE, IMAGE_SIZE, 1], name: "image" });
  const yIn = tf.input({ shape: [CONDITIONAL_CLASSES], name: "label" });
  const [mean] = encoder.apply([xIn, yIn]) as tf.SymbolicTensor[];
  const model = tf.model({
    inputs: [xIn, yIn],
    outputs: decoder.apply([mean, yIn]) as tf.SymbolicTensor,
    name: "cvae",
  });
  const trainableVariables = trainableVariablesOf(model);

  const chunked = <R extends tf.Tensor>(n: number, fn: (start: number, size: number) => R): R => {
    const parts: R[] = [];
    try {
      for (let start = 0; start < n; start += MAX_INFERENCE_BATCH) {
        parts.push(tf.tidy(() => fn(start, Math.min(MAX_INFERENCE_BATCH, n - start))));
      }
      return tf.concat(parts, 0) as R;
    } finally {
      tf.dispose(parts);
    }
  };
  const decode = (codes: tf.Tensor2D, labels: tf.Tensor1D) =>
    chunked(codes.shape[0], (start, size) =>
      decoder.predict([
        tf.slice(codes, [start, 0], [size, -1]),
        oneHot(tf.slice(labels, [start], [size])),
      ], { batchSize: MAX_INFERENCE_BATCH }) as tf.Tensor4D);

  return {
    config,
    encoder,
    decoder,
    model,
    trainableVariables,
    lossTerms(images, labels, options = {}) {
      return tf.tidy(() => {
        const y = oneHot(labels);
        const [m, v] = encoder.apply([images, y]) as tf.Tensor2D[];
        const noise = tf.randomNormal(
          m.shape,
          0,
          1,
          "float32",
          vaeNoiseSeed(seed, options.step ?? 0),
        );
        const z = tf.add(m, tf.mul(tf.exp(tf.mul(0.5, v)), noise));
        const output = decoder.apply([z, y]) as tf.Tensor4D;
        const { loss, reconstruction, kl } = vaeObjective({
          reconstruction: binaryCrossEntropyPerImage(images, output),
          mean: m,
          logVar: v,
          klWeight: options.klWeight,
          freeBits: options.freeBits,
        });
        return { loss, reconstruction, kl };
      });
    },
    posterior(images, labels) {
      const both = chunked(images.shape[0], (start, size) => {
        const [m, v] = encoder.predict([
          tf.slice(images, [start, 0, 0, 0], [size, -1, -1, -1]),
          oneHot(tf.slice(labels, [start], [size])),
        ], { batchSize: MAX_INFERENCE_BATCH }) as tf.Tensor2D[];
        return tf.concat([m, v], 1) as tf.Tensor2D;
      });
      const [m, v] = tf.split(both, 2, 1) as tf.Tensor2D[];
      both.dispose();
      return { mean: m, logVar: v };
    },
    decode,
    sample(labels, sampleSeed) {
      return tf.tidy(() => {
        const n = labels.length;
        const z = tf.randomNormal(
          [n, latentDim],
          0,
          1,
          "float32",
          deriveSeed(seed, SAMPLE_SEED_OFFSET + sampleSeed),
        ) as tf.Tensor2D;
        return decode(z, tf.tensor1d(Int32Array.from(labels), "int32"));
      });
    },
    countParams: () => model.countParams(),
    summary: () =>
      `conditional vae (${design}, latent ${latentDim}, seed ${seed})\n${summaryText(encoder)}\n${
        summaryText(decoder)
      }\nTotal params: ${model.countParams()}`,
    dispose: () => model.dispose(),
  };
}
