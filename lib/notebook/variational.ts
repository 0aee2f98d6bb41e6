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
import { decoderOf, encodeImages, examplesPerClass, sampleIndices } from "../experiments/mod.ts";
import { CODE_QUANTILES, PROBE_TEST_IMAGES, PROBE_TEST_SEED } from "./figures.ts";
import type { ExperimentRun } from "./experiment.ts";
import { imagesAsFloats } from "../data/mod.ts";

/** Seed of the prior samples drawn in the notebook. */
export const PRIOR_SAMPLES_SEED = 3;

/**
 * How far the test codes reach: the largest |z| of the {@link CODE_QUANTILES} (0.5% and 99.5%)
 * of each coordinate of the posterior means of the probe test images (those of the latent codes
 * figure), rounded up to a tenth.
 */
export function codeReach(run: ExperimentRun, model: Autoencoder): number {
  const indices = sampleIndices(run.data.test.count, PROBE_TEST_IMAGES, PROBE_TEST_SEED);
  const { codes, dim } = encodeImages(model, run.data.test, indices);
  let reach = 0;
  for (let d = 0; d < dim; d++) {
    const values = Float64Array.from({ length: codes.length / dim }, (_, i) => codes[i * dim + d])
      .sort();
    const at = (q: number) => values[Math.min(values.length - 1, Math.floor(q * values.length))];
    reach = Math.max(reach, Math.abs(at(CODE_QUANTILES[0])), Math.abs(at(CODE_QUANTILES[1])));
  }
  return Math.ceil(reach * 10) / 10;
}

/**
 * A 15×15 grid of codes decoded (2-D latent spaces), at equal steps of the prior's quantiles
 * between ±{@link codeReach} (the range 99% of the test codes lie in per axis), ticks at whole z.
 */
export function decodedManifold(
  model: Autoencoder,
  run: ExperimentRun,
  gridSize = 15,
): Figure<unknown> {
  const reach = codeReach(run, model);
  return manifold({
    decode: decoderOf(model),
    gridSize,
    zRange: reach,
    title: `Decoded latent grid over ±${formatNumber(reach, { decimals: 1 })} ` +
      `(99% of the test codes per axis)`,
  });
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
