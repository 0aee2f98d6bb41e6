/**
 * Writing files so that a reader never sees half of one: the bytes go to a temporary file in the
 * target's folder, are flushed to disk, and the temporary file is renamed over the target (one
 * atomic step on POSIX file systems). A failure or a kill leaves the old file, or none, and at most
 * a temporary file named `.<name>.<random>.tmp` (see {@link isAtomicTemporary}); the new file gets
 * the same permissions as any file the process creates (the umask applies).
 *
 * @module
 */
import * as path from "node:path";

const TEXT = new TextEncoder();

/** The temporary file name used while writing `target`. */
function temporaryFor(target: string): string {
  const name = `.${path.basename(target)}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  return path.join(path.dirname(target), name);
}

/** Whether `name` (a file name, no folder) is a temporary file left by an interrupted write. */
export function isAtomicTemporary(name: string): boolean {
  return /^\..+\.[0-9a-f]{8}\.tmp$/.test(name);
}

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /**
   * Called once the temporary file is complete and flushed, just before the rename (a point where
   * fault-injection tests stop the process).
   */
  beforeRename?: () => void | Promise<void>;
}

/**
 * Writes `bytes` to `target` atomically, creating its folder when missing.
 *
 * @throws the file system's error (nothing is left behind but the previous file, if any).
 */
export async function writeFileAtomic(
  target: string,
  bytes: Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  await Deno.mkdir(path.dirname(target), { recursive: true });
  const temporary = temporaryFor(target);
  try {
    const file = await Deno.open(temporary, { write: true, createNew: true });
    try {
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.syncData();
    } finally {
      file.close();
    }
    await options.beforeRename?.();
    await Deno.rename(temporary, target);
  } catch (error) {
    await Deno.remove(temporary).catch(() => {});
    throw error;
  }
}

/** The synchronous form of {@link writeFileAtomic} (figures saved from notebook cells). */
export function writeFileAtomicSync(target: string, bytes: Uint8Array): void {
  Deno.mkdirSync(path.dirname(target), { recursive: true });
  const temporary = temporaryFor(target);
  try {
    const file = Deno.openSync(temporary, { write: true, createNew: true });
    try {
      let written = 0;
      while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
      file.syncDataSync();
    } finally {
      file.close();
    }
    Deno.renameSync(temporary, target);
  } catch (error) {
    try {
      Deno.removeSync(temporary);
    } catch { /* nothing to clean */ }
    throw error;
  }
}

/** Writes `text` (UTF-8) to `target` atomically. */
export async function writeTextAtomic(
  target: string,
  text: string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  await writeFileAtomic(target, TEXT.encode(text), options);
}

/** Writes `value` as pretty-printed JSON (two spaces, final newline) to `target` atomically. */
export async function writeJsonAtomic(
  target: string,
  value: unknown,
  options: AtomicWriteOptions = {},
): Promise<void> {
  await writeTextAtomic(target, JSON.stringify(value, null, 2) + "\n", options);
}

/**
 * Flushes a folder's entries (file creations, renames, removals) to disk, so that a rename done
 * before it survives a power cut. A no-op where folders cannot be opened (Windows).
 */
export async function syncDirectory(directory: string): Promise<void> {
  let handle: Deno.FsFile;
  try {
    handle = await Deno.open(directory, { read: true });
  } catch {
    return;
  }
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a folder; the rename is still atomic there.
  } finally {
    handle.close();
  }
}

/** Copies the file `from` to `to` atomically. */
export async function copyFileAtomic(from: string, to: string): Promise<void> {
  await writeFileAtomic(to, await Deno.readFile(from));
}

/** The text of `file`, or undefined when it does not exist (other read errors are thrown). */
export async function readTextIfExists(file: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}
