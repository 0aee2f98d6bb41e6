/**
 * The sets one experiment trains and is evaluated on, and a description of them for a notebook's first cells.
 *
 * @module
 */
import {
  type ImageSet,
  type KmnistClass,
  loadKmnist,
  splitTrainValidation,
  takeSubset,
} from "../data/mod.ts";
import { displayPath } from "../io/mod.ts";
import { type ExperimentSettings } from "./settings.ts";
import { formatNumber } from "../format/mod.ts";

/** The sets one experiment uses. */
export interface ExperimentData {
  /** Training images (the fit part of the split; a subset in quick mode). */
  train: ImageSet;
  /** Validation images (for the learning curves; never for final numbers). */
  validation: ImageSet;
  /** Test images (final evaluation only). */
  test: ImageSet;
  /** The ten classes. */
  classes: readonly KmnistClass[];
  /** Folder the KMNIST files were read from. */
  directory: string;
}

/**
 * Loads KMNIST and makes the experiment's sets: a seeded split of the training images into fit
 * and validation, and in quick mode seeded subsets (the test subset is the first N images).
 */
export async function loadExperimentData(settings: ExperimentSettings): Promise<ExperimentData> {
  const kmnist = await loadKmnist();
  const split = splitTrainValidation(kmnist.train, {
    validationSize: settings.validationSize,
    seed: settings.splitSeed,
  });
  let train = split.train;
  if (settings.trainImages !== undefined && settings.trainImages < train.count) {
    train = takeSubset(train, Int32Array.from({ length: settings.trainImages }, (_, i) => i));
  }
  let test = kmnist.test;
  if (settings.testImages !== undefined && settings.testImages < test.count) {
    test = takeSubset(test, Int32Array.from({ length: settings.testImages }, (_, i) => i));
  }
  return {
    train,
    validation: split.validation,
    test,
    classes: kmnist.classes,
    directory: kmnist.directory,
  };
}

/** A text table of the sets' sizes and the run settings (for the first cells of a notebook). */
export function describeExperiment(settings: ExperimentSettings, data: ExperimentData): string {
  const n = (v: number) => formatNumber(v, { decimals: 0 });
  return [
    `${settings.title}${settings.quick ? "  [QUICK MODE: KMNIST_QUICK=1, not results]" : ""}`,
    `train ${n(data.train.count)}, validation ${n(data.validation.count)}, test ${
      n(data.test.count)
    } images (from ${displayPath(data.directory)})`,
    `epochs ${settings.epochs}, batch ${settings.batchSize}, Adam lr ${settings.learningRate}, ` +
    `latent ${settings.latentDim}, seed ${settings.seed}`,
    `checkpoints and metrics: ${displayPath(settings.runDirectory)}/`,
  ].join("\n");
}
