/**
 * Elementwise tfjs kernels for the wasm backend on the native helpers (native.ts): the ones every
 * layer of a training step runs on full activations, where tfjs 4.22's wasm kernels are slow
 * (bias `Add` with broadcasting, `Relu`, and ReLU's gradient `Step` -> `Cast` -> `Multiply`), plus
 * `Sum` over all leading axes (bias gradients) and a zero-copy `Cast` to the same dtype (pure JS).
 * Every case not covered (other dtypes, other broadcasts) goes to the original kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { columnSumOf } from "./js_kernels.ts";
import { BIAS_ACT_GRAD, RELU_GRAD } from "./kernel_names.ts";
import type { Native } from "./native.ts";
import { floatOffset, type WasmBackendLike } from "./wasm_heap.ts";

import { type Kernel, type KernelArgs, sizeOf } from "./kernel_types.ts";

/** Counts of calls served natively, by kernel name (tests, benchmarks). */
export const nativeKernelCalls: Record<string, number> = {};

function count(name: string): void {
  nativeKernelCalls[name] = (nativeKernelCalls[name] ?? 0) + 1;
}

/** Whether `small` is a vector over the last axis of `big` (shape [C] or [1, ..., 1, C]). */
function isLastAxisVector(small: number[], big: number[]): boolean {
  if (big.length === 0 || small.length > big.length) return false;
  const c = big[big.length - 1];
  if (small.length === 0 || small[small.length - 1] !== c) return false;
  return sizeOf(small) === c;
}

/** The native elementwise kernels; `fallback(name)` returns the original wasm kernel. */
export function makeNativeKernels(
  native: Native,
  fallback: (name: string) => Kernel,
): Record<string, Kernel> {
  const add: Kernel = (args) => {
    const backend = args.backend as WasmBackendLike;
    let { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if (a.dtype !== "float32" || b.dtype !== "float32") return fallback("Add")(args);
    const same = tf.util.arraysEqual(a.shape, b.shape);
    if (!same && isLastAxisVector(a.shape, b.shape)) [a, b] = [b, a];
    if (!same && !isLastAxisVector(b.shape, a.shape)) return fallback("Add")(args);
    const size = sizeOf(a.shape);
    if (size === 0) return fallback("Add")(args);
    count("Add");
    const out = backend.makeOutput(a.shape, "float32");
    native.add(
      backend.wasm.HEAPF32,
      floatOffset(backend, a),
      floatOffset(backend, b),
      floatOffset(backend, out),
      size,
      same ? 0 : a.shape[a.shape.length - 1],
    );
    return out;
  };

  const multiply: Kernel = (args) => {
    const backend = args.backend as WasmBackendLike;
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if (
      a.dtype !== "float32" || b.dtype !== "float32" || !tf.util.arraysEqual(a.shape, b.shape) ||
      sizeOf(a.shape) === 0
    ) {
      return fallback("Multiply")(args);
    }
    count("Multiply");
    const out = backend.makeOutput(a.shape, "float32");
    native.mul(
      backend.wasm.HEAPF32,
      floatOffset(backend, a),
      floatOffset(backend, b),
      floatOffset(backend, out),
      sizeOf(a.shape),
    );
    return out;
  };

  const relu: Kernel = (args) => {
    const backend = args.backend as WasmBackendLike;
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype !== "float32" || sizeOf(x.shape) === 0) return fallback("Relu")(args);
    count("Relu");
    const out = backend.makeOutput(x.shape, "float32");
    native.relu(
      backend.wasm.HEAPF32,
      floatOffset(backend, x),
      floatOffset(backend, out),
      sizeOf(x.shape),
    );
    return out;
  };

  const step: Kernel = (args) => {
    const backend = args.backend as WasmBackendLike;
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype !== "float32" || sizeOf(x.shape) === 0) return fallback("Step")(args);
    count("Step");
    const alpha = (args.attrs as { alpha?: number } | undefined)?.alpha ?? 0;
    const out = backend.makeOutput(x.shape, "float32");
    native.step(
      backend.wasm.HEAPF32,
      floatOffset(backend, x),
      floatOffset(backend, out),
      sizeOf(x.shape),
      alpha,
    );
    return out;
  };

  const sum: Kernel = (args) => {
    const column = columnSumOf(args);
    if (column === null || column.cols > 65536) return fallback("Sum")(args);
    const backend = args.backend as WasmBackendLike;
    count("Sum");
    const out = backend.makeOutput(column.outShape, "float32");
    native.columnSum(
      backend.wasm.HEAPF32,
      floatOffset(backend, column.x),
      floatOffset(backend, out),
      column.rows,
      column.cols,
    );
    return out;
  };

  const reluGrad: Kernel = (args) => {
    const backend = args.backend as WasmBackendLike;
    const { dy, x } = args.inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
    count(RELU_GRAD);
    const out = backend.makeOutput(x.shape, "float32");
    native.reluGrad(
      backend.wasm.HEAPF32,
      floatOffset(backend, dy),
      floatOffset(backend, x),
      floatOffset(backend, out),
      sizeOf(x.shape),
    );
    return out;
  };

  const biasActGrad = (args: KernelArgs): tf.TensorInfo[] => {
    const backend = args.backend as WasmBackendLike;
    const { dy, y } = args.inputs as { dy: tf.TensorInfo; y: tf.TensorInfo };
    const { activation } = args.attrs as { activation: string };
    const code = BIAS_ACT_GRAD_CODES[activation];
    if (
      code === undefined || dy.dtype !== "float32" || y.dtype !== "float32" ||
      !tf.util.arraysEqual(dy.shape, y.shape) || y.shape.length === 0 || sizeOf(y.shape) === 0
    ) {
      throw new Error(
        `${BIAS_ACT_GRAD}: needs float32 dy and y of one non-empty shape and an activation in ` +
          `${Object.keys(BIAS_ACT_GRAD_CODES).join("/")} (got ${activation}, dy ` +
          `[${dy.shape}] ${dy.dtype}, y [${y.shape}] ${y.dtype}); use the tf ops instead.`,
      );
    }
    count(BIAS_ACT_GRAD);
    const cols = y.shape[y.shape.length - 1];
    const dz = backend.makeOutput(y.shape, "float32");
    const db = backend.makeOutput([cols], "float32");
    native.biasActGrad({
      heap: backend.wasm.HEAPF32,
      dy: floatOffset(backend, dy),
      y: floatOffset(backend, y),
      dz: floatOffset(backend, dz),
      db: floatOffset(backend, db),
      rows: sizeOf(y.shape) / cols,
      cols,
      activation: code,
    });
    return [dz, db];
  };

  return {
    Add: add,
    Multiply: multiply,
    Relu: relu,
    Step: step,
    Sum: sum,
    [RELU_GRAD]: reluGrad,
    [BIAS_ACT_GRAD]: biasActGrad as unknown as Kernel,
  };
}

