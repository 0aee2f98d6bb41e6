/**
 * Fast training kernels for tfjs on the CPU.
 *
 * - {@link registerWasmGapKernels}: what tfjs's wasm backend lacks (Conv2DBackpropFilter), pure
 *   wasm/JS; always registered by `initBackend()` for wasm.
 * - {@link registerFastKernels}: replaces the wasm backend's heavy kernels (MatMul, _FusedMatMul,
 *   Conv2D, FusedConv2D, Conv2DBackpropInput, Conv2DBackpropFilter) by OpenBLAS sgemm ones working
 *   on wasm memory; {@link unregisterFastKernels} restores wasm's own.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type Blas, blasLoadError, loadBlas } from "./blas.ts";
import { makeBlasKernels } from "./blas_kernels.ts";
import { registerWasmGapKernels } from "./wasm_conv.ts";

export { type Blas, blasLoadError, loadBlas, measureSgemm, type SgemmArgs } from "./blas.ts";
export { blasKernelCalls } from "./blas_kernels.ts";
export { registerWasmGapKernels } from "./wasm_conv.ts";

/** Names of the kernels {@link registerFastKernels} replaces on the wasm backend. */
export const FAST_KERNEL_NAMES: readonly string[] = [
  "BatchMatMul",
  "_FusedMatMul",
  "Conv2D",
  "FusedConv2D",
  "Conv2DBackpropInput",
  "Conv2DBackpropFilter",
];

const originals = new Map<string, tf.KernelConfig>();
let active = false;

/** Whether the OpenBLAS kernels are registered now. */
export function fastKernelsActive(): boolean {
  return active;
}

/**
 * Registers the OpenBLAS kernels on the wasm backend (idempotent). Returns the loaded library, or
 * null (registering nothing) when OpenBLAS is not available; `blasLoadError()` then says why.
 */
export function registerFastKernels(): Blas | null {
  const blas = loadBlas();
  if (blas === null) return null;
  if (active) return blas;
  registerWasmGapKernels();
  for (const name of FAST_KERNEL_NAMES) {
    if (!originals.has(name)) {
      const config = tf.getKernel(name, "wasm");
      if (config === undefined) {
        throw new Error(
          `The wasm backend has no ${name} kernel to replace (tfjs version changed?).`,
        );
      }
      originals.set(name, config);
    }
  }
  const fallback = (name: string) => originals.get(name)!.kernelFunc as never;
  const kernels = makeBlasKernels(blas, fallback);
  for (const name of FAST_KERNEL_NAMES) {
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel({
      kernelName: name,
      backendName: "wasm",
      setupFunc: originals.get(name)!.setupFunc,
      kernelFunc: kernels[name] as unknown as tf.KernelFunc,
    });
  }
  active = true;
  return blas;
}

/** Restores the wasm backend's own kernels (undoes {@link registerFastKernels}). */
export function unregisterFastKernels(): void {
  if (!active) return;
  for (const name of FAST_KERNEL_NAMES) {
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel(originals.get(name)!);
  }
  active = false;
}

/** Why the OpenBLAS kernels are unavailable ("" when they are). */
export function fastKernelsUnavailableReason(): string {
  return loadBlas() === null ? blasLoadError() : "";
}
