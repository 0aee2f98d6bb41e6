/**
 * Progress reporting for {@link train}: one callback API and ready-made reporters for a terminal
 * (a live bar on stderr when it is a TTY, plain per-epoch lines otherwise) and for Jupyter (one
 * display that updates in place).
 *
 * @module
 */
import { escapeHtml, formatNumber } from "../format/mod.ts";
import type { IntervalLoad } from "../io/mod.ts";

/** What a reporter learns when training starts. */
export interface TrainBeginInfo {
  /** The model family. */
  kind: string;
  /** The epoch training starts at (0, or later when resuming). */
  startEpoch: number;
  /** The epoch training stops after (total, counting resumed ones). */
  epochs: number;
  /** Batches in one epoch. */
  batchesPerEpoch: number;
  /** Training images per epoch. */
  trainCount: number;
  /** Validation images (0 when there is no validation set). */
  validationCount: number;
}

/** What a reporter learns after each batch. */
export interface BatchProgress {
  /** 1-based epoch. */
  epoch: number;
  /** Total epochs. */
  epochs: number;
  /** 1-based batch within the epoch. */
  batch: number;
  /** Batches in the epoch. */
  batches: number;
  /** Optimizer steps taken so far, over all epochs. */
  step: number;
  /** This batch's loss. */
  loss: number;
  /** Mean loss over the epoch so far. */
  meanLoss: number;
  /** Training images per second in this epoch so far. */
  imagesPerSecond: number;
  /** Estimated seconds until this epoch's training batches are done. */
  etaSeconds: number;
  /** Estimated seconds until the last epoch's training batches are done (validation excluded). */
  totalEtaSeconds: number;
}

/** The record of one epoch; the history is a list of these. */
export interface EpochRecord {
  /** 1-based epoch. */
  epoch: number;
  /** Mean training loss over the epoch's batches (MSE per pixel, or nats per image for the VAE). */
  trainLoss: number;
  /** Loss on the validation set after the epoch (absent without a validation set). */
  valLoss?: number;
  /** VAE: mean reconstruction term over the epoch. */
  trainReconstruction?: number;
  /** VAE: mean KL term over the epoch. */
  trainKl?: number;
  /** VAE: validation reconstruction term. */
  valReconstruction?: number;
  /** VAE: validation KL term. */
  valKl?: number;
  /** Wall seconds of the epoch, validation included. */
  seconds: number;
  /** Training images per second in the epoch (validation excluded). */
  imagesPerSecond: number;
  /**
   * The process's CPU time and the machine's load over the same interval as `seconds`, with the
   * busy flag (lib/io/cpu_load.ts); absent in records written before it was kept, or without
   * /proc: unknown, never quiet.
   */
  load?: IntervalLoad;
}

/** Hooks called by {@link train}; every one is optional and may be async. */
export interface TrainingCallbacks {
  /** Before the first batch. */
  onTrainBegin?(info: TrainBeginInfo): void | Promise<void>;
  /** After every optimizer step. */
  onBatchEnd?(progress: BatchProgress): void | Promise<void>;
  /** After every epoch's validation. */
  onEpochEnd?(record: EpochRecord, info: TrainBeginInfo): void | Promise<void>;
  /** After the last epoch. */
  onTrainEnd?(history: readonly EpochRecord[]): void | Promise<void>;
}

/** Formats seconds as m:ss or h:mm:ss. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = h > 0 ? String(m).padStart(2, "0") : String(m);
  return `${h > 0 ? `${h}:` : ""}${mm}:${String(r).padStart(2, "0")}`;
}

/** A loss in a readable precision (4 significant digits). */
export function formatLoss(value: number | undefined): string {
  if (value === undefined) return "-";
  return Math.abs(value) >= 1000
    ? formatNumber(value, { decimals: 1 })
    : formatNumber(value, { significant: 4 });
}

/** One line describing a finished epoch, e.g. "epoch 3/10 loss 0.0312 val 0.0309 (12.1 s, ...)". */
export function formatEpochLine(record: EpochRecord, epochs: number): string {
  const parts = [`epoch ${record.epoch}/${epochs}`, `loss ${formatLoss(record.trainLoss)}`];
  if (record.trainKl !== undefined) {
    parts.push(`(rec ${formatLoss(record.trainReconstruction)} kl ${formatLoss(record.trainKl)})`);
  }
  if (record.valLoss !== undefined) parts.push(`val ${formatLoss(record.valLoss)}`);
  parts.push(
    `${formatNumber(record.seconds, { decimals: 1 })} s`,
    `${Math.round(record.imagesPerSecond)} img/s`,
  );
  return parts.join("  ");
}

/** A text progress bar of `width` cells for a fraction in [0, 1]. */
export function progressBar(fraction: number, width = 24): string {
  const f = Math.min(1, Math.max(0, fraction));
  const full = Math.floor(f * width);
  const head = full < width ? ">" : "";
  return `[${"=".repeat(full)}${head}${" ".repeat(Math.max(0, width - full - head.length))}]`;
}

/** The live bar line for a batch, e.g. "epoch 2/10 [=====>   ] 120/430 loss 0.0412 ...". */
export function formatBatchLine(p: BatchProgress): string {
  return `epoch ${p.epoch}/${p.epochs} ${
    progressBar(p.batch / p.batches)
  } ${p.batch}/${p.batches}` +
    `  loss ${formatLoss(p.meanLoss)}  ${Math.round(p.imagesPerSecond)} img/s` +
    `  ETA ${formatDuration(p.etaSeconds)}` +
    (p.epoch < p.epochs ? ` (all ${formatDuration(p.totalEtaSeconds)})` : "");
}

