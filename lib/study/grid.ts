/**
 * The design study's grid: which trials it runs (the four architectures at every code size, PCA at
 * the same sizes, the raw-pixel baseline, a β sweep of the VAE, and at one code size every VAE
 * design under every training option), their settings, checks of those settings, and each trial's
 * key (a hash of its full settings; a new setting at its default is left out of the hash, so the
 * records of earlier grids keep their keys).
 *
 * @module
 */
import { IMAGE_PIXELS } from "../data/mod.ts";
import {
  AUTOENCODER_KINDS,
  type AutoencoderKind,
  VAE_DESIGNS,
  type VaeDesign,
} from "../models/mod.ts";
import { FULL_RUN, QUICK_RUN } from "../experiments/mod.ts";
import { sha256Hex } from "../format/mod.ts";

/** What a trial measures: an autoencoder, the PCA baseline, or k-NN on the raw pixels. */
export type StudyArchitecture = AutoencoderKind | "pca" | "pixels";

/** Every architecture a study's settings may name. */
export const STUDY_ARCHITECTURES: readonly StudyArchitecture[] = [
  ...AUTOENCODER_KINDS,
  "pca",
  "pixels",
];

/** A VAE training option of the design comparison: the plain ELBO, KL warm-up or free bits. */
export type VaeOption = "plain" | "warmup" | "freebits";

/** Every training option, in the order the study presents them. */
export const VAE_OPTIONS: readonly VaeOption[] = ["plain", "warmup", "freebits"];

/** The settings that define a whole study (its grid and how every trial trains). */
export interface StudySettings {
  /** Architectures swept over the code sizes (autoencoders and "pca"). */
  architectures: StudyArchitecture[];
  /** Code sizes of the sweep. */
  codeSizes: number[];
  /** Code size of the β sweep of the variational model. */
  betaCodeSize: number;
  /** Weights of the KL term in the β sweep (empty: no sweep). */
  betas: number[];
  /** Whether to add the raw-pixel k-NN baseline as a trial. */
  pixelBaseline: boolean;
  /** The VAE design of the code-size sweep and the β sweep (omitted: "keras", earlier grids). */
  vaeDesign?: VaeDesign;
  /** Code size of the design comparison (every design × every option; omitted: none). */
  designCodeSize?: number;
  /**
   * Seeds of the replicates: each autoencoder (the VAE in the sweep's design) at
   * `seedCodeSize`, trained again with each of these seeds (empty or omitted: none).
   */
  seeds?: number[];
  /** Code size of the seed replicates (the notebooks' 32). */
  seedCodeSize?: number;
  /**
   * Add the common reference VAE as a baseline trial, trained exactly the reference way (see
   * {@link REFERENCE_VAE}); omitted: no.
   */
  referenceVae?: boolean;
  /** VAE designs of the design comparison. */
  designs?: VaeDesign[];
  /** Training options of the design comparison. */
  vaeOptions?: VaeOption[];
  /** Epochs of KL warm-up of the "warmup" option. */
  warmupEpochs?: number;
  /** Free bits (nats per latent dimension) of the "freebits" option. */
  freeBits?: number;
  /** Training epochs. */
  epochs: number;
  /** Images per batch. */
  batchSize: number;
  /** Adam's step size. */
  learningRate: number;
  /** Validation images carved from the training images. */
  validationSize: number;
  /** Seed of initialisers, shuffling and sampling. */
  seed: number;
  /** Seed of the train/validation split. */
  splitSeed: number;
  /** Training images used (after the split); omitted = all. */
  trainImages?: number;
  /** Test images used (the first N); omitted = all 10,000. */
  testImages?: number;
  /** k of the k-NN probe. */
  knnK: number;
  /** VAE: importance samples per image. */
  iwaeSamples: number;
  /** VAE: test images in the importance-weighted estimate. */
  iwaeImages: number;
  /** Whether these are the quick settings (a smoke test, not results). */
  quick: boolean;
}

