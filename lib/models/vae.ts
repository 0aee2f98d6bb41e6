/**
 * What every VAE design shares: the {@link VariationalAutoencoder} interface, the wrapper that
 * turns an encoder (images -> [z_mean, z_log_var]) and a decoder into one, and the loss with its
 * training options (a KL weight, for β and warm-up, and free bits).
 *
 * The designs (`VAE_DESIGNS`):
 * - "keras": keras-io's 2-D example (conv trunk -> Dense 16 relu -> heads), lib/models/variational.ts;
 * - "conv": the same conv trunk and decoder with the heads on the 3,136 conv features (no
 *   bottleneck narrower than the code), lib/models/variational_conv.ts;
 * - "conv-dense": the same with the heads on a 256-unit ELU layer over the features (the
 *   recommended design), lib/models/variational_conv.ts;
 * - "mlp": the common reference VAE 784-400-z-400-784, lib/models/variational_mlp.ts.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  type Autoencoder,
  type AutoencoderConfig,
  binaryCrossEntropyPerImage,
  deriveSeed,
  gaussianKl,
  IMAGE_SIZE,
  inChunks,
  INFER,
  type LossOptions,
  type LossTerms,
  summaryText,
  trainableVariablesOf,
  VAE_DESIGNS,
  type VaeDesign,
} from "./common.ts";

export { VAE_DESIGNS, type VaeDesign };

/** The posterior q(z|x) = N(mean, exp(logVar)) of a batch. */
export interface Posterior {
  /** `[n, latentDim]` means. */
  mean: tf.Tensor2D;
  /** `[n, latentDim]` log-variances. */
  logVar: tf.Tensor2D;
}

/** A VAE: an {@link Autoencoder} that also exposes its posterior. */
export interface VariationalAutoencoder extends Autoencoder {
  /** Always "variational" (the design is `config.design`). */
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

/** Whether a model is a VAE (of any design). */
export function isVariational(model: Autoencoder): model is VariationalAutoencoder {
  return model.kind === "variational";
}

/** Checks a design name, throwing an error that lists the designs on an unknown one. */
export function parseDesign(name: string): VaeDesign {
  const design = VAE_DESIGNS.find((d) => d === name);
  if (design === undefined) {
    throw new Error(`Unknown VAE design "${name}": use one of ${VAE_DESIGNS.join(", ")}.`);
  }
  return design;
}

/** The KL divergence of N(mean, exp(logVar)) from N(0, I) per row and dimension: `[n, z]`. */
export function gaussianKlPerDimension(mean: tf.Tensor2D, logVar: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() =>
    tf.mul(-0.5, tf.sub(tf.sub(tf.add(1, logVar), tf.square(mean)), tf.exp(logVar))) as tf.Tensor2D
  );
}

/** Inputs of {@link vaeObjective}. */
export interface VaeObjectiveInputs {
  /** `[n]` reconstruction terms (BCE summed over the pixels) of the batch. */
  reconstruction: tf.Tensor1D;
  /** `[n, z]` posterior means. */
  mean: tf.Tensor2D;
  /** `[n, z]` posterior log-variances. */
  logVar: tf.Tensor2D;
  /** Weight of the KL term (β times the warm-up factor; default 1). */
  klWeight?: number;
  /**
   * Free bits λ in nats per latent dimension (default 0 = off): the KL term of the objective is
   * Σ_i max(λ, mean over the batch of KL_i) (Kingma et al. 2016), so a dimension whose KL is
   * under the floor gets no gradient pushing it further down.
   */
  freeBits?: number;
}

/**
 * The VAE's training objective and its measured terms, in nats per image (means over the batch):
 * `loss` = reconstruction + klWeight · KL', where KL' is the KL, or with free bits
 * Σ_i max(λ, KL_i); `reconstruction` and `kl` are always the plain terms (their sum is −ELBO).
 */
export function vaeObjective(
  inputs: VaeObjectiveInputs,
): Required<Pick<LossTerms, "loss" | "reconstruction" | "kl">> {
  const { klWeight = 1, freeBits = 0 } = inputs;
  if (!(Number.isFinite(klWeight) && klWeight >= 0)) {
    throw new Error(`vaeObjective: klWeight must be a finite number >= 0, got ${klWeight}.`);
  }
  if (!(Number.isFinite(freeBits) && freeBits >= 0)) {
    throw new Error(`vaeObjective: freeBits must be a finite number >= 0 (nats), got ${freeBits}.`);
  }
  return tf.tidy(() => {
    const reconstruction = tf.mean(inputs.reconstruction) as tf.Scalar;
    // The plain KL as the keras design always computed it (so its numbers stay bit for bit).
    const kl = tf.mean(gaussianKl(inputs.mean, inputs.logVar)) as tf.Scalar;
    const penalised = freeBits > 0
      ? tf.sum(
        tf.maximum(tf.mean(gaussianKlPerDimension(inputs.mean, inputs.logVar), 0), freeBits),
      ) as tf.Scalar
      : kl;
    const loss = (klWeight === 1
      ? tf.add(reconstruction, penalised)
      : tf.add(reconstruction, tf.mul(klWeight, penalised))) as tf.Scalar;
    return { loss, reconstruction, kl };
  });
}

/** Parts a design's builder hands to {@link makeVariational}. */
export interface VariationalParts {
  /** The config (kind "variational", the design named). */
  config: AutoencoderConfig;
  /** Images `[n,28,28,1]` -> `[z_mean, z_log_var]`. */
  encoder: tf.LayersModel;
  /** Codes `[n, z]` -> images `[n,28,28,1]` (sigmoid). */
  decoder: tf.LayersModel;
  /** A one-line description for the summary. */
  title: string;
}

/**
 * Wraps a design's encoder and decoder into a {@link VariationalAutoencoder}: reparameterised
 * sampling seeded by the global step, Bernoulli likelihood, analytic KL, the loss options of
 * {@link LossOptions} (`klWeight`, `freeBits`).
 */
export function makeVariational(parts: VariationalParts): VariationalAutoencoder {
  const { config, encoder, decoder } = parts;
  const seed = config.seed;
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
    lossTerms(batch, options: LossOptions = {}) {
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
        const { loss, reconstruction, kl } = vaeObjective({
          reconstruction: binaryCrossEntropyPerImage(options.target ?? batch, output),
          mean: m,
          logVar: v,
          klWeight: options.klWeight,
          freeBits: options.freeBits,
        });
        return { loss, reconstruction, kl };
      });
    },
    encode: (images) => inChunks(images, (x) => (encoder.predict(x, INFER) as tf.Tensor2D[])[0]),
    decode: (codes) => inChunks(codes, (z) => decoder.predict(z, INFER) as tf.Tensor4D),
    reconstruct: (images) => inChunks(images, (x) => model.predict(x, INFER) as tf.Tensor4D),
    countParams: () => model.countParams(),
    summary: () =>
      `${parts.title} (latent ${config.latentDim}, seed ${seed})\n${summaryText(encoder)}\n${
        summaryText(decoder)
      }\nTotal params: ${model.countParams()}`,
    dispose: () => model.dispose(),
  };
}
