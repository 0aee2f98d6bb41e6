/**
 * Runs tools/train.ts in a real child process (vanilla on 300 training and 200 validation images,
 * no k-NN probe), and reads what a run left in its folder.
 *
 * @module
 */
import * as path from "node:path";
import { readRunRecord } from "../../lib/records/mod.ts";

/** How a tools/train.ts run ended. */
export interface CliResult {
  /** Exit code (137 after SIGKILL). */
  code: number;
  /** The signal that ended it, or null. */
  signal: Deno.Signal | null;
  /** Standard output then standard error. */
  text: string;
}

/** Runs `deno task train`'s script with the small defaults, then `args`, with `env` added. */
export async function runTrain(
  args: string[],
  env: Record<string, string> = {},
): Promise<CliResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      new URL("../../tools/train.ts", import.meta.url).pathname,
      "--model",
      "vanilla",
      "--train-images",
      "300",
      "--validation",
      "200",
      "--no-knn",
      ...args,
    ],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, signal: out.signal, text: decode(out.stdout) + decode(out.stderr) };
}

/** The names in a folder, sorted. */
export async function listFolder(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

/** What a finished run's folder says about its result, for bit-exact comparisons. */
export async function runOutcome(dir: string) {
  const manifest = JSON.parse(await Deno.readTextFile(path.join(dir, "checkpoint.json")));
  const history = JSON.parse(await Deno.readTextFile(path.join(dir, "history.json")));
  const record = await readRunRecord(dir);
  if (!record) throw new Error(`${dir} holds no metrics.json`);
  return {
    epoch: manifest.epoch as number,
    weights: manifest.files["weights.bin"].sha256 as string,
    optimizer: manifest.files["optimizer.bin"].sha256 as string,
    learningRate: history.learningRate as number,
    noise: history.noise,
    losses: (history.history as Record<string, number>[]).map((r) => [r.trainLoss, r.valLoss]),
    mse: record.evaluation.mse,
  };
}
