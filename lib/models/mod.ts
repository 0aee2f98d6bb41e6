/**
 * The four autoencoders behind one interface (the VAE in three designs: `VAE_DESIGNS`).
 *
 * ```ts
 * import { buildModel } from "../lib/models/mod.ts";
 * const model = buildModel({ kind: "convolutional", seed: 0 });
 * console.log(model.summary(), model.countParams()); // 278,369 parameters
 * ```
 *
 * @module
 */
import type { Autoencoder, AutoencoderKind, VaeDesign } from "./common.ts";
import { AUTOENCODER_KINDS } from "./common.ts";
import { buildConvolutional } from "./convolutional.ts";
import { buildMultilayer } from "./multilayer.ts";
import { buildVanilla } from "./vanilla.ts";
import { buildVariational } from "./variational.ts";

export {
  type Autoencoder,
  AUTOENCODER_KINDS,
  type AutoencoderConfig,
  type AutoencoderKind,
  binaryCrossEntropyPerImage,
  deriveSeed,
  gaussianKl,
  IMAGE_PIXELS,
  IMAGE_SIZE,
  inChunks,
  type LossOptions,
  type LossTerms,
  MAX_INFERENCE_BATCH,
  meanSquaredError,
} from "./common.ts";
export { architectureRows, type LayerRow } from "./architecture.ts";
export { buildVanilla, type VanillaOptions } from "./vanilla.ts";
export { buildMultilayer, type MultilayerOptions } from "./multilayer.ts";
export { buildConvolutional, type ConvolutionalOptions } from "./convolutional.ts";
export { buildVariational, KERAS_HIDDEN_UNITS, type VariationalOptions } from "./variational.ts";
export {
  gaussianKlPerDimension,
  isVariational,
  makeVariational,
  parseDesign,
  type Posterior,
  VAE_DESIGNS,
  type VaeDesign,
  vaeNoiseSeed,
  vaeObjective,
  type VaeObjectiveInputs,
  type VariationalAutoencoder,
  type VariationalParts,
} from "./vae.ts";
export { buildConvVariational, type ConvVariationalOptions } from "./variational_conv.ts";
export {
  buildMlpVariational,
  MLP_VAE_HIDDEN,
  type MlpVariationalOptions,
} from "./variational_mlp.ts";

/** Options for {@link buildModel}. */
export interface BuildModelOptions {
  /** Which family: "vanilla", "multilayer", "convolutional" or "variational". */
  kind: AutoencoderKind;
  /** Latent size (default 32; 2 for the VAE). */
  latentDim?: number;
  /** Seed of the initialisers (and the VAE's noise). Default 0. */
  seed?: number;
  /** Multilayer only: hidden widths from the image inwards (default [256, 128]). */
  hidden?: readonly number[];
  /** Variational only: the design (default "keras"; old checkpoints name none). */
  design?: VaeDesign;
}

/** Checks a model kind name, throwing an error that lists the kinds on an unknown one. */
export function parseKind(name: string): AutoencoderKind {
  const kind = AUTOENCODER_KINDS.find((k) => k === name);
  if (kind === undefined) {
    throw new Error(
      `Unknown model kind "${name}": use one of ${AUTOENCODER_KINDS.join(", ")}.`,
    );
  }
  return kind;
}

/** Builds a fresh, seeded autoencoder of the given kind. */
export function buildModel(options: BuildModelOptions): Autoencoder {
  const kind = parseKind(options.kind);
  const { latentDim, seed } = options;
  switch (kind) {
    case "vanilla":
      return buildVanilla({ latentDim, seed });
    case "multilayer":
      return buildMultilayer({ latentDim, seed, hidden: options.hidden });
    case "convolutional":
      return buildConvolutional({ latentDim, seed });
    case "variational":
      return buildVariational({ latentDim, seed, design: options.design });
  }
}
export { forwardMacs } from "./macs.ts";
export {
  buildClassifier,
  type Classifier,
  CLASSIFIER_CLASSES,
  type ClassifierConfig,
  type ClassifierOptions,
} from "./classifier.ts";
export {
  buildConditional,
  CONDITIONAL_CLASSES,
  type ConditionalConfig,
  type ConditionalDesign,
  type ConditionalLossOptions,
  type ConditionalOptions,
  type ConditionalVae,
} from "./conditional.ts";
