/**
 * The variational notebook's own steps: the decoded latent grid, samples from the prior, an
 * interpolation between two test characters, and the ELBO with the importance-weighted estimate.
 *
 * @module
 */
import { formatNumber } from "../format/mod.ts";
import type { Autoencoder } from "../models/mod.ts";
import type { EvaluationReport } from "../metrics/mod.ts";
import { type Figure, interpolationStrip, manifold, priorSamples } from "../plot/mod.ts";
import { decoderOf, encodeImages, examplesPerClass } from "../experiments/mod.ts";
import type { ExperimentRun } from "./experiment.ts";
import { imagesAsFloats } from "../data/mod.ts";

/** Seed of the prior samples drawn in the notebook. */
export const PRIOR_SAMPLES_SEED = 3;

/** A 15×15 grid of codes over the prior's central 90% decoded (2-D latent spaces). */
export function decodedManifold(model: Autoencoder, gridSize = 15): Figure<unknown> {
  return manifold({ decode: decoderOf(model), gridSize, title: "Decoded latent grid" });
}

/** Codes drawn from N(0, I) and decoded: characters that are in no data set. */
export function samplesFromPrior(model: Autoencoder, count = 40): Figure<unknown> {
  return priorSamples({
    decode: decoderOf(model),
    latentDim: model.config.latentDim,
    count,
    seed: PRIOR_SAMPLES_SEED,
  });
}

/**
 * The straight line between the codes (posterior means) of the first test images of two classes,
 * decoded in `steps` steps, with the two images at its ends.
 */
export function interpolation(
  run: ExperimentRun,
  model: Autoencoder,
  options: { fromClass?: number; toClass?: number; steps?: number } = {},
): Figure<unknown> {
  const { fromClass = 0, toClass = 7, steps = 10 } = options;
  const firsts = examplesPerClass(run.data.test, 1)[0];
  const [from, to] = [firsts[fromClass], firsts[toClass]];
  const ends = encodeImages(model, run.data.test, [from, to]);
  const d = ends.dim;
  return interpolationStrip({
    decode: decoderOf(model),
    from: ends.codes.subarray(0, d),
    to: ends.codes.subarray(d, 2 * d),
    steps,
    endpoints: {
      from: imagesAsFloats(run.data.test, [from]),
      to: imagesAsFloats(run.data.test, [to]),
    },
    title: `From ${run.data.classes[fromClass].char} to ${run.data.classes[toClass].char}`,
  });
}

/** The negative ELBO with its two terms, and the importance-weighted −log p(x), as text. */
export function likelihoodSummary(evaluation: EvaluationReport): string {
  const vae = evaluation.vae;
  if (vae === undefined) {
    throw new Error("likelihoodSummary: this evaluation is not of a variational model.");
  }
  const lines = [
    `negative ELBO     ${formatNumber(vae.negativeElbo, { decimals: 2 })} nats/image ` +
    `(reconstruction ${formatNumber(vae.reconstruction, { decimals: 2 })} + KL ${
      formatNumber(vae.kl, { decimals: 2 })
    }), ` +
    `${formatNumber(evaluation.testImages, { decimals: 0 })} test images`,
  ];
  if (vae.iwaeNll !== undefined) {
    lines.push(
      `IWAE -log p(x)    ${formatNumber(vae.iwaeNll, { decimals: 2 })} nats/image ` +
        `(K = ${vae.iwaeSamples} samples, first ${vae.iwaeImages} test images)`,
    );
  }
  return lines.join("\n");
}