/** Options for {@link terminalProgress}. */
export interface TerminalProgressOptions {
  /** Where lines go (default: stderr). */
  write?: (text: string) => void;
  /** Whether to draw the live bar (default: whether stderr is a terminal). */
  live?: boolean;
  /** Least milliseconds between bar redraws (default 100). */
  intervalMs?: number;
}

const encoder = new TextEncoder();

function writeStderr(text: string): void {
  Deno.stderr.writeSync(encoder.encode(text));
}

/**
 * A terminal reporter: on a TTY, a bar redrawn in place (`\r`) with the loss, images/s and ETA;
 * always, one line per epoch with the train and validation losses.
 */
export function terminalProgress(options: TerminalProgressOptions = {}): TrainingCallbacks {
  const write = options.write ?? writeStderr;
  const live = options.live ?? Deno.stderr.isTerminal();
  const interval = options.intervalMs ?? 100;
  let last = 0;
  let drawn = false;
  return {
    onTrainBegin(info) {
      write(
        `training ${info.kind}: epochs ${info.startEpoch + 1}..${info.epochs}, ` +
          `${info.trainCount} images (${info.batchesPerEpoch} batches/epoch), ` +
          `${info.validationCount} validation\n`,
      );
    },
    onBatchEnd(p) {
      if (!live) return;
      const now = performance.now();
      if (now - last < interval && p.batch < p.batches) return;
      last = now;
      write(`\r${formatBatchLine(p)}\x1b[K`);
      drawn = true;
    },
    onEpochEnd(record, info) {
      write(`${drawn ? "\r\x1b[K" : ""}${formatEpochLine(record, info.epochs)}\n`);
      drawn = false;
    },
  };
}

/** The Jupyter display API of the Deno kernel (present only inside `deno jupyter`). */
export interface JupyterDisplay {
  /** `Deno.jupyter.display`. */
  display(
    bundle: Record<string, unknown>,
    options: { raw?: boolean; update?: boolean; display_id?: string },
  ): Promise<void> | void;
}

/** `Deno.jupyter` when running inside the Deno Jupyter kernel, else undefined. */
export function jupyterApi(): JupyterDisplay | undefined {
  try {
    // Outside `deno jupyter`, reading Deno.jupyter throws (or is undefined).
    const api = (Deno as unknown as { jupyter?: Partial<JupyterDisplay> }).jupyter;
    return typeof api?.display === "function" ? api as JupyterDisplay : undefined;
  } catch {
    return undefined;
  }
}

/** Options for {@link jupyterProgress}. */
export interface JupyterProgressOptions {
  /** The display API (default: `Deno.jupyter`). */
  api?: JupyterDisplay;
  /** Least milliseconds between updates (default 500). */
  intervalMs?: number;
  /** The display id (default: a fresh one per training run). */
  displayId?: string;
}

let displayCounter = 0;

/**
 * A Jupyter reporter: one output (a `display_id`) that updates in place with a progress bar, the
 * current loss, images/s, ETA and a table of finished epochs.
 */
export function jupyterProgress(options: JupyterProgressOptions = {}): TrainingCallbacks {
  const api = options.api ?? jupyterApi();
  if (api === undefined) {
    throw new Error(
      "jupyterProgress: Deno.jupyter is not available (not running in the Deno Jupyter kernel); " +
        "use terminalProgress() or autoProgress() instead.",
    );
  }
  const interval = options.intervalMs ?? 500;
  const displayId = options.displayId ?? `kmnist-train-${Date.now()}-${displayCounter++}`;
  const rows: EpochRecord[] = [];
  let info: TrainBeginInfo | undefined;
  let current = "";
  let fraction = 0;
  let shown = false;
  let last = 0;

  async function show(): Promise<void> {
    const epochs = info?.epochs ?? 0;
    const table = rows.map((r) =>
      `<tr><td>${r.epoch}</td><td>${formatLoss(r.trainLoss)}</td><td>${
        formatLoss(r.valLoss)
      }</td><td>${formatNumber(r.seconds, { decimals: 1 })}</td><td>${
        Math.round(r.imagesPerSecond)
      }</td></tr>`
    ).join("");
    const html = `<div><b>${escapeHtml(info?.kind ?? "")}</b> ` +
      `<progress value="${
        formatNumber(fraction, { decimals: 4 })
      }" max="1" style="width:20em"></progress> ` +
      `<code>${escapeHtml(current)}</code>` +
      `<table><tr><th>epoch</th><th>loss</th><th>val loss</th><th>s</th><th>img/s</th></tr>` +
      `${table}</table></div>`;
    const text = [current, ...rows.map((r) => formatEpochLine(r, epochs))].join("\n");
    await api!.display({ "text/html": html, "text/plain": text }, {
      raw: true,
      display_id: displayId,
      update: shown,
    });
    shown = true;
  }

  return {
    async onTrainBegin(begin) {
      info = begin;
      current = `starting at epoch ${begin.startEpoch + 1}/${begin.epochs}`;
      await show();
    },
    async onBatchEnd(p) {
      const now = performance.now();
      if (now - last < interval) return;
      last = now;
      const done = (p.epoch - 1) + p.batch / p.batches;
      fraction = info ? done / info.epochs : 0;
      current = formatBatchLine(p);
      await show();
    },
    async onEpochEnd(record, begin) {
      rows.push(record);
      fraction = record.epoch / begin.epochs;
      current = formatEpochLine(record, begin.epochs);
      await show();
    },
    async onTrainEnd() {
      current = `done: ${rows.length} epoch${rows.length === 1 ? "" : "s"}`;
      fraction = 1;
      await show();
    },
  };
}

/** The reporter that fits where the code runs: Jupyter inside the Deno kernel, else terminal. */
export function autoProgress(): TrainingCallbacks {
  return jupyterApi() ? jupyterProgress() : terminalProgress();
}
