/**
 * The convolution kernels of a kernel set, assembled from kernels/ (one file per kernel) on a GEMM
 * (gemm.ts), working in place on the wasm backend's memory (`backend.wasm.HEAPF32`, a plain
 * ArrayBuffer that Deno's FFI can address):
 *
 * - with OpenBLAS: Conv2D, FusedConv2D (kernels/conv2d.ts), Conv2DBackpropInput, also
 *   conv2dTranspose's forward (kernels/conv2d_backprop_input.ts), Conv2DBackpropFilter
 *   (kernels/conv2d_backprop_filter.ts), and for the fused layers {@link FUSED_CONV2D_TRANSPOSE}
 *   (kernels/conv2d_transpose_fused.ts) and {@link CONV2D_TRANSPOSE_GRAD}
 *   (kernels/conv2d_transpose_grad.ts); the MatMul kernels live in kernels/matmul.ts;
 * - without (wasm's own XNNPACK matmul): Conv2DBackpropInput and Conv2DBackpropFilter, which
 *   tfjs 4.22's wasm backend lacks or runs slowly.
 *
 * Convolutions are im2col / col2im plus GEMM; bias and activation are fused into the output pass
 * (epilogue.ts).
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
import type { Gemm } from "./gemm.ts";
import { CONV2D_TRANSPOSE_GRAD, FUSED_CONV2D_TRANSPOSE } from "./kernel_names.ts";
import type { Kernel } from "./kernel_types.ts";
import type { Native } from "./native.ts";
import { makeConv2DKernels } from "./kernels/conv2d.ts";
import { makeConv2DBackpropFilter } from "./kernels/conv2d_backprop_filter.ts";
import { makeConv2DBackpropInput } from "./kernels/conv2d_backprop_input.ts";
import { makeFusedConv2DTranspose } from "./kernels/conv2d_transpose_fused.ts";
import { makeConv2DTransposeGrad } from "./kernels/conv2d_transpose_grad.ts";
import { makeConvContext } from "./kernels/conv_context.ts";

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
  const ctx = makeConvContext(gemm, fallback, native, blockThreads);
  const { Conv2D, FusedConv2D } = makeConv2DKernels(ctx);
  const conv2dBackpropFilter = makeConv2DBackpropFilter(ctx);
  return {
    Conv2D,
    FusedConv2D,
    Conv2DBackpropInput: makeConv2DBackpropInput(ctx),
    Conv2DBackpropFilter: conv2dBackpropFilter,
    [FUSED_CONV2D_TRANSPOSE]: makeFusedConv2DTranspose(ctx),
    ...(native === null ? {} : {
      [CONV2D_TRANSPOSE_GRAD]: makeConv2DTransposeGrad(
        ctx,
        Conv2D,
        conv2dBackpropFilter,
      ) as unknown as Kernel,
    }),
  };
}
