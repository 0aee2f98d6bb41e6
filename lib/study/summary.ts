/**
 * Reading the design study's records: the headline findings as sentences (computed from the
 * numbers, so they always state the latest run), where the time went, the originals of the sample
 * reconstructions, and the equal-size (32-D) VAE that notebook 5 adds to its comparison.
 *
 * @module
 */
import * as path from "node:path";
import { imagesAsFloats, loadKmnist } from "../data/mod.ts";
import { formatDuration } from "../train/mod.ts";
import { isQuickMode } from "../experiments/mod.ts";
import { formatNumber } from "../format/mod.ts";
import { codeSizeSweep } from "./analysis.ts";
import { isPlainVaeTrial, type StudySettings, studySettings } from "./grid.ts";
import {
  CHECKPOINTS_FOLDER,
  type EvaluationParts,
  type TrialRecord,
  trialTimingFlag,
} from "./records.ts";
import { BUSY_OTHER_CORES } from "../io/mod.ts";
import { runStudy, studyDirectory } from "./run.ts";

const pct = (v: number) => formatNumber(v, { decimals: 2, percent: true });
const fixed = (v: number, decimals: number) => formatNumber(v, { decimals });

/** The sample test images of the records' reconstructions (`n * IMAGE_PIXELS` values in [0, 1]). */
export async function sampleOriginals(records: readonly TrialRecord[]): Promise<Float32Array> {
  const indices = records.find((r) => r.results.samples)?.results.samples?.indices;
  if (!indices) throw new Error("sampleOriginals: no record holds sample reconstructions.");
  const { test } = await loadKmnist();
  return imagesAsFloats(test, indices);
}

/**
 * The study's findings as sentences: per code size the best architecture and which autoencoders
 * beat PCA; the best codes' k-NN against the raw pixels; the β sweep's rate and distortion.
 */
export function studyFindings(records: readonly TrialRecord[]): string {
  const lines: string[] = [];
  const pca = new Map(codeSizeSweep(records, "pca").map((r) => [r.settings.latentDim, r]));
  // The code-size sweeps only (the VAE's in its sweep design; not the z=32 design trials, the
  // reference VAE or the seed replicates).
  const autoencoders = ["vanilla", "multilayer", "convolutional", "variational"]
    .flatMap((a) => codeSizeSweep(records, a)).filter((r) => r.results.mse !== undefined);
  const sizes = [...new Set(autoencoders.map((r) => r.settings.latentDim))].sort((a, b) => a - b);
  for (const size of sizes) {
    const here = autoencoders.filter((r) => r.settings.latentDim === size)
      .sort((a, b) => a.results.mse! - b.results.mse!);
    const base = pca.get(size)?.results.mse;
    const beat = base === undefined
      ? ""
      : `; PCA ${fixed(base, 4)}, beaten by ${
        here.filter((r) => r.results.mse! < base).map((r) => r.settings.architecture)
          .join(", ") || "none"
      }`;
    lines.push(
      `z=${size}: test MSE ${
        here.map((r) => `${r.settings.architecture} ${fixed(r.results.mse!, 4)}`).join(", ")
      }${beat}.`,
    );
  }
  const pixels = records.find((r) => r.settings.architecture === "pixels");
  const codes = records.filter((r) => r.settings.architecture !== "pixels")
    .sort((a, b) => b.results.knnAccuracy - a.results.knnAccuracy);
  if (codes.length > 0) {
    const best = codes[0];
    lines.push(
      `Best codes for 4-NN: ${best.label} ${pct(best.results.knnAccuracy)}` +
        (pixels
          ? ` against ${pct(pixels.results.knnAccuracy)} for the raw pixels with the same ` +
            `references` +
            (pixels.results.knnAllTraining !== undefined
              ? ` (${pct(pixels.results.knnAllTraining)} with all 60,000)`
              : "")
          : "") +
        ".",
    );
    const beating = pixels
      ? codes.filter((r) => r.results.knnAccuracy > pixels.results.knnAccuracy).map((r) => r.label)
      : [];
    if (pixels) {
      lines.push(
        `Codes beating the raw pixels: ${beating.length ? beating.join(", ") : "none"}.`,
      );
    }
  }
  const vaes = records.filter((r) => r.results.vae && r.settings.architecture === "variational");
  const betaTrial = vaes.find((r) => (r.settings.beta ?? 1) !== 1)?.settings;
  const betaSize = betaTrial?.latentDim;
  const betas = vaes.filter((r) =>
    r.settings.latentDim === betaSize && isPlainVaeTrial(r.settings, betaTrial?.design ?? "keras")
  )
    .sort((a, b) => (a.settings.beta ?? 1) - (b.settings.beta ?? 1));
  if (betas.length > 1) {
    lines.push(
      `β sweep (z=${betaSize}), rate / distortion in nats: ` +
        betas.map((r) =>
          `β=${r.settings.beta ?? 1} ${fixed(r.results.vae!.rate, 1)} / ${
            fixed(r.results.vae!.distortion, 1)
          }`
        ).join(", ") + ".",
    );
  }
  if (records.some((r) => r.settings.trainImages !== undefined)) {
    lines.push("(Quick mode: one epoch on a few thousand images; not results.)");
  }
  return lines.join("\n");
}

