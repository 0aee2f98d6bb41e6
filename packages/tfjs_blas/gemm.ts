/**
 * The matrix product the convolution kernels are built on: OpenBLAS sgemm on wasm memory
 * ({@link makeBlasGemm}), or the wasm backend's own XNNPACK matmul ({@link makeWasmGemm}).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { Blas, SgemmArgs } from "./blas.ts";
import type { Kernel } from "./kernel_types.ts";
import { floatOffset, type WasmBackendLike, wasmDispose } from "./wasm_heap.ts";

/** A GEMM that makes a new [m, n] output: op(A)[m, k] · op(B)[k, n], A and B whole tensors. */
export interface Gemm {
  /** "openblas" or "xnnpack". */
  name: string;
  /** Multiplies; `a` is stored [m, k] (or [k, m] when transA), `b` [k, n] (or [n, k]). */
  matmul(
    backend: WasmBackendLike,
    a: tf.TensorInfo,
    b: tf.TensorInfo,
    dims: { m: number; n: number; k: number; transA?: boolean; transB?: boolean },
  ): tf.TensorInfo;
  /** C = op(A)·op(B) at float offsets into `heap` (OpenBLAS only: lets kernels work in blocks). */
  at?(heap: Float32Array, args: Omit<SgemmArgs, "heap">): void;
}

/** GEMM by OpenBLAS sgemm on wasm memory. */
export function makeBlasGemm(blas: Blas): Gemm {
  return {
    name: "openblas",
    matmul(backend, a, b, d) {
      const out = backend.makeOutput([d.m, d.n], "float32");
      blas.sgemm({
        heap: backend.wasm.HEAPF32,
        m: d.m,
        n: d.n,
        k: d.k,
        a: floatOffset(backend, a),
        b: floatOffset(backend, b),
        c: floatOffset(backend, out),
        transA: d.transA,
        transB: d.transB,
      });
      return out;
    },
    at(heap, args) {
      blas.sgemm({ heap, ...args });
    },
  };
}

/**
 * GEMM by the wasm backend's own BatchMatMul kernel (XNNPACK). Its transposed variants are ~20x
 * slower than the plain one in tfjs 4.22 (1.6 vs 26 GFLOP/s at 25088x288x64), so a transposed
 * operand is transposed explicitly first (wasm's Transpose kernel), choosing the cheaper side.
 */
export function makeWasmGemm(original: () => Kernel, transposeKernel: () => Kernel): Gemm {
  const plain = (
    backend: WasmBackendLike,
    a: tf.TensorInfo,
    b: tf.TensorInfo,
    m: number,
    n: number,
    k: number,
  ) => {
    const out = original()({
      inputs: {
        a: { dataId: a.dataId, shape: [1, m, k], dtype: "float32" },
        b: { dataId: b.dataId, shape: [1, k, n], dtype: "float32" },
      },
      backend,
      attrs: { transposeA: false, transposeB: false },
    });
    return { dataId: out.dataId, shape: [m, n], dtype: "float32" } as tf.TensorInfo;
  };
  const transpose = (backend: WasmBackendLike, x: tf.TensorInfo, rows: number, cols: number) => {
    const out = transposeKernel()({
      inputs: { x: { dataId: x.dataId, shape: [rows, cols], dtype: "float32" } },
      backend,
      attrs: { perm: [1, 0] },
    });
    return { dataId: out.dataId, shape: [cols, rows], dtype: "float32" } as tf.TensorInfo;
  };
  return {
    name: "xnnpack",
    matmul(backend, a, b, d) {
      const { m, n, k } = d;
      let bt = b;
      if (d.transB) bt = transpose(backend, b, n, k);
      let result: tf.TensorInfo;
      if (!d.transA) {
        result = plain(backend, a, bt, m, n, k);
      } else if (k * m <= k * n + m * n) {
        const at = transpose(backend, a, k, m);
        result = plain(backend, at, bt, m, n, k);
        wasmDispose(backend, at);
      } else {
        // C = Aᵀ·B  <=>  Cᵀ = Bᵀ·A: transpose B [k,n] -> [n,k], multiply, transpose [n,m] back.
        const btt = transpose(backend, bt, k, n);
        const ct = plain(backend, btt, a, n, m, k);
        wasmDispose(backend, btt);
        result = transpose(backend, ct, n, m);
        wasmDispose(backend, ct);
      }
      if (bt !== b) wasmDispose(backend, bt);
      return result;
    },
  };
}
