/**
 * A run folder's checkpoint as a whole: whether it has one, removing it, and cleaning what an
 * interrupted save left behind.
 *
 * @module
 */
import * as path from "node:path";
import { isAtomicTemporary, syncDirectory } from "../../io/mod.ts";
import {
  CHECKPOINT_FILES,
  CHECKPOINT_FOLDER,
  CHECKPOINT_MANIFEST,
  type CheckpointManifest,
  readManifest,
} from "./format.ts";

/**
 * Removes checkpoint folders other than `keep` and temporaries, and with `legacy` the files of an
 * earlier version's checkpoint lying directly in the run folder.
 */
export async function removeStale(
  directory: string,
  keep: string,
  legacy: boolean,
): Promise<string[]> {
  const removed: string[] = [];
  const flat = new Set<string>(Object.values(CHECKPOINT_FILES));
  for await (const entry of Deno.readDir(directory)) {
    const stale =
      (entry.isDirectory && CHECKPOINT_FOLDER.test(entry.name) && entry.name !== keep) ||
      (entry.isFile && isAtomicTemporary(entry.name)) ||
      (legacy && entry.isFile && flat.has(entry.name));
    if (!stale) continue;
    await Deno.remove(path.join(directory, entry.name), { recursive: true });
    removed.push(entry.name);
  }
  return removed.sort();
}

/**
 * Removes what an interrupted save left in run folder `directory`: checkpoint folders that
 * checkpoint.json does not name and temporary files. Returns their names. Call it only while
 * holding the folder's run lock (another run's save in progress would look the same).
 */
export async function cleanCheckpointLeftovers(directory: string): Promise<string[]> {
  let manifest: CheckpointManifest | undefined;
  try {
    manifest = await readManifest(directory);
  } catch {
    return []; // a damaged manifest: keep everything, the load will say what is wrong
  }
  try {
    return await removeStale(directory, manifest?.folder ?? "", manifest !== undefined);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/** Whether run folder `directory` holds a checkpoint (a manifest, or an older flat model.json). */
export async function hasCheckpoint(directory: string): Promise<boolean> {
  for (const name of [CHECKPOINT_MANIFEST, CHECKPOINT_FILES.model]) {
    try {
      await Deno.stat(path.join(directory, name));
      return true;
    } catch {
      // not there
    }
  }
  return false;
}

/**
 * Removes the checkpoint of run folder `directory` (manifest first, so that a kill half way
 * leaves no checkpoint rather than a broken one). Other files stay.
 */
export async function removeCheckpoint(directory: string): Promise<void> {
  await Deno.remove(path.join(directory, CHECKPOINT_MANIFEST)).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  await syncDirectory(directory);
  try {
    await removeStale(directory, "", true);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
