/**
 * Forward multiply-accumulates per image, counted from a model's layers: what the bench's GFLOP/s
 * and "% of the sgemm roof" divide by, so a new model needs no hand-counted constant.
 *
 * Conventions (those of ../shared/reference/MODELS.md): a dense layer costs in x out, a convolution
 * out_h x out_w x k_h x k_w x in_c x out_c, a transposed convolution in_h x in_w x k_h x k_w x
 * in_c x out_c (every input pixel scattered through the whole kernel); biases, activations,
 * pooling and the VAE's sampling are not counted.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/**
 * The shape of a layer's input or output at its first call (tfjs's `inputShape` getter is
 * undefined for layers of a model that another model calls again).
 */
function firstCallShape(layer: tf.layers.Layer, side: "input" | "output"): tf.Shape {
  const nodes = (layer as unknown as {
    inboundNodes: { inputShapes: tf.Shape[]; outputShapes: tf.Shape[] }[];
  }).inboundNodes;
  // A node keeps a list of shapes, one per tensor.
  const shapes = nodes?.[0]?.[side === "input" ? "inputShapes" : "outputShapes"];
  if (!Array.isArray(shapes) || shapes.length !== 1 || !Array.isArray(shapes[0])) {
    throw new Error(
      `forwardMacs: layer "${layer.name}" has no single ${side} shape; count it by hand.`,
    );
  }
  return shapes[0];
}

/** Product of the defined dimensions between the batch and the last one (1 for [batch, n]). */
function innerPositions(shape: tf.Shape): number {
  let positions = 1;
  for (const d of shape.slice(1, -1)) positions *= d ?? 1;
  return positions;
}

/**
 * Forward multiply-accumulates for one image through `model` (nested models counted through).
 * Throws on a layer with weights of a kind it does not know, rather than count it as free.
 */
export function forwardMacs(model: tf.LayersModel): number {
  let total = 0;
  for (const layer of model.layers) {
    const name = layer.getClassName();
    if ("layers" in layer && Array.isArray((layer as tf.LayersModel).layers)) {
      total += forwardMacs(layer as tf.LayersModel);
      continue;
    }
    if (layer.weights.length === 0) continue;
    const kernel = (layer as unknown as { kernel?: { shape: number[] } }).kernel;
    if (kernel === undefined) {
      throw new Error(
        `forwardMacs: layer "${layer.name}" (${name}) has no kernel; count it by hand.`,
      );
    }
    const k = kernel.shape;
    switch (name) {
      case "Dense": {
        total += innerPositions(firstCallShape(layer, "output")) * k[0] * k[1];
        break;
      }
      case "Conv2D": {
        // kernel [kh, kw, in_c, out_c]
        total += innerPositions(firstCallShape(layer, "output")) * k[0] * k[1] * k[2] * k[3];
        break;
      }
      case "Conv2DTranspose": {
        // kernel [kh, kw, out_c, in_c]
        total += innerPositions(firstCallShape(layer, "input")) * k[0] * k[1] * k[2] * k[3];
        break;
      }
      default:
        throw new Error(
          `forwardMacs: layer "${layer.name}" is a ${name}, a kind with weights this count does ` +
            "not know; add it to lib/models/macs.ts.",
        );
    }
  }
  return total;
}
