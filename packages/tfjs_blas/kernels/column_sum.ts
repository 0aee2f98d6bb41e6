/**
 * `Sum` over every axis but the last (bias gradients) on OpenBLAS: one sgemm with a vector of ones
 * made for the call (nothing is kept between calls).
 *
 * @module
 */
import type { Blas } from "../blas.ts";
import { columnSumOf } from "../js_kernels.ts";
import { count, phase } from "../kernel_stats.ts";
import type { Kernel } from "../kernel_types.ts";
import { floatOffset, type WasmBackendLike, withScratch } from "../wasm_heap.ts";

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
    const out = backend.makeOutput(sum.outShape, "float32");
    phase();
    // The ones live only for this call (filling `rows` floats costs 1/cols of the sgemm): kept
    // between calls they would outlive their tensors and fail tfjs's leak check.
    withScratch(backend, rows, (one) => {
      const heap = backend.wasm.HEAPF32;
      heap.fill(1, one, one + rows);
      blas.sgemm({
        heap,
        m: 1,
        n: cols,
        k: rows,
        a: one,
        b: floatOffset(backend, x),
        c: floatOffset(backend, out),
      });
    });
    phase("gemm (sum)");
    return out;
  };
}
