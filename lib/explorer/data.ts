/**
 * What the explorer page carries: for each trained run, its decoder in the tfjs layers format
 * (topology + weights), the codes of a few test and training images and the 2-D view of them;
 * plus those images and their labels. Everything is computed here in Deno, once.
 *
 * @module
 */
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import {
  IMAGE_PIXELS,
  IMAGE_SIZE,
  type ImageSet,
  KMNIST_CLASSES,
  loadKmnist,
} from "../data/mod.ts";
import { encodeImages } from "../experiments/mod.ts";
import { displayPath } from "../io/mod.ts";
import type { Autoencoder } from "../models/mod.ts";
import { pca } from "../plot/mod.ts";
import { CHECKPOINT_FILES, loadModel } from "../train/mod.ts";
import { packBytes, type PackedBytes, toFloat16 } from "./encoding.ts";

/** One run to show: a checkpoint folder and how to name it. */
export interface ExplorerRunSpec {
  /** Short name shown in the model switch, e.g. "variational". */
  name: string;
  /** The checkpoint folder (holding model.json + weights.bin). */
  directory: string;
  /** What to run to make the checkpoint, for the error when it is missing. */
  howToMake?: string;
}

/** A decoder in the tfjs layers format, as `tf.io.fromMemory` takes it. */
export interface PackedDecoder {
  /** The layers-model topology (Keras JSON) of the decoder alone. */
  modelTopology: unknown;
  /** Names, shapes and dtypes of the weights, in the order of `weightData`. */
  weightSpecs: tf.io.WeightsManifestEntry[];
  /** The weights' bytes. */
  weightData: PackedBytes;
}

/** How the page lays the codes on its plane. */
export interface Projection {
  /** "latent": the codes are 2-D and drawn as they are; "pca": onto their first two principal axes. */
  type: "latent" | "pca";
  /** Subtracted before projecting (zeros for "latent"). */
  mean: number[];
  /** The two axes (unit vectors of length latentDim). */
  axes: number[][];
  /** Share of the variance each axis explains. */
  explained: number[];
}

/** One run as the page receives it. */
export interface ExplorerRun {
  /** Short name (the switch's label). */
  name: string;
  /** Model family. */
  kind: string;
  /** Size of the codes. */
  latentDim: number;
  /** Trainable parameters of the whole autoencoder. */
  params: number;
  /** The checkpoint folder, relative to the project. */
  directory: string;
  /** The decoder; null makes the page say that it is missing instead of drawing. */
  decoder: PackedDecoder | null;
  /** Codes of the page's test images: float32, `count * latentDim`. */
  testCodes: PackedBytes;
  /** Codes of the page's training images (nearest-neighbour search): float16 bits. */
  trainCodes: PackedBytes;
  /** The 2-D view of the codes. */
  projection: Projection;
}

/** Images shown in the page, with their labels and their indices in the KMNIST file. */
export interface PackedImages {
  /** Number of images. */
  count: number;
  /** Which KMNIST file they come from. */
  source: "train" | "test";
  /** `count * 784` grey levels. */
  images: PackedBytes;
  /** `count` labels 0..9. */
  labels: PackedBytes;
}

/** Everything the page shows. */
export interface ExplorerPayload {
  /** Always "kmnist-explorer". */
  format: "kmnist-explorer";
  /** Payload version. */
  version: 1;
  /** Page heading. */
  title: string;
  /** The classes: character and romaji, in label order. */
  classes: { char: string; romaji: string }[];
  /** The test images whose codes are scattered and picked. */
  test: PackedImages;
  /** The training images searched for the nearest neighbours of a code. */
  train: PackedImages;
  /** The runs, in switch order. */
  runs: ExplorerRun[];
  /** Runs that were asked for but could not be shown, and why. */
  notes: string[];
}

