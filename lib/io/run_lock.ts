/**
 * One run per run folder: `run.lock` in the folder, held with an exclusive `flock` for as long as
 * the run lasts. The kernel drops the lock when its holder dies, however it dies, so a lock left
 * by a killed process is taken over (and the process that takes it says whose it was); a second
 * live run into the folder is refused with a message naming the holder. The file stays between
 * runs; it holds the holder's details while held and nothing once released.
 *
 * ```ts
 * const lock = await acquireRunLock("runs/conv");
 * try { ... } finally { lock.release(); }
 * ```
 *
 * @module
 */
import * as path from "node:path";
import { displayPath } from "./project_root.ts";

/** The lock file's name inside a run folder. */
export const RUN_LOCK_FILE = "run.lock";

/** Who holds (or held) a run folder. */
export interface LockHolder {
  /** Process id. */
  pid: number;
  /** Host name (when known). */
  hostname?: string;
  /** What the process runs (its script and arguments). */
  command?: string;
  /** When it took the lock (ISO 8601). */
  since?: string;
}

/** A held run-folder lock. */
export interface RunLock {
  /** The run folder. */
  directory: string;
  /** The previous holder, when this lock was taken over from a process that died holding it. */
  tookOverFrom?: LockHolder;
  /** Releases the lock (idempotent). */
  release(): void;
}

/** Options of {@link acquireRunLock}. */
export interface RunLockOptions {
  /** What to tell the user to do when the folder cannot be used (default: choose another one). */
  hint?: string;
  /** Called with the message when a dead process's lock is taken over (default console.warn). */
  warn?: (message: string) => void;
}

function describe(holder: LockHolder): string {
  const host = holder.hostname ? ` on ${holder.hostname}` : "";
  const command = holder.command ? ` (${holder.command})` : "";
  const since = holder.since ? `, since ${holder.since}` : "";
  return `process ${holder.pid}${host}${command}${since}`;
}

function parseHolder(text: string): LockHolder | undefined {
  if (text.trim() === "") return undefined;
  try {
    const value = JSON.parse(text);
    return Number.isInteger(value?.pid) ? value as LockHolder : undefined;
  } catch {
    return undefined;
  }
}

function me(): LockHolder {
  let hostname: string | undefined;
  try {
    hostname = Deno.hostname();
  } catch {
    hostname = undefined;
  }
  const script = Deno.mainModule ? path.basename(new URL(Deno.mainModule).pathname) : "deno";
  const command = [script, ...Deno.args].join(" ").slice(0, 300);
  return { pid: Deno.pid, hostname, command, since: new Date().toISOString() };
}

async function readAll(file: Deno.FsFile): Promise<string> {
  await file.seek(0, Deno.SeekMode.Start);
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(4096);
  for (;;) {
    const n = await file.read(buffer);
    if (n === null || n === 0) break;
    chunks.push(buffer.slice(0, n));
    if (chunks.length > 16) break; // a lock file is small; never read a huge one whole
  }
  const bytes = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let at = 0;
  for (const c of chunks) bytes.set(c, (at += c.length) - c.length);
  return new TextDecoder().decode(bytes);
}

/**
 * Takes the lock of run folder `directory`, creating the folder when missing.
 *
 * @throws when the folder cannot be created or written (naming it and the fix), or when another
 *   live process holds it (naming that process).
 */
export async function acquireRunLock(
  directory: string,
  options: RunLockOptions = {},
): Promise<RunLock> {
  const shown = displayPath(directory);
  const hint = options.hint ?? "choose another folder";
  const file = path.join(directory, RUN_LOCK_FILE);
  for (let attempt = 0; attempt < 5; attempt++) {
    let handle: Deno.FsFile;
    try {
      await Deno.mkdir(directory, { recursive: true });
      handle = await Deno.open(file, { read: true, write: true, create: true });
    } catch (error) {
      throw new Error(
        `Cannot use ${shown} as the run folder: ${
          error instanceof Error ? error.message : error
        }. Make it writable or ${hint}.`,
      );
    }
    let locked = false;
    try {
      if (!(await handle.tryLock(true))) {
        const holder = parseHolder(await readAll(handle));
        throw new Error(
          `${shown} is in use by another run: ${
            holder ? describe(holder) : "a process that did not record itself"
          } holds ${RUN_LOCK_FILE}. Wait for that run to end, or ${hint}.`,
        );
      }
      locked = true;
      // The file may have been replaced between open and lock: then this lock guards nothing.
      const [onDisk, opened] = await Promise.all([
        Deno.stat(file).catch(() => null),
        handle.stat(),
      ]);
      if (!onDisk || onDisk.ino !== opened.ino || onDisk.dev !== opened.dev) {
        await handle.unlock();
        handle.close();
        continue;
      }
      const previous = parseHolder(await readAll(handle));
      const holder = me();
      await handle.truncate(0);
      await handle.seek(0, Deno.SeekMode.Start);
      await handle.write(new TextEncoder().encode(JSON.stringify(holder) + "\n"));
      await handle.syncData();
      let released = false;
      const lock: RunLock = {
        directory,
        release() {
          if (released) return;
          released = true;
          try {
            handle.truncateSync(0);
            handle.unlockSync();
          } catch {
            // closing releases the lock anyway
          }
          handle.close();
        },
      };
      if (previous && previous.pid !== holder.pid) {
        lock.tookOverFrom = previous;
        (options.warn ?? console.warn)(
          `Taking over the lock of ${shown}: ${describe(previous)} held it and is no longer ` +
            `running (its run ended without releasing it).`,
        );
      }
      return lock;
    } catch (error) {
      if (locked) await handle.unlock().catch(() => {});
      handle.close();
      throw error;
    }
  }
  throw new Error(`Could not take the lock of ${shown}: ${RUN_LOCK_FILE} keeps being replaced.`);
}
