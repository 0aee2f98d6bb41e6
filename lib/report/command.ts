/**
 * Running the report's external programs (jupyter, chromium, pdfinfo, pdftoppm): stdout on
 * success, an error naming the step, the program's exit code and its stderr otherwise, and the fix
 * when the program is not installed.
 *
 * @module
 */

const decoder = new TextDecoder();

/** Runs `command` with `args` for `what` (a phrase for the error); returns its stdout. */
export async function runCommand(command: string, args: string[], what: string): Promise<string> {
  let result: Deno.CommandOutput;
  try {
    result = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" }).output();
  } catch (error) {
    throw new Error(
      `report: cannot run ${command} for ${what} (${error}); install the Debian packages with ` +
        "bash tools/install_system_deps.sh",
    );
  }
  if (!result.success) {
    throw new Error(
      `report: ${what} failed (${command} exited with ${result.code}):\n` +
        decoder.decode(result.stderr).trim(),
    );
  }
  return decoder.decode(result.stdout);
}
