/**
 * `Sum` over every axis but the last (bias gradients) on OpenBLAS: one sgemm with a ones vector.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { Blas } from "../blas.ts";
import { columnSumOf } from "../js_kernels.ts";
import { count, phase } from "../kernel_stats.ts";
import type { Kernel } from "../kernel_types.ts";
import { floatOffset, type WasmBackendLike, wasmDispose } from "../wasm_heap.ts";

let ones: { backend: WasmBackendLike; info: tf.TensorInfo; length: number } | null = null;

/** A wasm buffer of at least `length` ones (kept between calls, grown when needed). */
function onesOf(backend: WasmBackendLike, length: number): tf.TensorInfo {
  if (ones === null || ones.backend !== backend || ones.length < length) {
    if (ones !== null && ones.backend === backend) wasmDispose(backend, ones.info);
    const size = Math.max(length, 1 << 16);
    const info = backend.makeOutput([size], "float32");
    const at = floatOffset(backend, info);
    backend.wasm.HEAPF32.fill(1, at, at + size);
    ones = { backend, info, length: size };
  }
  return ones.info;
}

/**
 * `Sum` over every axis but the last (bias gradients) as one sgemm: ones[1, rows] · x[rows, C];
 * other reductions go to `fallback`.
 */
export function makeBlasColumnSum(blas: Blas, fallback: () => Kernel): Kernel {
  return (args) => {
    const sum = columnSumOf(args);
    if (sum === null) return fallback()(args);
    const { x, rows, cols } = sum;
    const backend = args.backend as WasmBackendLike;
    count("Sum");
    const one = onesOf(backend, rows);
    const out = backend.makeOutput(sum.outShape, "float32");
    phase();
    blas.sgemm({
      heap: backend.wasm.HEAPF32,
      m: 1,
      n: cols,
      k: rows,
      a: floatOffset(backend, one),
      b: floatOffset(backend, x),
      c: floatOffset(backend, out),
    });
    phase("gemm (sum)");
    return out;
  };
}
