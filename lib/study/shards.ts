/**
 * Splitting the study's grid into shards that separate processes (or a cluster's array jobs) run
 * independently: shard I of N takes every N-th trial of the grid ordered by expected cost, so
 * shards get similar work. Their record files merge by copying them into one folder.
 *
 * The shard comes from `--shard I/N`, else from Slurm job arrays (`SLURM_ARRAY_TASK_ID` minus
 * `SLURM_ARRAY_TASK_MIN`, of `SLURM_ARRAY_TASK_COUNT`), else from a Kubernetes indexed Job
 * (`JOB_COMPLETION_INDEX`, of `KMNIST_STUDY_SHARDS`, which the Job sets to its `completions`).
 *
 * @module
 */
import type { StudyArchitecture, TrialSettings } from "./grid.ts";

/** One shard: index (from 0) and count. */
export interface Shard {
  /** 0-based index. */
  index: number;
  /** Number of shards. */
  count: number;
}

/** The whole grid in one process. */
export const WHOLE_STUDY: Shard = { index: 0, count: 1 };

/** The variable holding the shard count of a Kubernetes indexed Job (set it to `completions`). */
export const KUBERNETES_SHARDS_VARIABLE = "KMNIST_STUDY_SHARDS";

function checkShard(index: number, count: number, text: string, source: string): Shard {
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(
      `Shard ${text} (${source}): the shard count must be an integer of at least 1; ` +
        `use e.g. 0/2 and 1/2 to run the study as two shards.`,
    );
  }
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new Error(
      `Shard ${text} (${source}): the index must be an integer in 0..${count - 1} ` +
        `(shards are numbered from 0), e.g. ${Math.min(Math.max(0, count - 1), 1)}/${count}.`,
    );
  }
  return { index, count };
}

/** Parses "I/N" (I from 0). */
export function parseShard(text: string, source = "--shard"): Shard {
  const match = /^\s*(-?\d+)\s*\/\s*(-?\d+)\s*$/.exec(text);
  if (!match) {
    throw new Error(
      `Shard "${text}" (${source}) is not of the form I/N: use e.g. --shard 0/2 for the first ` +
        `of two shards.`,
    );
  }
  return checkShard(Number(match[1]), Number(match[2]), text, source);
}

function integerVariable(env: Record<string, string | undefined>, name: string): number {
  const text = env[name];
  if (text === undefined || !/^\s*-?\d+\s*$/.test(text)) {
    throw new Error(`${name}="${text}" is not an integer.`);
  }
  return Number(text);
}

/**
 * The shard of this process: `flag` (the `--shard` value) when given, else the Slurm array task,
 * else the Kubernetes indexed Job's completion index, else the whole study.
 *
 * @param env the environment (default `Deno.env.toObject()`).
 */
export function resolveShard(
  flag?: string,
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Shard {
  if (flag !== undefined) return parseShard(flag);
  if (env.SLURM_ARRAY_TASK_ID !== undefined) {
    if (env.SLURM_ARRAY_TASK_COUNT === undefined) {
      throw new Error(
        "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not: submit with sbatch --array.",
      );
    }
    const min = env.SLURM_ARRAY_TASK_MIN === undefined
      ? 0
      : integerVariable(env, "SLURM_ARRAY_TASK_MIN");
    const index = integerVariable(env, "SLURM_ARRAY_TASK_ID") - min;
    const count = integerVariable(env, "SLURM_ARRAY_TASK_COUNT");
    return checkShard(index, count, `${index}/${count}`, "SLURM_ARRAY_TASK_ID");
  }
  if (env.JOB_COMPLETION_INDEX !== undefined) {
    if (env[KUBERNETES_SHARDS_VARIABLE] === undefined) {
      throw new Error(
        `JOB_COMPLETION_INDEX is set but ${KUBERNETES_SHARDS_VARIABLE} is not: set it in the ` +
          `Job's environment to its completions (the number of shards).`,
      );
    }
    const index = integerVariable(env, "JOB_COMPLETION_INDEX");
    const count = integerVariable(env, KUBERNETES_SHARDS_VARIABLE);
    return checkShard(index, count, `${index}/${count}`, "JOB_COMPLETION_INDEX");
  }
  return WHOLE_STUDY;
}

/** Rough seconds per epoch on all 55,000 images, 2 cores, `blas` (the notebooks' full run). */
export const PRIOR_SECONDS_PER_EPOCH: Record<StudyArchitecture, number> = {
  vanilla: 0.5,
  multilayer: 1.6,
  convolutional: 13.4,
  variational: 14.2,
  pca: 0,
  pixels: 0,
};

/** Rough seconds of a trial's evaluation (and PCA's fit, the pixels' k-NN) on the full sets. */
export const PRIOR_EVALUATION_SECONDS: Record<StudyArchitecture, number> = {
  vanilla: 6,
  multilayer: 7,
  convolutional: 12,
  variational: 40,
  pca: 15,
  pixels: 45,
};

/** Expected seconds of a trial from the priors, scaled by its number of training images. */
export function expectedTrialSeconds(trial: TrialSettings): number {
  const images = trial.trainImages ?? 55000;
  const scale = images / 55000;
  const train = PRIOR_SECONDS_PER_EPOCH[trial.architecture] * (trial.epochs ?? 0) * scale;
  return train + PRIOR_EVALUATION_SECONDS[trial.architecture] * Math.max(scale, 0.05);
}

/**
 * The trials of one shard: the grid sorted by expected cost (then grid order), dealt round-robin.
 * The shards of a count partition the grid.
 */
export function shardTrials<T extends TrialSettings>(trials: readonly T[], shard: Shard): T[] {
  checkShard(shard.index, shard.count, `${shard.index}/${shard.count}`, "shard");
  const order = trials.map((t, i) => ({ t, i, cost: expectedTrialSeconds(t) }))
    .sort((a, b) => b.cost - a.cost || a.i - b.i);
  return order.filter((_, position) => position % shard.count === shard.index)
    .sort((a, b) => a.i - b.i)
    .map((o) => o.t);
}
