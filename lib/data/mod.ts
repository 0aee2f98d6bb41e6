/**
 * KMNIST data: loading and verification, the classes, splits, batches and tensors.
 *
 * ```ts
 * import { imagesToTensor, loadKmnist, splitTrainValidation } from "../lib/data/mod.ts";
 * const kmnist = await loadKmnist();
 * const { train, validation } = splitTrainValidation(kmnist.train); // 55,000 / 5,000
 * ```
 *
 * @module
 */
export { KMNIST_CLASSES, type KmnistClass, parseClassMap } from "./classes.ts";
export {
  downloadFile,
  type DownloadOptions,
  KMNIST_BASE_URL,
  KMNIST_FILES,
  type KmnistFile,
  verifyFile,
} from "./files.ts";
export { gunzip, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, type IdxArray, parseIdx } from "./idx.ts";
export {
  DEFAULT_CACHE_DIRECTORY,
  DEFAULT_SHARED_DIRECTORY,
  IMAGE_PIXELS,
  IMAGE_SIZE,
  type ImageSet,
  type KmnistDataset,
  loadKmnist,
  type LoadKmnistOptions,
  parseSet,
} from "./kmnist.ts";
export { greyToUnit, imagesAsFloats, MAX_GREY_LEVEL, unitToGrey } from "./pixels.ts";
export { batchIndices, type BatchOptions, createRandom, shuffledIndices } from "./random.ts";
export {
  imagesToTensor,
  labelsToTensor,
  splitTrainValidation,
  takeSubset,
  type ValidationSplitOptions,
} from "./split.ts";
