/**
 * Conv2DBackpropInput (a convolution's input gradient, also conv2dTranspose's forward): direct
 * in C for one input channel, else GEMM + col2im, in blocks of images or whole.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type Activation, ACTIVATION_CODES, epilogue, FUSABLE } from "../epilogue.ts";
import { type ConvAttrs, isPointwise, transposedConvInfo } from "../conv_geometry.ts";
import { type ConvGeometry, geometryOf } from "../im2col.ts";
import { count, phase } from "../kernel_stats.ts";
import { type Kernel, type KernelArgs, sizeOf } from "../kernel_types.ts";
import { floatOffset, type WasmBackendLike, wasmDispose, withScratch } from "../wasm_heap.ts";
import { type ConvContext, orFallback } from "./conv_context.ts";

/**
 * Why `dy` or the filter of an NHWC Conv2DBackpropInput call does not fit the geometry its attrs
 * imply (`dy` must be the output of convolving `inputShape` with the filter), or null when they
 * fit. The GEMM reads dy as dense [rows, channels]: on a mismatch it would read wrong values
 * (tfjs's own kernels read dy by its own strides), so such calls go to tfjs's kernel.
 */
export function inputGradientMismatch(args: KernelArgs): string | null {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvAttrs & { inputShape: number[] };
  if (attrs.dataFormat === "NCHW") return null;
  const info = transposedConvInfo(attrs.inputShape, filter, attrs);
  if (filter.shape[2] !== attrs.inputShape[3]) {
    return `the filter [${filter.shape}] has ${filter.shape[2]} output channels where ` +
      `inputShape [${attrs.inputShape}] has ${attrs.inputShape[3]}`;
  }
  if (!tf.util.arraysEqual(dy.shape, info.outShape)) {
    return `dy has shape [${dy.shape}] where inputShape [${attrs.inputShape}], the filter ` +
      `[${filter.shape}], strides ${attrs.strides} and pad ${JSON.stringify(attrs.pad)} imply ` +
      `[${info.outShape}]`;
  }
  return null;
}

/**
 * Conv2DBackpropInput on `ctx`, or with `fused` a conv2dTranspose layer's whole forward
 * ({@link FUSED_CONV2D_TRANSPOSE}: + bias, then the activation); null to fall back.
 */
export function inputGradient(
  ctx: ConvContext,
  args: KernelArgs,
  fused: boolean,
): tf.TensorInfo | null {
  const { gemm, native, blockThreads, parallelBlock, direct, fromCols, blockFloats } = ctx;
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
  if (inputGradientMismatch(args) !== null) return null;
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
  const shared = parallelBlock(g, rowsPerImage * k, blockFloats);
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
  const perBlock = Math.max(1, Math.floor(blockFloats / (rowsPerImage * k)));
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

/** The `Conv2DBackpropInput` kernel on `ctx`'s GEMM. */
export function makeConv2DBackpropInput(ctx: ConvContext): Kernel {
  return orFallback(ctx.fallback, "Conv2DBackpropInput", (args) => inputGradient(ctx, args, false));
}
