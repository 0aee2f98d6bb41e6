/**
 * Fast training kernels for tfjs on the CPU, registered on tfjs's wasm backend in one of two sets:
 *
 * - `"wasm"` ({@link registerWasmGapKernels}, pure wasm/JS, what `initBackend({backend: "wasm"})`
 *   uses): Conv2DBackpropFilter, which tfjs 4.22's wasm backend lacks (so conv models could not
 *   train), and Conv2DBackpropInput (conv2dTranspose's forward; wasm's own is ~30x slower), both
 *   as im2col/col2im + wasm's XNNPACK matmul; `Sum` over leading axes (bias gradients) and a
 *   zero-copy `Identity` in JS; transposed MatMuls (all backward passes) as an explicit
 *   transpose + wasm's plain matmul (wasm's transposed ones are ~20x slower).
 *   (Running wasm's own `Conv3DBackpropFilterV2` on a depth-1 view is not an option: in tfjs 4.22
 *   it returns wrong filter gradients whenever stride > 1 and the filter is larger than 1x1.)
 * - `"blas"` ({@link registerFastKernels}, the default of `initBackend()`): the same JS kernels,
 *   plus MatMul, _FusedMatMul, Conv2D, FusedConv2D, Conv2DBackpropInput and Conv2DBackpropFilter
 *   on OpenBLAS sgemm through Deno's FFI, on wasm memory, with bias + activation fused. When the
 *   native helpers load (native.ts: a small C file compiled on first use with the system `cc`,
 *   cached outside the repository), im2col / col2im / the epilogue run in C, large convolutions
 *   run in cache-sized blocks of images spread over the cores, and bias `Add`, `Relu`, `Step`,
 *   `Multiply`, `Sum` and a fused ReLU gradient ({@link RELU_GRAD}, replacing Step -> Cast ->
 *   Multiply) are native too; convolutions with one input channel run directly in C; and the
 *   models' Dense / Conv2D / Conv2DTranspose layers train on one fused kernel per layer
 *   (fused_layers.ts: {@link FUSED_CONV2D_TRANSPOSE}, the one-pass {@link BIAS_ACT_GRAD} and a
 *   conv2dTranspose layer's whole backward, {@link CONV2D_TRANSPOSE_GRAD});
 *   without a compiler the JS paths run (`initBackend` reports `native: false` and why).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type Blas, blasLoadError, loadBlas } from "./blas.ts";
import { clearColsCache } from "./cols_cache.ts";
import { makeConvKernels } from "./conv_kernels.ts";
import { type SpeedConfig, speedConfig } from "./config.ts";
import { makeBlasGemm, makeWasmGemm } from "./gemm.ts";
import type { Kernel } from "./kernel_types.ts";
import { makeBlasColumnSum } from "./kernels/column_sum.ts";
import { makeMatMulKernels, makeWasmMatMul } from "./kernels/matmul.ts";
import { makeColumnSum, sharedIdentity } from "./js_kernels.ts";
import {
  installFusedLayerCalls,
  installFusedLayerGradients,
  setFusedLayerKernels,
} from "./fused_layers.ts";
import { type Native, nativeIfLoaded } from "./native.ts";
import { installReluGradient, makeNativeKernels, makeSameDtypeCast } from "./native_kernels.ts";
import {
  BIAS_ACT_GRAD,
  CONV2D_TRANSPOSE_GRAD,
  FUSED_CONV2D_TRANSPOSE,
  RELU_GRAD,
} from "./kernel_names.ts";

export { type Blas, blasLoadError, loadBlas, measureSgemm, type SgemmArgs } from "./blas.ts";
export { blasKernelCalls, blasPhaseMs } from "./kernel_stats.ts";
export { clearColsCache } from "./cols_cache.ts";
export { calibrateThreads } from "./blas.ts";
export {
  loadNative,
  type Native,
  nativeIfLoaded,
  nativeLoadError,
  resetNativeForTests,
} from "./native.ts";
export { nativeKernelCalls } from "./native_kernels.ts";
export { RELU_GRAD } from "./kernel_names.ts";
export {
  BIAS_ACT_GRAD,
  CONV2D_TRANSPOSE_GRAD,
  FUSED_CONV2D_TRANSPOSE,
  fusedLayerCalls,
  fusedLayersActive,
  installFusedLayerCalls,
  installFusedLayerGradients,
} from "./fused_layers.ts";

/** Which kernel set is registered on the wasm backend. */
export type KernelSet = "tfjs" | "wasm" | "blas";