/** Options of {@link buildExplorerPayload}. */
export interface ExplorerPayloadOptions {
  /** The runs to show (at least one). */
  runs: ExplorerRunSpec[];
  /** Test images scattered (the first N of the test file; default 1000). */
  testImages?: number;
  /** Training images searched for neighbours (the first N of the training file; default 1000). */
  trainImages?: number;
  /** Page heading. */
  title?: string;
  /** Notes shown above the explorer (e.g. runs left out). */
  notes?: string[];
  /** The data set, when already loaded (else read with `loadKmnist`). */
  data?: { train: ImageSet; test: ImageSet };
}

/** An error that names a run folder, what is wrong with it and what to run. */
export class ExplorerInputError extends Error {
  /** @param message the complete message. */
  constructor(message: string) {
    super(message);
    this.name = "ExplorerInputError";
  }
}

function makeHint(spec: ExplorerRunSpec): string {
  return spec.howToMake ??
    `deno task train --model <vanilla|multilayer|convolutional|variational> --out ${
      displayPath(spec.directory)
    }`;
}

/**
 * The files that mark a folder as holding a checkpoint: the manifest of the current checkpoint
 * layout, or the model of the earlier one (the files directly in the run folder). Reading it is
 * left to `loadModel`.
 */
export const CHECKPOINT_MARKERS: readonly string[] = ["checkpoint.json", CHECKPOINT_FILES.model];

/** Whether `directory` holds a checkpoint (see {@link CHECKPOINT_MARKERS}). */
export async function holdsCheckpoint(directory: string): Promise<boolean> {
  for (const file of CHECKPOINT_MARKERS) {
    try {
      if ((await Deno.stat(path.join(directory, file))).isFile) return true;
    } catch {
      // not this one
    }
  }
  return false;
}

/** Throws an {@link ExplorerInputError} unless `spec.directory` holds a checkpoint. */
export async function checkRunDirectory(spec: ExplorerRunSpec): Promise<void> {
  if (!(await holdsCheckpoint(spec.directory))) {
    throw new ExplorerInputError(
      `Run "${spec.name}": ${displayPath(spec.directory)} holds no trained model (no ` +
        `${CHECKPOINT_MARKERS.join(" or ")}). Train it first: ${makeHint(spec)}.`,
    );
  }
}

/** Throws an {@link ExplorerInputError} when the explorer cannot show `model`. */
export function checkSupported(model: Autoencoder, spec: ExplorerRunSpec): void {
  const where = `Run "${spec.name}" (${displayPath(spec.directory)}, a ${model.kind} model)`;
  const input = model.decoder.inputs[0]?.shape;
  const output = model.decoder.outputs[0]?.shape;
  if (model.config.latentDim < 2) {
    throw new ExplorerInputError(
      `${where} has ${model.config.latentDim}-D codes: the explorer draws codes on a plane and ` +
        `needs at least 2 dimensions; retrain it with --latent 2 or more.`,
    );
  }
  if (
    model.decoder.inputs.length !== 1 || input?.length !== 2 ||
    input[1] !== model.config.latentDim ||
    !tf.util.arraysEqual(output?.slice(1) as number[], [IMAGE_SIZE, IMAGE_SIZE, 1])
  ) {
    throw new ExplorerInputError(
      `${where} has no decoder from [n, ${model.config.latentDim}] codes to [n, 28, 28, 1] ` +
        `images (input [${input}], output [${output}]): the explorer supports only this ` +
        `project's autoencoders; retrain it with deno task train.`,
    );
  }
}

async function packDecoder(decoder: tf.LayersModel): Promise<PackedDecoder> {
  let saved: tf.io.ModelArtifacts | undefined;
  await decoder.save(tf.io.withSaveHandler((artifacts) => {
    saved = artifacts;
    return Promise.resolve({
      modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" },
    });
  }));
  if (!saved?.modelTopology || !saved.weightData || !saved.weightSpecs) {
    throw new Error("packDecoder: tfjs saved no topology or weights for the decoder.");
  }
  const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(saved.weightData));
  return {
    modelTopology: saved.modelTopology,
    weightSpecs: saved.weightSpecs,
    weightData: await packBytes(weights),
  };
}

