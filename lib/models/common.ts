/**
 * The interface shared by the four autoencoders, and the pieces their builders share.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { IMAGE_PIXELS, IMAGE_SIZE } from "../data/mod.ts";

/** The four model families of this project. */
export type AutoencoderKind = "vanilla" | "multilayer" | "convolutional" | "variational";

/** Every kind, in the order the project presents them. */
export const AUTOENCODER_KINDS: readonly AutoencoderKind[] = [
  "vanilla",
  "multilayer",
  "convolutional",
  "variational",
];

export { IMAGE_PIXELS, IMAGE_SIZE };

/** The most images pushed through a model at once (the wasm heap overflows on 10,000). */
export const MAX_INFERENCE_BATCH = 1000;

/** predict() options: one batch per chunk (tfjs's default of 32 is ~25% slower here). */
export const INFER = { batchSize: MAX_INFERENCE_BATCH } as const;

/**
 * The VAE designs: "keras" (keras-io's 2-D example, a 16-unit ReLU layer before the heads; the
 * design of checkpoints that name none), "conv" (the heads on the conv features, no bottleneck),
 * "conv-dense" (the heads on a 256-unit ELU layer over the conv features), "mlp"
 * (784-400-z-400-784, the common reference VAE).
 */
export type VaeDesign = "keras" | "conv" | "conv-dense" | "mlp";

/** Every VAE design, the reference first. */
export const VAE_DESIGNS: readonly VaeDesign[] = ["keras", "conv", "conv-dense", "mlp"];

/** The JSON-able description that rebuilds a model (weights aside): stored in checkpoints. */
export interface AutoencoderConfig {
  /** Which family. */
  kind: AutoencoderKind;
  /** Size of the latent code. */
  latentDim: number;
  /** Seed of every initialiser (and, for the VAE, of the sampling noise). */
  seed: number;
  /** Multilayer only: widths of the hidden layers from the image inwards (default [256, 128]). */
  hidden?: number[];
  /** Variational only: the design (a config without one is the "keras" design). */
  design?: VaeDesign;
}

/** The scalar losses of one batch; `loss` is what training minimises. */
export interface LossTerms {
  /** The objective: MSE per pixel, or for the VAE the negative ELBO in nats per image. */
  loss: tf.Scalar;
  /** VAE only: the reconstruction term (BCE summed over the 784 pixels, mean over the batch). */
  reconstruction?: tf.Scalar;
  /** VAE only: the analytic KL divergence to N(0, I), mean over the batch. */
  kl?: tf.Scalar;
}

/** Options for {@link Autoencoder.lossTerms}. */
export interface LossOptions {
  /** What the output should match; the input itself when omitted (set it when denoising). */
  target?: tf.Tensor4D;
  /**
   * Global step, which seeds the VAE's sampling noise so that re-runs reproduce (default 0).
   * Training passes 1, 2, ...; validation passes fixed negative values (-1 per chunk).
   */
  step?: number;
  /** VAE only: weight of the KL term in `loss` (β, times the warm-up factor; default 1). */
  klWeight?: number;
  /** VAE only: free bits, a floor in nats per latent dimension on the batch-mean KL (default 0). */
  freeBits?: number;
  /**
   * Epochs completed before this step, fractional (epoch e, batch b of B: e + (b - 1) / B), for
   * schedules such as KL warm-up; training passes it, evaluation leaves it out.
   */
  epochProgress?: number;
}

/**
 * An autoencoder: an encoder from images `[n,28,28,1]` in [0,1] to codes `[n,latentDim]`, and a
 * decoder back to sigmoid images. All four kinds implement it, so one `train()` serves all.
 */
