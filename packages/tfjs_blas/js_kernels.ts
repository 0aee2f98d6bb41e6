/**
 * Small JS kernels for the wasm backend where tfjs 4.22's own are slow: `Sum` over all leading
 * axes (every bias gradient: wasm transposes the whole tensor first) and `Identity` (wasm copies
 * the data; here it shares it, as wasm's own Reshape does).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { floatOffset, type WasmBackendLike } from "./wasm_heap.ts";

import type { Kernel, KernelArgs } from "./kernel_types.ts";

/** A `Sum` over every axis but the last of a float32 tensor: a bias gradient's column sums. */
export interface ColumnSum {
  x: tf.TensorInfo;
  rows: number;
  cols: number;
  /** The output's shape (`[cols]`, or `[1, ..., 1, cols]` with keepDims). */
  outShape: number[];
}

/** The column sum that a `Sum` kernel call asks for, or null when it asks for another reduction. */
export function columnSumOf(args: KernelArgs): ColumnSum | null {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
  const rank = x.shape.length;
  if (x.dtype !== "float32" || rank < 2) return null;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
  if (axes.length !== rank - 1 || axes.some((a, i) => a !== i)) return null;
  const cols = x.shape[rank - 1];
  const rows = tf.util.sizeFromShape(x.shape) / cols;
  if (rows * cols === 0) return null;
  const outShape = keepDims ? [...new Array(rank - 1).fill(1), cols] : [cols];
  return { x, rows, cols, outShape };
}

/**
 * `Sum` that handles the reduction over every axis but the last (bias gradients) as column sums
 * on wasm memory, and hands every other case to `fallback`.
 */
export function makeColumnSum(fallback: () => Kernel): Kernel {
  return (args) => {
    const sum = columnSumOf(args);
    if (sum === null) return fallback()(args);
    const { x, rows, cols } = sum;
    const backend = args.backend as WasmBackendLike;
    const out = backend.makeOutput(sum.outShape, "float32");
    const heap = backend.wasm.HEAPF32;
    const src = floatOffset(backend, x);
    const dst = floatOffset(backend, out);
    const acc = new Float64Array(cols);
    for (let r = 0; r < rows; r++) {
      const base = src + r * cols;
      for (let c = 0; c < cols; c++) acc[c] += heap[base + c];
    }
    for (let c = 0; c < cols; c++) heap[dst + c] = acc[c];
    return out;
  };
}

/** `Identity` that shares the input's data (reference-counted) instead of copying it. */
export function sharedIdentity(args: KernelArgs): tf.TensorInfo {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const backend = args.backend as { incRef(dataId: object): void };
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}
