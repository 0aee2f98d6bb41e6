/**
 * Seed replicates: the four autoencoders at the notebooks' code size (the VAE in the sweep's
 * design) trained again with other seeds, and the spread of their test metrics over the seeds.
 * One trial's test-set interval says how sure a number is for that trained model; the spread over
 * seeds says how much of a difference between two architectures is the luck of one
 * initialisation and shuffling.
 *
 * ```ts
 * const { records } = await seedReplicates({ backend: "blas" });   // trains what is missing
 * seedSpread(records);   // one row per architecture: mean ± sd of MSE, SSIM, k-NN, ...
 * ```
 *
 * @module
 */
import { isQuickMode } from "../experiments/mod.ts";
import { type MeanSd, meanSd } from "../metrics/mod.ts";
import { isPlainVaeTrial, type StudySettings, studySettings } from "./grid.ts";
import type { TrialRecord } from "./records.ts";
import { runStudy, studyDirectory } from "./run.ts";
import { sweepDesign } from "./analysis.ts";

/** The architectures replicated, in the notebooks' order. */
export const REPLICATED_ARCHITECTURES = [
  "vanilla",
  "multilayer",
  "convolutional",
  "variational",
] as const;

/** Whether a record is a seed replicate (kept out of the sweep's figures and tables). */
export function isReplicate(record: TrialRecord): boolean {
  return record.settings.replicate === true;
}

/**
 * The study's replicate trials and their seed-0 trials, as a study of their own: reused from the
 * study's records when they have run, trained otherwise (the design study then reuses them).
 */
export async function seedReplicates(
  options: { quick?: boolean; backend?: string; log?: (line: string) => void } = {},
): Promise<{ records: TrialRecord[]; settings: StudySettings }> {
  const base = studySettings({ quick: options.quick ?? isQuickMode() });
  const settings: StudySettings = {
    ...base,
    architectures: [...REPLICATED_ARCHITECTURES],
    codeSizes: [base.seedCodeSize ?? base.betaCodeSize],
    betas: [],
    pixelBaseline: false,
    designCodeSize: undefined,
    referenceVae: false,
  };
  const run = await runStudy({
    settings,
    directory: studyDirectory(settings),
    backend: options.backend,
    log: options.log,
  });
  return { records: run.records, settings };
}

/** One architecture's metrics over its seeds. */
export interface SeedSpreadRow {
  /** The architecture. */
  architecture: string;
  /** The seeds found, ascending. */
  seeds: number[];
  /** Test MSE per pixel. */
  mse?: MeanSd;
  /** SSIM. */
  ssim?: MeanSd;
  /** k-NN accuracy (a fraction). */
  knnAccuracy: MeanSd;
  /** VAE −ELBO, nats per image. */
  negativeElbo?: MeanSd;
  /** Fréchet distance of its samples. */
  frechet?: MeanSd;
  /** Each seed's test MSE, in `seeds` order (for "every seed better" comparisons). */
  mseBySeed: number[];
}

function spread(values: (number | undefined)[]): MeanSd | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length === values.length && known.length > 0 ? meanSd(known) : undefined;
}

/**
 * Mean and standard deviation over seeds of each replicated architecture at `codeSize` (default
 * the code size of the replicates found): its plain trial (β = 1; the VAE in the sweep's design)
 * and its replicates. Architectures with one seed only are left out.
 */
export function seedSpread(records: readonly TrialRecord[], codeSize?: number): SeedSpreadRow[] {
  const size = codeSize ?? records.find(isReplicate)?.settings.latentDim;
  if (size === undefined) return [];
  const design = sweepDesign(records.filter((r) => !isReplicate(r)));
  return REPLICATED_ARCHITECTURES.flatMap((architecture) => {
    const trials = records.filter((r) =>
      r.settings.architecture === architecture && r.settings.latentDim === size &&
      (architecture !== "variational" ||
        (isPlainVaeTrial(r.settings, design) && (r.settings.beta ?? 1) === 1))
    ).sort((a, b) => (a.settings.seed ?? 0) - (b.settings.seed ?? 0));
    if (trials.length < 2) return [];
    const r = trials.map((t) => t.results);
    return [{
      architecture,
      seeds: trials.map((t) => t.settings.seed ?? 0),
      mse: spread(r.map((x) => x.mse)),
      ssim: spread(r.map((x) => x.ssim)),
      knnAccuracy: meanSd(r.map((x) => x.knnAccuracy)),
      negativeElbo: spread(r.map((x) => x.vae?.negativeElbo)),
      frechet: spread(r.map((x) => x.generation?.frechet)),
      mseBySeed: r.map((x) => x.mse ?? NaN),
    }];
  });
}
