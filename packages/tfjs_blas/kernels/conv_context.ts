/**
 * What the convolution kernels (kernels/conv2d*.ts) share: the GEMM, the original kernels to fall
 * back to, the native helpers, and the choices between their paths (direct one-channel
 * convolutions, blocks on all cores, blocks from JS, whole im2col matrices).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { hasCols, keepCols, takeCols } from "../cols_cache.ts";
import { speedConfig } from "../config.ts";
import { isPointwise } from "../conv_geometry.ts";
import type { Gemm } from "../gemm.ts";
import { col2im, type ConvGeometry, im2col } from "../im2col.ts";
import { count, phase } from "../kernel_stats.ts";
import type { Kernel, KernelArgs } from "../kernel_types.ts";
import type { Native } from "../native.ts";
import { floatOffset, type WasmBackendLike } from "../wasm_heap.ts";

export { hasCols, keepCols };

/** Writes the im2col matrix of the image at `xAt` to `colsAt` (im2col.ts's signature). */
export type ToCols = (g: ConvGeometry, heap: Float32Array, xAt: number, colsAt: number) => void;

/** Adds the columns at `colsAt` back into the image at `dxAt` (col2im.ts's signature). */
export type FromCols = (g: ConvGeometry, heap: Float32Array, colsAt: number, dxAt: number) => void;

/** The shared state of one kernel set's convolution kernels ({@link makeConvContext}). */
export interface ConvContext {
  /** The GEMM the kernels run on. */
  gemm: Gemm;
  /** The original wasm kernel of `name`, for the cases not covered. */
  fallback: (name: string) => Kernel;
  /** The native helpers, or null for the JS paths. */
  native: Native | null;
  /** Cores the blocks are shared over in C (0: blocks run from JS, one at a time). */
  blockThreads: number;
  /** Whether forward convolutions and filter gradients run in blocks of images. */
  blocked: boolean;
  /**
   * Conv2DBackpropInput on OpenBLAS runs GEMM + col2im in blocks of images whose dcols hold at
   * most this many floats (512 KiB; 128 Ki to 2 Mi floats measured alike, the whole dcols
   * 1.3-1.5x slower; `KMNIST_COL2IM_BLOCK` overrides); the other blocked kernels size theirs
   * from it.
   */
  blockFloats: number;
  /**
   * Images per block when the blocks run on `blockThreads` cores in C (native.ts's blocked
   * convolutions), or 0 when they cannot or should not: no native helpers, no bound OpenBLAS or
   * one core only (no OpenMP: the JS-driven blocks with two-threaded GEMMs are faster then),
   * filters over 64x64 (col2im's limit), pointwise convolutions, or a batch of one.
   */
  parallelBlock(g: ConvGeometry, floatsPerImage: number, limit: number): number;
  /**
   * Whether a convolution runs directly in C (native.ts's conv1*): one input channel, where
   * im2col + GEMM has an inner dimension (or an output width) of only FH*FW.
   */
  direct(g: ConvGeometry): boolean;
  /** im2col, native when the helpers are loaded. */
  toCols: ToCols;
  /** col2im, native when the helpers are loaded (and the filter is at most 64x64). */
  fromCols: FromCols;
  /** im2col of `x` (or x itself when pointwise); `owned` says whether the caller must free it. */
  colsOf(
    backend: WasmBackendLike,
    x: tf.TensorInfo,
    g: ConvGeometry,
    m: number,
    k: number,
  ): { cols: tf.TensorInfo; owned: boolean };
}

/**
 * The shared state of convolution kernels on `gemm`; `fallback(name)` returns the original wasm
 * kernel; `native` the helpers (or null), `blockThreads` the cores their blocks run on.
 */
export function makeConvContext(
  gemm: Gemm,
  fallback: (name: string) => Kernel,
  native: Native | null = null,
  blockThreads = 0,
): ConvContext {
  const config = speedConfig();
  const blocked = native !== null && config.blockedConv;
  const blockFloats = config.col2imBlock;
  const parallelBlock = (g: ConvGeometry, floatsPerImage: number, limit: number): number => {
    if (!blocked || blockThreads < 2 || isPointwise(g) || g.batchSize < 2) return 0;
    if (g.filterHeight > 64 || g.filterWidth > 64) return 0;
    const fit = Math.max(1, Math.floor(limit / floatsPerImage));
    return Math.min(fit, Math.ceil(g.batchSize / blockThreads));
  };
  const direct = (g: ConvGeometry): boolean =>
    native !== null && config.directConv && g.inChannels === 1 && g.filterHeight <= 64 &&
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
  return {
    gemm,
    fallback,
    native,
    blockThreads,
    blocked,
    blockFloats,
    parallelBlock,
    direct,
    toCols,
    fromCols,
    colsOf,
  };
}

/**
 * Kernel `name` from `run`, falling back to the original kernel where `run` gives null.
 */
export const orFallback = (
  fallback: (name: string) => Kernel,
  name: string,
  run: (args: KernelArgs) => tf.TensorInfo | null,
): Kernel =>
(args) => {
  const r = run(args);
  if (r === null) return fallback(name)(args);
  count(name);
  return r;
};
