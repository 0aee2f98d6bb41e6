/**
 * The tfjs the explorer page inlines: the pinned npm packages' own browser builds (tfjs-core,
 * tfjs-backend-cpu, tfjs-layers at the version of `@tensorflow/tfjs` in deno.json), read from the
 * local node_modules folder. No CDN: the page works offline.
 *
 * @module
 */
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { PROJECT_ROOT } from "../io/mod.ts";

/** The three UMD builds, in load order (core defines the global `tf`, the others extend it). */
export const TFJS_BUILDS: readonly { name: string; file: string }[] = [
  { name: "tfjs-core", file: "dist/tf-core.min.js" },
  { name: "tfjs-backend-cpu", file: "dist/tf-backend-cpu.min.js" },
  { name: "tfjs-layers", file: "dist/tf-layers.min.js" },
];

/** Where `@tensorflow/<name>` at `version` lies in Deno's local node_modules folder. */
export function tfjsPackageDirectory(name: string, version: string = tf.version.tfjs): string {
  return path.join(
    PROJECT_ROOT,
    "node_modules",
    ".deno",
    `@tensorflow+${name}@${version}`,
    "node_modules",
    "@tensorflow",
    name,
  );
}

/** A seedrandom stand-in: tfjs-backend-cpu's UMD build reads a global `seedrandom` at load. */
const SEEDRANDOM_SHIM =
  "globalThis.seedrandom = globalThis.seedrandom || { alea: function () { throw new Error(" +
  "'random ops are not available in the explorer page'); } };";

/**
 * The scripts' texts, each safe inside a `<script>` element. Throws naming the missing file and
 * the fix when the npm packages are not installed.
 */
export async function tfjsScripts(): Promise<string[]> {
  const texts = [SEEDRANDOM_SHIM];
  for (const build of TFJS_BUILDS) {
    const file = path.join(tfjsPackageDirectory(build.name), build.file);
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (error) {
      throw new Error(
        `The explorer inlines tfjs from ${file}, which cannot be read (${error}): install the ` +
          `pinned npm packages first (npx -y deno@2.9.6 install).`,
      );
    }
    texts.push(text.replace(/<\/script/gi, "<\\/script").replace(/<!--/g, "<\\!--"));
  }
  return texts;
}
