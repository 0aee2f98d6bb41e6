/**
 * What the OpenBLAS kernels did, for benchmarks and tests: calls per kernel (and per path, such
 * as "conv forward (blocked)") and milliseconds per phase (im2col, gemm, col2im, epilogue).
 *
 * @module
 */
import { speedConfig } from "./config.ts";

/** Counts of kernel calls served by the kernels here, by kernel name (for benchmarks, tests). */
export const blasKernelCalls: Record<string, number> = {};

/** Milliseconds spent in each phase of the kernels here (im2col, gemm, col2im, epilogue). */
export const blasPhaseMs: Record<string, number> = {};

/** Counts one call of kernel (or kernel path) `name`. */
export function count(name: string): void {
  blasKernelCalls[name] = (blasKernelCalls[name] ?? 0) + 1;
}

let phaseStart = 0;
/**
 * Ends the phase started by the previous call (adding its time to `name`, with the shape from
 * `shape()` under KMNIST_PHASE_DETAIL=1) and starts the next; no `name`: only starts one.
 */
export function phase(name?: string, shape?: () => string): void {
  if (name !== undefined && shape !== undefined && speedConfig().phaseDetail) {
    name = `${name} ${shape()}`;
  }
  const now = performance.now();
  if (name !== undefined) blasPhaseMs[name] = (blasPhaseMs[name] ?? 0) + now - phaseStart;
  phaseStart = now;
}
