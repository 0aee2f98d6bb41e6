/**
 * A layer's output and its gradients, for comparing a fused kernel with tfjs's unfused ops.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/**
 * The output and the gradients w.r.t. x, w and b of sum(layer(x, w, b) · r), as arrays:
 * `values` holds x, w, b and r (r cut to the output's size), `shapes` the shapes of x, w and b.
 */
export function valueAndGrads(
  layer: (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor,
  values: Float32Array[],
  shapes: number[][],
): Float32Array[] {
  return tf.tidy(() => {
    const [x, w, b] = shapes.map((s, i) => tf.tensor(values[i], s));
    const y = layer(x, w, b);
    const r = tf.tensor(values[3].subarray(0, y.size), y.shape);
    const grads = tf.grads((p: tf.Tensor, q: tf.Tensor, s: tf.Tensor) =>
      tf.sum(tf.mul(layer(p, q, s), r))
    )([x, w, b]);
    return [y, ...grads].map((t) => Float32Array.from(t.dataSync()));
  });
}
