/**
 * Conv2D and FusedConv2D: direct in C for one input channel, else im2col + GEMM + bias and
 * activation, in blocks of images (on all cores, or one at a time from JS) or whole.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type Activation, ACTIVATION_CODES, epilogue, FUSABLE } from "../epilogue.ts";
import { type ConvAttrs, isPointwise } from "../conv_geometry.ts";
import { geometryOf } from "../im2col.ts";
import { count, phase } from "../kernel_stats.ts";
import { type Kernel, type KernelArgs, sizeOf } from "../kernel_types.ts";
import { floatOffset, type WasmBackendLike, withScratch } from "../wasm_heap.ts";
import { type ConvContext, keepCols, orFallback } from "./conv_context.ts";

/** The forward convolution kernels `Conv2D` and `FusedConv2D` on `ctx`'s GEMM. */
export function makeConv2DKernels(ctx: ConvContext): { Conv2D: Kernel; FusedConv2D: Kernel } {
  const { gemm, fallback, native, blockThreads, blocked, parallelBlock, direct, blockFloats } = ctx;
  const { toCols, colsOf } = ctx;
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
    // x's channels must be the filter's input channels (tfjs's op checks; a direct kernel call
    // need not): otherwise tfjs's own kernel decides.
    if (x.shape[3] !== filter.shape[2]) return null;
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
    const shared = parallelBlock(g, rowsPerImage * k, blockFloats);
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
    const perBlock = Math.max(1, Math.floor(blockFloats / (rowsPerImage * k)));
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
  return {
    Conv2D: orFallback(fallback, "Conv2D", (args) => convForward(args, false)),
    FusedConv2D: orFallback(fallback, "FusedConv2D", (args) => convForward(args, true)),
  };
}
