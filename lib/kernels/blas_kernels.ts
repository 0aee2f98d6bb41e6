/**
 * OpenBLAS-backed kernels for tfjs's wasm backend: MatMul (BatchMatMul), _FusedMatMul, Conv2D,
 * FusedConv2D, Conv2DBackpropInput (also the forward of conv2dTranspose) and Conv2DBackpropFilter.
 *
 * Each works in place on the wasm backend's own memory (`backend.wasm.HEAPF32`, a plain
 * ArrayBuffer that Deno's FFI can address): convolutions are im2col / col2im in JS plus one
 * `cblas_sgemm`; bias and activation are fused into the GEMM's output pass. Everything else (the
 * elementwise ops) stays on wasm's SIMD kernels. Cases these kernels do not cover (NCHW, prelu,
 * odd bias shapes, broadcast batch ranks) fall through to the original wasm kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Blas } from "./blas.ts";
import { col2im, type ConvGeometry, geometryOf, im2col } from "./im2col.ts";
import {
  filterGradInfo,
  isPointwise,
  type WasmBackendLike,
  wasmDispose,
  wasmOffset,
} from "./wasm_conv.ts";

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };
type Kernel = (args: KernelArgs) => tf.TensorInfo;

/** Counts of kernel calls served by OpenBLAS (for benchmarks and tests). */
export const blasKernelCalls: Record<string, number> = {};

function count(name: string): void {
  blasKernelCalls[name] = (blasKernelCalls[name] ?? 0) + 1;
}

/** The activations fused into the GEMM's output pass. */
type Activation = "linear" | "relu" | "relu6" | "elu" | "leakyrelu" | "sigmoid";
const FUSABLE = new Set<string>(["linear", "relu", "relu6", "elu", "leakyrelu", "sigmoid"]);

/**
 * Adds `bias` (length n, at float offset `biasAt`, or none when < 0) to every row of C[m, n] and
 * applies the activation, in place.
 */
function epilogue(
  heap: Float32Array,
  c: number,
  m: number,
  n: number,
  biasAt: number,
  activation: Activation,
  alpha: number,
): void {
  const size = m * n;
  if (biasAt >= 0) {
    for (let i = 0; i < m; i++) {
      const row = c + i * n;
      for (let j = 0; j < n; j++) heap[row + j] += heap[biasAt + j];
    }
  }
  const end = c + size;
  switch (activation) {
    case "linear":
      return;
    case "relu":
      for (let i = c; i < end; i++) if (heap[i] < 0) heap[i] = 0;
      return;
    case "relu6":
      for (let i = c; i < end; i++) heap[i] = Math.min(Math.max(heap[i], 0), 6);
      return;
    case "leakyrelu":
      for (let i = c; i < end; i++) if (heap[i] < 0) heap[i] *= alpha;
      return;
    case "elu":
      for (let i = c; i < end; i++) if (heap[i] < 0) heap[i] = Math.expm1(heap[i]);
      return;
    case "sigmoid":
      for (let i = c; i < end; i++) heap[i] = 1 / (1 + Math.exp(-heap[i]));
      return;
  }
}

function sizeOf(shape: number[]): number {
  let s = 1;
  for (const d of shape) s *= d;
  return s;
}

