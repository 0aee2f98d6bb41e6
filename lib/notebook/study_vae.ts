/**
 * Notebook 06's generative part, from the trial records (measurement version 2,
 * lib/study/measures.ts): every VAE with its code use, likelihood and samples (designs × options ×
 * code size), every model's samples as the project's classifier sees them, and the reading of both
 * (why the keras-io design collapses, whether the recommended design meets the project's targets,
 * which differences the intervals resolve). Every number in the prose is computed here.
 *
 * @module
 */
import * as path from "node:path";
import { formatNumber } from "../format/mod.ts";
import { CLASSIFIER_RECORD, type ClassifierRecord } from "../train/mod.ts";
import {
  CLASSIFIER_DIRECTORY,
  codeSizeSweep,
  priorSamples,
  studyDirectory,
  type StudySettings,
  trialCheckpoint,
  type TrialRecord,
} from "../study/mod.ts";
import { loadModel } from "../train/mod.ts";
import { type Figure, imageGrid, type ImageGridLayout } from "../plot/mod.ts";
import { type IntervalBounds, meanSd } from "../metrics/mod.ts";
import { htmlTable, type HtmlTableColumn, intervalCell } from "./html_table.ts";
import type { HtmlDisplay } from "./display.ts";
import { bulletList, markdown, type MarkdownDisplay } from "./prose.ts";

/** The KL a VAE the project recommends must carry from z = 4 up (nats per image). */
export const TARGET_KL_NATS = 10;

/** The active units it must have: min(z, this) from z = 4 up. */
export const TARGET_ACTIVE_UNITS = 8;

const DESIGN_NAMES: Record<string, string> = {
  keras: "keras-io (16-unit layer)",
  conv: "convolutional, no bottleneck",
  "conv-dense": "convolutional, 256-unit ELU layer",
  mlp: "MLP 784-400-z",
};

const nats = (v: number) => formatNumber(v, { decimals: 1 });
const fd = (v: number) => formatNumber(v, { decimals: 1 });

/** A VAE trial's training option: "plain", "warm-up N", "free bits λ", or "β = b". */
export function vaeOption(record: TrialRecord): string {
  const s = record.settings;
  if (s.reference) return "reference (60,000 images)";
  if (s.warmupEpochs) return `warm-up ${s.warmupEpochs}`;
  if (s.freeBits) return `free bits ${s.freeBits}`;
  if ((s.beta ?? 1) !== 1) return `β = ${s.beta}`;
  return "plain";
}

/** The design's name in tables ("convolutional, no bottleneck", ...). */
export function designName(record: TrialRecord): string {
  const design = record.settings.design ?? "keras";
  return DESIGN_NAMES[design] ?? design;
}

/** The VAE trials: the sweep design by code size, then the others by design and option. */
export function vaeRecords(records: readonly TrialRecord[]): TrialRecord[] {
  const vaes = records.filter((r) =>
    r.settings.architecture === "variational" && r.results.vae && !r.settings.replicate
  );
  const sweep = codeSizeSweep(vaes, "variational");
  const rest = vaes.filter((r) => !sweep.includes(r)).sort((a, b) =>
    a.settings.latentDim - b.settings.latentDim ||
    designName(a).localeCompare(designName(b)) || vaeOption(a).localeCompare(vaeOption(b))
  );
  return [...sweep, ...rest];
}

const VAE_COLUMNS: readonly HtmlTableColumn[] = [
  { key: "rate", label: "KL (nats)", decimals: 1 },
  { key: "activeUnits", label: "active units", decimals: 0 },
  { key: "negativeElbo", label: "−ELBO (nats) [95%]", decimals: 1, better: "lower" },
  { key: "sameElbo", label: "−ELBO, IWAE images [95%]", decimals: 1, better: "lower" },
  { key: "iwaeNll", label: "IWAE −log p(x) [95%]", decimals: 1, better: "lower" },
  { key: "frechet", label: "Fréchet distance [95%]", decimals: 1, better: "lower" },
];

/** A mean with its normal 95% interval from a standard error (bare without one). */
function standardErrorCell(mean: number | undefined, standardError: number | undefined) {
  if (mean === undefined || standardError === undefined) return mean;
  return intervalCell(mean, {
    lower: mean - 1.96 * standardError,
    upper: mean + 1.96 * standardError,
  });
}

