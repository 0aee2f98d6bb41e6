/**
 * Running the design study: planning a shard's trials, reusing finished ones, adopting notebooks
 * 1-4's runs, training the rest, and the progress lines.
 *
 * @module
 */
import * as path from "node:path";
import { displayPath } from "../io/mod.ts";
import { checkInterrupt, formatDuration, hasCheckpoint, loadCheckpoint } from "../train/mod.ts";
import { EXPERIMENT_NAMES, experimentSettings, loadExperimentRecord } from "../experiments/mod.ts";
import {
  canonicalJson,
  checkStudySettings,
  studyGrid,
  type StudySettings,
  trialKey,
  trialLabel,
  type TrialSettings,
} from "./grid.ts";
import {
  CHECKPOINTS_FOLDER,
  loadTrialRecords,
  QUICK_STUDY_DIRECTORY,
  recordFile,
  saveTrialRecord,
  STUDY_DIRECTORY,
  type TrialRecord,
} from "./records.ts";
import { expectedTrialSeconds, type Shard, shardTrials, WHOLE_STUDY } from "./shards.ts";
import { loadStudyData, measureAutoencoder, runTrial, type StudyData } from "./trial.ts";
import { formatNumber } from "../format/mod.ts";
import { MEASURES_VERSION, prepareInstrument, type SampleQualityInstrument } from "./measures.ts";

/** One trial of a planned study. */
export interface PlannedTrial {
  /** Its settings. */
  trial: TrialSettings;
  /** Its key. */
  key: string;
  /** Its record, when it is finished. */
  record?: TrialRecord;
}

/** The study folder of a settings' mode: `runs/study/` or `runs/quick/study/`. */
export function studyDirectory(settings: StudySettings): string {
  return settings.quick ? QUICK_STUDY_DIRECTORY : STUDY_DIRECTORY;
}

/** The trials of a shard with their keys and finished records (reads and checks the folder). */
export async function planStudy(
  settings: StudySettings,
  options: { directory?: string; shard?: Shard } = {},
): Promise<PlannedTrial[]> {
  const directory = options.directory ?? studyDirectory(settings);
  const trials = shardTrials(studyGrid(checkStudySettings(settings)), options.shard ?? WHOLE_STUDY);
  const records = await loadTrialRecords(directory);
  return await Promise.all(trials.map(async (trial) => {
    const key = await trialKey(trial);
    return { trial, key, record: records.get(key) };
  }));
}

function sameNumber(a: number | undefined, b: number | undefined): boolean {
  return a === b;
}

/**
 * The notebook run (runs/<name>/, or runs/quick/<name>/) whose settings are this trial's, when it
 * has finished: its folder, else undefined.
 */
export async function matchingNotebookRun(
  trial: TrialSettings,
  quick: boolean,
): Promise<string | undefined> {
  for (const name of EXPERIMENT_NAMES) {
    const s = experimentSettings(name, { quick });
    const same = s.kind === trial.architecture && s.latentDim === trial.latentDim &&
      sameNumber(s.epochs, trial.epochs) && sameNumber(s.batchSize, trial.batchSize) &&
      sameNumber(s.learningRate, trial.learningRate) &&
      sameNumber(s.validationSize, trial.validationSize) && sameNumber(s.seed, trial.seed) &&
      sameNumber(s.splitSeed, trial.splitSeed) && sameNumber(s.trainImages, trial.trainImages) &&
      sameNumber(s.testImages, trial.testImages) && (trial.beta ?? 1) === 1 &&
      trial.design === undefined && !trial.warmupEpochs && !trial.freeBits;
    if (!same) continue;
    try {
      if (!(await hasCheckpoint(s.runDirectory))) continue;
      if (!(await loadExperimentRecord(name, { quick }))) continue;
    } catch {
      continue;
    }
    return s.runDirectory;
  }
  return undefined;
}

/**
 * Takes a notebook's finished run as the trial: its checkpoint, measured the study's way (the same
 * metrics and k-NN protocol), and its training timing from its metrics.json.
 */
