/**
 * MatMul kernels: `BatchMatMul` and `_FusedMatMul` on OpenBLAS sgemm (bias and activation in the
 * output pass), and the wasm set's `BatchMatMul` (transposed products as an explicit transpose +
 * wasm's plain matmul).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Blas } from "../blas.ts";
import { type Activation, epilogue, FUSABLE } from "../epilogue.ts";
import type { Gemm } from "../gemm.ts";
import { count, phase } from "../kernel_stats.ts";
import { type Kernel, sizeOf } from "../kernel_types.ts";
import type { Native } from "../native.ts";
import { floatOffset, type WasmBackendLike } from "../wasm_heap.ts";

/**
 * BatchMatMul for the wasm set: transposed single-batch products through {@link makeWasmGemm}
 * (explicit transpose + wasm's plain matmul); everything else, inner dimensions that differ
 * included, to wasm's own kernel.
 */
export function makeWasmMatMul(gemm: Gemm, original: () => Kernel): Kernel {
  return (args) => {
    const backend = args.backend as WasmBackendLike;
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const ar = a.shape.length, br = b.shape.length;
    if (
      (!transposeA && !transposeB) || a.dtype !== "float32" || b.dtype !== "float32" ||
      sizeOf(a.shape.slice(0, -2)) !== 1 || sizeOf(b.shape.slice(0, -2)) !== 1
    ) {
      return original()(args);
    }
    const k = transposeA ? a.shape[ar - 2] : a.shape[ar - 1];
    const m = transposeA ? a.shape[ar - 1] : a.shape[ar - 2];
    const n = transposeB ? b.shape[br - 2] : b.shape[br - 1];
    // Inner dimensions that differ: wasm's own kernel throws tfjs's error (never multiply them).
    const kb = transposeB ? b.shape[br - 1] : b.shape[br - 2];
    if (ar < 2 || br < 2 || k !== kb || m * n * k === 0) return original()(args);
    count("BatchMatMul");
    const out = gemm.matmul(backend, a, b, { m, n, k, transA: transposeA, transB: transposeB });
    const outer = ar >= br ? a.shape.slice(0, -2) : b.shape.slice(0, -2);
    return { dataId: out.dataId, shape: [...outer, m, n], dtype: "float32" };
  };
}

/** Builds MatMul and _FusedMatMul on OpenBLAS; `fallback(name)` returns the original kernel. */
export function makeMatMulKernels(
  blas: Blas,
  fallback: (name: string) => Kernel,
  native: Native | null = null,
): Record<string, Kernel> {
  function matMulInto(
    backend: WasmBackendLike,
    a: tf.TensorInfo,
    b: tf.TensorInfo,
    transposeA: boolean,
    transposeB: boolean,
  ): { out: tf.TensorInfo; m: number; n: number; batch: number } | null {
    const ar = a.shape.length, br = b.shape.length;
    if (ar < 2 || br < 2 || a.dtype !== "float32" || b.dtype !== "float32") return null;
    const k = transposeA ? a.shape[ar - 2] : a.shape[ar - 1];
    const kb = transposeB ? b.shape[br - 1] : b.shape[br - 2];
    const m = transposeA ? a.shape[ar - 1] : a.shape[ar - 2];
    const n = transposeB ? b.shape[br - 2] : b.shape[br - 1];
    if (k !== kb) {
      throw new Error(
        `matMul: inner dimensions differ (${k} vs ${kb}) for shapes [${a.shape}] and ` +
          `[${b.shape}], transposeA=${transposeA}, transposeB=${transposeB}.`,
      );
    }
    const batchA = sizeOf(a.shape.slice(0, -2)), batchB = sizeOf(b.shape.slice(0, -2));
    if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null;
    if (m * n * k === 0) return null;
    const outer = tf.backend_util.assertAndGetBroadcastShape(
      a.shape.slice(0, -2),
      b.shape.slice(0, -2),
    );
    const batch = Math.max(batchA, batchB);
    if (sizeOf(outer) !== batch) return null;
    const out = backend.makeOutput([...outer, m, n], "float32");
    const heap = backend.wasm.HEAPF32;
    const ao = floatOffset(backend, a), bo = floatOffset(backend, b);
    const co = floatOffset(backend, out);
    phase();
    for (let i = 0; i < batch; i++) {
      blas.sgemm({
        heap,
        m,
        n,
        k,
        a: ao + (batchA === 1 ? 0 : i * m * k),
        b: bo + (batchB === 1 ? 0 : i * k * n),
        c: co + i * m * n,
        transA: transposeA,
        transB: transposeB,
      });
    }
    phase("gemm (matmul)");
    return { out, m, n, batch };
  }

  const batchMatMul: Kernel = (args) => {
    const backend = args.backend as WasmBackendLike;
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const r = matMulInto(backend, a, b, transposeA, transposeB);
    if (r === null) return fallback("BatchMatMul")(args);
    count("BatchMatMul");
    return r.out;
  };

  const fusedMatMul: Kernel = (args) => {
    const backend = args.backend as WasmBackendLike;
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo>;
    const attrs = args.attrs as {
      transposeA: boolean;
      transposeB: boolean;
      activation: string;
      leakyreluAlpha?: number;
    };
    if (preluActivationWeights != null || !FUSABLE.has(attrs.activation)) {
      return fallback("_FusedMatMul")(args);
    }
    const n = attrs.transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
    if (bias != null && sizeOf(bias.shape) !== n) return fallback("_FusedMatMul")(args);
    const r = matMulInto(backend, a, b, attrs.transposeA, attrs.transposeB);
    if (r === null) return fallback("_FusedMatMul")(args);
    count("_FusedMatMul");
    epilogue(
      backend.wasm.HEAPF32,
      floatOffset(backend, r.out),
      r.batch * r.m,
      r.n,
      bias == null ? -1 : floatOffset(backend, bias),
      attrs.activation as Activation,
      attrs.leakyreluAlpha ?? 0.2,
      native,
    );
    phase("epilogue");
    return r.out;
  };

  return { BatchMatMul: batchMatMul, _FusedMatMul: fusedMatMul };
}