/** One trial's full settings: everything its result depends on (hashed into its key). */
export interface TrialSettings {
  /** What is measured. */
  architecture: StudyArchitecture;
  /** Code size (784 for the raw pixels). */
  latentDim: number;
  /** Variational only: weight of the KL term (1 = the plain VAE). */
  beta?: number;
  /** Variational only: the design; omitted for "keras" (so earlier records keep their keys). */
  design?: VaeDesign;
  /** Variational only: epochs of KL warm-up; omitted when 0. */
  warmupEpochs?: number;
  /** Variational only: free bits in nats per latent dimension; omitted when 0. */
  freeBits?: number;
  /** Autoencoders: epochs, batch, step size, validation size, seed. */
  epochs?: number;
  /** Images per batch. */
  batchSize?: number;
  /** Adam's step size. */
  learningRate?: number;
  /** Validation images carved from the training images. */
  validationSize: number;
  /** Seed of initialisers, shuffling and sampling. */
  seed?: number;
  /** Seed of the train/validation split. */
  splitSeed: number;
  /** Training images used; omitted = all. */
  trainImages?: number;
  /** Test images used; omitted = all. */
  testImages?: number;
  /** k of the k-NN probe (distance-weighted votes, the baseline's protocol). */
  knnK: number;
  /** Variational only: importance samples per image. */
  iwaeSamples?: number;
  /** Variational only: test images of the importance-weighted estimate. */
  iwaeImages?: number;
  /**
   * A seed replicate: the same trial as the sweep's with another seed, kept out of the sweep's
   * figures and tables and read only for the spread over seeds. Omitted otherwise.
   */
  replicate?: true;
  /** The reference VAE's baseline trial ({@link REFERENCE_VAE}); omitted otherwise. */
  reference?: true;
}

/**
 * The common reference VAE (the PyTorch/Keras examples' MLP VAE): 784-400-z-400-784, ReLU, sigmoid
 * output, BCE summed over the pixels + KL, Adam 1e-3, batches of 128, 10 epochs on all 60,000
 * training images (no validation split), z = 20.
 */
export const REFERENCE_VAE = {
  design: "mlp",
  latentDim: 20,
  epochs: 10,
  batchSize: 128,
  learningRate: 1e-3,
  validationSize: 0,
} as const;

/** The seeds of the replicates (seed 0 is every other trial's). */
export const STUDY_SEEDS: readonly number[] = [1, 2];

/** The code sizes of the full study. */
export const STUDY_CODE_SIZES: readonly number[] = [2, 4, 8, 16, 32, 64];

/**
 * The β values of the full study's β sweep: one weaker and one stronger KL term around the ELBO
 * (β = 1). The earlier grid's β = 0.25 and 4 are dropped: with the keras design β = 2 and 4 gave
 * the same collapsed model (−ELBO 341.3 nats both), and 0.25 moved rate and distortion the same
 * way as 0.5, only further, so each pair told one thing; one value per direction tells it at half
 * the cost (each VAE trial at z = 32 takes minutes of the report's budget).
 */
export const STUDY_BETAS: readonly number[] = [0.5, 1, 2];

/**
 * The VAE design the project recommends ("conv-dense": the heads on a 256-unit ELU layer over
 * the conv features). Its layer is wider than any code and, an ELU, cannot die the way the keras
 * design's 16-unit ReLU layer does (tools/vae_evidence.ts' short runs, README "Why the VAE
 * collapsed": that layer dies at z >= 32 and takes the whole posterior with it). Against "conv"
 * (the heads straight on the features) the layer lowers the test −ELBO at z = 4 by about 10 nats
 * and lifts the KL above 10 nats in each of seeds 0-2, where "conv" stays below (README, "The
 * encoder's layer").
 */
export const RECOMMENDED_VAE_DESIGN: VaeDesign = "conv-dense";

/** Epochs of KL warm-up of the "warmup" option (half of the 10-epoch runs). */
export const STUDY_WARMUP_EPOCHS = 5;

/** Free bits of the "freebits" option: nats per latent dimension. */
export const STUDY_FREE_BITS = 0.5;

/**
 * The study's settings: the full grid (10 epochs on 55,000 images, as notebooks 1-4), or in quick
 * mode a reduced grid (code sizes 2 and 32, β 2, 3,000 images, one epoch) that runs in well under
 * a minute.
 */
