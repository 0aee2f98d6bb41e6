/**
 * The fused Adam step ({@link ADAM_STEP}) in tfjs's kernel registry: the research optimizer
 * (lib/train/optimizer.ts) finds it there with `tf.getKernel`, so it needs nothing from this
 * package, and runs its own JS loop (same rounding, see native.ts's FLAGS) where it is absent.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { ADAM_STEP } from "./kernel_names.ts";
import type { AdamArgs, Native } from "./native.ts";

export { ADAM_STEP };

/** The backends whose tensors' memory the step reads as Float32Arrays. */
const BACKENDS = ["wasm", "cpu"] as const;

/** Registers {@link ADAM_STEP} on `native`'s Adam loop for the wasm and cpu backends. */
export function registerAdamStep(native: Native): void {
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
