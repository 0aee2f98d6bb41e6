/**
 * The project's speed layer for TensorFlow.js on Deno: tfjs's wasm backend with its heavy kernels
 * run on OpenBLAS (through `Deno.dlopen`) and small C helpers, fused layers and a fused Adam step.
 * Research code calls {@link initBackend} once and nothing else; see README.md beside this file.
 *
 * The other exports are for tools and tests: the switches ({@link speedConfig}, {@link reloadConfig}),
 * what the kernels did ({@link blasKernelCalls}, {@link blasPhaseMs}, {@link nativeKernelCalls},
 * {@link fusedLayerCalls}), the libraries ({@link loadBlas}, {@link measureSgemm},
 * {@link loadNative}) and the names of the kernels the package adds to tfjs's registry.
 *
 * @module
 */
export * from "./backend.ts";
export {
  BACKEND_NAMES,
  parseSpeedConfig,
  reloadConfig,
  type SpeedConfig,
  speedConfig,
  type SwitchDoc,
  SWITCHES,
} from "./config.ts";
export { blasKernelCalls, blasPhaseMs } from "./kernel_stats.ts";
export { nativeKernelCalls } from "./native_kernels.ts";
export { fusedLayerCalls, fusedLayersActive } from "./fused_layers.ts";
export {
  type Blas,
  blasLoadError,
  calibrateThreads,
  loadBlas,
  measureSgemm,
  type SgemmArgs,
} from "./blas.ts";
export { loadNative, type Native, nativeLoadError } from "./native.ts";
export {
  ADAM_STEP,
  BIAS_ACT_GRAD,
  CONV2D_TRANSPOSE_GRAD,
  FUSED_CONV2D_TRANSPOSE,
  RELU_GRAD,
} from "./kernel_names.ts";
