/** Running code in a fresh Deno process, for tests of start-up and environment behaviour. */

/** What a snippet run printed and how it ended. */
export interface SnippetResult {
  /** Exit code 0. */
  ok: boolean;
  /** Exit code. */
  code: number;
  /** The signal that ended it (e.g. "SIGSEGV"), or null. */
  signal: Deno.Signal | null;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** Options of {@link runSnippet}. */
export interface SnippetOptions {
  /** Variables the child starts without, whatever this process holds (default none). */
  unset?: string[];
}

/**
 * Runs TypeScript `code` with `deno eval` in a fresh process, from the project root (so it can
 * import "./lib/..."), with `env` added to the environment and `options.unset` taken out of it.
 *
 * A fresh process is also how a test sees the environment alone: under `deno test --parallel`
 * every test module runs in this one process, so a variable another module sets for a moment
 * (as the BLAS loaders do around `dlopen`) is visible here meanwhile.
 */
export async function runSnippet(
  code: string,
  env: Record<string, string> = {},
  options: SnippetOptions = {},
): Promise<SnippetResult> {
  const root = new URL("../../", import.meta.url).pathname;
  const unset = options.unset ?? [];
  const childEnv = unset.length === 0 ? env : { ...Deno.env.toObject(), ...env };
  for (const name of unset) delete childEnv[name];
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", "--ext=ts", code],
    cwd: root,
    env: childEnv,
    clearEnv: unset.length > 0,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    ok: out.success,
    code: out.code,
    signal: out.signal,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}