async function adoptNotebookRun(
  folder: string,
  trial: TrialSettings,
  data: StudyData,
  quick: boolean,
  backend: string,
  instrument?: SampleQualityInstrument,
): Promise<Omit<TrialRecord, "format" | "version" | "key" | "label" | "savedAt"> | undefined> {
  const { model, optimizer, state } = await loadCheckpoint(folder);
  optimizer?.dispose();
  try {
    if (!state || state.epoch !== trial.epochs || state.trainCount !== data.train.count) {
      return undefined;
    }
    const started = performance.now();
    const { results, parts } = measureAutoencoder(model, trial, data, instrument);
    results.losses = state.history.map((h) => ({
      epoch: h.epoch,
      trainLoss: h.trainLoss,
      ...(h.valLoss !== undefined ? { valLoss: h.valLoss } : {}),
    }));
    const name = EXPERIMENT_NAMES.find((n) =>
      experimentSettings(n, { quick }).runDirectory === folder
    );
    const notebook = name ? await loadExperimentRecord(name, { quick }) : undefined;
    return {
      settings: trial,
      results,
      timing: {
        secondsPerEpoch: notebook?.training.secondsPerEpoch,
        trainSeconds: notebook?.training.wallSeconds,
        evaluationSeconds: (performance.now() - started) / 1000,
        evaluationParts: parts,
        backend: notebook?.training.backend ?? backend,
        ...(notebook?.training.load ? { load: notebook.training.load } : {}),
      },
      source: displayPath(folder),
    };
  } finally {
    model.dispose();
  }
}

/**
 * A record of an earlier measurement version measured again, without training: an autoencoder from
 * its final checkpoint (the study's, or the notebook run it was adopted from), PCA and the pixels
 * refitted. Losses, timing and source are kept. Undefined when no final checkpoint is left.
 */
async function measureAgain(
  record: TrialRecord,
  key: string,
  directory: string,
  data: StudyData,
  instrument: SampleQualityInstrument | undefined,
  options: { quick: boolean; backend: string },
): Promise<Omit<TrialRecord, "format" | "version" | "key" | "label" | "savedAt"> | undefined> {
  const trial = record.settings;
  const started = performance.now();
  if (trial.architecture === "pca" || trial.architecture === "pixels") {
    const outcome = await runTrial({
      trial,
      key,
      directory,
      data,
      backend: options.backend,
      instrument,
    });
    return { ...record, results: outcome.results, timing: outcome.timing };
  }
  const folders = [
    path.join(directory, CHECKPOINTS_FOLDER, key),
    await matchingNotebookRun(trial, options.quick),
  ].filter((f): f is string => f !== undefined);
  for (const folder of folders) {
    if (!(await hasCheckpoint(folder))) continue;
    const { model, optimizer, state } = await loadCheckpoint(folder);
    optimizer?.dispose();
    try {
      if (!state || state.epoch !== trial.epochs || state.trainCount !== data.train.count) continue;
      const { results, parts } = measureAutoencoder(model, trial, data, instrument);
      if (record.results.losses) results.losses = record.results.losses;
      return {
        ...record,
        results,
        timing: {
          ...record.timing,
          evaluationSeconds: (performance.now() - started) / 1000,
          evaluationParts: parts,
        },
      };
    } finally {
      model.dispose();
    }
  }
  return undefined;
}

/** Options of {@link runStudy}. */
export interface RunStudyOptions {
  /** The study (see `studySettings`). */
  settings: StudySettings;
  /** Record folder (default `runs/study/`, quick: `runs/quick/study/`). */
  directory?: string;
  /** This process's shard (default the whole grid). */
  shard?: Shard;
  /** Backend name for the records (default "blas"). */
  backend?: string;
  /** Take notebooks 1-4's finished runs as trials where their settings match (default true). */
  adoptNotebookRuns?: boolean;
  /** Where progress lines go (default console.log). */
  log?: (line: string) => void;
  /**
   * Measure samples with the project's classifier, training it first when runs/classifier/ has
   * none, and measure again records of an earlier measurement version (default true).
   */
  measureSamples?: boolean;
  /** The full study's classifier folder (default runs/classifier/). */
  classifierDirectory?: string;
}

