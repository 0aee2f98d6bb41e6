/**
 * Helpers to run kernels on the tfjs wasm backend's own memory: tensor offsets, freeing
 * intermediates, wasm's own BatchMatMul on views, conv geometry checks.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ConvGeometry } from "./im2col.ts";

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

/** Whether a convolution reads its input as-is (1x1 filter, stride 1, no padding): cols = x. */
export function isPointwise(g: ConvGeometry): boolean {
  return g.filterHeight === 1 && g.filterWidth === 1 && g.strideHeight === 1 &&
    g.strideWidth === 1 && g.padTop === 0 && g.padLeft === 0;
}

/** Attributes of tfjs's Conv2DBackpropFilter kernel. */
interface FilterAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape: [number, number, number, number];
}

/** Computes the conv geometry of a Conv2DBackpropFilter call, or throws for NCHW / non-float. */
export function filterGradInfo(
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  attrs: FilterAttrs,
  where: string,
): tf.backend_util.Conv2DInfo {
  if (x.dtype !== "float32" || dy.dtype !== "float32") {
    throw new Error(
      `Conv2DBackpropFilter (${where}) needs float32 tensors, got x ${x.dtype} and dy ` +
        `${dy.dtype}: cast them to float32 first.`,
    );
  }
  const dataFormat = tf.backend_util.convertConv2DDataFormat(attrs.dataFormat);
  if (dataFormat !== "channelsLast") {
    throw new Error(
      `Conv2DBackpropFilter (${where}) supports only NHWC (channelsLast), got ` +
        `${attrs.dataFormat}: use channelsLast layers, or the cpu backend.`,
    );
  }
  return tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    dataFormat,
  );
}
