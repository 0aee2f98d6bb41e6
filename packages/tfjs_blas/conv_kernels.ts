/**
 * GEMM-based kernels for tfjs's wasm backend, working in place on its memory
 * (`backend.wasm.HEAPF32`, a plain ArrayBuffer that Deno's FFI can address):
 *
 * - with OpenBLAS ({@link makeBlasGemm}): MatMul (BatchMatMul), _FusedMatMul, Conv2D, FusedConv2D,
 *   Conv2DBackpropInput (also conv2dTranspose's forward) and Conv2DBackpropFilter;
 * - without ({@link makeWasmGemm}, wasm's own XNNPACK matmul): Conv2DBackpropInput and
 *   Conv2DBackpropFilter, which tfjs 4.22's wasm backend lacks or runs slowly.
 *
 * Convolutions are im2col / col2im plus GEMM; bias and activation are fused into the output pass.
 * With the native helpers (native.ts: im2col, col2im and the epilogue in C) and OpenBLAS, large
 * convolutions run in blocks of images (forward: im2col + GEMM + epilogue; filter gradient:
 * im2col + accumulating GEMM; input gradient: GEMM + col2im) so that each block's im2col matrix
 * stays in cache ({@link BLOCK_FLOATS}; `KMNIST_BLOCKED_CONV=0` turns off the first two). When
 * the helpers have OpenMP and two or more cores, the blocks are shared out over the cores from C
 * (native.ts's `conv*Blocks`: each thread runs im2col/col2im and a single-threaded sgemm on its
 * own blocks; filter gradients sum per-thread partials in thread order), which beats one
 * two-threaded GEMM per block (conv training 1.3x, reconstruct 1.6x); `KMNIST_PARALLEL_BLOCKS=0`
 * keeps the blocks in JS, one at a time. Two kernels serve the fused layers (fused_layers.ts):
 * {@link FUSED_CONV2D_TRANSPOSE} (a conv2dTranspose layer's forward, bias and activation applied
 * to each block in cache) and {@link CONV2D_TRANSPOSE_GRAD} (its whole backward: per block, dz,
 * the bias sums, one im2col of dz and both GEMMs). Convolutions with one input channel (a first
 * layer on grey images; the gradients of a last layer down to one channel) skip im2col + GEMM,
 * whose inner size would be only FH*FW, and run directly in C (`KMNIST_DIRECT_CONV=0` sends them
 * back to GEMM): conv training 13% faster in alternating runs.
 * Otherwise (JS im2col) the im2col matrix of a forward convolution is kept (a few, freed when
 * their input is) so that the filter gradient of the same input reuses it. Cases not covered (NCHW, prelu,
 * odd bias shapes, broadcast batch ranks) go to the original wasm kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Blas, SgemmArgs } from "./blas.ts";
import type { Native } from "./native.ts";
import { col2im, type ConvGeometry, geometryOf, im2col } from "./im2col.ts";
import { columnSumOf } from "./js_kernels.ts";
import {
  filterGradInfo,
  floatOffset,
  isPointwise,
  type WasmBackendLike,
  wasmDispose,
} from "./wasm_conv.ts";

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };
/** A tfjs kernel function. */
export type Kernel = (args: KernelArgs) => tf.TensorInfo;

/** Counts of kernel calls served by the kernels here, by kernel name (for benchmarks, tests). */
export const blasKernelCalls: Record<string, number> = {};

/** Milliseconds spent in each phase of the kernels here (im2col, gemm, col2im, epilogue). */
export const blasPhaseMs: Record<string, number> = {};

function count(name: string): void {
  blasKernelCalls[name] = (blasKernelCalls[name] ?? 0) + 1;
}

let phaseStart = 0;
const detail = (() => {
  try {
    return Deno.env.get("KMNIST_PHASE_DETAIL") === "1";
  } catch {
    return false;
  }
})();
function phase(name?: string, shape?: () => string): void {
  if (detail && name !== undefined && shape !== undefined) name = `${name} ${shape()}`;
  const now = performance.now();
  if (name !== undefined) blasPhaseMs[name] = (blasPhaseMs[name] ?? 0) + now - phaseStart;
  phaseStart = now;
}

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