/** What {@link runStudy} returns. */
export interface StudyRun {
  /** The shard's trials in grid order, each with its record. */
  trials: Required<PlannedTrial>[];
  /** Their records. */
  records: TrialRecord[];
  /** Trials trained (or fitted) by this call. */
  ran: number;
  /** Wall seconds of this call. */
  wallSeconds: number;
}

/** The one progress line of a finished trial. */
export function formatTrialLine(options: {
  position: number;
  total: number;
  record: TrialRecord;
  how: string;
  seconds: number;
  elapsed: number;
  eta: number;
}): string {
  const { position, total, record, how, seconds, elapsed, eta } = options;
  const r = record.results;
  const width = String(total).length;
  const parts = [
    `[${String(position).padStart(width)}/${total}]`,
    trialLabel(record.settings).padEnd(24),
    how.padEnd(8),
    record.timing.secondsPerEpoch !== undefined
      ? `${formatNumber(record.timing.secondsPerEpoch, { decimals: 1 }).padStart(5)} s/epoch${
        record.timing.load?.busy ? " (busy)" : ""
      }`
      : " ".repeat(13),
    r.mse !== undefined ? `MSE ${formatNumber(r.mse, { decimals: 4 })}` : "          ",
    `kNN ${formatNumber(r.knnAccuracy, { decimals: 1, percent: true })}`,
    r.vae ? `-ELBO ${formatNumber(r.vae.negativeElbo, { decimals: 1 })}` : "",
    r.latent ? `AU ${r.latent.activeUnits}/${r.latent.dims}` : "",
    r.generation ? `FD ${formatNumber(r.generation.frechet, { decimals: 2 })}` : "",
    `(${formatDuration(seconds)})`,
    `| study ${formatDuration(elapsed)}, ETA ${formatDuration(eta)}`,
  ];
  return parts.filter((p) => p !== "").join("  ");
}

/**
 * Runs a study's grid (or one shard of it): finished trials are reused, interrupted ones resume
 * from their checkpoints, notebook runs with the same settings are adopted, the rest train. One
 * progress line per trial, with the whole study's (this shard's) ETA.
 */