/**
 * Every VAE of the study, one row: design, option and code size with its KL term, active units,
 * −ELBO with its bootstrap interval, the −ELBO and the importance-weighted bound on the same
 * first test images (with normal intervals from their standard errors), and its prior samples'
 * Fréchet distance.
 */
export function vaeTable(study: { records: readonly TrialRecord[] }): HtmlDisplay {
  const vaes = vaeRecords(study.records);
  if (vaes.length === 0) throw new Error("vaeTable: no finished VAE trials; run the study first.");
  const iwae = vaes.find((r) => r.settings.iwaeSamples)?.settings;
  return htmlTable({
    caption: "Every VAE: designs × training options × code size",
    rowHeader: "design, option, code size",
    columns: VAE_COLUMNS,
    rows: vaes.map((r) => ({
      name: `${designName(r)}, ${vaeOption(r)}, z=${r.settings.latentDim}`,
      values: {
        rate: r.results.vae!.rate,
        activeUnits: r.results.latent?.activeUnits,
        negativeElbo: intervalCell(r.results.vae!.negativeElbo, r.results.intervals?.negativeElbo),
        sameElbo: standardErrorCell(
          r.results.vae!.iwaeNegativeElbo,
          r.results.vae!.iwaeNegativeElboStandardError,
        ),
        iwaeNll: standardErrorCell(r.results.vae!.iwaeNll, r.results.vae!.iwaeNllStandardError),
        frechet: intervalCell(
          r.results.generation?.frechet,
          r.results.generation?.frechetInterval,
        ),
      },
    })),
    // Two tables of three columns: the row names are long, and six columns overflow an A4 page.
    maxColumns: 3,
    note:
      `Test set, ${
        formatNumber(vaes[0].results.testImages, { decimals: 0 })
      } images; nats per image. Active units: Cov_x(E_q[z_i]) > 0.01 (Burda et al. 2016). −ELBO with ` +
      `the 95% percentile-bootstrap interval over the test images.` +
      (iwae
        ? ` IWAE: ${iwae.iwaeSamples} importance samples on the first ${
          formatNumber(iwae.iwaeImages ?? 0, { decimals: 0 })
        } test images, with the −ELBO of the same images and draws beside it (mean ± 1.96 standard ` +
          `errors over those images; compare the two there, not with the −ELBO of all the images).`
        : "") +
      ` Fréchet distance between the classifier features of prior samples and of the test ` +
      `images, with its bootstrap interval (classes covered: the samples table).`,
  });
}

const SAMPLE_COLUMNS: readonly HtmlTableColumn[] = [
  { key: "frechet", label: "Fréchet distance [95%]", decimals: 1, better: "lower" },
  { key: "covered", label: "classes covered", decimals: 0, better: "higher" },
  { key: "entropy", label: "class entropy / ln 10", decimals: 3, better: "higher" },
  { key: "confidence", label: "mean confidence", decimals: 3, better: "higher" },
];

/** The classifier's record in its folder, or undefined when there is none. */
export async function readClassifierRecord(
  directory: string,
): Promise<ClassifierRecord | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path.join(directory, CLASSIFIER_RECORD)));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * Every model's samples as the classifier sees them, best Fréchet distance first: VAEs sampled
 * from their prior, the deterministic autoencoders and PCA from a 10-component Gaussian mixture
 * fitted to their training codes (ex-post density estimation).
 */
