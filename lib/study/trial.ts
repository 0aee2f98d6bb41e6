/**
 * Running one trial of the design study: training an autoencoder (resuming from its checkpoint
 * when an earlier process was interrupted; β scaling the VAE's KL term), fitting PCA, or probing
 * the raw pixels; then measuring it on the test images.
 *
 * @module
 */
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import {
  IMAGE_PIXELS,
  IMAGE_SIZE,
  imagesAsFloats,
  type ImageSet,
  imagesToTensor,
  loadKmnist,
  MAX_GREY_LEVEL,
  unitToGrey,
} from "../data/mod.ts";
import {
  type Autoencoder,
  buildModel,
  isVariational,
  type VariationalAutoencoder,
} from "../models/mod.ts";
import {
  accuracy,
  accuracyInterval,
  bcePerImage,
  type CodeModel,
  evaluate,
  type EvaluationReport,
  knnClassify,
  mean,
  msePerImage,
  psnr,
  ssimPerImage,
  testInterval,
} from "../metrics/mod.ts";
import { fitPca, type PcaModel, pcaProject, pcaReconstruct } from "../metrics/pca.ts";
import { combineLoads } from "../io/mod.ts";
import {
  type EpochRecord,
  hasCheckpoint,
  loadCheckpoint,
  type ProgressKind,
  train,
  withKlSchedule,
} from "../train/mod.ts";
import { loadExperimentData } from "../experiments/mod.ts";
import { experimentSettings } from "../experiments/mod.ts";
import type { TrialSettings } from "./grid.ts";
import {
  CHECKPOINTS_FOLDER,
  type EvaluationParts,
  type TrialResults,
  type TrialTiming,
} from "./records.ts";
import { bytesToBase64 } from "../format/mod.ts";
import {
  MEASURES_VERSION,
  type SampleQualityInstrument,
  trialGeneration,
  trialLatent,
} from "./measures.ts";

/** The sets a study trains and measures on (shared by all trials with the same data settings). */
export interface StudyData {
  /** Fit part of the training images (a subset in quick mode). */
  train: ImageSet;
  /** Validation images. */
  validation: ImageSet;
  /** Test images (the first N in quick mode). */
  test: ImageSet;
  /** All 60,000 training images (the raw-pixel baseline's own protocol). */
  allTraining: ImageSet;
}

/** Loads the sets of a trial's data settings (the same split as the notebooks). */
export async function loadStudyData(trial: TrialSettings): Promise<StudyData> {
  const base = experimentSettings("vanilla", { quick: false });
  const data = await loadExperimentData({
    ...base,
    validationSize: trial.validationSize,
    splitSeed: trial.splitSeed,
    trainImages: trial.trainImages,
    testImages: trial.testImages,
  });
  const kmnist = await loadKmnist();
  return {
    train: data.train,
    validation: data.validation,
    test: data.test,
    allTraining: kmnist.train,
  };
}

/** The test images whose reconstructions a record keeps: the first of each class. */
export function sampleIndicesOf(test: ImageSet): number[] {
  const indices: number[] = [];
  for (let label = 0; label < 10; label++) {
    const i = test.labels.indexOf(label);
    if (i >= 0) indices.push(i);
  }
  return indices;
}

function samplesOf(test: ImageSet, reconstruct: (indices: number[]) => ArrayLike<number>) {
  const indices = sampleIndicesOf(test);
  const values = reconstruct(indices);
  return { indices, reconstructions: bytesToBase64(unitToGrey(values)) };
}

/**
 * The VAE with its KL term weighted by β in the training loss (the measured terms unchanged).
 * Kept for callers of earlier versions; the study trains with `withKlSchedule`.
 */
export function withBeta(model: VariationalAutoencoder, beta: number): VariationalAutoencoder {
  return withKlSchedule(model, { beta });
}

/** What {@link runTrial} returns. */
export interface TrialOutcome {
  /** The measurements. */
  results: TrialResults;
  /** The timing. */
  timing: TrialTiming;
}

/** Options of {@link runTrial}. */
export interface RunTrialOptions {
  /** The trial. */
  trial: TrialSettings;
  /** Its key (names its checkpoint folder). */
  key: string;
  /** The study's record folder. */
  directory: string;
  /** The sets. */
  data: StudyData;
  /** Backend name for the record. */
  backend: string;
  /** Progress of the training (default "none": the study prints one line per trial). */
  progress?: ProgressKind;
  /** The classifier that measures samples (without it, measurement version 1). */
  instrument?: SampleQualityInstrument;
}