export interface Autoencoder {
  /** Which family. */
  readonly kind: AutoencoderKind;
  /** What rebuilds this model (see `buildModel`). */
  readonly config: AutoencoderConfig;
  /** Images to codes (for the VAE: to `[z_mean, z_log_var]`). */
  readonly encoder: tf.LayersModel;
  /** Codes to images. */
  readonly decoder: tf.LayersModel;
  /** Encoder then decoder as one layers model (for the VAE: through z_mean): saved in checkpoints. */
  readonly model: tf.LayersModel;
  /** The variables the optimizer updates, in a fixed order. */
  readonly trainableVariables: tf.Variable[];
  /** The scalar loss terms of a batch, differentiable with respect to the trainable variables. */
  lossTerms(input: tf.Tensor4D, options?: LossOptions): LossTerms;
  /** Latent codes `[n, latentDim]` (for the VAE: the posterior means), in chunks of <= 1000. */
  encode(images: tf.Tensor4D): tf.Tensor2D;
  /** Images `[n,28,28,1]` from codes `[n, latentDim]`, in chunks of <= 1000. */
  decode(codes: tf.Tensor2D): tf.Tensor4D;
  /** Decode(encode(images)) (for the VAE: through z_mean, no sampling), in chunks of <= 1000. */
  reconstruct(images: tf.Tensor4D): tf.Tensor4D;
  /** The number of trainable parameters. */
  countParams(): number;
  /** A Keras-style text summary of the encoder and the decoder. */
  summary(): string;
  /** Frees every variable of the model. */
  dispose(): void;
}

/**
 * A seed for part `index` of a model with seed `seed`: distinct, deterministic 31-bit integers
 * (a murmur3-style hash), so each layer's initialiser draws its own stream.
 */
export function deriveSeed(seed: number, index: number): number {
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) & 0x7fffffff;
}

/** Hands out seeded Glorot-uniform initialisers, one seed per call. */
export class SeededInitializers {
  #seed: number;
  #next = 0;

  /** @param seed the model's seed. */
  constructor(seed: number) {
    this.#seed = seed;
  }

