/**
 * A tfjs layers model saved beside a JSON record naming its configuration (the classifier, the
 * conditional VAE): one loader that reads and checks the record, rebuilds the model from its
 * config and sets the saved weights, disposing everything on failure.
 *
 * @module
 */
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { displayPath } from "../io/mod.ts";
import { denoFileHandler } from "./checkpoint/mod.ts";

/** What {@link loadSavedModel} needs to know of one kind of saved model. */
export interface SavedModelKind<R extends { config: { kind: string } }, M> {
  /** The record's file name in the folder. */
  recordFile: string;
  /** The `config.kind` the record must name. */
  kind: R["config"]["kind"];
  /** The model named in messages ("classifier"). */
  what: string;
  /** How to make one, for the messages (a command). */
  fix: string;
  /** Builds a fresh model from the record's config. */
  build(config: R["config"]): M;
  /** The built model's layers model. */
  layers(model: M): tf.LayersModel;
  /** Frees the built model. */
  dispose(model: M): void;
}

/**
 * Loads a model saved in `directory`: its record (checked to name `kind`), then the saved weights
 * set on a model rebuilt from the record's config.
 *
 * @throws naming the folder and the fix when the record is missing or of another kind, or the
 * weights do not fit the config.
 */
export async function loadSavedModel<R extends { config: { kind: string } }, M>(
  directory: string,
  kind: SavedModelKind<R, M>,
): Promise<{ model: M; record: R }> {
  const file = path.join(directory, kind.recordFile);
  let record: R;
  try {
    record = JSON.parse(await Deno.readTextFile(file));
  } catch (error) {
    throw new Error(
      `No ${kind.what} at ${displayPath(directory)} (${(error as Error).message}): ${kind.fix}.`,
    );
  }
  if (record?.config?.kind !== kind.kind) {
    throw new Error(
      `${displayPath(file)} is not a ${kind.what} record (no config.kind "${kind.kind}").`,
    );
  }
  const saved = await tf.loadLayersModel(denoFileHandler(directory));
  const model = kind.build(record.config);
  try {
    const weights = saved.getWeights();
    const expected = kind.layers(model).weights.length;
    if (weights.length !== expected) {
      throw new Error(`it holds ${weights.length} weights, the model has ${expected}`);
    }
    kind.layers(model).setWeights(weights);
  } catch (error) {
    kind.dispose(model);
    throw new Error(
      `${displayPath(directory)} does not match a ${kind.what} of ${
        JSON.stringify(record.config)
      } (${(error as Error).message}): ${kind.fix}.`,
    );
  } finally {
    saved.dispose();
  }
  return { model, record };
}

/** Whether `directory` holds a complete saved model: its record file, written last, is there. */
export async function hasSavedModel(directory: string, recordFile: string): Promise<boolean> {
  try {
    return (await Deno.stat(path.join(directory, recordFile))).isFile;
  } catch {
    return false;
  }
}
