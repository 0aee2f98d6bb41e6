/**
 * A model's architecture as rows of a table: one row per layer of the encoder and the decoder,
 * with its type, output shape, activation and parameter count.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { Autoencoder } from "./common.ts";

/** One layer of an {@link architectureRows} table. */
export interface LayerRow {
  /** "encoder" or "decoder". */
  part: "encoder" | "decoder";
  /** The layer's name in the model. */
  name: string;
  /** tfjs class name, e.g. "Conv2DTranspose". */
  type: string;
  /** Output shape without the batch axis, e.g. "14×14×32" (several outputs joined by ", "). */
  outputShape: string;
  /** Activation function ("relu", "sigmoid", ...), or "" where the layer has none. */
  activation: string;
  /** Parameters of the layer (trainable and not). */
  parameters: number;
}

function shapeText(shape: tf.Shape | tf.Shape[]): string {
  const one = (s: tf.Shape) => s.slice(1).map((d) => d ?? "?").join("×");
  return Array.isArray(shape[0])
    ? (shape as tf.Shape[]).map(one).join(", ")
    : one(shape as tf.Shape);
}

function layerRows(part: LayerRow["part"], model: tf.LayersModel): LayerRow[] {
  return model.layers.map((layer) => {
    const config = layer.getConfig() as { activation?: unknown };
    const activation = typeof config.activation === "string" && config.activation !== "linear"
      ? config.activation
      : "";
    return {
      part,
      name: layer.name,
      type: layer.getClassName(),
      outputShape: shapeText(layer.outputShape),
      activation,
      parameters: layer.countParams(),
    };
  });
}

/** The layers of a model's encoder then decoder, input layers included (0 parameters). */
export function architectureRows(model: Autoencoder): LayerRow[] {
  return [...layerRows("encoder", model.encoder), ...layerRows("decoder", model.decoder)];
}
