/**
 * Sets up the project-local Jupyter kernelspec `jupyter/kernels/deno/` (the Deno 2.9.6 kernel) and checks it.
 *
 *     npx -y deno@2.9.6 task kernel          # record deno's path, check the spec, run a smoke test
 *     npx -y deno@2.9.6 task kernel --no-smoke
 *
 * Nothing is installed globally: the kernelspec lives in the project, and Jupyter finds it through
 * `JUPYTER_PATH=<project root>/jupyter` (Jupyter looks in `$JUPYTER_PATH/kernels/<name>/kernel.json`), e.g.
 *
 *     JUPYTER_PATH=$PWD/jupyter jupyter notebook notebooks/
 *
 * The spec's argv runs `jupyter/kernels/deno/start_kernel.sh`, which starts `deno jupyter --kernel` with the
 * deno binary recorded here in `jupyter/kernels/deno/deno_path` (git-ignored: the binary running this
 * script), else `$KMNIST_DENO`, a deno 2.9.6 on PATH, or `npx -y deno@2.9.6`. Jupyter starts the
 * kernel in the notebook's folder, so Deno finds deno.json (import map) and node_modules above it.
 * Deno runs behind `jupyter/kernels/deno/ordered_kernel.py` (Python with pyzmq, from Debian's
 * python3-zmq), which holds each cell's "idle" until the cell's outputs are out: the bare Deno
 * kernel can publish them after "idle", and `jupyter nbconvert --execute` then loses them (see
 * tools/measure_late_outputs.ts). This script checks that the proxy can run.
 *
 * The smoke test runs tests/e2e/fixtures/notebooks/kernel_fixture.ipynb through
 * tools/execute_notebook.py into a temp file and prints how long the kernel took to start.
 *
 * @module
 */
import { join } from "node:path";
import { PROJECT_ROOT, writeTextAtomic } from "../lib/io/mod.ts";
import { formatNumber } from "../lib/format/mod.ts";

/** Project root (the folder holding deno.json). */

/** Name of the project's kernelspec (as in the notebooks' `metadata.kernelspec.name`). */
export const KERNEL_NAME = "deno";

/** The Python interpreter with Debian's jupyter_client and nbformat. */
export const PYTHON = "/usr/bin/python3";

/** Options for {@link installKernel}. */
export interface InstallKernelOptions {
  /** Project root; defaults to {@link PROJECT_ROOT}. */
  root?: string;
  /** Deno binary the kernel runs; defaults to the one running this script (`Deno.execPath()`). */
  deno?: string;
}

/** What {@link installKernel} set up. */
export interface KernelInstallation {
  /** Folder of the kernelspec (`<root>/jupyter/kernels/deno`). */
  kernelDirectory: string;
  /** Deno binary recorded for the kernel. */
  deno: string;
  /** Value of `JUPYTER_PATH` under which Jupyter finds the kernelspec. */
  jupyterPath: string;
}

/**
 * Checks `jupyter/kernels/deno/kernel.json` and records the deno binary the kernel should run in
 * `jupyter/kernels/deno/deno_path`. Throws an error naming the problem when the spec is missing or
 * malformed, or the deno binary is not executable.
 */
export async function installKernel(
  options: InstallKernelOptions = {},
): Promise<KernelInstallation> {
  const root = options.root ?? PROJECT_ROOT;
  const kernelDirectory = join(root, "jupyter", "kernels", KERNEL_NAME);
  const specPath = join(kernelDirectory, "kernel.json");
  let spec: { argv?: unknown; language?: unknown };
  try {
    spec = JSON.parse(await Deno.readTextFile(specPath));
  } catch (error) {
    throw new Error(
      `install_kernel: cannot read the kernelspec ${specPath} (${error}); ` +
        "restore jupyter/kernels/deno/ from git",
    );
  }
  if (!Array.isArray(spec.argv) || !spec.argv.includes("{connection_file}")) {
    throw new Error(
      `install_kernel: ${specPath} has no argv with "{connection_file}"; restore it from git`,
    );
  }
  await checkOrderingProxy(kernelDirectory);
  const deno = options.deno ?? Deno.execPath();
  const info = await Deno.stat(deno).catch(() => null);
  if (!info?.isFile || ((info.mode ?? 0o111) & 0o111) === 0) {
    throw new Error(`install_kernel: ${deno} is not an executable deno binary; pass another one`);
  }
  await writeTextAtomic(join(kernelDirectory, "deno_path"), `${deno}\n`);
  return { kernelDirectory, deno, jupyterPath: join(root, "jupyter") };
}

/**
 * Checks that the kernelspec's output-ordering proxy `ordered_kernel.py` is there and that
 * {@link PYTHON} can import zmq for it. Throws an error naming the fix otherwise.
 */
export async function checkOrderingProxy(kernelDirectory: string): Promise<void> {
  const proxy = join(kernelDirectory, "ordered_kernel.py");
  if (!(await Deno.stat(proxy).catch(() => null))?.isFile) {
    throw new Error(`install_kernel: ${proxy} is missing; restore jupyter/kernels/deno/ from git`);
  }
  const result = await new Deno.Command(PYTHON, {
    args: ["-c", "import zmq"],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => null);
  if (!result?.success) {
    throw new Error(
      `install_kernel: ${PYTHON} cannot import zmq, which the kernel's ordered_kernel.py needs; ` +
        "install the Debian package python3-zmq (bash tools/install_system_deps.sh)",
    );
  }
}

/** Result of {@link smokeTestKernel}. */
export interface SmokeTestResult {
  /** Seconds until the kernel answered (as reported by execute_notebook.py). */
  kernelStartSeconds: number;
  /** Seconds for the whole fixture notebook, kernel start included. */
  totalSeconds: number;
}

/**
 * Runs the fixture notebook through the real kernel (into a temp file) and measures the start.
 * Throws with execute_notebook.py's stderr when it fails.
 */
export async function smokeTestKernel(root: string = PROJECT_ROOT): Promise<SmokeTestResult> {
  const output = await Deno.makeTempFile({ suffix: ".ipynb" });
  try {
    const started = performance.now();
    const result = await new Deno.Command(PYTHON, {
      args: [
        join(root, "tools", "execute_notebook.py"),
        join(root, "tests", "e2e", "fixtures", "notebooks", "kernel_fixture.ipynb"),
        "--output",
        output,
        "--timeout",
        "120",
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const totalSeconds = (performance.now() - started) / 1000;
    const stderr = new TextDecoder().decode(result.stderr);
    if (!result.success) {
      throw new Error(`install_kernel: the kernel smoke test failed:\n${stderr}`);
    }
    const match = stderr.match(/ready in ([0-9.]+) s/);
    return { kernelStartSeconds: match ? Number(match[1]) : NaN, totalSeconds };
  } finally {
    await Deno.remove(output).catch(() => {});
  }
}

async function main(args: string[]): Promise<number> {
  const installation = await installKernel();
  console.log(`kernelspec    ${installation.kernelDirectory}`);
  console.log(`deno          ${installation.deno}`);
  if (!args.includes("--no-smoke")) {
    const smoke = await smokeTestKernel();
    console.log(
      `smoke test    ok: kernel ready in ${
        formatNumber(smoke.kernelStartSeconds, { decimals: 1 })
      } s, ` +
        `fixture notebook in ${formatNumber(smoke.totalSeconds, { decimals: 1 })} s`,
    );
  }
  console.log(`\nOpen the notebooks with the project's kernel (nothing installed globally):`);
  console.log(`  JUPYTER_PATH=${installation.jupyterPath} jupyter notebook notebooks/`);
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