/** The measurements of an autoencoder from `evaluate()`. */
export function resultsFromEvaluation(
  evaluation: EvaluationReport,
  model: Autoencoder,
  test: ImageSet,
): TrialResults {
  return {
    parameters: evaluation.parameters,
    testImages: evaluation.testImages,
    mse: evaluation.mse,
    bce: evaluation.bce,
    psnr: evaluation.psnr,
    ssim: evaluation.ssim,
    knnAccuracy: evaluation.knn!.accuracy,
    knnReferences: evaluation.knn!.referenceCount,
    intervals: evaluation.intervals,
    ...(evaluation.vae
      ? {
        vae: {
          negativeElbo: evaluation.vae.negativeElbo,
          distortion: evaluation.vae.reconstruction,
          rate: evaluation.vae.kl,
          ...(evaluation.vae.iwaeNll !== undefined
            ? {
              iwaeNll: evaluation.vae.iwaeNll,
              iwaeNllStandardError: evaluation.vae.iwaeNllStandardError,
              iwaeNegativeElbo: evaluation.vae.iwaeNegativeElbo,
              iwaeNegativeElboStandardError: evaluation.vae.iwaeNegativeElboStandardError,
            }
            : {}),
        },
      }
      : {}),
    samples: samplesOf(test, (indices) => {
      const images = imagesToTensor(test, indices);
      const output = model.reconstruct(images);
      const values = output.dataSync();
      tf.dispose([images, output]);
      return values;
    }),
  };
}

/**
 * Measures a trained autoencoder as the study does: the notebooks' `evaluate` (seeded, with its
 * intervals), and with an instrument the VAE's latent usage and the samples' quality
 * (lib/study/measures.ts); with the wall seconds of each pass.
 */
export function measureAutoencoder(
  model: Autoencoder,
  trial: TrialSettings,
  data: StudyData,
  instrument?: SampleQualityInstrument,
): { results: TrialResults; parts: EvaluationParts } {
  const evaluation = evaluate(model, {
    test: data.test,
    train: data.train,
    knnK: trial.knnK,
    iwaeSamples: trial.iwaeSamples ?? 0,
    iwaeImages: trial.iwaeImages ?? 0,
    seed: trial.seed ?? 0,
  });
  const results = resultsFromEvaluation(evaluation, model, data.test);
  const parts: EvaluationParts = { ...evaluation.passSeconds! };
  if (!instrument) return { results, parts };
  let started = performance.now();
  const latent = trialLatent(model, data.test);
  if (latent) parts.latent = (performance.now() - started) / 1000;
  started = performance.now();
  const generation = trialGeneration(model, instrument, data.train, trial.seed ?? 0);
  parts.generation = (performance.now() - started) / 1000;
  return {
    results: {
      ...results,
      measures: MEASURES_VERSION,
      ...(latent ? { latent } : {}),
      generation,
    },
    parts,
  };
}

async function runAutoencoder(options: RunTrialOptions): Promise<TrialOutcome> {
  const { trial, data } = options;
  const checkpoint = path.join(options.directory, CHECKPOINTS_FOLDER, options.key);
  let model: Autoencoder;
  let optimizer: tf.Optimizer | undefined;
  let resume;
  if (await hasCheckpoint(checkpoint)) {
    const loaded = await loadCheckpoint(checkpoint);
    ({ model, optimizer } = loaded);
    resume = loaded.state;
  } else {
    model = buildModel({
      kind: trial.architecture as Autoencoder["kind"],
      latentDim: trial.latentDim,
      seed: trial.seed,
      design: trial.design,
    });
  }
  try {
    const trained = isVariational(model)
      ? withKlSchedule(model, {
        beta: trial.beta ?? 1,
        warmupEpochs: trial.warmupEpochs ?? 0,
        freeBits: trial.freeBits ?? 0,
      })
      : model;
    const result = await train(trained, {
      train: data.train,
      validation: data.validation,
      epochs: trial.epochs,
      batchSize: trial.batchSize,
      learningRate: trial.learningRate,
      seed: trial.seed,
      optimizer,
      resume,
      checkpointDirectory: checkpoint,
      progress: options.progress ?? "none",
    });
    const started = performance.now();
    const { results, parts } = measureAutoencoder(model, trial, data, options.instrument);
    results.losses = result.history.map((h) => ({
      epoch: h.epoch,
      trainLoss: h.trainLoss,
      ...(h.valLoss !== undefined ? { valLoss: h.valLoss } : {}),
    }));
    const seconds = result.history.map((h) => h.seconds);
    return {
      results,
      timing: {
        secondsPerEpoch: seconds.reduce((a, b) => a + b, 0) / Math.max(1, seconds.length),
        trainSeconds: result.wallSeconds,
        evaluationSeconds: (performance.now() - started) / 1000,
        evaluationParts: parts,
        ...(resume ? { resumedFromEpoch: resume.epoch } : {}),
        backend: options.backend,
        ...epochsLoad(result.history),
      },
    };
  } finally {
    optimizer?.dispose();
    model.dispose();
  }
}

/** PCA of each training set met in this process (all IMAGE_PIXELS axes). */
const pcaCache = new WeakMap<ImageSet, PcaModel>();

