/**
 * The project's speed layer for TensorFlow.js on Deno: tfjs's wasm backend with its heavy kernels
 * run on OpenBLAS (through `Deno.dlopen`) and small C helpers, fused layers and a fused Adam step.
 * Research code calls {@link initBackend} once and nothing else; see README.md beside this file.
 *
 * @module
 */
export * from "./backend.ts";
