/**
 * The optimizer every model trains with.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Options for {@link createOptimizer}. */
export interface OptimizerOptions {
  /** Adam step size; the project default is 1e-3. */
  learningRate?: number;
}

/** Creates the Adam optimizer (beta1 0.9, beta2 0.999, epsilon 1e-7) used for all models. */
export function createOptimizer(options: OptimizerOptions = {}): tf.Optimizer {
  return tf.train.adam(options.learningRate ?? 1e-3, 0.9, 0.999, 1e-7);
}
