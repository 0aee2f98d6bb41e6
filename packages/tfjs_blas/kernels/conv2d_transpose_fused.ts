/**
 * {@link FUSED_CONV2D_TRANSPOSE}: a conv2dTranspose layer's whole forward (transposed convolution,
 * bias, activation) as one kernel, for the fused layers (fused_layers.ts).
 *
 * @module
 */
import { FUSABLE } from "../epilogue.ts";
import { count } from "../kernel_stats.ts";
import type { Kernel } from "../kernel_types.ts";
import { FUSED_CONV2D_TRANSPOSE } from "../kernel_names.ts";
import type { ConvContext } from "./conv_context.ts";
import { inputGradient, inputGradientMismatch } from "./conv2d_backprop_input.ts";

/** The {@link FUSED_CONV2D_TRANSPOSE} kernel on `ctx`'s GEMM; throws for the cases not covered. */
export function makeFusedConv2DTranspose(ctx: ConvContext): Kernel {
  return (args) => {
    const mismatch = inputGradientMismatch(args);
    if (mismatch !== null) {
      throw new Error(
        `${FUSED_CONV2D_TRANSPOSE}: ${mismatch}; pass the layer input the geometry implies.`,
      );
    }
    const r = inputGradient(ctx, args, true);
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
}