export function studySettings(options: { quick?: boolean } = {}): StudySettings {
  const quick = options.quick ?? false;
  return {
    architectures: [...AUTOENCODER_KINDS, "pca"],
    codeSizes: quick ? [2, 32] : [...STUDY_CODE_SIZES],
    betaCodeSize: 32,
    betas: quick ? [2] : [...STUDY_BETAS],
    pixelBaseline: true,
    vaeDesign: RECOMMENDED_VAE_DESIGN,
    designCodeSize: 32,
    // Quick mode runs the cheap MLP under each option: every code path in seconds.
    designs: quick ? ["mlp"] : [...VAE_DESIGNS],
    vaeOptions: [...VAE_OPTIONS],
    seeds: quick ? [...STUDY_SEEDS.slice(0, 1)] : [...STUDY_SEEDS],
    seedCodeSize: 32,
    // All 60,000 images for ten epochs: a full-run baseline only.
    referenceVae: !quick,
    warmupEpochs: quick ? 1 : STUDY_WARMUP_EPOCHS,
    freeBits: STUDY_FREE_BITS,
    epochs: quick ? QUICK_RUN.epochs : FULL_RUN.epochs,
    batchSize: FULL_RUN.batchSize,
    learningRate: FULL_RUN.learningRate,
    validationSize: quick ? QUICK_RUN.validationSize : FULL_RUN.validationSize,
    seed: FULL_RUN.seed,
    splitSeed: FULL_RUN.splitSeed,
    ...(quick ? { trainImages: QUICK_RUN.trainImages, testImages: QUICK_RUN.testImages } : {}),
    knnK: FULL_RUN.knnK,
    iwaeSamples: quick ? QUICK_RUN.iwaeSamples : FULL_RUN.iwaeSamples,
    iwaeImages: quick ? QUICK_RUN.iwaeImages : FULL_RUN.iwaeImages,
    quick,
  };
}

function checkCodeSize(size: unknown, where: string): void {
  if (!Number.isInteger(size) || (size as number) < 1 || (size as number) > IMAGE_PIXELS) {
    throw new Error(
      `Unknown code size ${JSON.stringify(size)} in the study's ${where}: a code size is an ` +
        `integer in 1..${IMAGE_PIXELS}; the study uses ${STUDY_CODE_SIZES.join(", ")}.`,
    );
  }
}

function checkPositive(value: unknown, name: string, integer: boolean): void {
  const ok = typeof value === "number" && Number.isFinite(value) && value > 0 &&
    (!integer || Number.isInteger(value));
  if (!ok) {
    throw new Error(
      `The study's ${name} is ${JSON.stringify(value)}: it must be a positive ` +
        `${integer ? "integer" : "number"}.`,
    );
  }
}

/**
 * Checks a study's settings (e.g. read from a JSON file), throwing an error that names the bad
 * value and what to use instead.
 */