  /** A Glorot-uniform initialiser (the Keras default) with the next derived seed. */
  glorot(): ReturnType<typeof tf.initializers.glorotUniform> {
    return tf.initializers.glorotUniform({ seed: deriveSeed(this.#seed, this.#next++) });
  }
}

/**
 * Applies `fn` to `input` in chunks of at most `chunk` rows along axis 0 and concatenates the
 * results; intermediate tensors are disposed.
 */
export function inChunks<T extends tf.Tensor, R extends tf.Tensor>(
  input: T,
  fn: (part: T) => R,
  chunk = MAX_INFERENCE_BATCH,
): R {
  const n = input.shape[0];
  if (n <= chunk) return tf.tidy(() => fn(input));
  const parts: R[] = [];
  try {
    for (let start = 0; start < n; start += chunk) {
      const size = Math.min(chunk, n - start);
      parts.push(tf.tidy(() => {
        const begin = input.shape.map((_, axis) => (axis === 0 ? start : 0));
        const sizes = input.shape.map((d, axis) => (axis === 0 ? size : d));
        return fn(tf.slice(input, begin, sizes) as T);
      }));
    }
    return tf.concat(parts, 0) as R;
  } finally {
    tf.dispose(parts);
  }
}

/**
 * mean((target - output)²) with its gradient written out: d/d output = (output - target) ·
 * 2·dy / n, and its negative for the target. tfjs's own gradient of `mean` builds a tensor of
 * ones of the input's shape in JS on every step and runs five kernels over the batch; this runs
 * three.
 */
const meanSquaredErrorOp = tf.customGrad(
  (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [target, output, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([target, output]);
    return {
      value: tf.mean(tf.squaredDifference(target, output)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [t, o] = saved;
        const dOutput = tf.mul(tf.sub(o, t), tf.mul(dy, 2 / o.size));
        return [tf.neg(dOutput), dOutput];
      },
    };
  },
);

/** Mean squared error per pixel of a batch, as a scalar. */
export function meanSquaredError(target: tf.Tensor, output: tf.Tensor): tf.Scalar {
  if (!tf.util.arraysEqual(target.shape, output.shape)) {
    throw new Error(
      `meanSquaredError: target [${target.shape}] and output [${output.shape}] differ in ` +
        `shape; pass tensors of one shape.`,
    );
  }
  return meanSquaredErrorOp(target, output) as tf.Scalar;
}

/** Probabilities are clipped to [EPSILON, 1 - EPSILON] before taking logs (as Keras does). */
export const BCE_EPSILON = 1e-7;

/**
 * Binary cross-entropy of each image, summed over its pixels: `[n]` (nats per image).
 *
 * @param target values in [0,1], `[n, ...]`.
 * @param probability sigmoid outputs, same shape; clipped to [1e-7, 1 - 1e-7].
 */
export function binaryCrossEntropyPerImage(target: tf.Tensor, probability: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const n = target.shape[0];
    const p = tf.clipByValue(probability, BCE_EPSILON, 1 - BCE_EPSILON);
    const terms = tf.add(
      tf.mul(target, tf.log(p)),
      tf.mul(tf.sub(1, target), tf.log(tf.sub(1, p))),
    );
    return tf.neg(tf.sum(tf.reshape(terms, [n, -1]), 1)) as tf.Tensor1D;
  });
}

/** The KL divergence of N(mean, exp(logVar)) from N(0, I) for each row: `[n]` (nats). */
export function gaussianKl(mean: tf.Tensor2D, logVar: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() =>
    tf.mul(
      -0.5,
      tf.sum(tf.sub(tf.sub(tf.add(1, logVar), tf.square(mean)), tf.exp(logVar)), 1),
    ) as tf.Tensor1D
  );
}

/** Checks a model option and throws an error that names it and the fix. */
export function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer, got ${value}.`);
  }
}

/** The summary text of a layers model (what `model.summary()` prints). */
export function summaryText(model: tf.LayersModel): string {
  const lines: string[] = [];
  model.summary(90, undefined, (...parts: unknown[]) => lines.push(parts.join(" ")));
  return lines.join("\n");
}

/** The trainable variables of a layers model, in its weight order. */
export function trainableVariablesOf(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** Parts a builder hands to {@link makeDeterministicAutoencoder}. */
export interface DeterministicParts {
  /** Which family and how it was built. */
  config: AutoencoderConfig;
  /** Images to codes. */
  encoder: tf.LayersModel;
  /** Codes to images. */
  decoder: tf.LayersModel;
}

/**
 * Wraps an encoder and decoder into an {@link Autoencoder} trained with MSE per pixel (the
 * vanilla, multilayer and convolutional models).
 */
export function makeDeterministicAutoencoder(parts: DeterministicParts): Autoencoder {
  const { config, encoder, decoder } = parts;
  const input = tf.input({ shape: [IMAGE_SIZE, IMAGE_SIZE, 1], name: "image" });
  const output = decoder.apply(encoder.apply(input) as tf.SymbolicTensor) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output, name: `${config.kind}_autoencoder` });
  const trainableVariables = trainableVariablesOf(model);
  return {
    kind: config.kind,
    config,
    encoder,
    decoder,
    model,
    trainableVariables,
    lossTerms(batch, options = {}) {
      return tf.tidy(() => {
        const output = decoder.apply(encoder.apply(batch)) as tf.Tensor4D;
        return { loss: meanSquaredError(options.target ?? batch, output) };
      });
    },
    encode: (images) => inChunks(images, (x) => encoder.predict(x, INFER) as tf.Tensor2D),
    decode: (codes) => inChunks(codes, (z) => decoder.predict(z, INFER) as tf.Tensor4D),
    reconstruct: (images) =>
      inChunks(
        images,
        (x) => decoder.predict(encoder.predict(x, INFER) as tf.Tensor, INFER) as tf.Tensor4D,
      ),
    countParams: () => model.countParams(),
    summary: () =>
      `${config.kind} autoencoder (latent ${config.latentDim}, seed ${config.seed})\n` +
      `${summaryText(encoder)}\n${summaryText(decoder)}\nTotal params: ${model.countParams()}`,
    dispose: () => model.dispose(),
  };
}