function projectionOf(codes: Float32Array, latentDim: number): Projection {
  if (latentDim === 2) {
    return { type: "latent", mean: [0, 0], axes: [[1, 0], [0, 1]], explained: [] };
  }
  const result = pca(codes, { dims: latentDim, components: 2 });
  return {
    type: "pca",
    mean: Array.from(result.mean),
    axes: result.axes.map((a) => Array.from(a)),
    explained: result.explainedVarianceRatio,
  };
}

/** The codes of the first `count` images of a set. */
function encodeFirst(model: Autoencoder, set: ImageSet, count: number): Float32Array {
  return encodeImages(model, set, Int32Array.from({ length: count }, (_, i) => i)).codes;
}

/**
 * Loads one run's checkpoint and computes what the page needs of it. Throws an
 * {@link ExplorerInputError} naming the folder and the fix when it has no model or one the
 * explorer does not support.
 */
export async function describeRun(
  spec: ExplorerRunSpec,
  data: { train: ImageSet; test: ImageSet },
  counts: { test: number; train: number },
): Promise<ExplorerRun> {
  await checkRunDirectory(spec);
  let model: Autoencoder;
  try {
    model = await loadModel(spec.directory);
  } catch (error) {
    throw new ExplorerInputError(
      `Run "${spec.name}": the model in ${displayPath(spec.directory)} cannot be read ` +
        `(${error instanceof Error ? error.message : error}). Train it again: ${makeHint(spec)}.`,
    );
  }
  try {
    checkSupported(model, spec);
    const latentDim = model.config.latentDim;
    const testCodes = encodeFirst(model, data.test, counts.test);
    const trainCodes = encodeFirst(model, data.train, counts.train);
    return {
      name: spec.name,
      kind: model.kind,
      latentDim,
      params: model.countParams(),
      directory: displayPath(spec.directory),
      decoder: await packDecoder(model.decoder),
      testCodes: await packBytes(testCodes),
      trainCodes: await packBytes(toFloat16(trainCodes)),
      projection: projectionOf(testCodes, latentDim),
    };
  } finally {
    model.dispose();
  }
}

async function packImages(
  set: ImageSet,
  count: number,
  source: "train" | "test",
): Promise<PackedImages> {
  return {
    count,
    source,
    images: await packBytes(set.images.subarray(0, count * IMAGE_PIXELS)),
    labels: await packBytes(set.labels.subarray(0, count)),
  };
}

function checkCount(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 2 || value > max) {
    throw new ExplorerInputError(`${name} must be an integer in [2, ${max}], got ${value}.`);
  }
  return value;
}

/** Builds the page's payload from trained runs (their models are loaded and freed here). */
export async function buildExplorerPayload(
  options: ExplorerPayloadOptions,
): Promise<ExplorerPayload> {
  if (options.runs.length === 0) {
    throw new ExplorerInputError("The explorer needs at least one run folder; none was given.");
  }
  try {
    tf.backend(); // throws while the highest-priority backend (wasm) waits to be initialised
  } catch (error) {
    throw new ExplorerInputError(
      `No tfjs backend is active (${(error as Error).message}): call initBackend() from ` +
        "@kmnist/tfjs-blas first, as the notebooks' setup cell does.",
    );
  }
  const data = options.data ?? await loadKmnist();
  const counts = {
    test: checkCount("testImages", options.testImages ?? 1000, data.test.count),
    train: checkCount("trainImages", options.trainImages ?? 1000, data.train.count),
  };
  const runs: ExplorerRun[] = [];
  for (const spec of options.runs) runs.push(await describeRun(spec, data, counts));
  return {
    format: "kmnist-explorer",
    version: 1,
    title: options.title ?? "KMNIST latent explorer",
    classes: KMNIST_CLASSES.map((c) => ({ char: c.char, romaji: c.romaji })),
    test: await packImages(data.test, counts.test, "test"),
    train: await packImages(data.train, counts.train, "train"),
    runs,
    notes: options.notes ?? [],
  };
}
