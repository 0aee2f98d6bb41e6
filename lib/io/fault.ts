/**
 * Deterministic fault injection for tests of crash safety: code that must survive a kill at a
 * given point calls {@link faultPoint} there with a label, and a test starts a child process with
 * `KMNIST_KILL_AT=<label>`; the child then kills itself with SIGKILL when it reaches that point
 * (no cleanup, no `finally`, like a power cut of the process). Without the variable it does
 * nothing.
 *
 * @module
 */

/** The environment variable naming the point at which the process kills itself. */
export const KILL_AT_VARIABLE = "KMNIST_KILL_AT";

let target: string | undefined | null = null;

function killTarget(): string | undefined {
  if (target === null) {
    try {
      target = Deno.env.get(KILL_AT_VARIABLE) || undefined;
    } catch {
      target = undefined; // no --allow-env: no fault injection
    }
  }
  return target;
}

/** Kills this process with SIGKILL when `KMNIST_KILL_AT` equals `label`; else does nothing. */
export function faultPoint(label: string): void {
  if (killTarget() === label) Deno.kill(Deno.pid, "SIGKILL");
}
