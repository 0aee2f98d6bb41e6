/**
 * Helpers to run kernels on the tfjs wasm backend's own memory: tensor offsets, freeing
 * intermediates, scratch memory, wasm's own BatchMatMul on views.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The parts of tfjs's Emscripten wasm module that the kernels here use. */
export interface WasmModule {
  /** The module's memory as bytes (replaced when memory grows: read it again after allocating). */
  HEAPU8: Uint8Array;
  /** The module's memory as float32s (replaced when memory grows). */
  HEAPF32: Float32Array;
}

/** The parts of tfjs's `BackendWasm` that the kernels here use. */
export interface WasmBackendLike {
  /** The Emscripten module. */
  wasm: WasmModule;
  /** Tensor storage: wasm id and byte offset of each tensor's data. */
  dataIdMap: {
    get(dataId: object): { id: number; memoryOffset: number } | undefined;
    /** Whether this backend holds the data (never moves data, unlike `get`). */
    has(dataId: object): boolean;
  };
  /** Allocates an output tensor in wasm memory. */
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): tf.TensorInfo;
}

function wasmData(
  backend: WasmBackendLike,
  info: tf.TensorInfo,
): { id: number; memoryOffset: number } {
  const data = backend.dataIdMap.get(info.dataId);
  if (data === undefined) throw new Error("wasm kernel: an input tensor was already disposed.");
  return data;
}

/** Returns the byte offset of a tensor's data in wasm memory. */
export function wasmOffset(backend: WasmBackendLike, info: tf.TensorInfo): number {
  return wasmData(backend, info).memoryOffset;
}

/**
 * A tensor's position in the wasm heap in floats (its byte offset / 4, read unsigned: heaps over
 * 2 GB must not give negative positions). Read it after every allocation: memory may grow.
 */
export function floatOffset(backend: WasmBackendLike, info: tf.TensorInfo): number {
  return wasmOffset(backend, info) >>> 2;
}

/** Frees a tensor's wasm memory (for intermediates a kernel made itself). */
export function wasmDispose(backend: WasmBackendLike, info: tf.TensorInfo): void {
  (backend as unknown as { disposeData(dataId: object): void }).disposeData(info.dataId);
}

/** Runs the wasm backend's own BatchMatMul kernel on rank-3 views: out = op(a) · op(b). */
export function wasmMatMul(
  backend: WasmBackendLike,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): tf.TensorInfo {
  const kernel = tf.getKernel("BatchMatMul", "wasm");
  if (kernel === undefined) throw new Error("The wasm backend has no BatchMatMul kernel.");
  return kernel.kernelFunc({
    inputs: { a, b },
    backend: backend as unknown as tf.KernelBackend,
    attrs: { transposeA, transposeB },
  }) as tf.TensorInfo;
}
/**
 * Runs `use` with `floats` floats of scratch wasm memory (given as their float position), freed
 * afterwards even when `use` throws. Positions of other tensors must be read inside `use`: the
 * allocation may grow, and so move, the heap.
 */
export function withScratch<T>(
  backend: WasmBackendLike,
  floats: number,
  use: (at: number) => T,
): T {
  const scratch = backend.makeOutput([floats], "float32");
  try {
    return use(floatOffset(backend, scratch));
  } finally {
    wasmDispose(backend, scratch);
  }
}