/** The activations of {@link BIAS_ACT_GRAD}, by their codes in native/kernels.c. */
const BIAS_ACT_GRAD_CODES: Record<string, number> = { relu: 1, sigmoid: 5 };

let reluGradientInstalled = false;

/**
 * Replaces tfjs's gradient of `Relu` (Step -> Cast -> Multiply: three kernels, two passes) by
 * one {@link RELU_GRAD} kernel whenever `useFused()` says it is registered on the active backend
 * and the tensors are float32; otherwise it computes tfjs's own formula. Idempotent.
 */
export function installReluGradient(useFused: () => boolean): void {
  if (reluGradientInstalled) return;
  reluGradientInstalled = true;
  tf.registerGradient({
    kernelName: "Relu",
    inputsToSave: ["x"],
    gradFunc: (dy, saved) => {
      const [x] = saved;
      const grad = dy as tf.Tensor;
      return {
        x: () =>
          useFused() && grad.dtype === "float32" && x.dtype === "float32" &&
            tf.util.arraysEqual(grad.shape, x.shape)
            ? tf.engine().runKernel(RELU_GRAD, { dy: grad, x }) as tf.Tensor
            : tf.mul(grad, tf.cast(tf.step(x), "float32")),
      };
    },
  });
}

/**
 * `Cast` that shares the input's data when the dtype does not change (ReLU's gradient casts a
 * float32 Step to float32); other casts go to `fallback`.
 */
export function makeSameDtypeCast(fallback: () => Kernel): Kernel {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { dtype } = args.attrs as { dtype: tf.DataType };
    if (x.dtype !== dtype) return fallback()(args);
    (args.backend as { incRef(dataId: object): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype };
  };
}
