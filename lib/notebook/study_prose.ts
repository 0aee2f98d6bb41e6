/**
 * The design study's reading, written from its trial records (notebooks 05 and 06): which
 * architecture reconstructs best at each code size and by how much against PCA, which codes keep
 * more class information than the raw pixels, where the VAE's posterior collapses, which VAE has
 * the best likelihood, and who is on the cost Pareto fronts. Every number and every comparison in
 * these sentences is computed here, so the text follows the records of the latest run.
 *
 * @module
 */
import { formatNumber } from "../format/mod.ts";
import type { ExperimentRecord } from "../experiments/mod.ts";
import type { TrialRecord } from "../study/mod.ts";
import {
  codeSizeSweep,
  costFront,
  isPlainVaeTrial,
  sweepDesign,
  timingNote,
} from "../study/mod.ts";
import { bulletList, markdown, type MarkdownDisplay } from "./prose.ts";

/** A VAE's KL term below this many nats per image: its posterior has collapsed (no code). */
export const COLLAPSED_RATE_NATS = 0.5;

const AUTOENCODERS = ["vanilla", "multilayer", "convolutional", "variational"] as const;

const mse4 = (v: number) => formatNumber(v, { decimals: 4 });
const nats = (v: number) => formatNumber(v, { decimals: 1 });
const pct1 = (v: number) => formatNumber(v, { decimals: 1, percent: true });
const sizes = (zs: readonly number[]) => zs.map((z) => `z=${z}`).join(", ");

/** The code-size sweep of one architecture (lib/study's {@link codeSizeSweep}). */
const sweep = codeSizeSweep;

function byLatent(records: readonly TrialRecord[]): Map<number, TrialRecord> {
  return new Map(records.map((r) => [r.settings.latentDim, r]));
}

