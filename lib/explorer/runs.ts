/**
 * Which runs the explorer shows: the notebooks' four experiments (where trained) and the design
 * study's trials (any folder under the study folder that holds a checkpoint).
 *
 * @module
 */
import * as path from "node:path";
import { displayPath } from "../io/mod.ts";
import {
  EXPERIMENT_NAMES,
  type ExperimentName,
  experimentSettings,
  RUNS_DIRECTORY,
} from "../experiments/mod.ts";
import { type ExplorerRunSpec, holdsCheckpoint } from "./data.ts";

/** The run spec of a notebook experiment, with what to run to make it. */
export function experimentRun(name: ExperimentName, quick: boolean): ExplorerRunSpec {
  const settings = experimentSettings(name, { quick });
  return {
    name,
    directory: settings.runDirectory,
    howToMake: `run notebooks/${settings.notebook} (deno task report${
      quick ? " --quick" : ""
    } --only ${name})`,
  };
}

/** The study's folder: `runs/study`, or `runs/quick/study` in quick mode. */
export function studyDirectory(quick: boolean): string {
  return quick ? path.join(RUNS_DIRECTORY, "quick", "study") : path.join(RUNS_DIRECTORY, "study");
}

/** A trial's label and code size from its record `<study>/<key>.json`, when readable. */
async function trialRecord(
  study: string,
  key: string,
): Promise<{ label?: string; latentDim?: number; variational?: boolean; replicate?: boolean }> {
  try {
    const record = JSON.parse(await Deno.readTextFile(path.join(study, `${key}.json`)));
    if (record?.format !== "kmnist-study-trial") return {};
    return {
      label: typeof record.label === "string" ? record.label : undefined,
      latentDim: Number.isInteger(record.settings?.latentDim)
        ? record.settings.latentDim
        : undefined,
      variational: record.settings?.architecture === "variational",
      replicate: record.settings?.replicate === true,
    };
  } catch {
    return {};
  }
}

/**
 * The study's trials with a checkpoint under `directory` (folders up to two levels down that hold
 * one, e.g. `checkpoints/<key>/`), named by their record's label ("study: variational
 * z=2 β=4") when `<key>.json` is there; 2-D trials first (their planes are the latent space
 * itself), then the other VAEs, then by name; seed replicates left out. None when the folder does
 * not exist.
 */
export async function studyRuns(directory: string): Promise<ExplorerRunSpec[]> {
  const found: string[] = [];
  async function walk(folder: string, depth: number): Promise<void> {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(folder));
    } catch {
      return;
    }
    for (const entry of entries.filter((e) => e.isDirectory)) {
      const child = path.join(folder, entry.name);
      if (await holdsCheckpoint(child)) found.push(child);
      else if (depth < 2) await walk(child, depth + 1);
    }
  }
  await walk(directory, 1);
  const trials = await Promise.all(found.map(async (dir) => {
    const record = await trialRecord(directory, path.basename(dir));
    const name = record.label !== undefined
      ? `study: ${record.label}`
      : `study/${path.relative(directory, dir).split(path.sep).join("/")}`;
    // 2-D trials first, then the other VAEs (the generative models the page is for), then the
    // rest; seed replicates (the same models again) are not shown.
    const rank = record.latentDim === 2 ? 0 : record.variational ? 1 : 2;
    return { dir, name, rank, replicate: record.replicate };
  }));
  const shown = trials.filter((t) => !t.replicate);
  shown.sort((a, b) => a.rank - b.rank || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return shown.map(({ dir, name }) => ({
    name,
    directory: dir,
    howToMake: `run the design study again (deno task study), its trial folder ${
      displayPath(dir)
    } is incomplete`,
  }));
}

/** The runs available now: trained experiments, then study trials; and the experiments missing. */
export async function availableRuns(
  quick: boolean,
): Promise<{ runs: ExplorerRunSpec[]; missing: ExplorerRunSpec[]; trials: ExplorerRunSpec[] }> {
  const runs: ExplorerRunSpec[] = [];
  const missing: ExplorerRunSpec[] = [];
  for (const name of EXPERIMENT_NAMES) {
    const spec = experimentRun(name, quick);
    if (await holdsCheckpoint(spec.directory)) runs.push(spec);
    else missing.push(spec);
  }
  return { runs, missing, trials: await studyRuns(studyDirectory(quick)) };
}
