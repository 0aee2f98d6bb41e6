/**
 * Measures the Deno kernel's late outputs: runs the repro notebook
 * tests/e2e/fixtures/notebooks/late_outputs.ipynb (30 cells of `console.log` + a value) N times
 * through a notebook runner with a given deno, and counts the outputs lost or put under another
 * cell.
 *
 *     npx -y deno@2.9.6 run -A tools/measure_late_outputs.ts   # 2.9.6, nbconvert, 5 runs
 *     npx -y deno@2.9.6 run -A tools/measure_late_outputs.ts --deno 2.1.14,2.9.6 --runs 10
 *     npx -y deno@2.9.6 run -A tools/measure_late_outputs.ts --runner runall
 *     npx -y deno@2.9.6 run -A tools/measure_late_outputs.ts --ordering off   # the kernel bare
 *
 * `--deno` takes versions (fetched with `npx -y deno@X.Y.Z`) or paths to deno binaries. Runners:
 * `nbconvert` (`jupyter nbconvert --to notebook --execute`, nbclient: stops reading a cell at its
 * "idle"), `executor` (tools/execute_notebook.py: reads on after "idle") and `runall` (what the
 * classic UI's Run All does: every cell's execute request sent at once, each output shown under the
 * cell its parent header names unless that cell has had both its reply and its "idle"). The kernel
 * is the project's kernelspec (jupyter/kernels/deno/) with `KMNIST_DENO` set to the deno measured;
 * `--ordering off` sets `KMNIST_KERNEL_ORDERING=0`, which starts deno without the kernelspec's
 * output-ordering proxy (jupyter/kernels/deno/ordered_kernel.py); without `--ordering` the
 * environment's setting applies (default on). The notebook runs from a temp copy outside the
 * project, so deno versions that cannot read the project's deno.lock run it too. Prints one
 * Markdown table row per deno version.
 *
 * @module
 */
import { basename, join } from "node:path";
import { PROJECT_ROOT } from "../lib/io/mod.ts";

/** The repro notebook. */
export const LATE_OUTPUTS_NOTEBOOK: string = join(
  PROJECT_ROOT,
  "tests",
  "e2e",
  "fixtures",
  "notebooks",
  "late_outputs.ipynb",
);

/** The Python interpreter with Debian's Jupyter packages. */
const PYTHON = "/usr/bin/python3";

/** Notebook runners measured. */
export type LateOutputRunner = "nbconvert" | "executor" | "runall";

/** The runners, for argument checks. */
export const LATE_OUTPUT_RUNNERS: readonly LateOutputRunner[] = ["nbconvert", "executor", "runall"];

/**
 * The `runall` runner (Python, jupyter_client): sends every code cell's execute request at once,
 * as the classic UI's Run All does, files each output under the cell its parent header names,
 * drops the outputs that come after both the cell's reply and its "idle" (as the classic UI's
 * kernel.js does: it forgets the cell's callbacks then), stops 0.5 s after the last cell's "idle"
 * and saves the notebook. Arguments: IN OUT.
 */
const RUN_ALL_PY = `
import os, queue, sys, time
import nbformat
from jupyter_client.manager import KernelManager
source, target = sys.argv[1], sys.argv[2]
nb = nbformat.read(source, as_version=4)
km = KernelManager(kernel_name=nb.metadata.get("kernelspec", {}).get("name", "deno"))
km.start_kernel(cwd=os.path.dirname(os.path.abspath(source)))
client = km.client()
client.start_channels()
try:
    client.wait_for_ready(timeout=120)
    cells = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cells[client.execute(cell.source)] = cell
    idle, replied, deadline, last_idle = set(), set(), time.monotonic() + 120, None
    while time.monotonic() < deadline and (last_idle is None or time.monotonic() - last_idle < 0.5):
        while True:
            try:
                replied.add(client.get_shell_msg(timeout=0)["parent_header"].get("msg_id"))
            except queue.Empty:
                break
        try:
            msg = client.get_iopub_msg(timeout=0.05)
        except queue.Empty:
            continue
        parent = msg["parent_header"].get("msg_id")
        cell = cells.get(parent)
        kind, content = msg["header"]["msg_type"], msg["content"]
        if cell is None or (parent in idle and parent in replied):
            continue  # kernel.js has dropped the cell's callbacks: the output is not shown
        if kind == "status" and content["execution_state"] == "idle":
            idle.add(msg["parent_header"]["msg_id"])
            if len(idle) == len(cells):
                last_idle = time.monotonic()
        elif kind == "stream":
            output = nbformat.v4.new_output("stream", name=content["name"], text=content["text"])
            cell.outputs.append(output)
        elif kind == "execute_result":
            cell.outputs.append(nbformat.v4.new_output("execute_result", data=content["data"]))
    if len(idle) < len(cells):
        sys.exit(f"runall: {len(cells) - len(idle)} of {len(cells)} cells never went idle")
    nbformat.write(nb, target)
finally:
    client.stop_channels()
    km.shutdown_kernel(now=False)
`;
import { formatNumber } from "../lib/format/mod.ts";

