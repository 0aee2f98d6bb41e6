/**
 * The steps of notebook 06 (the design study), each one short call: plan the grid, run it (reusing
 * finished trials), and show its table, figures, Pareto fronts, reconstructions, time and
 * findings. The numbers come from lib/study's analysis (`studyRows`, `mseLines`, `costPanels`,
 * ...); these steps hand them to lib/plot.
 *
 * ```ts
 * const backend = await initBackend();
 * const plan = openStudy({ backend });
 * const study = await runDesignStudy(plan);
 * studyMseFigure(study);
 * ```
 *
 * @module
 */
import { isQuickMode } from "../experiments/mod.ts";
import {
  architectureName,
  costFront,
  costPanels,
  isReplicate,
  knnLines,
  mseLines,
  rateDistortionLines,
  reconstructionRows,
  runStudy,
  sampleOriginals,
  STUDY_COLUMNS,
  studyFindings,
  studyGrid,
  studyOrder,
  studyRows,
  type StudySettings,
  studySettings,
  timeSummary,
  timingNote,
  type TrialRecord,
  type TrialSettings,
  trialTimingFlag,
} from "../study/mod.ts";
import {
  codeSizeFigure,
  costFigure,
  type Figure,
  type ImageGridLayout,
  type LearningCurvesLayout,
  rateDistortionFigure,
  reconstructionsByCodeSize,
} from "../plot/mod.ts";
import { formatNumber } from "../format/mod.ts";
import { BUSY_OTHER_CORES } from "../io/mod.ts";
import type { HtmlDisplay } from "./display.ts";
import { type CellValue, htmlTable, intervalCell } from "./html_table.ts";

/** The study a notebook is about to run: its settings, grid and backend. */
export interface StudyPlan {
  /** The settings (the quick grid with `KMNIST_QUICK=1`). */
  settings: StudySettings;
  /** Its trials. */
  grid: TrialSettings[];
  /** The backend's name, as `initBackend` reported it. */
  backend: string;
}

/** A finished study as the notebook shows it. */
export interface DesignStudy {
  /** Its settings. */
  settings: StudySettings;
  /** One record per trial, in grid order, seed replicates left out. */
  records: TrialRecord[];
  /** The seed replicates (notebook 05 reads their spread; absent: none run). */
  replicates?: TrialRecord[];
}

/**
 * The study's settings and grid (quick with `KMNIST_QUICK=1`); prints the trial count, the
 * backend and whether this is quick mode.
 */
export function openStudy(
  options: { backend: { name: string; blas?: boolean }; quick?: boolean; print?: boolean },
): StudyPlan {
  const settings = studySettings({ quick: options.quick ?? isQuickMode() });
  const grid = studyGrid(settings);
  if (options.print ?? true) {
    console.log(
      `${grid.length} trials; backend ${options.backend.name}${
        options.backend.blas ? " (OpenBLAS)" : ""
      }${settings.quick ? "  [QUICK MODE: KMNIST_QUICK=1, not results]" : ""}`,
    );
  }
  return { settings, grid, backend: options.backend.name };
}

/** Runs the study's grid: finished trials are reused, the rest trained (one line per trial). */
export async function runDesignStudy(plan: StudyPlan): Promise<DesignStudy> {
  const run = await runStudy({ settings: plan.settings, backend: plan.backend });
  return {
    settings: plan.settings,
    records: run.records.filter((r) => !isReplicate(r)),
    replicates: run.records.filter(isReplicate),
  };
}

/**
 * The study's table: every trial, one row, every measure, as HTML split into two tables that
 * repeat the trial names (the 35 rows and 11 measures print at the page's type size).
 */
export function studyTable(study: DesignStudy): HtmlDisplay {
  if (study.records.length === 0) {
    throw new Error("studyTable: no finished trials; run the study first.");
  }
  const test = formatNumber(study.records[0].results.testImages, { decimals: 0 });
  return htmlTable({
    caption: "The design study: every trial",
    rowHeader: "trial",
    columns: STUDY_COLUMNS,
    rows: studyTableRows(study.records),
    maxColumns: 7,
    note: `Test set, ${test} images; k-NN: 4 neighbours, distance-weighted votes, training ` +
      `codes as references; VAE terms in nats per image (rate: KL, distortion: −E log p(x|z)); ` +
      `[low, high]: 95% interval (bootstrap over the test images; Wilson for k-NN); ` +
      `best of each column in bold.${timingMarksNote(study.records)}` +
      `${study.settings.quick ? " Quick mode: not results." : ""}`,
  });
}

/** Marks of seconds per epoch in the study table: timed on a busy machine, or load unknown. */
const TIMING_MARKS = { busy: "*", unknown: "†" } as const;

/**
 * The study table's rows: {@link studyRows}, with each seconds per epoch not timed on a quiet
 * machine written with its mark (text, so it is never the column's bold best).
 */
