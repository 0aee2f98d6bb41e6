/**
 * The fused Adam step ({@link ADAM_STEP}) in tfjs's kernel registry: the research optimizer
 * (lib/train/optimizer.ts) finds it there with `tf.getKernel`, so it needs nothing from this
 * package, and runs its own JS loop (same rounding, see native.ts's FLAGS) where it is absent.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ADAM_STEP } from "./kernel_names.ts";

export { ADAM_STEP };

/** Arguments of the fused Adam step (native.ts's `Native.adam`, the kernel's attrs). */
export interface AdamArgs {
  /** Gradient. */
  g: Float32Array;
  /** Current weights. */
  w: Float32Array;
  /** First moments (updated). */
  m: Float32Array;
  /** Second moments (updated). */
  v: Float32Array;
  /** New weights (written). */
  out: Float32Array;
  /** beta1, beta2, 1 - beta1, 1 - beta2. */
  b1: number;
  /** See b1. */
  b2: number;
  /** See b1. */
  c1: number;
  /** See b1. */
  c2: number;
  /** lr / (1 - beta1^t). */
  stepSize: number;
  /** 1 / sqrt(1 - beta2^t). */
  invSqrtBias2: number;
  /** Denominator guard. */
  eps: number;
}

/** What the step needs of the native library: its Adam loop (native.ts's `Native`). */
export interface AdamLoop {
  /** One fused Adam step over flat arrays. */
  adam(args: AdamArgs): void;
}

/** The backends whose tensors' memory the step reads as Float32Arrays. */
const BACKENDS = ["wasm", "cpu"] as const;

/** Registers {@link ADAM_STEP} on `native`'s Adam loop for the wasm and cpu backends. */
export function registerAdamStep(native: AdamLoop): void {
  unregisterAdamStep();
  for (const backendName of BACKENDS) {
    tf.registerKernel({
      kernelName: ADAM_STEP,
      backendName,
      kernelFunc: ({ attrs }) => {
        native.adam(attrs as unknown as AdamArgs);
        return [];
      },
    });
  }
}

/** Removes {@link ADAM_STEP} from the registry (the optimizer's JS loop runs again). */
export function unregisterAdamStep(): void {
  for (const backendName of BACKENDS) {
    if (tf.getKernel(ADAM_STEP, backendName) !== undefined) {
      tf.unregisterKernel(ADAM_STEP, backendName);
    }
  }
}