export async function runStudy(options: RunStudyOptions): Promise<StudyRun> {
  const started = performance.now();
  const settings = checkStudySettings(options.settings);
  const directory = options.directory ?? studyDirectory(settings);
  const shard = options.shard ?? WHOLE_STUDY;
  const log = options.log ?? ((line: string) => console.log(line));
  const backend = options.backend ?? "blas";
  const planned = await planStudy(settings, { directory, shard });
  const missing = planned.filter((p) => !p.record);
  const shardText = shard.count > 1 ? ` (shard ${shard.index}/${shard.count})` : "";
  let expectedLeft = missing.reduce((s, p) => s + expectedTrialSeconds(p.trial), 0);
  log(
    `study${shardText}: ${planned.length} trials, ${planned.length - missing.length} done, ` +
      `${missing.length} to run (expected ${formatDuration(expectedLeft)}); records in ` +
      `${displayPath(directory)}/`,
  );
  let data: StudyData | undefined;
  // The sets of each data setting met (the reference VAE trains on all 60,000 images).
  const dataSets = new Map<string, Promise<StudyData>>();
  const dataFor = (trial: TrialSettings): Promise<StudyData> => {
    const id = canonicalJson({
      validationSize: trial.validationSize,
      splitSeed: trial.splitSeed,
      trainImages: trial.trainImages,
      testImages: trial.testImages,
    });
    if (!dataSets.has(id)) dataSets.set(id, loadStudyData(trial));
    return dataSets.get(id)!;
  };
  let instrument: SampleQualityInstrument | undefined;
  let expectedDone = 0, actualDone = 0, ran = 0;
  const done: Required<PlannedTrial>[] = [];
  for (const [i, p] of planned.entries()) {
    checkInterrupt({
      task: "the study",
      where: `trial ${i + 1}/${planned.length}, before it started`,
      resume: "Finished trials are kept; run the study again to continue.",
    });
    const trialStarted = performance.now();
    let record = p.record;
    let how = "reused";
    const instrumentOf = async (): Promise<SampleQualityInstrument | undefined> => {
      if (options.measureSamples === false) return undefined;
      // Always the study's own split, whichever trial asks first: the floor and the test
      // features must not depend on the order the trials run in.
      instrument ??= await prepareInstrument({
        data: await dataFor({
          architecture: "pca",
          latentDim: 1,
          validationSize: settings.validationSize,
          splitSeed: settings.splitSeed,
          trainImages: settings.trainImages,
          testImages: settings.testImages,
          knnK: settings.knnK,
        }),
        reduced: settings.quick || settings.trainImages !== undefined,
        directory: options.classifierDirectory,
        log,
      });
      return instrument;
    };
    if (
      record && options.measureSamples !== false && record.results.measures !== MEASURES_VERSION
    ) {
      data = await dataFor(p.trial);
      const remeasured = await measureAgain(record, p.key, directory, data, await instrumentOf(), {
        quick: settings.quick,
        backend,
      });
      if (remeasured) {
        record = await saveTrialRecord(directory, remeasured);
        how = "measured";
      } else {
        how = "kept v1";
      }
    }
    if (!record) {
      data = await dataFor(p.trial);
      const folder = options.adoptNotebookRuns === false
        ? undefined
        : await matchingNotebookRun(p.trial, settings.quick);
      const adopted = folder
        ? await adoptNotebookRun(
          folder,
          p.trial,
          data,
          settings.quick,
          backend,
          await instrumentOf(),
        )
        : undefined;
      if (adopted) {
        record = await saveTrialRecord(directory, adopted);
        how = "notebook";
      } else {
        const outcome = await runTrial({
          trial: p.trial,
          key: p.key,
          directory,
          data,
          backend,
          instrument: await instrumentOf(),
        });
        record = await saveTrialRecord(directory, {
          settings: p.trial,
          ...outcome,
          source: "study",
        });
        how = outcome.timing.resumedFromEpoch !== undefined
          ? `resumed@${outcome.timing.resumedFromEpoch}`
          : p.trial.architecture === "pca" || p.trial.architecture === "pixels"
          ? "fitted"
          : "trained";
        ran++;
      }
      const seconds = (performance.now() - trialStarted) / 1000;
      const expected = expectedTrialSeconds(p.trial);
      expectedLeft -= expected;
      expectedDone += expected;
      actualDone += seconds;
    }
    const factor = expectedDone > 0 ? actualDone / expectedDone : 1;
    log(formatTrialLine({
      position: i + 1,
      total: planned.length,
      record,
      how,
      seconds: (performance.now() - trialStarted) / 1000,
      elapsed: (performance.now() - started) / 1000,
      eta: Math.max(0, expectedLeft * factor),
    }));
    done.push({ ...p, record });
  }
  instrument?.dispose();
  const wallSeconds = (performance.now() - started) / 1000;
  log(`study${shardText} finished in ${formatDuration(wallSeconds)}: ${ran} trials run.`);
  return { trials: done, records: done.map((d) => d.record), ran, wallSeconds };
}

/** The lines of `--list`: every trial of the shard with its key and state. */
export function formatPlan(planned: PlannedTrial[], directory: string): string[] {
  return planned.map((p, i) =>
    `${String(i + 1).padStart(3)}  ${p.key}  ${trialLabel(p.trial).padEnd(24)}  ${
      p.record ? `done (${displayPath(recordFile(directory, p.key))})` : "to run"
    }`
  );
}
