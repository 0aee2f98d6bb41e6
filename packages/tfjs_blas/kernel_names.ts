/**
 * Names of the kernels this package adds to tfjs's registry (besides tfjs's own kernel names it
 * replaces): the fused layers' forward and backward kernels and the fused ReLU gradient.
 *
 * @module
 */

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

/**
 * Name of the fused bias + activation gradient kernel: inputs `dy` and `y` (the layer's output,
 * y = act(z + bias), the bias over the last axis), attr `activation` ("relu" or "sigmoid");
 * outputs [dz = dy · act'(y), db = dz summed over every axis but the last], in one pass.
 */
export const BIAS_ACT_GRAD = "KmnistBiasActivationGrad";

/** Name of the fused ReLU-gradient kernel (dy · step(x), float32, same shapes). */
export const RELU_GRAD = "KmnistReluGrad";

/**
 * Name of the fused Adam step, registered on the wasm and cpu backends while the native helpers
 * are loaded (adam_step.ts). Not a tensor kernel: call its `kernelFunc` directly with
 * `{ inputs: {}, backend, attrs }`, where attrs are adam_step.ts's `AdamArgs` (Float32Arrays g, w, m,
 * v, out and the step's scalars); it updates m and v in place, writes the new weights to out, and
 * returns no tensor. lib/train/optimizer.ts looks it up with `tf.getKernel(name, tf.getBackend())`
 * and runs its JS loop (same rounding) when it is absent.
 */
export const ADAM_STEP = "KmnistAdamStep";