/** Kernels the "wasm" set replaces (or adds). */
export const WASM_KERNEL_NAMES: readonly string[] = [
  "BatchMatMul",
  "Conv2DBackpropInput",
  "Conv2DBackpropFilter",
  "Sum",
  "Identity",
  "Cast",
];

/** Kernels the "blas" set replaces (or adds); the last six only with the native helpers. */
export const FAST_KERNEL_NAMES: readonly string[] = [
  "BatchMatMul",
  "_FusedMatMul",
  "Conv2D",
  "FusedConv2D",
  "Conv2DBackpropInput",
  "Conv2DBackpropFilter",
  "Sum",
  "Identity",
  "Cast",
  "Add",
  "Multiply",
  "Relu",
  "Step",
  RELU_GRAD,
  BIAS_ACT_GRAD,
  FUSED_CONV2D_TRANSPOSE,
  CONV2D_TRANSPOSE_GRAD,
];

const originals = new Map<string, tf.KernelConfig | undefined>();
let current: KernelSet = "tfjs";
let currentNative = false;
let currentParallel = false;
/** The config the registered set was built with (a reloaded config rebuilds it). */
let currentConfig: SpeedConfig | undefined;
let registered: string[] = [];

/** The kernel set registered now ("tfjs": tfjs's own wasm kernels only). */
export function activeKernelSet(): KernelSet {
  return current;
}

/** Whether the OpenBLAS kernels are registered now. */
export function fastKernelsActive(): boolean {
  return current === "blas";
}

function original(name: string): tf.KernelConfig | undefined {
  if (!originals.has(name)) originals.set(name, tf.getKernel(name, "wasm"));
  return originals.get(name);
}

function fallback(name: string): Kernel {
  const config = original(name);
  if (config === undefined) {
    throw new Error(
      `The wasm backend has no ${name} kernel of its own for this case (NCHW layout or a dtype ` +
        `other than float32): use NHWC float32 tensors, or the cpu backend.`,
    );
  }
  return config.kernelFunc as unknown as Kernel;
}

function install(
  set: KernelSet,
  kernels: Record<string, Kernel>,
  native = false,
  parallel = false,
): void {
  for (const name of [...WASM_KERNEL_NAMES, ...FAST_KERNEL_NAMES, "Transpose"]) original(name);
  for (const name of registered) {
    tf.unregisterKernel(name, "wasm");
    const config = originals.get(name);
    if (config !== undefined) tf.registerKernel(config);
  }
  clearColsCache();
  registered = [];
  for (const [name, kernelFunc] of Object.entries(kernels)) {
    if (tf.getKernel(name, "wasm") !== undefined) tf.unregisterKernel(name, "wasm");
    tf.registerKernel({
      kernelName: name,
      backendName: "wasm",
      setupFunc: originals.get(name)?.setupFunc,
      kernelFunc: kernelFunc as unknown as tf.KernelFunc,
    });
    registered.push(name);
  }
  current = set;
  currentNative = native;
  currentParallel = parallel;
  setFusedLayerKernels(set === "blas" && native);
}

function jsKernels(): Record<string, Kernel> {
  return {
    Sum: makeColumnSum(() => fallback("Sum")),
    Identity: sharedIdentity,
    Cast: makeSameDtypeCast(() => fallback("Cast")),
  };
}