export function studyTableRows(
  records: readonly TrialRecord[],
): { name: string; values: Record<string, CellValue> }[] {
  const ordered = studyOrder(records);
  const decimals = STUDY_COLUMNS.find((c) => c.key === "secondsPerEpoch")?.decimals ?? 1;
  return studyRows(ordered).map((row, i) => {
    const values: Record<string, CellValue> = { ...row.values, ...intervalCells(ordered[i]) };
    const seconds = row.values.secondsPerEpoch;
    const flag = trialTimingFlag(ordered[i]);
    if (seconds !== undefined && flag !== "quiet") {
      values.secondsPerEpoch = `${formatNumber(seconds, { decimals })}${TIMING_MARKS[flag]}`;
    }
    return { ...row, values };
  });
}

/**
 * A trial's measured values with their 95% intervals (MSE, SSIM, k-NN in percent, −ELBO), for
 * records of measurement version 2; nothing for older records.
 */
function intervalCells(record: TrialRecord): Record<string, CellValue> {
  const r = record.results, intervals = r.intervals;
  if (!intervals) return {};
  const cells: Record<string, CellValue> = {
    mse: intervalCell(r.mse, intervals.mse),
    ssim: intervalCell(r.ssim, intervals.ssim),
    knnAccuracy: intervalCell(r.knnAccuracy, intervals.knnAccuracy, 100),
    negativeElbo: intervalCell(r.vae?.negativeElbo, intervals.negativeElbo),
  };
  return Object.fromEntries(Object.entries(cells).filter(([, v]) => v !== undefined));
}

/** The table note's sentence on marked seconds per epoch ("" when none is marked). */
function timingMarksNote(records: readonly TrialRecord[]): string {
  const flags = records.filter((r) => r.timing.secondsPerEpoch !== undefined).map(trialTimingFlag);
  const marks = [
    ...(flags.includes("busy")
      ? [
        `${TIMING_MARKS.busy} timed while other work kept more than ${BUSY_OTHER_CORES} cores busy`,
      ]
      : []),
    ...(flags.includes("unknown")
      ? [`${TIMING_MARKS.unknown} no machine load recorded (an older record)`]
      : []),
  ];
  return marks.length > 0 ? ` Seconds per epoch: ${marks.join("; ")}.` : "";
}

/** Test MSE against code size, one line per architecture and PCA (log y). */
export function studyMseFigure(study: DesignStudy): Figure<LearningCurvesLayout> {
  return codeSizeFigure({
    title: "Rate-distortion: test MSE against code size",
    lines: mseLines(study.records),
    yLabel: "test MSE per pixel (log)",
    logY: true,
  });
}

/** k-NN accuracy of the codes against code size, with the raw pixels as a flat line. */
export function studyKnnFigure(study: DesignStudy): Figure<LearningCurvesLayout> {
  const { lines, pixels } = knnLines(study.records);
  return codeSizeFigure({
    title: "4-NN accuracy of the codes (distance-weighted votes)",
    lines,
    yLabel: "test accuracy, %",
    ...(pixels !== undefined ? { baseline: { name: "raw pixels", value: pixels } } : {}),
  });
}

/** The β-VAE's rate against distortion, with the code-size sweep's VAEs. */
export function studyRateDistortion(study: DesignStudy): Figure<LearningCurvesLayout> {
  return rateDistortionFigure(rateDistortionLines(study.records));
}

/**
 * Test MSE against parameters and against seconds per epoch, each with its Pareto front; seconds
 * timed on a busy machine or with no load recorded are hollow, and the seconds front uses the
 * quiet ones ({@link paretoFronts} prints the note).
 */
export function studyCostFigure(study: DesignStudy): Figure<LearningCurvesLayout> {
  // Seconds not timed on a quiet machine (busy, or no load recorded) are drawn hollow.
  return costFigure(
    costPanels(study.records).map((panel) => ({
      ...panel,
      lines: panel.lines.map((line) => ({
        name: line.name,
        points: line.points.map((p) => ({
          cost: p.cost,
          mse: p.mse,
          hollow: p.timing !== undefined && p.timing !== "quiet",
        })),
      })),
    })),
  );
}

/** The Pareto fronts' trials, cheapest first, one line per cost. */
export function paretoFronts(study: DesignStudy): string {
  const note = timingNote(study.records);
  return [
    ...(["parameters", "secondsPerEpoch"] as const).map((cost) =>
      `Pareto front (${cost}): ${costFront(study.records, cost).map((p) => p.name).join(" -> ")}`
    ),
    ...(note ? [note] : []),
  ].join("\n");
}

const originalsOf = new WeakMap<DesignStudy, Promise<Float32Array>>();

/**
 * The same test images reconstructed at every code size by one architecture ("pca", "vanilla",
 * ...): the originals on top (read once per study), then one row per code size.
 */
export async function studyReconstructions(
  study: DesignStudy,
  architecture: string,
): Promise<Figure<ImageGridLayout>> {
  let originals = originalsOf.get(study);
  if (!originals) {
    originals = sampleOriginals(study.records);
    originalsOf.set(study, originals);
  }
  return reconstructionsByCodeSize({
    title: `${architectureName(architecture)}: test images at each code size`,
    originals: await originals,
    rows: reconstructionRows(study.records, architecture),
  });
}

/** Where the study's time went, per architecture. */
export function studyTime(study: DesignStudy): string {
  return timeSummary(study.records);
}

/** The study's findings as sentences, computed from its records. */
export function findings(study: DesignStudy): string {
  return studyFindings(study.records);
}
