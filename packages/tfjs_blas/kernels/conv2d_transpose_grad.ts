/**
 * {@link CONV2D_TRANSPOSE_GRAD}: a conv2dTranspose layer's whole backward (input, filter and bias
 * gradients) as one kernel, for the fused layers (fused_layers.ts).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type ConvAttrs, isPointwise, transposedConvInfo } from "../conv_geometry.ts";
import { geometryOf } from "../im2col.ts";
import { count, phase } from "../kernel_stats.ts";
import { type Kernel, type KernelArgs, sizeOf } from "../kernel_types.ts";
import { CONV2D_TRANSPOSE_GRAD } from "../kernel_names.ts";
import { floatOffset, type WasmBackendLike, wasmDispose, withScratch } from "../wasm_heap.ts";
import type { ConvContext } from "./conv_context.ts";

/**
 * The {@link CONV2D_TRANSPOSE_GRAD} kernel on `ctx` (needs the native helpers); `conv2d` and
 * `conv2dBackpropFilter` are the set's own kernels, for the unblocked path.
 */
export function makeConv2DTransposeGrad(
  ctx: ConvContext,
  conv2d: Kernel,
  conv2dBackpropFilter: Kernel,
): (args: KernelArgs) => tf.TensorInfo[] {
  const { native, blockThreads, parallelBlock, direct, blockFloats } = ctx;
  /**
   * {@link CONV2D_TRANSPOSE_GRAD}: a conv2dTranspose layer's backward pass. In blocks on all
   * cores (native.ts's convTransposeBackwardBlocks: dz, its im2col matrix and the bias sums
   * per block, shared by both GEMMs); otherwise (one image, or one output channel, whose
   * convolutions run directly) dz and the bias gradient in one native pass (in JS for a linear
   * activation), then this set's Conv2D and Conv2DBackpropFilter.
   */
  return (args: KernelArgs): tf.TensorInfo[] => {
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
    const shared = parallelBlock(g, rowsPerImage * k + pixels, blockFloats);
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
}
