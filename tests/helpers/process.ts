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

/**
 * Runs TypeScript `code` with `deno eval` in a fresh process, from the project root (so it can
 * import "./lib/..."), with `env` added to the environment.
 */
export async function runSnippet(
  code: string,
  env: Record<string, string> = {},
): Promise<SnippetResult> {
  const root = new URL("../../", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", "--ext=ts", code],
    cwd: root,
    env,
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