/** "a", "a and b", "a, b and c". */
function listed(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

/**
 * Reconstruction: the lowest test MSE at each code size, the code sizes from which one
 * architecture leads at every larger size, and the largest size's errors against PCA's.
 */
export function reconstructionFinding(records: readonly TrialRecord[]): string | undefined {
  const pca = byLatent(sweep(records, "pca"));
  // The code-size sweeps only (the VAE's at its sweep design; not the z=32 design trials).
  const candidates = (["pca", ...AUTOENCODERS] as const).flatMap((a) => sweep(records, a))
    .filter((r) => r.results.mse !== undefined);
  const zs = [...new Set(candidates.map((r) => r.settings.latentDim))].sort((a, b) => a - b);
  if (zs.length === 0) return undefined;
  const best = zs.map((z) =>
    candidates.filter((r) => r.settings.latentDim === z)
      .sort((a, b) => a.results.mse! - b.results.mse!)[0]
  );
  const perSize = best.map((r) =>
    `z=${r.settings.latentDim} ${r.settings.architecture} ${mse4(r.results.mse!)}`
  ).join(", ");
  // The architecture that leads at the largest size, and from which size on it leads throughout.
  const leader = best.at(-1)!.settings.architecture;
  let from = zs.length - 1;
  while (from > 0 && best[from - 1].settings.architecture === leader) from--;
  const top = zs.at(-1)!;
  const base = pca.get(top)?.results.mse;
  let against = "";
  if (base !== undefined) {
    const others = AUTOENCODERS.filter((a) => a !== leader).flatMap((a) => {
      const r = byLatent(sweep(records, a)).get(top);
      return r?.results.mse !== undefined ? [r] : [];
    });
    const leaderMse = best.at(-1)!.results.mse!;
    const ratio = base / leaderMse;
    against = leader === "pca"
      ? ""
      : ` At z=${top} its MSE is ${formatNumber(ratio, { decimals: 2 })} times ${
        ratio >= 1 ? "lower than" : "that of"
      } PCA's (${mse4(leaderMse)} against ${mse4(base)})` + (others.length > 0
        ? `; ${
          listed(others.map((r) => {
            const change = r.results.mse! / base - 1;
            return `${r.settings.architecture} ${mse4(r.results.mse!)} (${
              formatNumber(change, { decimals: 0, sign: true, percent: true })
            } against PCA)`;
          }))
        }.`
        : ".");
  }
  const lead = from === zs.length - 1
    ? `**${leader} reconstructs best at the largest code size.**`
    : `**From z=${zs[from]} up, ${leader} has the lowest test MSE at every code size.**`;
  return `${lead}${against} Lowest test MSE per code size: ${perSize}.`;
}

/** One dense layer against PCA: the MSE ratio at each size and where it is below PCA's. */
export function vanillaAgainstPca(records: readonly TrialRecord[]): string | undefined {
  const pca = byLatent(sweep(records, "pca"));
  const pairs = sweep(records, "vanilla").flatMap((r) => {
    const base = pca.get(r.settings.latentDim)?.results.mse;
    return base !== undefined && r.results.mse !== undefined
      ? [{ z: r.settings.latentDim, ratio: r.results.mse / base }]
      : [];
  });
  if (pairs.length === 0) return undefined;
  const below = pairs.filter((p) => p.ratio < 1).map((p) => p.z);
  const worst = pairs.reduce((a, b) => Math.abs(b.ratio - 1) > Math.abs(a.ratio - 1) ? b : a);
  return `**One dense layer against PCA.** The vanilla model's test MSE relative to PCA's: ${
    pairs.map((p) => `z=${p.z} ${formatNumber(p.ratio, { decimals: 2 })}`).join(", ")
  } (furthest from PCA at z=${worst.z}); ${
    below.length > 0 ? `below PCA at ${sizes(below)}` : "never below PCA"
  }.`;
}

/** Class information at the smallest code size: the 4-NN accuracy of each architecture. */
export function smallCodeFinding(records: readonly TrialRecord[]): string | undefined {
  const trials = records.filter((r) =>
    (r.settings.beta ?? 1) === 1 && !["pixels"].includes(r.settings.architecture)
  );
  if (trials.length === 0) return undefined;
  const z = Math.min(...trials.map((r) => r.settings.latentDim));
  const here = trials.filter((r) => r.settings.latentDim === z)
    .sort((a, b) => b.results.knnAccuracy - a.results.knnAccuracy);
  if (here.length < 2) return undefined;
  return `**At z=${z}** the ${here[0].settings.architecture} codes keep the most class ` +
    `information: 4-NN ${
      listed(here.map((r) => `${r.settings.architecture} ${pct1(r.results.knnAccuracy)}`))
    }.`;
}

/** The codes whose 4-NN accuracy is above the raw pixels' with the same references. */
export function pixelsFinding(records: readonly TrialRecord[]): string | undefined {
  const pixels = records.find((r) => r.settings.architecture === "pixels");
  if (!pixels) return undefined;
  const base = pixels.results.knnAccuracy;
  const codes = records.filter((r) => r.settings.architecture !== "pixels")
    .sort((a, b) => b.results.knnAccuracy - a.results.knnAccuracy);
  const beating = codes.filter((r) => r.results.knnAccuracy > base);
  const all = pixels.results.knnAllTraining;
  return `**Codes that beat the pixels** (4-NN on the raw pixels with the same ${
    formatNumber(pixels.results.knnReferences, { decimals: 0 })
  } references: ${pct1(base)}${all !== undefined ? `; ${pct1(all)} with all 60,000` : ""}): ${
    beating.length > 0
      ? beating.map((r) => `${r.label} ${pct1(r.results.knnAccuracy)}`).join(", ")
      : "none"
  }.`;
}

/**
 * The VAE: its KL term (rate) at each code size with β = 1, where the posterior collapses (rate
 * below {@link COLLAPSED_RATE_NATS}), which β escape at the β sweep's size, and which VAE trial
 * has the lowest −ELBO and the lowest importance-weighted −log p(x).
 */
export function vaeFinding(records: readonly TrialRecord[]): string | undefined {
  const vaes = records.filter((r) => r.settings.architecture === "variational" && r.results.vae);
  if (vaes.length === 0) return undefined;
  const plain = sweep(vaes, "variational");
  const collapsed = plain.filter((r) => r.results.vae!.rate < COLLAPSED_RATE_NATS)
    .map((r) => r.settings.latentDim);
  const parts = [
    `**The VAE's code.** KL term (rate, nats per image) with β = 1: ${
      plain.map((r) => `z=${r.settings.latentDim} ${nats(r.results.vae!.rate)}`).join(", ")
    }; ` + (collapsed.length > 0
      ? `the posterior collapses (KL below ${
        formatNumber(COLLAPSED_RATE_NATS, { decimals: 1 })
      } nats: the same output for every input, 4-NN ${
        listed(
          plain.filter((r) => collapsed.includes(r.settings.latentDim))
            .map((r) =>
              pct1(r.results.knnAccuracy)
            ),
        )
      }) at ${sizes(collapsed)}.`
      : `no size collapses (every KL term is at least ${
        formatNumber(COLLAPSED_RATE_NATS, { decimals: 1 })
      } nats).`),
  ];
  const betaSize = vaes.find((r) => (r.settings.beta ?? 1) !== 1)?.settings.latentDim;
  if (betaSize !== undefined) {
    // The β sweep: the sweep design's plain trials at its size (not the design comparison's).
    const design = sweepDesign(vaes);
    const betas = vaes.filter((r) =>
      r.settings.latentDim === betaSize && isPlainVaeTrial(r.settings, design) &&
      !r.settings.reference && !r.settings.replicate
    )
      .sort((a, b) => (a.settings.beta ?? 1) - (b.settings.beta ?? 1));
    const alive = betas.filter((r) => r.results.vae!.rate >= COLLAPSED_RATE_NATS);
    parts.push(
      `At z=${betaSize}, ${
        alive.length > 0
          ? `β ${
            listed(alive.map((r) => `${r.settings.beta ?? 1} (${nats(r.results.vae!.rate)} nats)`))
          } ` +
            `keep${alive.length === 1 ? "s" : ""} a code`
          : "no β keeps a code"
      } of the β sweep (${betas.map((r) => r.settings.beta ?? 1).join(", ")}).`,
    );
  }
  const byElbo = [...vaes].sort((a, b) =>
    a.results.vae!.negativeElbo - b.results.vae!.negativeElbo
  );
  const withIwae = vaes.filter((r) => r.results.vae!.iwaeNll !== undefined)
    .sort((a, b) => a.results.vae!.iwaeNll! - b.results.vae!.iwaeNll!);
  parts.push(
    `Lowest −ELBO of the ${vaes.length} VAE trials: ${byElbo[0].label} ${
      nats(byElbo[0].results.vae!.negativeElbo)
    } nats` + (withIwae.length > 0
      ? `; lowest importance-weighted −log p(x): ${withIwae[0].label} ${
        nats(withIwae[0].results.vae!.iwaeNll!)
      } nats.`
      : "."),
  );
  return parts.join(" ");
}

/** The β = 1 VAEs' rate against code size, as the rate-distortion figure shows it. */
export function rateByCodeSize(records: readonly TrialRecord[]): string | undefined {
  const plain = sweep(records, "variational").filter((r) => r.results.vae);
  if (plain.length < 2) return undefined;
  const rates = plain.map((r) => r.results.vae!.rate);
  const largest = plain.at(-1)!;
  const highest = plain.reduce((a, b) => b.results.vae!.rate > a.results.vae!.rate ? b : a);
  const trend = rates.every((v, i) => i === 0 || v >= rates[i - 1])
    ? "more dimensions let this VAE spend more rate"
    : `more dimensions do not let this VAE spend more rate: its highest rate is at z=${highest.settings.latentDim}` +
      (highest === largest ? "" : `, not at the largest size z=${largest.settings.latentDim}`);
  return `With β = 1 (the dashed line), the rate is ${
    plain.map((r) => `${nats(r.results.vae!.rate)} nats at z=${r.settings.latentDim}`).join(", ")
  }: ${trend}.`;
}

/** The cost Pareto fronts, on parameters and on seconds per epoch. */
export function costFinding(records: readonly TrialRecord[]): string | undefined {
  const front = (cost: "parameters" | "secondsPerEpoch") =>
    costFront(records, cost).map((p) => p.name);
  const parameters = front("parameters");
  const seconds = front("secondsPerEpoch");
  if (parameters.length === 0) return undefined;
  const note = seconds.length > 0 ? timingNote(records) : undefined;
  return `**Cost.** The Pareto front on parameters: ${parameters.join(" → ")}` +
    (seconds.length > 0 ? `; per second of training: ${seconds.join(" → ")}.` : ".") +
    (note ? ` ${note}` : "");
}

/** Whether any record is from a quick (reduced) study. */
function quick(records: readonly TrialRecord[]): boolean {
  return records.some((r) => r.settings.trainImages !== undefined);
}

/**
 * The study's reading as markdown bullets, every number and comparison from the records.
 *
 * @throws Error for no records.
 */
export function studyReading(records: readonly TrialRecord[]): MarkdownDisplay {
  if (records.length === 0) throw new Error("studyReading: no trial records; run the study first.");
  const bullets = [
    reconstructionFinding(records),
    vanillaAgainstPca(records),
    smallCodeFinding(records),
    pixelsFinding(records),
    vaeFinding(records),
    costFinding(records),
  ].filter((b): b is string => b !== undefined);
  return markdown(
    bulletList(bullets),
    quick(records)
      ? "_Quick mode: a reduced grid, one epoch on a few thousand images; not results._"
      : "",
  );
}

/** The rate-distortion figure's sentence as markdown (see {@link rateByCodeSize}). */
export function rateDistortionReading(records: readonly TrialRecord[]): MarkdownDisplay {
  return markdown(
    rateByCodeSize(records) ?? "Fewer than two VAE code sizes in these records: no trend to read.",
  );
}

/** What notebook 05 knows of the two VAEs: the 2-D experiment's and the equal-size trial's. */
export interface EqualSizeVaeInput {
  /** The variational experiment's record (notebook 04, the 2-D code). */
  small: ExperimentRecord;
  /** The study's variational trial at the deterministic models' code size (β = 1). */
  equal: TrialRecord;
}

/**
 * Notebook 05's reading of the VAE at equal code size, from the two records: its KL term (and
 * whether the posterior collapsed), its test MSE, −ELBO and 4-NN accuracy against the 2-D VAE's,
 * with chance for ten classes.
 */
export function equalSizeVaeReading(input: EqualSizeVaeInput): MarkdownDisplay {
  const { small, equal } = input;
  const z = equal.settings.latentDim;
  const zSmall = small.evaluation.latentDim;
  const vae = equal.results.vae;
  const smallVae = small.evaluation.vae;
  if (!vae || !smallVae || equal.results.mse === undefined) {
    throw new Error(
      "equalSizeVaeReading: pass the variational experiment's record and a finished variational " +
        "study trial (with its ELBO terms and test MSE).",
    );
  }
  const collapsed = vae.rate < COLLAPSED_RATE_NATS;
  const smallKnn = small.evaluation.knn?.accuracy;
  const sentences = [
    `At z=${z} the VAE's KL term on the test images is ${
      formatNumber(vae.rate, { decimals: 2 })
    } nats per image against ${formatNumber(smallVae.kl, { decimals: 2 })} at z=${zSmall}` +
    (collapsed
      ? `: its posterior has collapsed (below ${
        formatNumber(COLLAPSED_RATE_NATS, { decimals: 1 })
      } nats), so the code tells the decoder almost nothing about the image.`
      : `: it keeps a code.`),
    `Test MSE ${mse4(equal.results.mse)} against ${mse4(small.evaluation.mse)}, −ELBO ${
      nats(vae.negativeElbo)
    } nats against ${nats(smallVae.negativeElbo)}, 4-NN ${pct1(equal.results.knnAccuracy)}` +
    (smallKnn !== undefined ? ` against ${pct1(smallKnn)}` : "") +
    ` (chance: ${pct1(1 / 10)}).`,
  ];
  if (collapsed && vae.negativeElbo >= smallVae.negativeElbo) {
    sentences.push(
      `More dimensions did not buy this design a better model: the ${z}-number row shows the ` +
        "collapse, not the cost of the prior. Notebook 6 traces it over every code size and β.",
    );
  }
  return markdown(sentences.join(" "));
}