/**
 * BatchMatMul for the wasm set: transposed single-batch products through {@link makeWasmGemm}
 * (explicit transpose + wasm's plain matmul); everything else to wasm's own kernel.
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
    if (m * n * k === 0) return original()(args);
    count("BatchMatMul");
    const out = gemm.matmul(backend, a, b, { m, n, k, transA: transposeA, transB: transposeB });
    const outer = ar >= br ? a.shape.slice(0, -2) : b.shape.slice(0, -2);
    return { dataId: out.dataId, shape: [...outer, m, n], dtype: "float32" };
  };
}

/** The activations fused into the GEMM's output pass. */
type Activation = "linear" | "relu" | "relu6" | "elu" | "leakyrelu" | "sigmoid";
const FUSABLE = new Set<string>(["linear", "relu", "relu6", "elu", "leakyrelu", "sigmoid"]);
/** The activations' codes in native/kernels.c's kmnist_bias_act. */
const ACTIVATION_CODES: Record<Activation, number> = {
  linear: 0,
  relu: 1,
  relu6: 2,
  leakyrelu: 3,
  elu: 4,
  sigmoid: 5,
};

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
  native: Native | null = null,
): void {
  if (native !== null) {
    if (activation !== "linear" || biasAt >= 0) {
      native.biasAct(heap, c, m, n, biasAt, ACTIVATION_CODES[activation], alpha);
    }
    return;
  }
  const end = c + m * n;
  if (biasAt >= 0) {
    if (activation === "relu") {
      for (let row = c; row < end; row += n) {
        for (let j = 0; j < n; j++) {
          const v = heap[row + j] + heap[biasAt + j];
          heap[row + j] = v < 0 ? 0 : v;
        }
      }
      return;
    }
    for (let row = c; row < end; row += n) {
      for (let j = 0; j < n; j++) heap[row + j] += heap[biasAt + j];
    }
  }
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

/**
 * Runs `use` with `floats` floats of scratch wasm memory (given as their float position), freed
 * afterwards even when `use` throws. Positions of other tensors must be read inside `use`: the
 * allocation may grow, and so move, the heap.
 */
function withScratch<T>(backend: WasmBackendLike, floats: number, use: (at: number) => T): T {
  const scratch = backend.makeOutput([floats], "float32");
  try {
    return use(floatOffset(backend, scratch));
  } finally {
    wasmDispose(backend, scratch);
  }
}

function sizeOf(shape: number[]): number {
  let s = 1;
  for (const d of shape) s *= d;
  return s;
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

/** A kept im2col matrix: the cols of input `x` for one geometry. */
interface ColsEntry {
  x: object;
  key: string;
  cols: tf.TensorInfo;
}

const COLS_CACHE_SIZE = 8;
/** At most this many floats of kept im2col matrices (64 Mi floats = 256 MiB of wasm memory). */
const COLS_CACHE_FLOATS = 64 * 1024 * 1024;
const colsCache: ColsEntry[] = [];
let cacheBackend: WasmBackendLike | null = null;

function geometryKey(g: ConvGeometry): string {
  return `${g.batchSize},${g.inHeight},${g.inWidth},${g.inChannels},${g.outHeight},` +
    `${g.outWidth},${g.filterHeight},${g.filterWidth},${g.strideHeight},${g.strideWidth},` +
    `${g.dilationHeight},${g.dilationWidth},${g.padTop},${g.padLeft}`;
}

/** Frees every kept im2col matrix (call when switching kernels or backends). */
export function clearColsCache(): void {
  if (cacheBackend !== null) {
    for (const e of colsCache) {
      if (cacheBackend.dataIdMap.has(e.cols.dataId)) {
        wasmDispose(cacheBackend, e.cols);
      }
    }
  }
  colsCache.length = 0;
}

/** Drops entries whose input tensor was disposed (its data cannot come back). */
function purgeDead(backend: WasmBackendLike): void {
  if (cacheBackend !== backend) {
    colsCache.length = 0;
    cacheBackend = backend;
  }
  for (let i = colsCache.length - 1; i >= 0; i--) {
    if (!backend.dataIdMap.has(colsCache[i].x)) {
      wasmDispose(backend, colsCache[i].cols);
      colsCache.splice(i, 1);
    }
  }
}

/** Whether the cache holds the cols of `x` for geometry `g`. */
function hasCols(backend: WasmBackendLike, x: tf.TensorInfo, g: ConvGeometry): boolean {
  purgeDead(backend);
  const key = geometryKey(g);
  return colsCache.some((e) => e.x === x.dataId && e.key === key);
}

/** Takes the kept cols of `x` for geometry `g` out of the cache (the caller then owns them). */
function takeCols(
  backend: WasmBackendLike,
  x: tf.TensorInfo,
  g: ConvGeometry,
): tf.TensorInfo | null {
  purgeDead(backend);
  const key = geometryKey(g);
  const i = colsCache.findIndex((e) => e.x === x.dataId && e.key === key);
  if (i < 0) return null;
  const [entry] = colsCache.splice(i, 1);
  return entry.cols;
}

/** Keeps `cols` (of `x`, geometry `g`); the cache then owns them. */
function keepCols(
  backend: WasmBackendLike,
  x: tf.TensorInfo,
  g: ConvGeometry,
  cols: tf.TensorInfo,
) {
  purgeDead(backend);
  colsCache.push({ x: x.dataId, key: geometryKey(g), cols });
  let floats = 0;
  for (const e of colsCache) floats += sizeOf(e.cols.shape);
  while (
    colsCache.length > COLS_CACHE_SIZE || (colsCache.length > 1 && floats > COLS_CACHE_FLOATS)
  ) {
    const dropped = colsCache.shift()!;
    floats -= sizeOf(dropped.cols.shape);
    wasmDispose(backend, dropped.cols);
  }
}

/**
 * Conv2DBackpropInput on OpenBLAS runs GEMM + col2im in blocks of images whose dcols hold at most
 * this many floats (512 KiB; 128 Ki to 2 Mi floats measured alike, the whole dcols 1.3-1.5x
 * slower; `KMNIST_COL2IM_BLOCK` overrides).
 */
export const BLOCK_FLOATS = Number(Deno.env.get("KMNIST_COL2IM_BLOCK") ?? 131_072);

/**
 * Whether convolutions with one input channel run directly in C (with the native helpers;
 * `KMNIST_DIRECT_CONV=0` sends them to im2col + GEMM).
 */
const DIRECT_ONE_CHANNEL = Deno.env.get("KMNIST_DIRECT_CONV") !== "0";

/** Whether forward convolutions and filter gradients also run in blocks (with native im2col). */
const BLOCKED_CONV = Deno.env.get("KMNIST_BLOCKED_CONV") !== "0";

interface ConvAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dilations: [number, number] | number;
  dimRoundingMode?: "floor" | "round" | "ceil";
  activation?: string;
  leakyreluAlpha?: number;
}

/**
 * The geometry of the convolution whose input gradient a conv2dTranspose (or
 * Conv2DBackpropInput) computes: input `shape` (the transposed convolution's output), `filter`,
 * NHWC, no dilation.
 */
function transposedConvInfo(
  shape: number[],
  filter: tf.TensorInfo,
  attrs: ConvAttrs,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
}

/**
 * Builds Conv2D, FusedConv2D, Conv2DBackpropInput and Conv2DBackpropFilter on `gemm`;
 * `fallback(name)` returns the original wasm kernel.
 */
export function makeConvKernels(
  gemm: Gemm,
  fallback: (name: string) => Kernel,
  native: Native | null = null,
  blockThreads = 0,
): Record<string, Kernel> {
  const blocked = native !== null && BLOCKED_CONV;
  /**
   * Images per block when the blocks run on `blockThreads` cores in C (native.ts's blocked
   * convolutions), or 0 when they cannot or should not: no native helpers, no bound OpenBLAS or
   * one core only (no OpenMP: the JS-driven blocks with two-threaded GEMMs are faster then),
   * filters over 64x64 (col2im's limit), pointwise convolutions, or a batch of one.
   */
  const parallelBlock = (g: ConvGeometry, floatsPerImage: number, limit: number): number => {
    if (!blocked || blockThreads < 2 || isPointwise(g) || g.batchSize < 2) return 0;
    if (g.filterHeight > 64 || g.filterWidth > 64) return 0;
    const fit = Math.max(1, Math.floor(limit / floatsPerImage));
    return Math.min(fit, Math.ceil(g.batchSize / blockThreads));
  };
  /**
   * Whether a convolution runs directly in C (native.ts's conv1*): one input channel, where
   * im2col + GEMM has an inner dimension (or an output width) of only FH*FW.
   */
  const direct = (g: ConvGeometry): boolean =>
    native !== null && DIRECT_ONE_CHANNEL && g.inChannels === 1 && g.filterHeight <= 64 &&
    g.filterWidth <= 64;
  const toCols = native === null ? im2col : native.im2col;
  const fromCols = native === null
    ? col2im
    : (g: ConvGeometry, heap: Float32Array, colsAt: number, dxAt: number) =>
      g.filterHeight <= 64 && g.filterWidth <= 64
        ? native.col2im(g, heap, colsAt, dxAt)
        : col2im(g, heap, colsAt, dxAt);
  /** im2col of `x` (or x itself when pointwise); `owned` says whether the caller must free it. */
  function colsOf(
    backend: WasmBackendLike,
    x: tf.TensorInfo,
    g: ConvGeometry,
    m: number,
    k: number,
  ): { cols: tf.TensorInfo; owned: boolean } {
    if (isPointwise(g)) return { cols: x, owned: false };
    const kept = takeCols(backend, x, g);
    if (kept !== null) return { cols: kept, owned: true };
    const cols = backend.makeOutput([m, k], "float32");
    phase();
    toCols(g, backend.wasm.HEAPF32, floatOffset(backend, x), floatOffset(backend, cols));
    phase("im2col", () => `${g.inHeight}x${g.inWidth}x${g.inChannels} s${g.strideHeight}`);
    return { cols, owned: true };
  }

  /** Forward convolution: im2col + GEMM + bias/activation, or null to fall back. */
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
    const co = info.outChannels;
    const rowsPerImage = g.outHeight * g.outWidth;
    if (direct(g)) {
      count("conv forward (one input channel, direct)");
      const out = backend.makeOutput(info.outShape, "float32");
      phase();
      native!.conv1Forward({
        heap: backend.wasm.HEAPF32,
        g,
        outChannels: co,
        input: floatOffset(backend, x),
        second: floatOffset(backend, filter),
        out: floatOffset(backend, out),
        bias: bias == null ? -1 : floatOffset(backend, bias),
        activation: ACTIVATION_CODES[activation as Activation],
        alpha: attrs.leakyreluAlpha ?? 0.2,
      });
      phase("conv direct (one input channel)", () => `fwd ${m}x${co}x${k}`);
      return out;
    }
    const shared = parallelBlock(g, rowsPerImage * k, BLOCK_FLOATS);
    if (shared > 0) {
      count("conv forward (blocks on all cores)");
      const out = backend.makeOutput(info.outShape, "float32");
      phase();
      withScratch(
        backend,
        blockThreads * shared * rowsPerImage * k,
        (scratch) =>
          native!.convForwardBlocks({
            heap: backend.wasm.HEAPF32,
            g,
            outChannels: co,
            perBlock: shared,
            input: floatOffset(backend, x),
            second: floatOffset(backend, filter),
            out: floatOffset(backend, out),
            scratch,
            bias: bias == null ? -1 : floatOffset(backend, bias),
            activation: ACTIVATION_CODES[activation as Activation],
            alpha: attrs.leakyreluAlpha ?? 0.2,
          }),
      );
      phase("conv blocks (im2col + gemm + epilogue)", () => `fwd ${m}x${co}x${k}`);
      return out;
    }
    const perBlock = Math.max(1, Math.floor(BLOCK_FLOATS / (rowsPerImage * k)));
    if (blocked && gemm.at !== undefined && !isPointwise(g) && perBlock < g.batchSize) {
      // im2col + GEMM + epilogue in blocks of images, each block's cols and output in cache;
      // the filter gradient recomputes its cols the same way (cheaper than keeping them).
      count("conv forward (blocked)");
      const out = backend.makeOutput(info.outShape, "float32");
      const gemmAt = gemm.at;
      withScratch(backend, perBlock * rowsPerImage * k, (sAt) => {
        const heap = backend.wasm.HEAPF32;
        const xAt = floatOffset(backend, x), wAt = floatOffset(backend, filter);
        const outAt = floatOffset(backend, out);
        const biasAt = bias == null ? -1 : floatOffset(backend, bias);
        const pixels = g.inHeight * g.inWidth * g.inChannels;
        phase();
        for (let b0 = 0; b0 < g.batchSize; b0 += perBlock) {
          const nb = Math.min(perBlock, g.batchSize - b0);
          toCols({ ...g, batchSize: nb }, heap, xAt + b0 * pixels, sAt);
          phase("im2col", () => `${g.inHeight}x${g.inWidth}x${g.inChannels} s${g.strideHeight}`);
          const c = outAt + b0 * rowsPerImage * co;
          gemmAt(heap, { m: nb * rowsPerImage, n: co, k, a: sAt, b: wAt, c });
          phase("gemm", () => `fwd ${m}x${co}x${k} (blocks of ${perBlock})`);
          epilogue(
            heap,
            c,
            nb * rowsPerImage,
            co,
            biasAt,
            activation as Activation,
            attrs.leakyreluAlpha ?? 0.2,
            native,
          );
          phase("epilogue");
        }
      });
      return out;
    }
    const { cols, owned } = colsOf(backend, x, g, m, k);
    phase();
    const out2 = gemm.matmul(backend, cols, filter, { m, n: info.outChannels, k });
    phase("gemm", () => `fwd ${m}x${info.outChannels}x${k}`);
    if (owned) keepCols(backend, x, g, cols);
    epilogue(
      backend.wasm.HEAPF32,
      floatOffset(backend, out2),
      m,
      info.outChannels,
      bias == null ? -1 : floatOffset(backend, bias),
      activation as Activation,
      attrs.leakyreluAlpha ?? 0.2,
      native,
    );
    phase("epilogue");
    return { dataId: out2.dataId, shape: info.outShape, dtype: "float32" };
  }

  /** Kernel `name` from `run`, falling back to the original kernel where `run` gives null. */
  const orFallback =
    (name: string, run: (args: KernelArgs) => tf.TensorInfo | null): Kernel => (args) => {
      const r = run(args);
      if (r === null) return fallback(name)(args);
      count(name);
      return r;
    };
  const conv2d = orFallback("Conv2D", (args) => convForward(args, false));
  const fusedConv2d = orFallback("FusedConv2D", (args) => convForward(args, true));

  /**
   * Conv2DBackpropInput, or with `fused` a conv2dTranspose layer's whole forward
   * ({@link FUSED_CONV2D_TRANSPOSE}: + bias, then the activation); null to fall back.
   */
  function inputGrad(args: KernelArgs, fused: boolean): tf.TensorInfo | null {
    const backend = args.backend as WasmBackendLike;
    const { dy, filter, bias } = args.inputs as Record<string, tf.TensorInfo | undefined> & {
      dy: tf.TensorInfo;
      filter: tf.TensorInfo;
    };
    const attrs = args.attrs as unknown as ConvAttrs & { inputShape: number[] };
    if (attrs.dataFormat === "NCHW" || dy.dtype !== "float32" || filter.dtype !== "float32") {
      return null;
    }
    const activation = (fused ? attrs.activation ?? "linear" : "linear") as Activation;
    if (!FUSABLE.has(activation)) return null;
    const biasAt = () => fused && bias != null ? floatOffset(backend, bias) : -1;
    const alpha = attrs.leakyreluAlpha ?? 0.2;
    const finish = (out: tf.TensorInfo, rows: number, channels: number) => {
      if (activation !== "linear" || biasAt() >= 0) {
        epilogue(
          backend.wasm.HEAPF32,
          floatOffset(backend, out),
          rows,
          channels,
          biasAt(),
          activation,
          alpha,
          native,
        );
        phase("epilogue");
      }
    };
    const info = transposedConvInfo(attrs.inputShape, filter, attrs);
    const g: ConvGeometry = geometryOf(info);
    const m = g.batchSize * g.outHeight * g.outWidth;
    const k = g.filterHeight * g.filterWidth * g.inChannels;
    if (m * k * info.outChannels === 0) return null;
    if (fused && bias != null && sizeOf(bias.shape) !== g.inChannels) return null;
    const pixels = g.batchSize * g.inHeight * g.inWidth;
    phase();
    const rowsPerImage = g.outHeight * g.outWidth;
    if (direct(g)) {
      count("Conv2DBackpropInput (one input channel, direct)");
      const dx = backend.makeOutput(info.inShape, "float32");
      native!.conv1InputGrad({
        heap: backend.wasm.HEAPF32,
        g,
        outChannels: info.outChannels,
        input: floatOffset(backend, dy),
        second: floatOffset(backend, filter),
        out: floatOffset(backend, dx),
        bias: biasAt(),
        activation: ACTIVATION_CODES[activation],
        alpha,
      });
      phase("conv direct (one input channel)", () => `dx ${m}x${k}x${info.outChannels}`);
      return dx;
    }
    const shared = parallelBlock(g, rowsPerImage * k, BLOCK_FLOATS);
    if (shared > 0) {
      count("Conv2DBackpropInput (blocks on all cores)");
      const dx = backend.makeOutput(info.inShape, "float32");
      withScratch(
        backend,
        blockThreads * shared * rowsPerImage * k,
        (scratch) =>
          native!.convInputGradBlocks({
            heap: backend.wasm.HEAPF32,
            g,
            outChannels: info.outChannels,
            perBlock: shared,
            input: floatOffset(backend, dy),
            second: floatOffset(backend, filter),
            out: floatOffset(backend, dx),
            scratch,
            bias: biasAt(),
            activation: ACTIVATION_CODES[activation],
            alpha,
          }),
      );
      phase(
        fused ? "conv blocks (gemm + col2im + epilogue)" : "conv blocks (gemm + col2im)",
        () => `dx ${m}x${k}x${info.outChannels}`,
      );
      return dx;
    }
    const perBlock = Math.max(1, Math.floor(BLOCK_FLOATS / (rowsPerImage * k)));
    if (gemm.at !== undefined && !isPointwise(g) && perBlock < g.batchSize) {
      // In blocks of images, so that each block's dcols stays in cache between the GEMM that
      // writes it and the col2im that reads it (the whole dcols is up to 9x the size of dx).
      count("Conv2DBackpropInput (blocked)");
      const co = info.outChannels;
      const dx = backend.makeOutput(info.inShape, "float32");
      const gemmAt = gemm.at;
      withScratch(backend, perBlock * rowsPerImage * k, (sAt) => {
        const heap = backend.wasm.HEAPF32;
        const dyAt = floatOffset(backend, dy), wAt = floatOffset(backend, filter);
        const dxAt = floatOffset(backend, dx);
        const perImage = g.inHeight * g.inWidth * g.inChannels;
        for (let b0 = 0; b0 < g.batchSize; b0 += perBlock) {
          const nb = Math.min(perBlock, g.batchSize - b0);
          gemmAt(heap, {
            m: nb * rowsPerImage,
            n: k,
            k: co,
            a: dyAt + b0 * rowsPerImage * co,
            b: wAt,
            c: sAt,
            transB: true,
          });
          phase("gemm", () => `dx ${m}x${k}x${co} (blocks of ${perBlock})`);
          fromCols({ ...g, batchSize: nb }, heap, sAt, dxAt + b0 * perImage);
          phase("col2im", () => `${g.inHeight}x${g.inWidth}x${g.inChannels} s${g.strideHeight}`);
        }
      });
      finish(dx, pixels, g.inChannels);
      return dx;
    }
    // dcols[M, K] = dy[M, CO] · W[K, CO]ᵀ, then scattered back to image positions.
    const dcols = gemm.matmul(backend, dy, filter, {
      m,
      n: k,
      k: info.outChannels,
      transB: true,
    });
    phase("gemm", () => `dx ${m}x${k}x${info.outChannels}`);
    if (isPointwise(g)) {
      finish(dcols, pixels, g.inChannels);
      return { dataId: dcols.dataId, shape: info.inShape, dtype: "float32" };
    }
    const dx = backend.makeOutput(info.inShape, "float32");
    fromCols(
      g,
      backend.wasm.HEAPF32,
      floatOffset(backend, dcols),
      floatOffset(backend, dx),
    );
    wasmDispose(backend, dcols);
    phase("col2im", () => `${g.inHeight}x${g.inWidth}x${g.inChannels} s${g.strideHeight}`);
    finish(dx, pixels, g.inChannels);
    return dx;
  }

  const conv2dBackpropInput = orFallback("Conv2DBackpropInput", (args) => inputGrad(args, false));

  const fusedConv2dTranspose: Kernel = (args) => {
    const r = inputGrad(args, true);
    if (r !== null) {
      count(FUSED_CONV2D_TRANSPOSE);
      return r;
    }
    throw new Error(
      `${FUSED_CONV2D_TRANSPOSE}: unsupported case (NCHW, a dtype other than float32, an ` +
        `activation other than ${[...FUSABLE].join("/")}, or a bias that is not [channels]); ` +
        `call tf.conv2dTranspose, then add the bias and apply the activation.`,
    );
  };

  const conv2dBackpropFilter: Kernel = (args) => {
    const backend = args.backend as WasmBackendLike;
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const attrs = args.attrs as unknown as Parameters<typeof filterGradInfo>[2];
    if (attrs.dataFormat === "NCHW") return fallback("Conv2DBackpropFilter")(args);
    const info = filterGradInfo(x, dy, attrs, gemm.name);
    const g = geometryOf(info);
    const m = g.batchSize * g.outHeight * g.outWidth;
    const k = g.filterHeight * g.filterWidth * g.inChannels;
    if (m * k * info.outChannels === 0) return fallback("Conv2DBackpropFilter")(args);
    count("Conv2DBackpropFilter");
    const co = info.outChannels;
    const rowsPerImage = g.outHeight * g.outWidth;
    if (direct(g)) {
      count("Conv2DBackpropFilter (one input channel, direct)");
      const dw = backend.makeOutput(info.filterShape, "float32");
      phase();
      native!.conv1FilterGrad({
        heap: backend.wasm.HEAPF32,
        g,
        outChannels: co,
        input: floatOffset(backend, x),
        second: floatOffset(backend, dy),
        out: floatOffset(backend, dw),
      });
      phase("conv direct (one input channel)", () => `dw ${k}x${co}x${m}`);
      return dw;
    }
    const shared = hasCols(backend, x, g)
      ? 0
      : parallelBlock(g, rowsPerImage * k, 4 * BLOCK_FLOATS);
    if (shared > 0) {
      count("Conv2DBackpropFilter (blocks on all cores)");
      const dw = backend.makeOutput(info.filterShape, "float32");
      phase();
      withScratch(
        backend,
        blockThreads * (shared * rowsPerImage * k + k * co),
        (scratch) =>
          native!.convFilterGradBlocks({
            heap: backend.wasm.HEAPF32,
            g,
            outChannels: co,
            perBlock: shared,
            input: floatOffset(backend, x),
            second: floatOffset(backend, dy),
            out: floatOffset(backend, dw),
            scratch,
          }),
      );
      phase("conv blocks (im2col + gemm)", () => `dw ${k}x${co}x${m}`);
      return dw;
    }
    const perBlock = Math.max(1, Math.floor((4 * BLOCK_FLOATS) / (rowsPerImage * k)));
    if (
      blocked && gemm.at !== undefined && !isPointwise(g) && perBlock < g.batchSize &&
      !hasCols(backend, x, g)
    ) {
      // dW = Σ over blocks of images of cols_blockᵀ · dy_block, each block's cols in cache.
      count("Conv2DBackpropFilter (blocked)");
      const dw = backend.makeOutput(info.filterShape, "float32");
      const gemmAt = gemm.at;
      withScratch(backend, perBlock * rowsPerImage * k, (sAt) => {
        const heap = backend.wasm.HEAPF32;
        const xAt = floatOffset(backend, x), dyAt = floatOffset(backend, dy);
        const dwAt = floatOffset(backend, dw);
        const pixels = g.inHeight * g.inWidth * g.inChannels;
        phase();
        for (let b0 = 0; b0 < g.batchSize; b0 += perBlock) {
          const nb = Math.min(perBlock, g.batchSize - b0);
          toCols({ ...g, batchSize: nb }, heap, xAt + b0 * pixels, sAt);
          phase("im2col", () => `${g.inHeight}x${g.inWidth}x${g.inChannels} s${g.strideHeight}`);
          gemmAt(heap, {
            m: k,
            n: co,
            k: nb * rowsPerImage,
            a: sAt,
            b: dyAt + b0 * rowsPerImage * co,
            c: dwAt,
            transA: true,
            beta: b0 === 0 ? 0 : 1,
          });
          phase("gemm", () => `dw ${k}x${co}x${m} (blocks of ${perBlock})`);
        }
      });
      return dw;
    }
    const { cols, owned } = colsOf(backend, x, g, m, k);
    phase();
    // dW[K, CO] = cols[M, K]ᵀ · dy[M, CO]
    const dw = gemm.matmul(backend, cols, dy, { m: k, n: info.outChannels, k: m, transA: true });
    phase("gemm", () => `dw ${k}x${info.outChannels}x${m}`);
    if (owned) wasmDispose(backend, cols);
    return { dataId: dw.dataId, shape: info.filterShape, dtype: "float32" };
  };

  /**
   * {@link CONV2D_TRANSPOSE_GRAD}: a conv2dTranspose layer's backward pass. In blocks on all
   * cores (native.ts's convTransposeBackwardBlocks: dz, its im2col matrix and the bias sums
   * per block, shared by both GEMMs); otherwise (one image, or one output channel, whose
   * convolutions run directly) dz and the bias gradient in one native pass (in JS for a linear
   * activation), then this set's Conv2D and Conv2DBackpropFilter.
   */
  const conv2dTransposeGrad = (args: KernelArgs): tf.TensorInfo[] => {
    const backend = args.backend as WasmBackendLike;
    const { dy, y, input, filter } = args.inputs as Record<string, tf.TensorInfo>;
    const attrs = args.attrs as unknown as ConvAttrs;
    const activation = attrs.activation ?? "linear";
    const code = ({ linear: 0, relu: 1, sigmoid: 5 } as Record<string, number>)[activation];
    if (
      code === undefined || [dy, y, input, filter].some((t) => t.dtype !== "float32") ||
      !tf.util.arraysEqual(dy.shape, y.shape) || y.shape.length !== 4
    ) {
      throw new Error(
        `${CONV2D_TRANSPOSE_GRAD}: needs float32 NHWC tensors, dy shaped as y, and a linear, ` +
          `relu or sigmoid activation (got ${activation}); use tfjs's ops instead.`,
      );
    }
    const info = transposedConvInfo(y.shape, filter, attrs);
    const g = geometryOf(info);
    const k = g.filterHeight * g.filterWidth * g.inChannels;
    const rowsPerImage = g.outHeight * g.outWidth;
    const pixels = g.inHeight * g.inWidth * g.inChannels;
    const db = backend.makeOutput([g.inChannels], "float32");
    const shared = parallelBlock(g, rowsPerImage * k + pixels, BLOCK_FLOATS);
    if (shared > 0 && !isPointwise(g) && !direct(g)) {
      count(`${CONV2D_TRANSPOSE_GRAD} (blocks on all cores)`);
      const din = backend.makeOutput(input.shape, "float32");
      const dw = backend.makeOutput(filter.shape, "float32");
      phase();
      withScratch(
        backend,
        blockThreads * (shared * (pixels + rowsPerImage * k) + k * info.outChannels),
        (scratch) =>
          native!.convTransposeBackwardBlocks({
            heap: backend.wasm.HEAPF32,
            g,
            outChannels: info.outChannels,
            perBlock: shared,
            dy: floatOffset(backend, dy),
            y: floatOffset(backend, y),
            input: floatOffset(backend, input),
            filter: floatOffset(backend, filter),
            din: floatOffset(backend, din),
            dw: floatOffset(backend, dw),
            db: floatOffset(backend, db),
            scratch,
            activation: code,
          }),
      );
      phase("conv blocks (dz + im2col + 2 gemm)", () => `dz/din/dw ${k}x${info.outChannels}`);
      return [din, dw, db];
    }
    count(CONV2D_TRANSPOSE_GRAD);
    const dz = backend.makeOutput(y.shape, "float32");
    const heap = backend.wasm.HEAPF32;
    const channels = g.inChannels, size = sizeOf(y.shape);
    const dyAt = floatOffset(backend, dy), yAt = floatOffset(backend, y);
    const dzAt = floatOffset(backend, dz), dbAt = floatOffset(backend, db);
    if (native !== null && code !== 0) {
      native.biasActGrad({
        heap,
        dy: dyAt,
        y: yAt,
        dz: dzAt,
        db: dbAt,
        rows: size / channels,
        cols: channels,
        activation: code,
      });
    } else {
      const sums = new Float64Array(channels);
      for (let i = 0; i < size; i++) {
        const v = heap[yAt + i];
        const grad = code === 0
          ? 1
          : code === 5
          ? v * (1 - v)
          : v > 0
          ? 1
          : Number.isNaN(v)
          ? v
          : 0;
        const z = code === 0 ? heap[dyAt + i] : Math.fround(heap[dyAt + i] * Math.fround(grad));
        heap[dzAt + i] = z;
        sums[i % channels] += z;
      }
      for (let j = 0; j < channels; j++) heap[dbAt + j] = sums[j];
    }
    const geometry = { strides: attrs.strides, pad: attrs.pad, dataFormat: "NHWC" };
    const dIn = conv2d({
      inputs: { x: dz, filter },
      backend,
      attrs: { ...geometry, dilations: 1 } as unknown as tf.NamedAttrMap,
    });
    const dFilter = conv2dBackpropFilter({
      inputs: { x: dz, dy: input },
      backend,
      attrs: { ...geometry, filterShape: filter.shape } as unknown as tf.NamedAttrMap,
    });
    wasmDispose(backend, dz);
    return [dIn, dFilter, db];
  };

  return {
    Conv2D: conv2d,
    FusedConv2D: fusedConv2d,
    Conv2DBackpropInput: conv2dBackpropInput,
    Conv2DBackpropFilter: conv2dBackpropFilter,
    [FUSED_CONV2D_TRANSPOSE]: fusedConv2dTranspose,
    ...(native === null
      ? {}
      : { [CONV2D_TRANSPOSE_GRAD]: conv2dTransposeGrad as unknown as Kernel }),
  };
}

/**
 * Name of the conv2dTranspose layer's backward kernel: inputs `dy`, `y` (the layer's output),
 * `input` (the layer's input) and `filter`; attrs as {@link FUSED_CONV2D_TRANSPOSE}'s (strides,
 * pad, activation linear / relu / sigmoid); outputs [input's gradient, filter's, bias's].
 */
export const CONV2D_TRANSPOSE_GRAD = "KmnistConv2DTransposeGrad";

/**
 * Name of the fused conv2dTranspose-layer kernel: Conv2DBackpropInput's inputs (`dy`: the layer's
 * input, `filter`) and attrs (`inputShape`: the layer's output shape) plus a `bias` [channels]
 * input and `activation` / `leakyreluAlpha` attrs as FusedConv2D's; out = act(conv2dTranspose + bias).
 */
export const FUSED_CONV2D_TRANSPOSE = "KmnistFusedConv2DTranspose";