/**
 * Registers the pure wasm/JS kernel set on the wasm backend (see the module doc): replaces the
 * OpenBLAS set if that was active. Idempotent.
 */
export function registerWasmGapKernels(): void {
  if (current === "wasm") return;
  const gemm = makeWasmGemm(() => fallback("BatchMatMul"), () => fallback("Transpose"));
  const conv = makeConvKernels(gemm, fallback);
  install("wasm", {
    BatchMatMul: makeWasmMatMul(gemm, () => fallback("BatchMatMul")),
    Conv2DBackpropInput: conv.Conv2DBackpropInput,
    Conv2DBackpropFilter: conv.Conv2DBackpropFilter,
    ...jsKernels(),
  });
}

/** Options for {@link registerFastKernels}. */
export interface FastKernelOptions {
  /**
   * Use the native helpers (native.ts) for im2col/col2im and the elementwise kernels when they
   * are loaded (`await loadNative()` first; initBackend does). Default true; false forces the JS
   * paths.
   */
  native?: boolean;
  /**
   * Run the blocked convolutions' blocks on all cores from C (native.ts) rather than one block at
   * a time from JS. Default: the config's `parallelBlocks` (`KMNIST_PARALLEL_BLOCKS`). Needs the
   * native helpers.
   */
  parallelBlocks?: boolean;
}

/**
 * Registers the OpenBLAS kernel set on the wasm backend (idempotent). Returns the loaded library,
 * or null (changing nothing) when OpenBLAS is not available; `blasLoadError()` then says why.
 */
export function registerFastKernels(options: FastKernelOptions = {}): Blas | null {
  const blas = loadBlas();
  if (blas === null) return null;
  const native = options.native === false ? null : nativeIfLoaded();
  lockBlas(blas);
  const config = speedConfig();
  const parallel = native !== null && (options.parallelBlocks ?? config.parallelBlocks);
  if (
    current === "blas" && currentNative === (native !== null) && currentParallel === parallel &&
    currentConfig === config
  ) {
    return blas;
  }
  currentConfig = config;
  installReluGradient(() => currentNative && tf.getBackend() === "wasm");
  installFusedLayerGradients();
  installFusedLayerCalls();
  install(
    "blas",
    {
      ...makeMatMulKernels(blas, fallback, native),
      ...makeConvKernels(
        makeBlasGemm(blas),
        fallback,
        native,
        parallel ? blockThreadsFor(blas, native) : 0,
      ),
      ...jsKernels(),
      Sum: makeBlasColumnSum(blas, () => fallback("Sum")),
      ...(native === null ? {} : makeNativeKernels(native, fallback)),
    },
    native !== null,
    parallel,
  );
  return blas;
}

/**
 * Routes every product of `blas` through the native helpers' locked sgemm once they are loaded
 * (kernels.c: OpenBLAS's thread count is process-wide, so it is set under a lock per product),
 * whichever kernels are registered, so that a worker's numbers never depend on another's.
 */
function lockBlas(blas: Blas): void {
  const native = nativeIfLoaded();
  if (blas.locked || native === null) return;
  if (native.bindBlas(blas.path) > 0) blas.useLock(native.sgemm);
}

/**
 * The cores the blocked convolutions share their blocks over (native.ts, bound to `blas`), or 0
 * to run them block by block from JS (without the native helpers, or when binding fails).
 */
function blockThreadsFor(blas: Blas, native: Native | null): number {
  return native === null ? 0 : native.bindBlas(blas.path);
}

/** Whether the registered OpenBLAS set uses the native helpers. */
export function nativeKernelsActive(): boolean {
  return current === "blas" && currentNative;
}

/** Replaces the OpenBLAS kernel set by the pure wasm/JS one. */
export function unregisterFastKernels(): void {
  if (current === "blas") registerWasmGapKernels();
}

/** Why the OpenBLAS kernels are unavailable ("" when they are). */
export function fastKernelsUnavailableReason(): string {
  return loadBlas() === null ? blasLoadError() : "";
}
