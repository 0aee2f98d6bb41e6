/**
 * Selects and initialises the TensorFlow.js backend.
 *
 * Three choices:
 * - `blas` (the default when OpenBLAS is installed): the wasm backend with its heavy kernels (MatMul,
 *   fused MatMul, the convolutions and their gradients) replaced by OpenBLAS sgemm ones called
 *   through Deno's FFI on wasm memory (packages/tfjs_blas/), and, when a C compiler is present, im2col,
 *   col2im and the elementwise kernels of a training step (bias Add, Relu, Step, Multiply, Sum)
 *   in C compiled on first use (packages/tfjs_blas/native.ts). `tf.getBackend()` still says `"wasm"`.
 * - `wasm`: tfjs's wasm backend (SIMD), plus the Conv2DBackpropFilter kernel it lacks; the fastest
 *   pure-tfjs backend here, and the fallback (with a one-time notice on stderr) without OpenBLAS.
 * - `cpu`: tfjs's reference JS kernels.
 *
 * The wasm binaries are loaded from the npm package on disk, never from the network.
 * `KMNIST_BACKEND` (`blas`, `wasm` or `cpu`) overrides the default.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { BACKEND_NAMES, type BackendName, speedConfig } from "./config.ts";
import {
  fastKernelsUnavailableReason,
  loadNative,
  nativeKernelsActive,
  nativeLoadError,
  registerFastKernels,
  registerWasmGapKernels,
  unregisterFastKernels,
} from "./kernel_sets.ts";

export type { BackendName } from "./config.ts";

/** What {@link initBackend} selected. */
export interface BackendInfo {
  /** The backend now active (`blas` runs on tfjs's `wasm` backend: see {@link tfjsBackend}). */
  name: BackendName;
  /** What `tf.getBackend()` reports: `wasm` for both `blas` and `wasm`. */
  tfjsBackend: "wasm" | "cpu";
  /** Whether the OpenBLAS kernels are active. */
  blas: boolean;
  /** The OpenBLAS file in use, when {@link blas}. */
  blasLibrary?: string;
  /** Threads OpenBLAS uses, when {@link blas} (see `KMNIST_BLAS_THREADS`). */
  blasThreads?: number;
  /**
   * Whether the native helpers (packages/tfjs_blas/native.ts: im2col/col2im and elementwise kernels in
   * C, compiled on first use) serve the `blas` path; when false on `blas`, {@link nativeReason}.
   */
  native?: boolean;
  /** Why the native helpers are not used on `blas` (no compiler, `KMNIST_NATIVE=0`, ...). */
  nativeReason?: string;
  /** Why `blas` was requested (or the default) but `wasm` runs instead. */
  fallbackReason?: string;
  /** Whether the wasm backend runs its SIMD build (always false on cpu). */
  simd: boolean;
  /** Whether the wasm backend runs multi-threaded (always false on cpu). */
  threads: boolean;
}

/** Options for {@link initBackend}. */
export interface InitBackendOptions {
  /** Backend to use; defaults to `KMNIST_BACKEND`, else `"blas"` (or `"wasm"` without OpenBLAS). */
  backend?: BackendName;
}

let fallbackNoticeShown = false;

let wasmPathsSet = false;

/** Directory URL of the installed `@tensorflow/tfjs-backend-wasm` package's `.wasm` files. */
export function wasmDirectory(): string {
  const entry = import.meta.resolve("@tensorflow/tfjs-backend-wasm");
  if (entry.startsWith("file:")) return new URL("./", entry).href;
  // Deno resolves npm: specifiers to npm: URLs; the files live in the local node_modules folder.
  return new URL("../../node_modules/@tensorflow/tfjs-backend-wasm/dist/", import.meta.url).href;
}

/**
 * Initialises the tfjs backend and reports what is active.
 *
 * @throws Error naming the backend and the fix when it cannot start.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  // Reads (and validates) every switch: a bad value fails here, naming the variable.
  const config = speedConfig();
  let requested = options.backend ?? config.backend ?? "blas";
  if (!BACKEND_NAMES.includes(requested)) {
    throw new Error(
      `Unknown backend "${requested}" (from KMNIST_BACKEND or options): use one of ${
        BACKEND_NAMES.join(", ")
      }.`,
    );
  }
  let fallbackReason: string | undefined;
  if (requested === "blas") {
    const reason = fastKernelsUnavailableReason();
    if (reason !== "") {
      fallbackReason = reason;
      requested = "wasm";
      if (!fallbackNoticeShown) {
        fallbackNoticeShown = true;
        console.error(`kmnist: falling back to the pure wasm backend (slower): ${reason}`);
      }
    }
  }
  const tfjsBackend = requested === "cpu" ? "cpu" : "wasm";
  if (tfjsBackend === "wasm" && !wasmPathsSet) {
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
  let blasLibrary: string | undefined;
  let blasThreads: number | undefined;
  if (requested === "blas") {
    await loadNative();
    const blas = registerFastKernels();
    blasLibrary = blas?.path;
    blasThreads = blas?.threads;
  } else if (requested === "wasm") {
    unregisterFastKernels();
    registerWasmGapKernels();
  }
  if (tf.getBackend() !== tfjsBackend) {
    const ok = await tf.setBackend(tfjsBackend);
    if (!ok) throw new Error(`tfjs could not initialise the "${tfjsBackend}" backend.`);
  }
  await tf.ready();
  const simd = tfjsBackend === "wasm" &&
    Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
  const threads = tfjsBackend === "wasm" &&
    Boolean(await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT"));
  const info: BackendInfo = {
    name: requested,
    tfjsBackend,
    blas: requested === "blas",
    simd,
    threads,
  };
  if (blasLibrary !== undefined) info.blasLibrary = blasLibrary;
  if (blasThreads !== undefined) info.blasThreads = blasThreads;
  if (requested === "blas") {
    info.native = nativeKernelsActive();
    if (!info.native) info.nativeReason = nativeLoadError();
  }
  if (fallbackReason !== undefined) info.fallbackReason = fallbackReason;
  return info;
}
