/**
 * Dead ReLU units: a unit of a layer is dead on a set of inputs when its activation is never
 * positive on any of them (it passes no signal and, behind a ReLU, gets no gradient). The VAE's
 * 16-unit layer before the mean and log-variance heads is the layer issue #18 asks about.
 *
 * ```ts
 * const dead = deadUnits(vae.encoder, "enc_dense", images);   // { fraction, dead, units }
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Dead units of one layer over a set. */
export interface DeadUnits {
  /** Units of the layer (its last axis; earlier axes such as conv positions are pooled). */
  units: number;
  /** Per unit: never positive on the set. */
  dead: boolean[];
  /** Dead units. */
  count: number;
  /** count / units. */
  fraction: number;
  /** Inputs examined. */
  inputs: number;
}

/**
 * Dead units of `count x units` activations (row-major; rows are inputs, or inputs x positions).
 */
export function deadUnitsOf(activations: ArrayLike<number>, units: number): DeadUnits {
  if (!Number.isInteger(units) || units < 1) {
    throw new Error(`deadUnitsOf: units must be a positive integer, got ${units}.`);
  }
  const rows = activations.length / units;
  if (!Number.isInteger(rows) || rows < 1) {
    throw new Error(`deadUnitsOf: ${activations.length} values are not rows of ${units} units.`);
  }
  const dead = new Array<boolean>(units).fill(true);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < units; j++) if (activations[i * units + j] > 0) dead[j] = false;
  }
  const count = dead.filter(Boolean).length;
  return { units, dead, count, fraction: count / units, inputs: rows };
}

/**
 * Dead units of the layer named `layerName` of `model` on `inputs`, in chunks of <= 1,000 inputs:
 * a sub-model from the model's input to that layer's output (it shares the layers and
 * their weights stay the model's; the probe is not disposed, as that would dispose them).
 */
export function deadUnits(
  model: tf.LayersModel,
  layerName: string,
  inputs: tf.Tensor,
  options: { chunk?: number } = {},
): DeadUnits {
  const layer = model.layers.find((l) => l.name === layerName);
  if (!layer) {
    throw new Error(
      `deadUnits: the model has no layer "${layerName}"; its layers are ${
        model.layers.map((l) => l.name).join(", ")
      }.`,
    );
  }
  const probe = tf.model({ inputs: model.inputs, outputs: layer.output as tf.SymbolicTensor });
  const chunk = options.chunk ?? 1000;
  const n = inputs.shape[0];
  const shape = (layer.output as tf.SymbolicTensor).shape;
  const units = shape[shape.length - 1] as number;
  const alive = new Array<boolean>(units).fill(false);
  for (let start = 0; start < n; start += chunk) {
    const size = Math.min(chunk, n - start);
    const values = tf.tidy(() => {
      const begin = inputs.shape.map((_, i) => (i === 0 ? start : 0));
      const extent = inputs.shape.map((s, i) => (i === 0 ? size : s));
      const x = tf.slice(inputs, begin, extent);
      return tf.max(tf.reshape(probe.predict(x) as tf.Tensor, [-1, units]), 0);
    });
    const max = values.dataSync();
    values.dispose();
    for (let j = 0; j < units; j++) if (max[j] > 0) alive[j] = true;
  }
  const dead = alive.map((a) => !a);
  const count = dead.filter(Boolean).length;
  return { units, dead, count, fraction: count / units, inputs: n };
}
