/**
 * The figures and tables every experiment notebook shows, each from one call: example images, the
 * learning curves, reconstructions of test images, the codes by class, the test metrics and the
 * error per class. The same seeded choices of images in every notebook, so they can be compared.
 *
 * @module
 */
import { formatNumber } from "../format/mod.ts";
import type { Autoencoder } from "../models/mod.ts";
import type { TrainResult } from "../train/mod.ts";
import type { EvaluationReport } from "../metrics/mod.ts";
import { classBars, type Figure, historyCurves, imageGrid, latentScatter } from "../plot/mod.ts";
import {
  classCaptions,
  encodeImages,
  examplesPerClass,
  reconstructImages,
  sampleIndices,
} from "../experiments/mod.ts";
import type { ExperimentRun } from "./experiment.ts";
import { imagesAsFloats } from "../data/mod.ts";

/** Seed of the twelve test images every notebook reconstructs. */
export const SHOWN_TEST_SEED = 1;
/** Seed of the 3,000 test images whose codes are drawn. */
export const PROBE_TEST_SEED = 2;
/** How many test images' codes are drawn (all of them when the test set is smaller). */
export const PROBE_TEST_IMAGES = 3000;
/**
 * The quantiles of each code coordinate that the figures of codes cover (the central 99%): the
 * latent scatter's axes and the decoded manifold's range, so a few far codes do not set them.
 */
export const CODE_QUANTILES: readonly [number, number] = [0.005, 0.995];

/** The twelve test images every notebook shows (the same seeded choice everywhere). */
export function shownTestImages(run: ExperimentRun): Int32Array {
  return sampleIndices(run.data.test.count, 12, SHOWN_TEST_SEED);
}

/** The first `perClass` training images of each class, with the classes' names under them. */
export function trainingExamples(run: ExperimentRun, perClass = 3): Figure<unknown> {
  const examples = examplesPerClass(run.data.train, perClass);
  return imageGrid({
    title: `Training images, ${perClass} per class`,
    rows: examples.map((indices, k) => ({
      title: `#${k + 1}`,
      images: imagesAsFloats(run.data.train, indices),
      captions: k === examples.length - 1 ? classCaptions() : undefined,
    })),
  });
}

/** Training and validation loss per epoch (MSE; for the VAE its loss terms in nats). */
export function learningCurves(run: ExperimentRun, result: TrainResult): Figure<unknown> {
  const variational = run.settings.kind === "variational";
  return historyCurves(result.history, {
    title: variational ? "VAE loss terms (nats per image)" : "Mean squared error per pixel",
    xLabel: "epoch",
    yLabel: variational ? "nats" : "MSE",
    markers: true,
  });
}

/** The twelve shown test images, their reconstructions and the absolute difference. */
export function reconstructions(run: ExperimentRun, model: Autoencoder): Figure<unknown> {
  const shown = shownTestImages(run);
  return imageGrid({
    title: "Test images and their reconstructions",
    rows: [
      { title: "original", images: imagesAsFloats(run.data.test, shown) },
      { title: "reconstruction", images: reconstructImages(model, run.data.test, shown) },
    ],
    difference: true,
  });
}

/** The codes of 3,000 test images by class (the first two principal components above 2-D). */
export function latentCodes(run: ExperimentRun, model: Autoencoder): Figure<unknown> {
  const indices = sampleIndices(run.data.test.count, PROBE_TEST_IMAGES, PROBE_TEST_SEED);
  const probe = encodeImages(model, run.data.test, indices);
  return latentScatter({
    codes: probe.codes,
    labels: probe.labels,
    dims: probe.dim,
    title: `Codes of ${formatNumber(indices.length, { decimals: 0 })} test images by class`,
    clipQuantiles: CODE_QUANTILES,
  });
}

/** Mean test MSE of each class. */
export function errorPerClass(evaluation: EvaluationReport): Figure<unknown> {
  return classBars({
    title: "Test MSE per class",
    series: [{ name: "MSE", values: evaluation.perClass.map((c) => c.mse) }],
    yLabel: "MSE per pixel",
  });
}