/** Where the study's time went: training and evaluation seconds per architecture. */
export function timeSummary(records: readonly TrialRecord[]): string {
  const groups = new Map<string, { train: number; evaluate: number; trials: number }>();
  let train = 0, evaluate = 0;
  for (const r of records) {
    const g = groups.get(r.settings.architecture) ?? { train: 0, evaluate: 0, trials: 0 };
    const t = (r.timing.secondsPerEpoch ?? 0) * (r.results.losses?.length ?? 0);
    g.train += t;
    g.evaluate += r.timing.evaluationSeconds;
    g.trials++;
    groups.set(r.settings.architecture, g);
    train += t;
    evaluate += r.timing.evaluationSeconds;
  }
  const lines = [...groups.entries()].sort((a, b) => b[1].train - a[1].train).map(([a, g]) =>
    `${a.padEnd(14)} ${String(g.trials).padStart(2)} trials: training ${
      formatDuration(g.train).padStart(7)
    }, evaluation ${formatDuration(g.evaluate).padStart(6)}`
  );
  lines.push(
    `total: training ${formatDuration(train)}, evaluation ${formatDuration(evaluate)} ` +
      `(sums of the trials' own times; notebook runs' training counted as recorded)`,
  );
  const parted = records.filter((r) => r.timing.evaluationParts !== undefined);
  if (parted.length > 0) {
    const names: [keyof EvaluationParts, string][] = [
      ["reconstruction", "reconstruction"],
      ["elbo", "−ELBO"],
      ["iwae", "IWAE"],
      ["knn", "k-NN"],
      ["latent", "latent usage"],
      ["generation", "samples"],
    ];
    const sums = names.map(([name, label]) => {
      const sum = parted.reduce((total, r) => total + (r.timing.evaluationParts![name] ?? 0), 0);
      return `${label} ${formatDuration(sum)}`;
    });
    lines.push(
      `evaluation by pass (the ${parted.length} trials that recorded it): ${sums.join(", ")}`,
    );
  }
  const timed = records.filter((r) => r.timing.secondsPerEpoch !== undefined);
  if (timed.length > 0) {
    const count = (flag: string) => timed.filter((r) => trialTimingFlag(r) === flag).length;
    lines.push(
      `seconds per epoch of the ${timed.length} trained trials: ${count("quiet")} timed on a ` +
        `quiet machine, ${count("busy")} on a busy one (other work above ${BUSY_OTHER_CORES} ` +
        `cores), ${count("unknown")} with no load recorded`,
    );
  }
  return lines.join("\n");
}

/** The checkpoint folder of a finished trial (its own, or the notebook run it was taken from). */
export function trialCheckpoint(directory: string, record: TrialRecord): string {
  return record.source === "study"
    ? path.join(directory, CHECKPOINTS_FOLDER, record.key)
    : path.resolve(record.source);
}

/**
 * The variational model at the deterministic models' code size (32), β = 1, as a study trial:
 * reused from the study's records when it has run, trained otherwise (the study then reuses it).
 */
export async function equalSizeVae(
  options: { quick?: boolean; backend?: string; log?: (line: string) => void } = {},
): Promise<{ record: TrialRecord; checkpoint: string; settings: StudySettings }> {
  const base = studySettings({ quick: options.quick ?? isQuickMode() });
  const settings: StudySettings = {
    ...base,
    architectures: ["variational"],
    codeSizes: [base.betaCodeSize],
    betas: [],
    pixelBaseline: false,
    designCodeSize: undefined,
    seeds: [],
    referenceVae: false,
  };
  const directory = studyDirectory(settings);
  const run = await runStudy({ settings, directory, backend: options.backend, log: options.log });
  const record = run.records[0];
  return { record, checkpoint: trialCheckpoint(directory, record), settings };
}
