/**
 * The geometry of the convolutions the kernels compute: attributes, pointwise checks, the
 * geometry of a filter gradient and of a transposed convolution.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ConvGeometry } from "./im2col.ts";

/** Whether a convolution reads its input as-is (1x1 filter, stride 1, no padding): cols = x. */
export function isPointwise(g: ConvGeometry): boolean {
  return g.filterHeight === 1 && g.filterWidth === 1 && g.strideHeight === 1 &&
    g.strideWidth === 1 && g.padTop === 0 && g.padLeft === 0;
}

/** Attributes of tfjs's Conv2DBackpropFilter kernel. */
interface FilterAttrs {
  strides: [number, number] | number;
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape: [number, number, number, number];
}

/**
 * Computes the conv geometry of a Conv2DBackpropFilter call, or throws for NCHW, non-float, or a
 * dy (or x) whose shape does not fit the geometry.
 */
export function filterGradInfo(
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  attrs: FilterAttrs,
  where: string,
): tf.backend_util.Conv2DInfo {
  if (x.dtype !== "float32" || dy.dtype !== "float32") {
    throw new Error(
      `Conv2DBackpropFilter (${where}) needs float32 tensors, got x ${x.dtype} and dy ` +
        `${dy.dtype}: cast them to float32 first.`,
    );
  }
  const dataFormat = tf.backend_util.convertConv2DDataFormat(attrs.dataFormat);
  if (dataFormat !== "channelsLast") {
    throw new Error(
      `Conv2DBackpropFilter (${where}) supports only NHWC (channelsLast), got ` +
        `${attrs.dataFormat}: use channelsLast layers, or the cpu backend.`,
    );
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    dataFormat,
  );
  // The GEMMs read x and dy as dense [rows, channels]: a dy of another shape would be read wrong
  // (tfjs's kernels read it by its own strides; here it is refused).
  if (x.shape[3] !== attrs.filterShape[2] || !tf.util.arraysEqual(dy.shape, info.outShape)) {
    throw new Error(
      `Conv2DBackpropFilter (${where}): x [${x.shape}] with a [${attrs.filterShape}] filter, ` +
        `strides ${attrs.strides} and pad ${JSON.stringify(attrs.pad)} needs a dy of shape ` +
        `[${info.outShape}] and ${attrs.filterShape[2]} input channels; got dy [${dy.shape}]: ` +
        `pass the gradient of that convolution's output.`,
    );
  }
  return info;
}

/** Attributes of tfjs's convolution kernels (Conv2D, FusedConv2D, Conv2DBackpropInput). */
export interface ConvAttrs {
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
export function transposedConvInfo(
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