export async function samplesTable(
  study: { records: readonly TrialRecord[]; settings: { quick: boolean; trainImages?: number } },
): Promise<HtmlDisplay> {
  const measured = study.records.filter((r) => r.results.generation && !r.settings.replicate)
    .sort((a, b) => a.results.generation!.frechet - b.results.generation!.frechet);
  if (measured.length === 0) {
    throw new Error("samplesTable: no trial has sample measures; run the study first.");
  }
  const g0 = measured[0].results.generation!;
  const reduced = study.settings.quick || study.settings.trainImages !== undefined;
  const classifier = reduced ? undefined : await readClassifierRecord(CLASSIFIER_DIRECTORY);
  return htmlTable({
    caption: "Samples as the classifier sees them",
    rowHeader: "model (samples from)",
    columns: SAMPLE_COLUMNS,
    rows: measured.map((r) => {
      const g = r.results.generation!;
      const from = g.source === "prior" ? "prior" : "ex-post GMM";
      return {
        name: `${r.label} (${from})`,
        values: {
          frechet: intervalCell(g.frechet, g.frechetInterval),
          covered: g.classesCovered,
          entropy: g.normalisedEntropy,
          confidence: g.meanConfidence,
        },
      };
    }),
    maxColumns: 4,
    note: `${formatNumber(g0.samples, { decimals: 0 })} samples per model. Fréchet distance ` +
      `between the classifier's penultimate features (128 ReLU units) of the samples and of the ` +
      `test images; the training images reach ${
        fdInterval({ frechet: g0.floor, frechetInterval: g0.floorInterval })
      }, the floor.` +
      (g0.frechetInterval
        ? ` Intervals: estimate ± 1.96 bootstrap standard errors (${g0.frechetInterval.resamples} ` +
          `resamples of the samples and of the test images); resampling itself raises a ` +
          `distance by about ${fd(meanBias(measured))}, so the intervals are centred on the ` +
          `estimates, not on the resampled distances.`
        : "") +
      ` A class is covered when at least 1% of the samples are labelled with it.` +
      (classifier
        ? ` The classifier: ${
          formatNumber(classifier.testAccuracy, { decimals: 2, percent: true })
        } test accuracy (${classifier.training.epochs} epochs on ${
          formatNumber(classifier.trainImages, { decimals: 0 })
        } images).`
        : reduced
        ? " A reduced study: the classifier is trained for one epoch on its few images."
        : ""),
  });
}

/** Whether a VAE meets the project's no-collapse target at its code size. */
export function meetsCodeTarget(record: TrialRecord): boolean {
  const z = record.settings.latentDim;
  if (z < 4) return true;
  const units = record.results.latent?.activeUnits;
  return record.results.vae!.rate >= TARGET_KL_NATS && units !== undefined &&
    units >= Math.min(z, TARGET_ACTIVE_UNITS);
}

/**
 * What the keras-io trials' 16-unit layer shows: how many of its units no test image activates,
 * and what that means for the code ("" without the measure).
 */
function deadUnitsSentence(keras: readonly TrialRecord[]): string {
  const measured = keras.filter((r) => r.results.latent?.deadBottleneckUnits);
  if (measured.length === 0) return "";
  const counts = measured.map((r) => r.results.latent!.deadBottleneckUnits!);
  const allDead = counts.every((c) => c.dead === c.units);
  return `Its mean and log-variance heads read one ReLU layer of ${counts[0].units} units, and ` +
    `no test image activates ${
      listed(measured.map((r, i) => `${counts[i].dead} of them (${vaeOption(r)})`))
    }: ${
      allDead
        ? "with every unit dead the heads see a constant, the code carries nothing, and the KL " +
          "term pulls every posterior onto the prior."
        : "the live units bound the code's rank, and the dead ones pass no signal and get no " +
          "gradient back."
    }`;
}

