/**
 * Notebook 05's seed step: the four autoencoders at code size 32 (the VAE in the design the
 * project recommends) trained with seeds 0, 1 and 2 as study trials (the design study reuses
 * them), their metrics as mean ± sd over the seeds, and which differences survive the seeds.
 *
 * @module
 */
import { formatNumber } from "../format/mod.ts";
import type { MeanSd } from "../metrics/mod.ts";
import { seedReplicates, seedSpread, type SeedSpreadRow, type TrialRecord } from "../study/mod.ts";
import type { HtmlDisplay } from "./display.ts";
import { htmlTable } from "./html_table.ts";
import { bulletList, markdown, type MarkdownDisplay } from "./prose.ts";

/** The replicates as the notebook shows them. */
export interface SeedReplicates {
  /** Every trial of the sub-study (seed 0 and the replicates). */
  records: TrialRecord[];
  /** One row per architecture. */
  rows: SeedSpreadRow[];
}

/** Runs (or reuses) the seed replicates and computes their spread. */
export async function addSeedReplicates(
  options: { backend?: string; quick?: boolean } = {},
): Promise<SeedReplicates> {
  const { records } = await seedReplicates(options);
  const rows = seedSpread(records);
  if (rows.length === 0) {
    throw new Error(
      "addSeedReplicates: no architecture has more than one seed; check the settings.",
    );
  }
  return { records, rows };
}

function plusMinus(value: MeanSd | undefined, decimals: number, scale = 1): string | undefined {
  if (!value) return undefined;
  return `${formatNumber(value.mean * scale, { decimals })} ± ${
    formatNumber(value.sd * scale, { decimals })
  }`;
}

/** The spread table: mean ± sd over the seeds of each architecture's test metrics. */
export function seedTable(replicates: SeedReplicates): HtmlDisplay {
  const seeds = replicates.rows[0].seeds;
  return htmlTable({
    caption: `Four autoencoders over ${seeds.length} seeds (mean ± sd)`,
    rowHeader: "model",
    columns: [
      { key: "mse", label: "test MSE" },
      { key: "ssim", label: "SSIM" },
      { key: "knn", label: "k-NN acc. (%)" },
      { key: "elbo", label: "−ELBO (nats)" },
      { key: "frechet", label: "Fréchet distance" },
    ],
    rows: replicates.rows.map((row) => ({
      name: row.architecture,
      values: {
        mse: plusMinus(row.mse, 4),
        ssim: plusMinus(row.ssim, 3),
        knn: plusMinus(row.knnAccuracy, 1, 100),
        elbo: plusMinus(row.negativeElbo, 1),
        frechet: plusMinus(row.frechet, 1),
      },
    })),
    maxColumns: 5,
    note: `Seeds ${seeds.join(", ")} (initialisation, shuffling and sampling; the same ` +
      `train/validation split); code size ${
        replicates.records[0].settings.latentDim
      }; sd: sample standard deviation over the seeds. Test set, ${
        formatNumber(replicates.records[0].results.testImages, { decimals: 0 })
      } images.`,
  });
}

/**
 * The ranking by mean test MSE, and for each neighbour in it whether every seed of the better
 * model beats every seed of the other (a difference the seeds do not explain) or their seeds
 * overlap (no difference claimed).
 */
export function seedReading(replicates: SeedReplicates): MarkdownDisplay {
  const ranked = replicates.rows.filter((r) => r.mse)
    .sort((a, b) => a.mse!.mean - b.mse!.mean);
  const bullets = ranked.slice(1).map((worse, i) => {
    const better = ranked[i];
    const apart = Math.max(...better.mseBySeed) < Math.min(...worse.mseBySeed);
    return `**${better.architecture} against ${worse.architecture}:** mean test MSE ${
      formatNumber(better.mse!.mean, { decimals: 4 })
    } against ${formatNumber(worse.mse!.mean, { decimals: 4 })}; ` + (apart
      ? `every seed of ${better.architecture} is below every seed of ${worse.architecture}: the ` +
        `seeds do not explain the difference.`
      : `their seeds overlap: no difference is claimed.`);
  });
  const widest = [...replicates.rows].filter((r) => r.mse)
    .sort((a, b) => b.mse!.sd / b.mse!.mean - a.mse!.sd / a.mse!.mean)[0];
  if (widest) {
    bullets.push(
      `The largest spread relative to its mean is ${widest.architecture}'s: sd ${
        formatNumber(widest.mse!.sd, { decimals: 4 })
      } on a mean of ${formatNumber(widest.mse!.mean, { decimals: 4 })}.`,
    );
  }
  return markdown(bulletList(bullets));
}