export function checkStudySettings(settings: StudySettings): StudySettings {
  if (!Array.isArray(settings.architectures) || settings.architectures.length === 0) {
    throw new Error(
      `The study's architectures must be a non-empty list of ${STUDY_ARCHITECTURES.join(", ")}.`,
    );
  }
  for (const a of settings.architectures) {
    if (!STUDY_ARCHITECTURES.includes(a) || a === "pixels") {
      throw new Error(
        `Unknown architecture ${JSON.stringify(a)} in the study's architectures: use ` +
          `${[...AUTOENCODER_KINDS, "pca"].join(", ")} (the raw-pixel baseline is ` +
          `"pixelBaseline": true).`,
      );
    }
  }
  if (!Array.isArray(settings.codeSizes) || settings.codeSizes.length === 0) {
    throw new Error(`The study's codeSizes must be a non-empty list, e.g. [2, 8, 32].`);
  }
  for (const size of settings.codeSizes) checkCodeSize(size, "codeSizes");
  if (!Array.isArray(settings.betas)) throw new Error(`The study's betas must be a list.`);
  if (settings.betas.length > 0) {
    checkCodeSize(settings.betaCodeSize, "betaCodeSize");
    for (const beta of settings.betas) checkPositive(beta, `β ${beta} (betas)`, false);
  }
  if (settings.vaeDesign !== undefined && !VAE_DESIGNS.includes(settings.vaeDesign)) {
    throw new Error(
      `Unknown VAE design ${JSON.stringify(settings.vaeDesign)} in the study's vaeDesign: use ` +
        `${VAE_DESIGNS.join(", ")}.`,
    );
  }
  if (settings.designCodeSize !== undefined) {
    checkCodeSize(settings.designCodeSize, "designCodeSize");
    for (const d of settings.designs ?? []) {
      if (!VAE_DESIGNS.includes(d)) {
        throw new Error(
          `Unknown VAE design ${JSON.stringify(d)} in the study's designs: use ` +
            `${VAE_DESIGNS.join(", ")}.`,
        );
      }
    }
    for (const o of settings.vaeOptions ?? []) {
      if (!VAE_OPTIONS.includes(o)) {
        throw new Error(
          `Unknown VAE option ${JSON.stringify(o)} in the study's vaeOptions: use ` +
            `${VAE_OPTIONS.join(", ")}.`,
        );
      }
    }
    if ((settings.vaeOptions ?? []).includes("warmup")) {
      checkPositive(settings.warmupEpochs, "warmupEpochs", false);
    }
    if ((settings.vaeOptions ?? []).includes("freebits")) {
      checkPositive(settings.freeBits, "freeBits", false);
    }
  }
  if (settings.seeds !== undefined && settings.seeds.length > 0) {
    if (!Array.isArray(settings.seeds)) throw new Error(`The study's seeds must be a list.`);
    for (const seed of settings.seeds) {
      if (!Number.isInteger(seed) || seed < 0 || seed === settings.seed) {
        throw new Error(
          `Seed ${JSON.stringify(seed)} in the study's seeds: a replicate's seed is a whole ` +
            `number >= 0 other than the study's own seed (${settings.seed}).`,
        );
      }
    }
    checkCodeSize(settings.seedCodeSize, "seedCodeSize");
  }
  for (const name of ["epochs", "batchSize", "knnK", "validationSize"] as const) {
    checkPositive(settings[name], name, true);
  }
  checkPositive(settings.learningRate, "learningRate", false);
  for (const name of ["trainImages", "testImages"] as const) {
    if (settings[name] !== undefined) checkPositive(settings[name], name, true);
  }
  return settings;
}

/** How a VAE trial differs from the plain VAE of the study's design. */
interface VaeVariant {
  beta?: number;
  design?: VaeDesign;
  option?: VaeOption;
}

function autoencoderTrial(
  settings: StudySettings,
  kind: AutoencoderKind,
  latentDim: number,
  variant: VaeVariant = {},
): TrialSettings {
  const variational = kind === "variational";
  const design = variant.design ?? settings.vaeDesign ?? "keras";
  return {
    architecture: kind,
    latentDim,
    ...(variational ? { beta: variant.beta ?? 1 } : {}),
    ...(variational && design !== "keras" ? { design } : {}),
    ...(variational && variant.option === "warmup"
      ? { warmupEpochs: settings.warmupEpochs ?? STUDY_WARMUP_EPOCHS }
      : {}),
    ...(variational && variant.option === "freebits"
      ? { freeBits: settings.freeBits ?? STUDY_FREE_BITS }
      : {}),
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    learningRate: settings.learningRate,
    validationSize: settings.validationSize,
    seed: settings.seed,
    splitSeed: settings.splitSeed,
    ...(settings.trainImages !== undefined ? { trainImages: settings.trainImages } : {}),
    ...(settings.testImages !== undefined ? { testImages: settings.testImages } : {}),
    knnK: settings.knnK,
    ...(variational ? { iwaeSamples: settings.iwaeSamples, iwaeImages: settings.iwaeImages } : {}),
  };
}

function baselineTrial(
  settings: StudySettings,
  architecture: "pca" | "pixels",
  latentDim: number,
): TrialSettings {
  return {
    architecture,
    latentDim,
    validationSize: settings.validationSize,
    splitSeed: settings.splitSeed,
    ...(settings.trainImages !== undefined ? { trainImages: settings.trainImages } : {}),
    ...(settings.testImages !== undefined ? { testImages: settings.testImages } : {}),
    knnK: settings.knnK,
  };
}