function runPca(options: RunTrialOptions): TrialOutcome {
  const { trial, data } = options;
  const started = performance.now();
  const k = trial.latentDim;
  // One decomposition serves every code size of the same training images.
  let model = pcaCache.get(data.train);
  if (!model) {
    model = fitPca(data.train.images, { dims: IMAGE_PIXELS, scale: 1 / MAX_GREY_LEVEL });
    pcaCache.set(data.train, model);
  }
  const trainCodes = pcaProject(model, data.train.images, {
    scale: 1 / MAX_GREY_LEVEL,
    components: k,
  });
  const testCodes = pcaProject(model, data.test.images, {
    scale: 1 / MAX_GREY_LEVEL,
    components: k,
  });
  const recon = pcaReconstruct(model, testCodes, { clip: [0, 1], components: k });
  const target = imagesAsFloats(data.test);
  const mse = msePerImage(target, recon);
  const predictions = knnClassify({
    reference: Float32Array.from(trainCodes),
    referenceLabels: data.train.labels,
    query: Float32Array.from(testCodes),
    dim: k,
    k: trial.knnK,
  });
  const ssim = ssimPerImage(target, recon);
  const knnAccuracy = accuracy(predictions, data.test.labels);
  const results: TrialResults = {
    parameters: IMAGE_PIXELS * k + IMAGE_PIXELS,
    testImages: data.test.count,
    mse: mean(mse),
    bce: mean(bcePerImage(target, recon)),
    psnr: mean(Array.from(mse, (m) => psnr(m))),
    ssim: mean(ssim),
    knnAccuracy,
    knnReferences: data.train.count,
    explainedVariance: model.explainedVarianceRatio.slice(0, k).reduce((a, b) => a + b, 0),
    samples: samplesOf(data.test, (indices) => {
      const out = new Float32Array(indices.length * IMAGE_PIXELS);
      indices.forEach((index, i) =>
        out.set(recon.subarray(index * IMAGE_PIXELS, (index + 1) * IMAGE_PIXELS), i * IMAGE_PIXELS)
      );
      return out;
    }),
  };
  if (options.instrument) {
    results.measures = MEASURES_VERSION;
    results.intervals = {
      mse: testInterval(mse),
      ssim: testInterval(ssim),
      knnAccuracy: accuracyInterval(knnAccuracy, data.test.count),
    };
    results.generation = trialGeneration(
      pcaCodeModel(model, k),
      options.instrument,
      data.train,
      trial.seed ?? 0,
    );
  }
  return {
    results,
    timing: { evaluationSeconds: (performance.now() - started) / 1000, backend: options.backend },
  };
}

/** PCA with k axes as an encoder and a decoder of image tensors (for ex-post sampling). */
function pcaCodeModel(model: PcaModel, k: number): CodeModel {
  return {
    encode: (images) => {
      const codes = pcaProject(model, images.dataSync(), { components: k });
      return tf.tensor2d(Float32Array.from(codes), [images.shape[0], k]);
    },
    decode: (codes) => {
      const n = codes.shape[0];
      const images = pcaReconstruct(model, codes.dataSync(), { clip: [0, 1], components: k });
      return tf.tensor4d(images, [n, IMAGE_SIZE, IMAGE_SIZE, 1]);
    },
  };
}

function runPixels(options: RunTrialOptions): TrialOutcome {
  const { trial, data } = options;
  const started = performance.now();
  const query = imagesAsFloats(data.test);
  const probe = (reference: ImageSet) =>
    accuracy(
      knnClassify({
        reference: imagesAsFloats(reference),
        referenceLabels: reference.labels,
        query,
        dim: IMAGE_PIXELS,
        k: trial.knnK,
      }),
      data.test.labels,
    );
  const knnAccuracy = probe(data.train);
  return {
    results: {
      parameters: 0,
      testImages: data.test.count,
      knnAccuracy,
      knnReferences: data.train.count,
      ...(options.instrument
        ? {
          measures: MEASURES_VERSION,
          intervals: { knnAccuracy: accuracyInterval(knnAccuracy, data.test.count) },
        }
        : {}),
      // The paper's protocol (all 60,000 references) in full runs only.
      ...(trial.trainImages === undefined ? { knnAllTraining: probe(data.allTraining) } : {}),
    },
    timing: { evaluationSeconds: (performance.now() - started) / 1000, backend: options.backend },
  };
}

/** Runs one trial (training resumes from the trial's checkpoint when there is one). */
export async function runTrial(options: RunTrialOptions): Promise<TrialOutcome> {
  switch (options.trial.architecture) {
    case "pca":
      return runPca(options);
    case "pixels":
      return runPixels(options);
    default:
      return await runAutoencoder(options);
  }
}

/** `{ load }` of the epochs together, or nothing when any epoch's load is unknown. */
function epochsLoad(history: readonly EpochRecord[]): Pick<TrialTiming, "load"> {
  const load = combineLoads(history.map((h) => h.load));
  return load ? { load } : {};
}
