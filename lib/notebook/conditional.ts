/**
 * Notebook 04's conditional VAE: a VAE that draws the character asked for. The class label
 * (one-hot) goes to the encoder beside the image and to the decoder beside the code; sampling a
 * code from the prior and decoding it under a label draws that class. The project's classifier
 * (the same instrument that measures every model's samples) says how often it is the class asked
 * for.
 *
 * ```ts
 * const cvae = await openConditional({ backend: backend.name });  // trains or loads runs/conditional/
 * conditionalGallery(cvae);      // ten prior samples of each class
 * conditionalTable(cvae);        // agreement per class with its 95% interval
 * ```
 *
 * @module
 */
import * as path from "node:path";
import { KMNIST_CLASSES, loadKmnist } from "../data/mod.ts";
import {
  experimentSettings,
  isQuickMode,
  loadExperimentData,
  RUNS_DIRECTORY,
} from "../experiments/mod.ts";
import { type ConditionalAccuracy, conditionalAccuracy, wilsonInterval } from "../metrics/mod.ts";
import type { ConditionalVae } from "../models/mod.ts";
import { type Figure, imageGrid, type ImageGridLayout } from "../plot/mod.ts";
import { projectClassifier } from "../study/mod.ts";
import { CONDITIONAL_TRAINING, type ConditionalRecord, ensureConditional } from "../train/mod.ts";
import { formatNumber } from "../format/mod.ts";
import type { HtmlDisplay } from "./display.ts";
import { htmlTable, intervalCell } from "./html_table.ts";
import { markdown, type MarkdownDisplay } from "./prose.ts";

/** The share of samples the project asks the classifier to label as the class asked for. */
export const CONDITIONAL_TARGET = 0.9;

/** Samples per class the agreement is measured on. */
export const CONDITIONAL_SAMPLES_PER_CLASS = 1000;

/** The conditional VAE as the notebook shows it. */
export interface ConditionalStep {
  /** The model. */
  model: ConditionalVae;
  /** Its record (settings, history). */
  record: ConditionalRecord;
  /** The classifier's verdict on its samples. */
  agreement: ConditionalAccuracy;
  /** The classifier's own test accuracy. */
  classifierAccuracy: number;
  /** Quick mode: not results. */
  quick: boolean;
}

/**
 * Loads the conditional VAE from runs/conditional/ (quick: runs/quick/conditional/, one epoch on
 * the quick images), training it first when the folder has none, and measures its samples with
 * the project's classifier (trained first when runs/classifier/ has none).
 */
export async function openConditional(
  options: { quick?: boolean; log?: (line: string) => void } = {},
): Promise<ConditionalStep> {
  const quick = options.quick ?? isQuickMode();
  const log = options.log ?? ((line: string) => console.log(line));
  const settings = experimentSettings("variational", { quick });
  const data = await loadExperimentData(settings);
  const directory = quick
    ? path.join(RUNS_DIRECTORY, "quick", "conditional")
    : path.join(RUNS_DIRECTORY, "conditional");
  const { model, record, trained } = await ensureConditional({
    directory,
    train: data.train,
    validation: data.validation,
    ...CONDITIONAL_TRAINING,
    ...(quick ? { epochs: 1 } : {}),
    seed: settings.seed,
    log,
  });
  if (!trained) log(`conditional VAE loaded from ${path.relative(Deno.cwd(), directory)}`);
  const kmnist = await loadKmnist();
  const { classifier, testAccuracy } = await projectClassifier({
    data: { train: data.train, test: data.test, allTraining: kmnist.train },
    reduced: quick,
    log,
  });
  try {
    const agreement = conditionalAccuracy(model, classifier, {
      perClass: quick ? 100 : CONDITIONAL_SAMPLES_PER_CLASS,
      seed: settings.seed,
    });
    return { model, record, agreement, classifierAccuracy: testAccuracy, quick };
  } finally {
    classifier.dispose();
  }
}

/** `perClass` prior samples of each class, one row per class (seeded). */
export function conditionalGallery(
  step: ConditionalStep,
  options: { perClass?: number; seed?: number } = {},
): Figure<ImageGridLayout> {
  const perClass = options.perClass ?? 10;
  const rows = KMNIST_CLASSES.map((c) => {
    const images = step.model.sample(new Int32Array(perClass).fill(c.index), options.seed ?? 7);
    const values = images.dataSync().slice();
    images.dispose();
    return { title: `${c.char} (${c.romaji})`, images: values };
  });
  return imageGrid({
    title:
      `Conditional VAE: prior samples drawn for each class (z = ${step.model.config.latentDim})`,
    rows,
    cellSize: 40,
    gap: 3,
  });
}

/** The classifier's agreement per class, with Wilson's 95% interval, and over all samples. */
export function conditionalTable(step: ConditionalStep): HtmlDisplay {
  const n = step.agreement.perClass;
  const cell = (share: number, count: number) =>
    intervalCell(share * 100, scaled(wilsonInterval(Math.round(share * count), count), 100));
  return htmlTable({
    caption: "Samples labelled as the class asked for",
    rowHeader: "class asked for",
    columns: [{ key: "agreement", label: "labelled as asked (%) [95%]", decimals: 1 }],
    rows: [
      ...KMNIST_CLASSES.map((c, i) => ({
        name: `${c.char} (${c.romaji})`,
        values: { agreement: cell(step.agreement.classAccuracy[i], n) },
      })),
      {
        name: "all classes",
        values: { agreement: cell(step.agreement.accuracy, n * KMNIST_CLASSES.length) },
      },
    ],
    note: `${formatNumber(n, { decimals: 0 })} prior samples per class; the classifier's own ` +
      `test accuracy is ${formatNumber(step.classifierAccuracy, { decimals: 2, percent: true })}.` +
      (step.quick ? " Quick mode: not results." : ""),
  });
}

function scaled(interval: { lower: number; upper: number }, by: number) {
  return { lower: interval.lower * by, upper: interval.upper * by };
}

/** The agreement against the project's target, the weakest class, and what it means. */
export function conditionalReading(step: ConditionalStep): MarkdownDisplay {
  const a = step.agreement;
  const total = a.perClass * KMNIST_CLASSES.length;
  const interval = wilsonInterval(Math.round(a.accuracy * total), total);
  const worst = a.classAccuracy.indexOf(a.worstClass);
  const pct = (v: number) => formatNumber(v, { decimals: 1, percent: true });
  const verdict = interval.lower >= CONDITIONAL_TARGET
    ? `above the target of ${pct(CONDITIONAL_TARGET)} with its whole interval`
    : interval.upper < CONDITIONAL_TARGET
    ? `below the target of ${pct(CONDITIONAL_TARGET)}`
    : `with an interval that straddles the target of ${pct(CONDITIONAL_TARGET)}`;
  const c = KMNIST_CLASSES[worst];
  return markdown(
    `The classifier labels ${pct(a.accuracy)} of the samples as the class asked for (95% ` +
      `interval ${pct(interval.lower)}–${pct(interval.upper)}), ${verdict}. The weakest class is ` +
      `${c.char} (${c.romaji}) at ${pct(a.worstClass)}; the classifier itself is right on ` +
      `${pct(step.classifierAccuracy)} of the real test images, so part of the gap is the ` +
      `instrument's.` + (step.quick ? " _Quick mode: not results._" : ""),
  );
}

/** Frees the model. */
export function closeConditional(step: ConditionalStep): void {
  step.model.dispose();
}
