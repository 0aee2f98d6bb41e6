/**
 * The design study: what code size, depth, convolution and β buy on KMNIST. The four
 * architectures at every code size, PCA at the same sizes, the raw-pixel k-NN baseline and a β
 * sweep of the VAE, each a trial whose record (keyed by a hash of its full settings) lands in
 * `runs/study/`. Re-running reuses finished trials, resumes interrupted ones from their
 * checkpoints, adopts notebooks 1-4's runs where their settings match, and trains only what is
 * missing; shards split the grid between processes or a cluster's array jobs.
 *
 * - grid.ts: the trials, their settings and keys; records.ts: one JSON record per trial;
 * - shards.ts: splitting the grid; trial.ts: running and measuring one trial; run.ts: the study;
 * - measures.ts: intervals, the VAE's active units, sample quality through the classifier;
 * - summary.ts: the findings as sentences; analysis.ts: the numbers the figures draw;
 * - replicates.ts: the four autoencoders again with other seeds, and their spread.
 *
 * ```ts
 * import { runStudy, studySettings } from "../lib/study/mod.ts";
 * const { records } = await runStudy({ settings: studySettings({ quick: true }) });
 * ```
 *
 * @module
 */
export * from "./grid.ts";
export * from "./records.ts";
export * from "./shards.ts";
export * from "./trial.ts";
export * from "./measures.ts";
export * from "./run.ts";
export * from "./summary.ts";
export * from "./analysis.ts";
export * from "./replicates.ts";
