/**
 * Conv2DBackpropFilter (a convolution's filter gradient): direct in C for one input channel, else
 * im2col + GEMM, in blocks of images (on all cores, or accumulated from JS) or whole.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { filterGradInfo, isPointwise } from "../conv_geometry.ts";
import { geometryOf } from "../im2col.ts";
import { count, phase } from "../kernel_stats.ts";
import type { Kernel } from "../kernel_types.ts";
import { floatOffset, type WasmBackendLike, wasmDispose, withScratch } from "../wasm_heap.ts";
import { type ConvContext, hasCols } from "./conv_context.ts";

/** The `Conv2DBackpropFilter` kernel on `ctx`'s GEMM. */
export function makeConv2DBackpropFilter(ctx: ConvContext): Kernel {
  const { gemm, fallback, native, blockThreads, blocked, parallelBlock, direct, blockFloats } = ctx;
  const { toCols, colsOf } = ctx;
  return (args) => {
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
    const shared = hasCols(backend, x, g) ? 0 : parallelBlock(g, rowsPerImage * k, 4 * blockFloats);
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
    const perBlock = Math.max(1, Math.floor((4 * blockFloats) / (rowsPerImage * k)));
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
}
