/**
 * Executing a notebook through the real Deno kernel (tools/execute_notebook.py and Debian's
 * jupyter_client), with its outputs saved in place or into another file.
 *
 * @module
 */
import { join } from "node:path";
import { PROJECT_ROOT } from "../io/mod.ts";

const decoder = new TextDecoder();

/** The Python interpreter with Debian's jupyter_client and nbformat. */
export const PYTHON = "/usr/bin/python3";

/** Options for {@link executeNotebook}. */
export interface ExecuteNotebookOptions {
  /** The .ipynb to run. */
  notebook: string;
  /** Where to save the executed notebook (default: in place). */
  output?: string;
  /** Kernel working directory (default: the notebook's folder). */
  cwd?: string;
  /** Extra environment variables for the kernel (the rest of the environment passes through). */
  env?: Record<string, string>;
  /** Per-cell timeout in seconds (default 1800). */
  cellTimeoutSeconds?: number;
  /** Echo execute_notebook.py's progress lines to stderr while it runs (default false). */
  echo?: boolean;
}

/** Outcome of {@link executeNotebook}. */
export interface ExecuteNotebookResult {
  /** True when every cell ran without error. */
  success: boolean;
  /** execute_notebook.py's exit code (0 ok, 1 a cell failed, 2 bad arguments). */
  code: number;
  /** Its stderr: progress lines and, on failure, the notebook, cell and error. */
  stderr: string;
  /** Wall seconds. */
  seconds: number;
}

/**
 * Executes a notebook through the real Deno kernel with tools/execute_notebook.py. Unless the
 * caller sets `KMNIST_DENO`, the kernel runs the deno binary running this code.
 */
export async function executeNotebook(
  options: ExecuteNotebookOptions,
): Promise<ExecuteNotebookResult> {
  const args = [join(PROJECT_ROOT, "tools", "execute_notebook.py"), options.notebook];
  if (options.output) args.push("--output", options.output);
  if (options.cwd) args.push("--cwd", options.cwd);
  args.push("--timeout", String(options.cellTimeoutSeconds ?? 1800));
  const started = performance.now();
  const child = new Deno.Command(PYTHON, {
    args,
    env: { KMNIST_DENO: Deno.env.get("KMNIST_DENO") ?? Deno.execPath(), ...options.env },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  for await (const chunk of child.stderr) {
    const text = decoder.decode(chunk, { stream: true });
    stderr += text;
    if (options.echo) Deno.stderr.writeSync(chunk);
  }
  const status = await child.status;
  return {
    success: status.success,
    code: status.code,
    stderr,
    seconds: (performance.now() - started) / 1000,
  };
}
