/**
 * The user settings read from the environment, each read and checked in one place: a value the
 * project does not know stops with an error naming the variable, the value and what to use.
 *
 * @module
 */

/** Debian's Chromium, used when `KMNIST_CHROMIUM` is not set. */
export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

/**
 * Quick mode (`KMNIST_QUICK`): "1" on, "0" (or unset, or empty) off.
 *
 * @throws Error for any other value (e.g. "yes", which would otherwise silently mean a full run).
 */
export function quickModeSetting(): boolean {
  const value = Deno.env.get("KMNIST_QUICK");
  if (value === undefined || value === "" || value === "0") return false;
  if (value === "1") return true;
  throw new Error(
    `KMNIST_QUICK=${JSON.stringify(value)} is not a setting: use KMNIST_QUICK=1 for quick mode ` +
      `(a few thousand images, one epoch: a smoke test, not results) or KMNIST_QUICK=0 (or ` +
      `leave it unset) for full runs.`,
  );
}

/**
 * The Chromium binary the explorer's browser tests and the report's PDF printing run:
 * `KMNIST_CHROMIUM`, else Debian's /usr/bin/chromium.
 */
export function chromiumSetting(): string {
  const value = Deno.env.get("KMNIST_CHROMIUM");
  return value === undefined || value === "" ? DEFAULT_CHROMIUM : value;
}