/** A saved notebook's output, as far as this measure reads it. */
interface Output {
  output_type: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
}

/** A saved notebook's cell, as far as this measure reads it. */
interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: Output[];
}

/** What one run of the repro notebook kept of its outputs. */
export interface LateOutputCount {
  /** Code cells checked. */
  cells: number;
  /** Code cells that miss their own line or value (whether it went elsewhere or nowhere). */
  cellsLost: number;
  /** Printed lines missing from their cell. */
  linesLost: number;
  /** Values (execute_result) missing from their cell. */
  valuesLost: number;
  /** Lines or values found under another cell than the one that produced them. */
  misplaced: number;
  /** Indices (among the code cells, from 0) of the cells that miss something. */
  lostCells: number[];
}

function text(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join("") : value ?? "";
}

/**
 * Counts the lost and misplaced outputs of an executed repro notebook. Each code cell's source
 * must read `console.log("LINE");` then `"VALUE";`: the cell should hold the stream text `LINE\n`
 * and an execute_result `"VALUE"`. Throws when a cell has another shape (not the repro notebook).
 */
export function countLateOutputs(notebook: { cells: Cell[] }): LateOutputCount {
  const cells = notebook.cells.filter((cell) => cell.cell_type === "code");
  const expected = cells.map((cell, index) => {
    const match = text(cell.source).match(/^console\.log\("([^"]+)"\);\n"([^"]+)";$/);
    if (!match) {
      throw new Error(
        `measure_late_outputs: code cell ${index} is not 'console.log("LINE");\\n"VALUE";'; ` +
          "pass the repro notebook tests/e2e/fixtures/notebooks/late_outputs.ipynb",
      );
    }
    return { line: `${match[1]}\n`, value: JSON.stringify(match[2]) };
  });
  const streams = cells.map((cell) =>
    (cell.outputs ?? []).filter((o) => o.output_type === "stream").map((o) => text(o.text)).join("")
  );
  const values = cells.map((cell) =>
    (cell.outputs ?? []).filter((o) => o.output_type === "execute_result").map((o) =>
      text(o.data?.["text/plain"])
    )
  );
  const count: LateOutputCount = {
    cells: cells.length,
    cellsLost: 0,
    linesLost: 0,
    valuesLost: 0,
    misplaced: 0,
    lostCells: [],
  };
  expected.forEach(({ line, value }, index) => {
    const lineLost = !streams[index].includes(line);
    const valueLost = !values[index].includes(value);
    if (lineLost) count.linesLost++;
    if (valueLost) count.valuesLost++;
    if (lineLost || valueLost) {
      count.cellsLost++;
      count.lostCells.push(index);
    }
    streams.forEach((stream, other) => {
      if (other !== index && stream.includes(line)) count.misplaced++;
    });
    values.forEach((list, other) => {
      if (other !== index && list.includes(value)) count.misplaced++;
    });
  });
  return count;
}

/** Options for {@link runLateOutputsNotebook}. */
export interface RunLateOutputsOptions {
  /** Deno binary the kernel runs (`KMNIST_DENO`). */
  deno: string;
  /** Notebook runner; defaults to nbconvert. */
  runner?: LateOutputRunner;
  /**
   * False starts the kernel without the output-ordering proxy (`KMNIST_KERNEL_ORDERING=0`), true
   * with it; unset, the environment's `KMNIST_KERNEL_ORDERING` applies (default: with it).
   */
  ordering?: boolean;
  /** Notebook to run; defaults to {@link LATE_OUTPUTS_NOTEBOOK}. */
  notebook?: string;
  /** Extra arguments for the runner (e.g. nbconvert's `--ExecutePreprocessor.iopub_timeout=5`). */
  runnerArgs?: string[];
}

/** Outcome of one {@link runLateOutputsNotebook}. */
export interface LateOutputsRun extends LateOutputCount {
  /** Seconds the runner took, kernel start included. */
  seconds: number;
}

/**
 * Runs the repro notebook once (from a temp copy, through the project's kernelspec) and counts
 * its lost outputs. Throws with the runner's stderr when the runner fails.
 */
export async function runLateOutputsNotebook(
  options: RunLateOutputsOptions,
): Promise<LateOutputsRun> {
  const notebook = options.notebook ?? LATE_OUTPUTS_NOTEBOOK;
  const runner = options.runner ?? "nbconvert";
  const temp = await Deno.makeTempDir({ prefix: "late_outputs_" });
  try {
    const input = join(temp, basename(notebook));
    const output = join(temp, "executed.ipynb");
    await Deno.copyFile(notebook, input);
    const args = runner === "nbconvert"
      ? [
        "-m",
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        "--ExecutePreprocessor.timeout=120",
        "--ExecutePreprocessor.startup_timeout=120",
        ...(options.runnerArgs ?? []),
        "--output-dir",
        temp,
        "--output",
        "executed",
        input,
      ]
      : runner === "runall"
      ? ["-c", RUN_ALL_PY, input, output, ...(options.runnerArgs ?? [])]
      : [
        join(PROJECT_ROOT, "tools", "execute_notebook.py"),
        input,
        "--output",
        output,
        "--timeout",
        "120",
        ...(options.runnerArgs ?? []),
      ];
    const started = performance.now();
    const env: Record<string, string> = {
      JUPYTER_PATH: join(PROJECT_ROOT, "jupyter"),
      KMNIST_DENO: options.deno,
    };
    if (options.ordering !== undefined) env.KMNIST_KERNEL_ORDERING = options.ordering ? "1" : "0";
    const result = await new Deno.Command(PYTHON, {
      args,
      cwd: temp,
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const seconds = (performance.now() - started) / 1000;
    if (!result.success) {
      throw new Error(
        `measure_late_outputs: ${runner} failed with deno ${options.deno}:\n` +
          new TextDecoder().decode(result.stderr),
      );
    }
    return { ...countLateOutputs(JSON.parse(await Deno.readTextFile(output))), seconds };
  } finally {
    await Deno.remove(temp, { recursive: true });
  }
}

/**
 * The deno binary for a version (`2.9.6`, fetched with `npx -y deno@2.9.6`) or a path (returned
 * as is when executable). Throws naming the version when npx cannot provide it.
 */
export async function resolveDeno(versionOrPath: string): Promise<string> {
  if (versionOrPath.includes("/")) {
    const info = await Deno.stat(versionOrPath).catch(() => null);
    if (!info?.isFile) throw new Error(`measure_late_outputs: ${versionOrPath} is not a file`);
    return versionOrPath;
  }
  if (!/^\d+\.\d+\.\d+$/.test(versionOrPath)) {
    throw new Error(
      `measure_late_outputs: --deno expects X.Y.Z versions or paths, got ${versionOrPath}`,
    );
  }
  const temp = await Deno.makeTempDir({ prefix: "late_outputs_deno_" });
  try {
    // Outside the project: older versions cannot read its deno.lock.
    const result = await new Deno.Command("npx", {
      args: ["-y", `deno@${versionOrPath}`, "eval", "console.log(Deno.execPath())"],
      cwd: temp,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const path = new TextDecoder().decode(result.stdout).trim();
    if (!result.success || !path) {
      throw new Error(
        `measure_late_outputs: npx -y deno@${versionOrPath} failed:\n` +
          new TextDecoder().decode(result.stderr),
      );
    }
    return path;
  } finally {
    await Deno.remove(temp, { recursive: true });
  }
}

/** One table row: the runs of one deno version. */
export interface LateOutputsSummary {
  /** The version or path measured. */
  deno: string;
  /** Every run's count. */
  runs: LateOutputsRun[];
  /** Why the runs stopped, when one failed (the last line of the runner's stderr). */
  failure?: string;
}

/** Markdown table of {@link LateOutputsSummary} rows. */
export function formatLateOutputsTable(rows: LateOutputsSummary[]): string {
  const lines = [
    "| deno | runs | cells lost per run | mean | lines lost | values lost | misplaced | s / run |",
    "| ---- | ---: | ------------------ | ---: | ---------: | ----------: | --------: | ------: |",
  ];
  for (const { deno, runs, failure } of rows) {
    if (failure !== undefined) {
      lines.push(`| ${deno} | ${runs.length} | runner failed: ${failure} | | | | | |`);
      continue;
    }
    const sum = (key: keyof LateOutputCount) =>
      runs.reduce((total, run) => total + (run[key] as number), 0);
    const seconds = runs.reduce((total, run) => total + run.seconds, 0) / runs.length;
    lines.push(
      `| ${deno} | ${runs.length} | ${runs.map((run) => run.cellsLost).join(" ")} | ` +
        `${formatNumber(sum("cellsLost") / runs.length, { decimals: 1 })} | ${
          sum("linesLost")
        } | ` +
        `${sum("valuesLost")} | ${sum("misplaced")} | ${formatNumber(seconds, { decimals: 1 })} |`,
    );
  }
  return lines.join("\n");
}

function parseArgs(args: string[]) {
  const options = {
    denos: ["2.9.6"],
    runs: 5,
    runner: "nbconvert" as LateOutputRunner,
    ordering: undefined as boolean | undefined,
    runnerArgs: [] as string[],
  };
  for (let i = 0; i < args.length; i++) {
    const value = args[i + 1];
    const need = () => {
      if (value === undefined) throw new Error(`measure_late_outputs: ${args[i]} needs a value`);
      i++;
      return value;
    };
    switch (args[i]) {
      case "--deno":
        options.denos = need().split(",").filter(Boolean);
        break;
      case "--runs":
        options.runs = Number(need());
        if (!Number.isInteger(options.runs) || options.runs < 1) {
          throw new Error(`measure_late_outputs: --runs expects a positive integer, got ${value}`);
        }
        break;
      case "--runner":
        options.runner = need() as LateOutputRunner;
        if (!LATE_OUTPUT_RUNNERS.includes(options.runner)) {
          throw new Error(
            `measure_late_outputs: --runner is ${LATE_OUTPUT_RUNNERS.join(", ")}; got ${value}`,
          );
        }
        break;
      case "--ordering":
        if (!["on", "off"].includes(need())) {
          throw new Error(`measure_late_outputs: --ordering is on or off, got ${value}`);
        }
        options.ordering = value === "on";
        break;
      case "--runner-arg":
        options.runnerArgs.push(need());
        break;
      default:
        throw new Error(
          `measure_late_outputs: unknown argument ${args[i]}; use --deno V1,V2 --runs N ` +
            "--runner nbconvert|executor|runall --ordering on|off --runner-arg ARG",
        );
    }
  }
  return options;
}

async function main(args: string[]): Promise<number> {
  const options = parseArgs(args);
  const rows: LateOutputsSummary[] = [];
  const ordering = options.ordering ?? Deno.env.get("KMNIST_KERNEL_ORDERING") !== "0";
  console.log(
    `runner ${options.runner}${
      options.runnerArgs.length ? " " + options.runnerArgs.join(" ") : ""
    }` +
      `, kernel output ordering ${ordering ? "on" : "off"}, ${options.runs} runs each`,
  );
  for (const version of options.denos) {
    const deno = await resolveDeno(version);
    const runs: LateOutputsRun[] = [];
    let failure: string | undefined;
    for (let run = 0; run < options.runs; run++) {
      let result: LateOutputsRun;
      try {
        result = await runLateOutputsNotebook({
          deno,
          runner: options.runner,
          ordering: options.ordering,
          runnerArgs: options.runnerArgs,
        });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        console.error(message);
        failure = message.trim().split("\n").at(-1);
        break;
      }
      console.error(
        `deno ${version} run ${run + 1}: ${result.cellsLost} of ${result.cells} cells lost ` +
          `(${result.linesLost} lines, ${result.valuesLost} values, ${result.misplaced} misplaced)` +
          ` in ${formatNumber(result.seconds, { decimals: 1 })} s`,
      );
      runs.push(result);
    }
    rows.push({ deno: version, runs, failure });
  }
  console.log(formatLateOutputsTable(rows));
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    Deno.exit(1);
  }
}
