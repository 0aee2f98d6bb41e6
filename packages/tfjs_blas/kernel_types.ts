/**
 * The shape of a tfjs kernel function as the kernels of this package see it.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** What tfjs passes a kernel function: its inputs, the backend and the attributes. */
export type KernelArgs = {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
};

/** A tfjs kernel function. */
export type Kernel = (args: KernelArgs) => tf.TensorInfo;

/** Number of elements of a tensor of `shape`. */
export function sizeOf(shape: number[]): number {
  let s = 1;
  for (const d of shape) s *= d;
  return s;
}
