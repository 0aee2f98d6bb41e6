/**
 * The model as a tfjs layers artifact on disk: model.json and weights.bin written and parsed with
 * size checks, and the tfjs IO handler (`denoFileHandler`) that loads and saves them.
 *
 * @module
 */
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { displayPath, writeFileAtomic } from "../../io/mod.ts";
import {
  CHECKPOINT_FILES,
  errorText,
  FIX,
  joinWeightData,
  parseJson,
  readNamed,
  toArrayBuffer,
} from "./format.ts";

/** model.json's bytes for `artifacts`, with its weights in `./weights.bin`. */
export function modelJsonBytes(artifacts: tf.io.ModelArtifacts): Uint8Array {
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new Error("denoFileHandler: binary model topologies are not supported.");
  }
  const json: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology ?? {},
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: [{
      paths: [`./${CHECKPOINT_FILES.weights}`],
      weights: artifacts.weightSpecs ?? [],
    }],
    ...(artifacts.userDefinedMetadata
      ? { userDefinedMetadata: artifacts.userDefinedMetadata }
      : {}),
  };
  return new TextEncoder().encode(JSON.stringify(json));
}

/** Bytes that `specs` need (undefined when they use quantisation, which this project never does). */
export function expectedBytes(specs: tf.io.WeightsManifestEntry[]): number | undefined {
  let total = 0;
  for (const spec of specs) {
    if (spec.quantization) return undefined;
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const per = spec.dtype === "float32" || spec.dtype === "int32"
      ? 4
      : spec.dtype === "bool"
      ? 1
      : 0;
    if (per === 0) return undefined;
    total += size * per;
  }
  return total;
}

/** Checks that `bytes` from `file` hold exactly the tensors `specs` describe. */
export function checkSize(
  bytes: Uint8Array,
  specs: tf.io.WeightsManifestEntry[],
  file: string,
): void {
  const expected = expectedBytes(specs);
  if (expected !== undefined && bytes.byteLength !== expected) {
    throw new Error(
      `${displayPath(file)} is ${bytes.byteLength} bytes but should hold ${expected} bytes ` +
        `(${specs.length} tensors): it is ${
          bytes.byteLength < expected ? "truncated" : "too long"
        }; ${FIX}.`,
    );
  }
}

/** Model artifacts from a model.json's bytes and a reader of the weight files it names. */
export async function parseModelArtifacts(
  bytes: Uint8Array,
  file: string,
  readWeights: (name: string) => Promise<Uint8Array>,
): Promise<tf.io.ModelArtifacts> {
  const json = parseJson<tf.io.ModelJSON>(bytes, file);
  if (!json || typeof json !== "object" || !Array.isArray(json.weightsManifest)) {
    throw new Error(
      `${displayPath(file)} has no weightsManifest: it is not a tfjs layers model; ${FIX}.`,
    );
  }
  const specs = json.weightsManifest.flatMap((group) => group.weights);
  const parts: Uint8Array[] = [];
  for (const group of json.weightsManifest) {
    for (const name of group.paths) parts.push(await readWeights(name));
  }
  const weights = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    weights.set(p, at);
    at += p.byteLength;
  }
  const weightFile = path.join(
    path.dirname(file),
    json.weightsManifest[0]?.paths[0] ?? CHECKPOINT_FILES.weights,
  );
  checkSize(weights, specs, weightFile);
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    weightSpecs: specs,
    weightData: toArrayBuffer(weights),
    userDefinedMetadata: json.userDefinedMetadata,
  };
}

/**
 * A `tf.io.IOHandler` that saves a layers model as `directory/model.json` + `directory/weights.bin`
 * (the tfjs "layers-model" format, loadable by `tf.loadLayersModel` elsewhere) and loads it back.
 * Each file is written atomically, but not the pair: {@link saveCheckpoint} is the safe save.
 */
export function denoFileHandler(
  directory: string,
): Required<Pick<tf.io.IOHandler, "save" | "load">> {
  const modelFile = path.join(directory, CHECKPOINT_FILES.model);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const json = modelJsonBytes(artifacts);
      const weights = artifacts.weightData
        ? joinWeightData(artifacts.weightData)
        : new Uint8Array();
      await writeFileAtomic(path.join(directory, CHECKPOINT_FILES.weights), weights);
      await writeFileAtomic(modelFile, json);
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: "JSON",
          modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs).length,
          weightDataBytes: weights.byteLength,
        },
      };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      let bytes: Uint8Array;
      try {
        bytes = await Deno.readFile(modelFile);
      } catch (error) {
        throw new Error(
          `No model checkpoint at ${displayPath(modelFile)} (${errorText(error)}): train one ` +
            `first (deno task train --out ${displayPath(directory)}) or pass the right directory.`,
        );
      }
      return await parseModelArtifacts(
        bytes,
        modelFile,
        (name) => readNamed(path.join(directory, name)),
      );
    },
  };
}
