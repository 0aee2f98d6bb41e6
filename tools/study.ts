/**
 * The design study outside Jupyter (the grid of notebooks/06_design_space.ipynb):
 *
 *     deno task study [--quick] [--shard I/N] [--list] [--dir DIR] [--settings FILE.json]
 *                     [--no-adopt] [--backend blas|wasm|cpu]
 *
 * Finished trials (records in runs/study/, quick: runs/quick/study/) are reused, interrupted ones
 * resume from their checkpoints, notebooks 1-4's runs are adopted where their settings match; one
 * line per trial with the study's ETA, and at the end where the time went (training and
 * evaluation per architecture, and each evaluation pass over all trials). The shard also comes
 * from SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT (sbatch --array) or JOB_COMPLETION_INDEX /
 * KMNIST_STUDY_SHARDS (a Kubernetes indexed Job); merge shards by copying their record files
 * into one folder.
 * `--settings` reads a JSON object whose fields replace those of the (quick) study's settings.
 *
 * @module
 */
import * as path from "node:path";
import { parseArgs } from "node:util";
import { type BackendName, initBackend } from "@kmnist/tfjs-blas";
import {
  checkStudySettings,
  formatPlan,
  planStudy,
  resolveShard,
  runStudy,
  studyDirectory,
  type StudySettings,
  studySettings,
  timeSummary,
} from "../lib/study/mod.ts";
import { exitIfInterrupted } from "../lib/train/mod.ts";

const USAGE = "usage: deno task study [--quick] [--shard I/N] [--list] [--dir DIR] " +
  "[--settings FILE.json] [--no-adopt] [--backend blas|wasm|cpu]";

async function readSettings(file: string | undefined, quick: boolean): Promise<StudySettings> {
  const base = studySettings({ quick });
  if (file === undefined) return base;
  let overrides: unknown;
  try {
    overrides = JSON.parse(await Deno.readTextFile(file));
  } catch (error) {
    throw new Error(`--settings ${file}: cannot read it as JSON (${(error as Error).message}).`);
  }
  if (overrides === null || typeof overrides !== "object" || Array.isArray(overrides)) {
    throw new Error(`--settings ${file}: expected a JSON object of study settings.`);
  }
  return checkStudySettings({ ...base, ...(overrides as Partial<StudySettings>) });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean", default: false },
      shard: { type: "string" },
      list: { type: "boolean", default: false },
      dir: { type: "string" },
      settings: { type: "string" },
      "no-adopt": { type: "boolean", default: false },
      backend: { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const settings = await readSettings(values.settings, values.quick);
  const shard = resolveShard(values.shard);
  const directory = values.dir ? path.resolve(values.dir) : studyDirectory(settings);
  if (values.list) {
    const planned = await planStudy(settings, { directory, shard });
    console.log(formatPlan(planned, directory).join("\n"));
    const left = planned.filter((p) => !p.record).length;
    console.log(`${planned.length} trials (shard ${shard.index}/${shard.count}), ${left} to run.`);
    return;
  }
  const backend = await initBackend(
    values.backend ? { backend: values.backend as BackendName } : {},
  );
  console.log(
    `backend ${backend.name}${backend.blas ? ` (OpenBLAS, ${backend.blasThreads} threads)` : ""}`,
  );
  const run = await runStudy({
    settings,
    directory,
    shard,
    backend: backend.name,
    adoptNotebookRuns: !values["no-adopt"],
  });
  console.log(timeSummary(run.records));
}

if (import.meta.main) {
  try {
    await main();
  } catch (error) {
    exitIfInterrupted(
      error,
      "Finished trials are kept, and the interrupted one's last checkpoint; run the same " +
        `command again to continue: deno task study ${Deno.args.join(" ")}`,
    );
    console.error(error instanceof Error ? error.message : error);
    Deno.exit(1);
  }
}
