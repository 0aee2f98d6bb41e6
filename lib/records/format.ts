/**
 * The one record format of a trained run: `metrics.json` in its run folder, written by the
 * notebooks (lib/experiments) and by `deno task train` alike, read by later notebooks, the design
 * study and `deno task report`. A record holds what ran (settings), how training went (training)
 * and what the test images measured (evaluation, lib/metrics's report).
 *
 * @module
 */
import type { IntervalLoad } from "../io/mod.ts";
import type { EvaluationReport } from "../metrics/mod.ts";
import type { EpochRecord } from "../train/mod.ts";

/** The `format` field of every run record. */
export const RUN_RECORD_FORMAT = "kmnist-experiment";

/** The record format version this code writes (records without a version are version 1). */
export const RUN_RECORD_VERSION = 1;

/** A run record's file name in its run folder. */
export const RUN_RECORD_FILE = "metrics.json";

/**
 * The settings every run record states; a writer adds its own (a notebook's run folder, the
 * noise of a denoiser...).
 */
export interface RecordSettings {
  /** Model family (`buildModel`'s kind). */
  kind: string;
  /** Code size. */
  latentDim: number;
  /** Seed of initialisers, shuffling and sampling. */
  seed: number;
  /** Epochs trained. */
  epochs: number;
  /** Images per batch. */
  batchSize: number;
  /** Adam's step size. */
  learningRate: number;
  /** Validation images carved from the training images. */
  validationSize: number;
  /** Training images used (after the split); omitted = all. */
  trainImages?: number;
  /** Test images evaluated; omitted = all 10,000. */
  testImages?: number;
}

/** Training figures kept in a record. */
export interface TrainingSummary {
  /** Epochs trained. */
  epochs: number;
  /** Mean wall seconds per epoch (validation included); NaN when no epoch was timed. */
  secondsPerEpoch: number;
  /** Wall seconds of the training call (of the last process when it resumed). */
  wallSeconds: number;
  /** Training images per second. */
  imagesPerSecond: number;
  /** Per-epoch losses (lib/train's EpochRecord). */
  history: EpochRecord[];
  /** The backend that trained it ("blas", "wasm" or "cpu"). */
  backend: string;
  /**
   * The epochs' load together (lib/io/cpu_load.ts): this process's CPU seconds and other work's
   * over the same wall seconds, and whether any epoch was timed on a busy machine. Absent in
   * records written before it was kept, or when any epoch's load is unknown: unknown, not quiet.
   */
  load?: IntervalLoad;
}

/** The metrics.json of one run (`S`: the writer's settings). */
export interface RunRecord<S extends RecordSettings = RecordSettings> {
  /** Always "kmnist-experiment". */
  format: typeof RUN_RECORD_FORMAT;
  /** Format version (absent in records written before versions: 1). */
  version?: number;
  /** The run's name: the experiment ("convolutional"), or the run folder's name. */
  name: string;
  /** Model name, e.g. "Convolutional autoencoder". */
  title: string;
  /** Whether it was a quick-mode run (one epoch on a few thousand images; not results). */
  quick: boolean;
  /** The settings it ran with. */
  settings: S;
  /** Training figures. */
  training: TrainingSummary;
  /** Test metrics (lib/metrics `evaluate`). */
  evaluation: EvaluationReport;
  /** Extra results (e.g. the denoising experiment's). */
  extra?: Record<string, unknown>;
  /** ISO time of writing. */
  savedAt: string;
}
