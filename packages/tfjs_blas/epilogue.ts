/**
 * The output pass of a fused GEMM or convolution: bias add and activation in place on wasm
 * memory, in C with the native helpers, else in JS.
 *
 * @module
 */
import type { Native } from "./native.ts";

/** The activations fused into the GEMM's output pass. */
export type Activation = "linear" | "relu" | "relu6" | "elu" | "leakyrelu" | "sigmoid";
/** The activation names {@link epilogue} handles. */
export const FUSABLE = new Set<string>(["linear", "relu", "relu6", "elu", "leakyrelu", "sigmoid"]);
/** The activations' codes in native/kernels.c's kmnist_bias_act. */
export const ACTIVATION_CODES: Record<Activation, number> = {
  linear: 0,
  relu: 1,
  relu6: 2,
  leakyrelu: 3,
  elu: 4,
  sigmoid: 5,
};

/**
 * Adds `bias` (length n, at float offset `biasAt`, or none when < 0) to every row of C[m, n] and
 * applies the activation, in place.
 */
export function epilogue(
  heap: Float32Array,
  c: number,
  m: number,
  n: number,
  biasAt: number,
  activation: Activation,
  alpha: number,
  native: Native | null = null,
): void {
  if (native !== null) {
    if (activation !== "linear" || biasAt >= 0) {
      native.biasAct(heap, c, m, n, biasAt, ACTIVATION_CODES[activation], alpha);
    }
    return;
  }
  const end = c + m * n;
  if (biasAt >= 0) {
    if (activation === "relu") {
      for (let row = c; row < end; row += n) {
        for (let j = 0; j < n; j++) {
          const v = heap[row + j] + heap[biasAt + j];
          heap[row + j] = v < 0 ? 0 : v;
        }
      }
      return;
    }
    for (let row = c; row < end; row += n) {
      for (let j = 0; j < n; j++) heap[row + j] += heap[biasAt + j];
    }
  }
  switch (activation) {
    case "linear":
      return;
    case "relu":
      for (let i = c; i < end; i++) if (heap[i] < 0) heap[i] = 0;
      return;
    case "relu6":
      for (let i = c; i < end; i++) heap[i] = Math.min(Math.max(heap[i], 0), 6);
      return;
    case "leakyrelu":
      for (let i = c; i < end; i++) if (heap[i] < 0) heap[i] *= alpha;
      return;
    case "elu":
      for (let i = c; i < end; i++) if (heap[i] < 0) heap[i] = Math.expm1(heap[i]);
      return;
    case "sigmoid":
      for (let i = c; i < end; i++) heap[i] = 1 / (1 + Math.exp(-heap[i]));
      return;
  }
}
