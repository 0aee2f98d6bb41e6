/**
 * Selects and initialises the TensorFlow.js backend.
 *
 * The wasm backend (SIMD) is the default: it is the fastest pure-tfjs backend on this CPU. Its
 * binaries are loaded from the npm package on disk, never from the network. `KMNIST_BACKEND`
 * (`wasm` or `cpu`) overrides the choice.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { registerWasmGapKernels } from "./kernels/wasm_conv.ts";

/** Names of the backends this project can run on. */
export type BackendName = "wasm" | "cpu";

/** What {@link initBackend} selected. */
export interface BackendInfo {
  /** The tfjs backend now active. */
  name: BackendName;
  /** Whether the wasm backend runs its SIMD build (always false on cpu). */
  simd: boolean;
  /** Whether the wasm backend runs multi-threaded (always false on cpu). */
  threads: boolean;
}

/** Options for {@link initBackend}. */
export interface InitBackendOptions {
  /** Backend to use; defaults to `KMNIST_BACKEND` or `"wasm"`. */
  backend?: BackendName;
}

const BACKENDS: readonly BackendName[] = ["wasm", "cpu"];

let wasmPathsSet = false;

/** Directory URL of the installed `@tensorflow/tfjs-backend-wasm` package's `.wasm` files. */
export function wasmDirectory(): string {
  const entry = import.meta.resolve("@tensorflow/tfjs-backend-wasm");
  if (entry.startsWith("file:")) return new URL("./", entry).href;
  // Deno resolves npm: specifiers to npm: URLs; the files live in the local node_modules folder.
  return new URL("../node_modules/@tensorflow/tfjs-backend-wasm/dist/", import.meta.url).href;
}

/**
 * Initialises the tfjs backend and reports what is active.
 *
 * @throws Error naming the backend and the fix when it cannot start.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const requested = options.backend ??
    (Deno.env.get("KMNIST_BACKEND") as BackendName | undefined) ??
    "wasm";
  if (!BACKENDS.includes(requested)) {
    throw new Error(
      `Unknown backend "${requested}" (from KMNIST_BACKEND or options): use one of ${
        BACKENDS.join(", ")
      }.`,
    );
  }
  if (requested === "wasm" && !wasmPathsSet) {
    const dir = wasmDirectory();
    const file = new URL("tfjs-backend-wasm-simd.wasm", dir);
    try {
      await Deno.stat(file);
    } catch (error) {
      throw new Error(
        `The wasm backend's binary is missing or unreadable at ${file.pathname} (${error}). ` +
          `Run "deno install" in the project root to fetch npm packages, and give read access to it.`,
      );
    }
    setWasmPaths(dir);
    wasmPathsSet = true;
  }
  if (requested === "wasm") registerWasmGapKernels();
  if (tf.getBackend() !== requested) {
    const ok = await tf.setBackend(requested);
    if (!ok) throw new Error(`tfjs could not initialise the "${requested}" backend.`);
  }
  await tf.ready();
  const simd = requested === "wasm" && Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
  const threads = requested === "wasm" &&
    Boolean(await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT"));
  return { name: requested, simd, threads };
}
