/**
 * Loading KMNIST: finds verified files locally or downloads them, and parses them into typed arrays.
 *
 * Where the files are looked for, in order:
 * 1. `options.directory`, else the `KMNIST_DIR` environment variable: a folder that already holds the
 *    five files (nothing is downloaded into it);
 * 2. the cache `data/kmnist/` of this project, if it holds all five files;
 * 3. `../shared/data/kmnist/` beside the project checkout (the verified shared copy), if present;
 * 4. otherwise the files are downloaded from the official server into the cache.
 * Every file is checked against its published SHA-256 wherever it comes from.
 *
 * @module
 */
import * as path from "node:path";
import { KMNIST_CLASSES, type KmnistClass, parseClassMap } from "./classes.ts";
import {
  downloadFile,
  type DownloadOptions,
  KMNIST_BASE_URL,
  KMNIST_FILES,
  type KmnistFile,
  verifyFile,
} from "./files.ts";
import { gunzip, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, parseIdx } from "./idx.ts";
import { PROJECT_ROOT } from "../io/project_root.ts";

/** Side of a KMNIST image in pixels. */
export const IMAGE_SIZE = 28;
/** Pixels per image (28 x 28). */
export const IMAGE_PIXELS = IMAGE_SIZE * IMAGE_SIZE;

/** A set of images with their labels. */
export interface ImageSet {
  /** `count * 784` grey levels 0..255, image after image, each row-major 28x28. */
  images: Uint8Array;
  /** `count` labels 0..9 (see {@link KMNIST_CLASSES}). */
  labels: Uint8Array;
  /** Number of images. */
  count: number;
}

/** The whole data set as loaded. */
export interface KmnistDataset {
  /** The 60,000 training images. */
  train: ImageSet;
  /** The 10,000 test images: for final evaluation only, never for training or model selection. */
  test: ImageSet;
  /** The ten classes, checked against the release's class map. */
  classes: readonly KmnistClass[];
  /** The folder the files were read from. */
  directory: string;
}

/** Options for {@link loadKmnist}. */
export interface LoadKmnistOptions extends DownloadOptions {
  /** Folder that holds the five files; overrides `KMNIST_DIR`. Nothing is downloaded into it. */
  directory?: string;
  /** Download cache; default `data/kmnist/` in the project. */
  cacheDirectory?: string;
  /** Verified shared copy looked at before downloading; default `../shared/data/kmnist/`. */
  sharedDirectory?: string;
  /** Allow downloading into the cache when no local copy is found (default true). */
  download?: boolean;
}

/** The project's root folder (the one holding deno.json). */

/** The default download cache, `data/kmnist/` under the project root. */
export const DEFAULT_CACHE_DIRECTORY = path.join(PROJECT_ROOT, "data", "kmnist");

/** The verified shared copy beside the checkout, `../shared/data/kmnist/`. */
export const DEFAULT_SHARED_DIRECTORY = path.join(PROJECT_ROOT, "..", "shared", "data", "kmnist");

const ALL_FILES: readonly KmnistFile[] = Object.values(KMNIST_FILES);

/**
 * Loads KMNIST (see the module documentation for where the files are looked for), verifying every
 * file's SHA-256 and every IDX header.
 *
 * @throws Error naming the file and the fix: missing files, checksum mismatch, truncated or corrupt
 *   gzip, wrong magic number or dimensions, or a failed download while offline.
 */
export async function loadKmnist(options: LoadKmnistOptions = {}): Promise<KmnistDataset> {
  const directory = await resolveDirectory(options);
  const read = (file: KmnistFile) => readVerified(file, directory);
  const [trainImages, trainLabels, testImages, testLabels, classMap] = await Promise.all([
    read(KMNIST_FILES.trainImages),
    read(KMNIST_FILES.trainLabels),
    read(KMNIST_FILES.testImages),
    read(KMNIST_FILES.testLabels),
    read(KMNIST_FILES.classMap),
  ]);
  const classes = parseClassMap(new TextDecoder().decode(classMap), KMNIST_FILES.classMap.name);
  const train = await parseSet(trainImages, trainLabels, 60000, "train");
  const test = await parseSet(testImages, testLabels, 10000, "t10k");
  return { train, test, classes, directory };
}

/**
 * Parses one split from its two gzip-compressed IDX files.
 *
 * @param count the number of images the split must hold.
 * @param prefix `train` or `t10k`, for file names in error messages.
 */
export async function parseSet(
  imagesGz: Uint8Array,
  labelsGz: Uint8Array,
  count: number,
  prefix: string,
): Promise<ImageSet> {
  const imagesName = `${prefix}-images-idx3-ubyte.gz`;
  const labelsName = `${prefix}-labels-idx1-ubyte.gz`;
  const images = parseIdx(
    await gunzip(imagesGz, imagesName),
    { magic: IDX_IMAGES_MAGIC, shape: [count, IMAGE_SIZE, IMAGE_SIZE] },
    imagesName,
  );
  const labels = parseIdx(
    await gunzip(labelsGz, labelsName),
    { magic: IDX_LABELS_MAGIC, shape: [count] },
    labelsName,
  );
  const bad = labels.data.findIndex((label) => label >= KMNIST_CLASSES.length);
  if (bad >= 0) {
    throw new Error(
      `${labelsName}: label ${labels.data[bad]} at index ${bad} is not a class 0..9.`,
    );
  }
  return { images: images.data, labels: labels.data, count };
}

async function resolveDirectory(options: LoadKmnistOptions): Promise<string> {
  const explicit = options.directory ?? Deno.env.get("KMNIST_DIR");
  if (explicit) {
    const missing = await missingFiles(explicit);
    if (missing.length > 0) {
      const source = options.directory ? "the directory option" : "KMNIST_DIR";
      throw new Error(
        `${source} points at ${explicit}, which lacks ${missing.join(", ")}. Put the official ` +
          `KMNIST files there (from ${KMNIST_BASE_URL}), ` +
          `or unset KMNIST_DIR to use the download cache.`,
      );
    }
    return explicit;
  }
  const cache = options.cacheDirectory ?? DEFAULT_CACHE_DIRECTORY;
  if ((await missingFiles(cache)).length === 0) return cache;
  const shared = options.sharedDirectory ?? DEFAULT_SHARED_DIRECTORY;
  if ((await missingFiles(shared)).length === 0) return shared;
  if (options.download === false) {
    throw new Error(
      `KMNIST is not in the cache ${cache} nor in ${shared}, and downloading is off. Set KMNIST_DIR ` +
        `to a folder holding the KMNIST files, or allow the download.`,
    );
  }
  for (const file of ALL_FILES) {
    if (!(await exists(path.join(cache, file.name)))) await downloadFile(file, cache, options);
  }
  return cache;
}

async function readVerified(file: KmnistFile, directory: string): Promise<Uint8Array> {
  const where = path.join(directory, file.name);
  const bytes = await Deno.readFile(where);
  await verifyFile(file, bytes, where);
  return bytes;
}

async function missingFiles(directory: string): Promise<string[]> {
  const missing: string[] = [];
  for (const file of ALL_FILES) {
    if (!(await exists(path.join(directory, file.name)))) missing.push(file.name);
  }
  return missing;
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await Deno.stat(file)).isFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