/** "a", "a and b", "a, b and c". */
function listed(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

function intervalsApart(a?: IntervalBounds, b?: IntervalBounds): boolean {
  return a !== undefined && b !== undefined && (a.upper < b.lower || b.upper < a.lower);
}

/** The mean bootstrap bias of the sampled trials' Fréchet distances. */
function meanBias(records: readonly TrialRecord[]): number {
  const biases = records.flatMap((r) => {
    const bias = r.results.generation?.frechetInterval?.bias;
    return bias === undefined ? [] : [bias];
  });
  return biases.length ? meanSd(biases).mean : 0;
}

/** A Fréchet distance with its 95% interval when the record has one: "260.1 [255.3, 264.9]". */
function fdInterval(g: { frechet: number; frechetInterval?: IntervalBounds }): string {
  const i = g.frechetInterval;
  return i ? `${fd(g.frechet)} [${fd(i.lower)}, ${fd(i.upper)}]` : fd(g.frechet);
}

/** Whether the Fréchet intervals of two sampled trials (lower first) separate, in a sentence. */
function orderSentence(first: TrialRecord, second: TrialRecord, what: string): string {
  const a = first.results.generation!, b = second.results.generation!;
  if (!a.frechetInterval || !b.frechetInterval) return "";
  return `The ${what}, ${second.label}, is at ${fdInterval(b)}: ` +
    (intervalsApart(a.frechetInterval, b.frechetInterval)
      ? "the 95% intervals separate."
      : "the 95% intervals overlap, so this run does not order the two.");
}

/**
 * The VAE part's reading as markdown bullets: the collapse and its cause (the keras-io design's
 * active units against the others' at z = 32), the recommended design's code use and −ELBO along
 * the code sizes against the targets, the best design and option at z = 32 and whether its
 * interval separates it from the next, and the best samples.
 */
export function vaeReading(records: readonly TrialRecord[]): MarkdownDisplay {
  const vaes = vaeRecords(records);
  if (vaes.length === 0) {
    throw new Error("vaeReading: no finished VAE trials; run the study first.");
  }
  const bullets: string[] = [];
  const units = (r: TrialRecord) =>
    r.results.latent ? `${r.results.latent.activeUnits} of ${r.results.latent.dims}` : "unknown";
  const sweep = codeSizeSweep(vaes, "variational");
  if (sweep.length > 0) {
    const failing = sweep.filter((r) => !meetsCodeTarget(r));
    const design = designName(sweep[0]);
    bullets.push(
      `**The sweep's design (${design}) along the code sizes.** KL and active units: ${
        sweep.map((r) => `z=${r.settings.latentDim} ${nats(r.results.vae!.rate)} nats, ${units(r)}`)
          .join("; ")
      }. ` + (failing.length === 0
        ? `From z=4 up every size carries at least ${TARGET_KL_NATS} nats and min(z, ` +
          `${TARGET_ACTIVE_UNITS}) active units: no collapse.`
        : `Below the target (${TARGET_KL_NATS} nats and min(z, ${TARGET_ACTIVE_UNITS}) active ` +
          `units from z=4 up): ${
            listed(failing.map((r) => `z=${r.settings.latentDim}`))
          }.`),
    );
    const elbo = sweep.map((r) => r.results.vae!.negativeElbo);
    const upTo16 = sweep.filter((r) => r.settings.latentDim <= 16);
    const falls = upTo16.length > 1 &&
      upTo16.every((r, i) =>
        i === 0 || r.results.vae!.negativeElbo < upTo16[i - 1].results.vae!.negativeElbo
      );
    bullets.push(
      `**Likelihood along the code sizes.** −ELBO ${
        sweep.map((r, i) => `z=${r.settings.latentDim} ${nats(elbo[i])}`).join(", ")
      } nats: ${
        falls
          ? "it falls at every step from z=2 to z=16"
          : "it does not fall at every step from z=2 to z=16"
      }.`,
    );
  }
  const at32 = vaes.filter((r) => r.settings.latentDim === 32 && (r.settings.beta ?? 1) === 1);
  const keras = at32.filter((r) => (r.settings.design ?? "keras") === "keras");
  const others = at32.filter((r) => (r.settings.design ?? "keras") !== "keras");
  if (keras.length > 0 && others.length > 0) {
    bullets.push(
      `**Why the keras-io design collapses.** At z=32 its ${keras.length} trials keep ${
        listed(keras.map((r) =>
          `${units(r)} active units (${vaeOption(r)}, KL ${nats(r.results.vae!.rate)} nats)`
        ))
      }; the designs without the 16-unit layer keep ${
        listed(others.map((r) => `${units(r)} (${designName(r)}, ${vaeOption(r)})`))
      }. ` + deadUnitsSentence(keras),
    );
  }
  if (at32.length > 1) {
    const ranked = [...at32].sort((a, b) =>
      a.results.vae!.negativeElbo - b.results.vae!.negativeElbo
    );
    const [best, next] = ranked;
    const apart = intervalsApart(
      best.results.intervals?.negativeElbo,
      next.results.intervals?.negativeElbo,
    );
    bullets.push(
      `**Best likelihood at z=32:** ${designName(best)}, ${vaeOption(best)}: −ELBO ${
        nats(best.results.vae!.negativeElbo)
      } nats, against ${nats(next.results.vae!.negativeElbo)} for ${designName(next)}, ${
        vaeOption(next)
      }; ` + (apart
        ? "their 95% intervals do not overlap: a resolved difference."
        : "their 95% intervals overlap: this run does not separate them."),
    );
  }
  const reference = vaes.find((r) => r.settings.reference);
  const best32 =
    [...at32].sort((a, b) => a.results.vae!.negativeElbo - b.results.vae!.negativeElbo)[0];
  if (reference && best32) {
    const gain = reference.results.vae!.negativeElbo - best32.results.vae!.negativeElbo;
    const apart = intervalsApart(
      best32.results.intervals?.negativeElbo,
      reference.results.intervals?.negativeElbo,
    );
    bullets.push(
      `**Against the reference MLP VAE** (z=${reference.settings.latentDim}, trained the ` +
        `reference way): −ELBO ${nats(reference.results.vae!.negativeElbo)} nats; the best ` +
        `z=32 VAE (${designName(best32)}, ${vaeOption(best32)}) is ${nats(Math.abs(gain))} nats ${
          gain >= 0 ? "lower" : "higher"
        }` +
        (apart ? ", and their 95% intervals do not overlap." : ", within overlapping intervals."),
    );
  }
  const sampled = records.filter((r) => r.results.generation && !r.settings.replicate)
    .sort((a, b) => a.results.generation!.frechet - b.results.generation!.frechet);
  if (sampled.length > 0) {
    const best = sampled[0], g = best.results.generation!;
    const [bestVae, nextVae] = sampled.filter((r) => r.settings.architecture === "variational");
    const second = sampled[1];
    bullets.push(
      `**Samples.** The lowest Fréchet distance is ${best.label}'s (${
        g.source === "prior" ? "prior samples" : "ex-post mixture samples"
      }): ${fdInterval(g)}, against the training images' floor of ${
        fdInterval({ frechet: g.floor, frechetInterval: g.floorInterval })
      }; its samples cover ${g.classesCovered} of 10 classes.` +
        (second ? ` ${orderSentence(best, second, "next model")}` : "") +
        (bestVae && bestVae !== best
          ? ` The best VAE: ${bestVae.label}, ${fdInterval(bestVae.results.generation!)}.` +
            (nextVae ? ` ${orderSentence(bestVae, nextVae, "next VAE")}` : "")
          : ""),
    );
  }
  return markdown(bulletList(bullets));
}

/**
 * Prior samples of the study's VAEs side by side: the sweep design at every code size, then the
 * other designs and options at z = 32 and the reference VAE; one row per trial, the same seeded
 * draws for every row of the same code size. Each model is loaded from its trial's checkpoint.
 */
export async function studyPriorSamples(
  study: { records: readonly TrialRecord[]; settings: StudySettings },
  options: { count?: number; seed?: number } = {},
): Promise<Figure<ImageGridLayout>> {
  const count = options.count ?? 10;
  const vaes = vaeRecords(study.records).filter((r) => (r.settings.beta ?? 1) === 1);
  if (vaes.length === 0) {
    throw new Error("studyPriorSamples: no finished VAE trials; run the study first.");
  }
  const directory = studyDirectory(study.settings);
  const rows = [];
  for (const record of vaes) {
    const model = await loadModel(trialCheckpoint(directory, record));
    try {
      const images = priorSamples(model, count, options.seed ?? 11);
      const values = images.dataSync().slice();
      images.dispose();
      rows.push({ title: rowName(record), images: values });
    } finally {
      model.dispose();
    }
  }
  return imageGrid({ title: "Prior samples of the study's VAEs", rows, cellSize: 36, gap: 3 });
}

function rowName(record: TrialRecord): string {
  const design = record.settings.design ?? "keras";
  const option = vaeOption(record);
  return `${design}${
    record.settings.reference ? " reference" : ""
  } z=${record.settings.latentDim}` +
    (option === "plain" || record.settings.reference ? "" : `, ${option}`);
}