/** Builds the OpenBLAS kernels; `fallback(name)` returns the original wasm kernel. */
export function makeBlasKernels(
  blas: Blas,
  fallback: (name: string) => Kernel,
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
    const ao = wasmOffset(backend, a) >> 2, bo = wasmOffset(backend, b) >> 2;
    const co = wasmOffset(backend, out) >> 2;
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
    const heap = backend.wasm.HEAPF32;
    epilogue(
      heap,
      wasmOffset(backend, r.out) >> 2,
      r.batch * r.m,
      r.n,
      bias == null ? -1 : wasmOffset(backend, bias) >> 2,
      attrs.activation as Activation,
      attrs.leakyreluAlpha ?? 0.2,
    );
    return r.out;
  };

  interface ConvAttrs {
    strides: [number, number] | number;
    pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
    dataFormat: "NHWC" | "NCHW";
    dilations: [number, number] | number;
    dimRoundingMode?: "floor" | "round" | "ceil";
    activation?: string;
    leakyreluAlpha?: number;
  }

  /** Forward convolution: im2col + sgemm + bias/activation, or null to fall back. */
  function convForward(args: KernelArgs, fused: boolean): tf.TensorInfo | null {
    const backend = args.backend as WasmBackendLike;
    const { x, filter, bias, preluActivationWeights } = args.inputs as Record<
      string,
      tf.TensorInfo
    >;
    const attrs = args.attrs as unknown as ConvAttrs;
    if (x.dtype !== "float32" || filter.dtype !== "float32") return null;
    if (attrs.dataFormat === "NCHW") return null;
    const activation = fused ? attrs.activation ?? "linear" : "linear";
    if (preluActivationWeights != null || !FUSABLE.has(activation)) return null;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides,
      attrs.dilations,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      "channelsLast",
    );
    if (bias != null && sizeOf(bias.shape) !== info.outChannels) return null;
    const g = geometryOf(info);
    const m = g.batchSize * g.outHeight * g.outWidth;
    const k = g.filterHeight * g.filterWidth * g.inChannels;
    if (m * k * info.outChannels === 0) return null;
    const out = backend.makeOutput(info.outShape, "float32");
    const pointwise = isPointwise(g);
    const cols = pointwise ? x : backend.makeOutput([m, k], "float32");
    const heap = backend.wasm.HEAPF32;
    const colsAt = wasmOffset(backend, cols) >> 2;
    if (!pointwise) im2col(g, heap, wasmOffset(backend, x) >> 2, colsAt);
    const outAt = wasmOffset(backend, out) >> 2;
    blas.sgemm({
      heap,
      m,
      n: info.outChannels,
      k,
      a: colsAt,
      b: wasmOffset(backend, filter) >> 2,
      c: outAt,
    });
    if (!pointwise) wasmDispose(backend, cols);
    epilogue(
      heap,
      outAt,
      m,
      info.outChannels,
      bias == null ? -1 : wasmOffset(backend, bias) >> 2,
      activation as Activation,
      attrs.leakyreluAlpha ?? 0.2,
    );
    return out;
  }

  const conv2d: Kernel = (args) => {
    const r = convForward(args, false);
    if (r === null) return fallback("Conv2D")(args);
    count("Conv2D");
    return r;
  };

  const fusedConv2d: Kernel = (args) => {
    const r = convForward(args, true);
    if (r === null) return fallback("FusedConv2D")(args);
    count("FusedConv2D");
    return r;
  };

  const conv2dBackpropInput: Kernel = (args) => {
    const backend = args.backend as WasmBackendLike;
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as ConvAttrs & { inputShape: number[] };
    if (attrs.dataFormat === "NCHW" || dy.dtype !== "float32" || filter.dtype !== "float32") {
      return fallback("Conv2DBackpropInput")(args);
    }
    const info = tf.backend_util.computeConv2DInfo(
      attrs.inputShape as [number, number, number, number],
      filter.shape as [number, number, number, number],
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      "channelsLast",
    );
    const g: ConvGeometry = geometryOf(info);
    const m = g.batchSize * g.outHeight * g.outWidth;
    const k = g.filterHeight * g.filterWidth * g.inChannels;
    if (m * k * info.outChannels === 0) return fallback("Conv2DBackpropInput")(args);
    count("Conv2DBackpropInput");
    const dx = backend.makeOutput(info.inShape, "float32");
    const pointwise = isPointwise(g);
    const dcols = pointwise ? dx : backend.makeOutput([m, k], "float32");
    const heap = backend.wasm.HEAPF32;
    const dcolsAt = wasmOffset(backend, dcols) >> 2;
    blas.sgemm({
      heap,
      m,
      n: k,
      k: info.outChannels,
      a: wasmOffset(backend, dy) >> 2,
      b: wasmOffset(backend, filter) >> 2,
      c: dcolsAt,
      transB: true,
    });
    if (!pointwise) {
      col2im(g, heap, dcolsAt, wasmOffset(backend, dx) >> 2);
      wasmDispose(backend, dcols);
    }
    return dx;
  };

  const conv2dBackpropFilter: Kernel = (args) => {
    const backend = args.backend as WasmBackendLike;
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as unknown as Parameters<typeof filterGradInfo>[2];
    if (attrs.dataFormat === "NCHW") return fallback("Conv2DBackpropFilter")(args);
    const info = filterGradInfo(x, dy, attrs, "OpenBLAS");
    const g = geometryOf(info);
    const m = g.batchSize * g.outHeight * g.outWidth;
    const k = g.filterHeight * g.filterWidth * g.inChannels;
    if (m * k * info.outChannels === 0) return fallback("Conv2DBackpropFilter")(args);
    count("Conv2DBackpropFilter");
    const dw = backend.makeOutput(info.filterShape, "float32");
    const pointwise = isPointwise(g);
    const cols = pointwise ? x : backend.makeOutput([m, k], "float32");
    const heap = backend.wasm.HEAPF32;
    const colsAt = wasmOffset(backend, cols) >> 2;
    if (!pointwise) im2col(g, heap, wasmOffset(backend, x) >> 2, colsAt);
    blas.sgemm({
      heap,
      m: k,
      n: info.outChannels,
      k: m,
      a: colsAt,
      b: wasmOffset(backend, dy) >> 2,
      c: wasmOffset(backend, dw) >> 2,
      transA: true,
    });
    if (!pointwise) wasmDispose(backend, cols);
    return dw;
  };

  return {
    BatchMatMul: batchMatMul,
    _FusedMatMul: fusedMatMul,
    Conv2D: conv2d,
    FusedConv2D: fusedConv2d,
    Conv2DBackpropInput: conv2dBackpropInput,
    Conv2DBackpropFilter: conv2dBackpropFilter,
  };
}