/**
 * Every trial of a study, once each, in a fixed order: the baselines (pixels, PCA), then the
 * autoencoders by architecture and code size (the VAE in the study's design), then the β sweep
 * (β = 1 at the sweep's size is the plain VAE's trial, listed once), then the design comparison:
 * every design × every training option at its code size (the study design's plain trial listed
 * once), the reference VAE, then the seed replicates of each autoencoder at the seed code size.
 */
export function studyGrid(settings: StudySettings): TrialSettings[] {
  checkStudySettings(settings);
  const trials: TrialSettings[] = [];
  const seen = new Set<string>();
  const add = (trial: TrialSettings) => {
    const id = canonicalJson(trial);
    if (!seen.has(id)) {
      seen.add(id);
      trials.push(trial);
    }
  };
  if (settings.pixelBaseline) add(baselineTrial(settings, "pixels", IMAGE_PIXELS));
  if (settings.architectures.includes("pca")) {
    for (const size of settings.codeSizes) add(baselineTrial(settings, "pca", size));
  }
  for (const a of settings.architectures) {
    if (a === "pca" || a === "pixels") continue;
    for (const size of settings.codeSizes) add(autoencoderTrial(settings, a, size));
  }
  for (const beta of settings.betas) {
    add(autoencoderTrial(settings, "variational", settings.betaCodeSize, { beta }));
  }
  if (settings.designCodeSize !== undefined) {
    for (const design of settings.designs ?? []) {
      for (const option of settings.vaeOptions ?? []) {
        add(autoencoderTrial(settings, "variational", settings.designCodeSize, { design, option }));
      }
    }
  }
  // A reduced study (fewer training images) never trains the 60,000-image reference.
  if (settings.referenceVae && settings.trainImages === undefined) {
    add({
      architecture: "variational",
      latentDim: REFERENCE_VAE.latentDim,
      beta: 1,
      design: REFERENCE_VAE.design,
      epochs: REFERENCE_VAE.epochs,
      batchSize: REFERENCE_VAE.batchSize,
      learningRate: REFERENCE_VAE.learningRate,
      validationSize: REFERENCE_VAE.validationSize,
      seed: settings.seed,
      splitSeed: settings.splitSeed,
      ...(settings.testImages !== undefined ? { testImages: settings.testImages } : {}),
      knnK: settings.knnK,
      iwaeSamples: settings.iwaeSamples,
      iwaeImages: settings.iwaeImages,
      reference: true,
    });
  }
  for (const seed of settings.seeds ?? []) {
    for (const a of settings.architectures) {
      if (a === "pca" || a === "pixels") continue;
      add({ ...autoencoderTrial(settings, a, settings.seedCodeSize!), seed, replicate: true });
    }
  }
  return trials;
}

/** JSON with object keys sorted at every level (the same settings always give the same text). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** A trial's key: the first 16 hex digits of the SHA-256 of its canonical settings. */
export async function trialKey(trial: TrialSettings): Promise<string> {
  return (await sha256Hex(canonicalJson(trial))).slice(0, 16);
}

/**
 * A short human name of a trial, e.g. "convolutional z=16", "variational z=32 β=0.5" (the keras
 * design), "variational/conv z=32 warm-up 5" or "variational/mlp z=32 free bits 0.5".
 */
export function trialLabel(trial: TrialSettings): string {
  if (trial.architecture === "pixels") return "raw pixels";
  const beta = trial.beta !== undefined && trial.beta !== 1 ? ` β=${trial.beta}` : "";
  const design = trial.design !== undefined ? `/${trial.design}` : "";
  const warmup = trial.warmupEpochs ? ` warm-up ${trial.warmupEpochs}` : "";
  const freeBits = trial.freeBits ? ` free bits ${trial.freeBits}` : "";
  const seed = trial.replicate ? ` seed ${trial.seed}` : "";
  const reference = trial.reference ? " reference" : "";
  return `${trial.architecture}${design} z=${trial.latentDim}${beta}${warmup}${freeBits}${seed}` +
    reference;
}

/** Whether a trial is a plain VAE trial (no warm-up, no free bits) of `design`, any β. */
export function isPlainVaeTrial(trial: TrialSettings, design: VaeDesign): boolean {
  return trial.architecture === "variational" && (trial.design ?? "keras") === design &&
    !trial.warmupEpochs && !trial.freeBits;
}
