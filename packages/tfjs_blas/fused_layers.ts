/**
 * Dense, Conv2D and Conv2DTranspose layers that train on fused kernels.
 *
 * Under a gradient tape tfjs runs a layer with a ReLU or sigmoid as three kernels: the GEMM or
 * convolution, a bias `Add` and the activation (tfjs-core's `shouldFuse` fuses them only for
 * inference or a linear activation, and Conv2DTranspose never fuses). Backward are two more
 * passes over the activations: the activation's gradient and the bias gradient's `Sum`. On a
 * convolutional autoencoder's 28x28x32 activations these passes are memory-bound, a fifth of a
 * training step.
 *
 * {@link installFusedLayerCalls} gives tfjs-layers' Dense, Conv2D and Conv2DTranspose classes a
 * `call` that, while the OpenBLAS kernels with the native helpers are active
 * ({@link setFusedLayerKernels}), runs one kernel per layer: `_FusedMatMul`, `FusedConv2D` or {@link FUSED_CONV2D_TRANSPOSE}
 * (bias and activation applied while each block of the output is in cache). Their gradients,
 * registered by {@link installFusedLayerGradients}, compute the activation's gradient and the
 * bias gradient in one pass ({@link BIAS_ACT_GRAD}), then the two GEMM or convolution gradients,
 * each only when the tape needs it (not the input image's). The layers, their weights and
 * their serialisation are unchanged; any other case (another backend, activation, data format,
 * dilation or dtype, or `KMNIST_FUSED_LAYERS=0`) runs the layer's own `call`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { speedConfig } from "./config.ts";
import { BIAS_ACT_GRAD, CONV2D_TRANSPOSE_GRAD, FUSED_CONV2D_TRANSPOSE } from "./kernel_names.ts";

export { BIAS_ACT_GRAD, CONV2D_TRANSPOSE_GRAD, FUSED_CONV2D_TRANSPOSE };

/** The activations the fused layers handle (others run the layer's own call). */
const FUSED_ACTIVATIONS = new Set(["linear", "relu", "sigmoid"]);

let kernelsActive = false;

/**
 * Says whether the fused kernels ({@link FUSED_CONV2D_TRANSPOSE}, {@link BIAS_ACT_GRAD} and the
 * OpenBLAS `_FusedMatMul` / `FusedConv2D`) are registered on the wasm backend now
 * (packages/tfjs_blas/kernel_sets.ts calls this when it installs a kernel set).
 */
export function setFusedLayerKernels(active: boolean): void {
  kernelsActive = active;
}

/**
 * Whether fused layer calls run now: the fused kernels are registered, the wasm backend is
 * active, and `KMNIST_FUSED_LAYERS` is not "0".
 */
export function fusedLayersActive(): boolean {
  return kernelsActive && tf.getBackend() === "wasm" && speedConfig().fusedLayers;
}

/** Counts of layer calls that ran fused, by layer class (tests, benchmarks). */
export const fusedLayerCalls: Record<string, number> = {};

/** The fields of tfjs-layers' Dense / Conv2D / Conv2DTranspose that the fused calls read. */
interface LayerFields {
  kernel: { read(): tf.Tensor } | null;
  bias: { read(): tf.Tensor } | null;
  activation: { getClassName(): string } | null;
  rank?: number;
  strides?: number[];
  padding?: string;
  dataFormat?: string;
  dilationRate?: number | number[];
  kernelSize?: number[];
  filters?: number;
  invokeCallHook?(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): void;
}

type CallFunction = (
  inputs: tf.Tensor | tf.Tensor[],
  kwargs: tf.serialization.ConfigDict,
) => tf.Tensor | tf.Tensor[];

/** The one input of a layer call, or null when there are several. */
function singleInput(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor | null {
  if (!Array.isArray(inputs)) return inputs;
  return inputs.length === 1 ? inputs[0] : null;
}

/** The fused activation name of a layer, or null when it has none the fused kernels handle. */
function activationOf(layer: LayerFields): string | null {
  const name = layer.activation === null ? "linear" : layer.activation.getClassName();
  return FUSED_ACTIVATIONS.has(name) ? name : null;
}

function allOnes(value: number | number[] | undefined): boolean {
  if (value === undefined) return true;
  return (Array.isArray(value) ? value : [value]).every((v) => v === 1);
}

/** The layer's output from one fused kernel, or null when this call cannot be fused. */
function fusedOutput(
  className: string,
  layer: LayerFields,
  inputs: tf.Tensor | tf.Tensor[],
  kwargs: tf.serialization.ConfigDict,
): tf.Tensor | null {
  const x = singleInput(inputs);
  const activation = activationOf(layer);
  if (x === null || activation === null || layer.kernel === null || x.dtype !== "float32") {
    return null;
  }
  const kernel = layer.kernel.read();
  const bias = layer.bias?.read();
  const biasInput: tf.NamedTensorMap = bias === undefined ? {} : { bias };
  if (className === "Dense") {
    if (x.rank !== 2) return null;
    layer.invokeCallHook?.(inputs, kwargs);
    return tf.engine().runKernel("_FusedMatMul", { a: x, b: kernel, ...biasInput }, {
      transposeA: false,
      transposeB: false,
      activation,
    }) as tf.Tensor;
  }
  if (
    x.rank !== 4 || layer.dataFormat !== "channelsLast" || !allOnes(layer.dilationRate) ||
    (layer.padding !== "same" && layer.padding !== "valid") || layer.strides === undefined
  ) {
    return null;
  }
  const strides = layer.strides as [number, number];
  const [batch, height, width] = x.shape as [number, number, number, number];
  if (className === "Conv2D") {
    if (layer.rank !== 2) return null;
    return tf.engine().runKernel("FusedConv2D", { x, filter: kernel, ...biasInput }, {
      strides,
      pad: layer.padding,
      dataFormat: "NHWC",
      dilations: [1, 1],
      activation,
    }) as tf.Tensor;
  }
  // Conv2DTranspose: the output size as tfjs-layers' deconvLength.
  const [kernelHeight, kernelWidth] = layer.kernelSize as [number, number];
  const length = (size: number, stride: number, filter: number) =>
    layer.padding === "same" ? size * stride : size * stride + Math.max(filter - stride, 0);
  const outputShape = [
    batch,
    length(height, strides[0], kernelHeight),
    length(width, strides[1], kernelWidth),
    layer.filters as number,
  ];
  return tf.engine().runKernel(FUSED_CONV2D_TRANSPOSE, { dy: x, filter: kernel, ...biasInput }, {
    inputShape: outputShape,
    strides,
    pad: layer.padding,
    dataFormat: "NHWC",
    activation,
  }) as tf.Tensor;
}

/** The tfjs-layers classes whose `call` runs fused. */
const FUSED_CLASSES = ["Dense", "Conv2D", "Conv2DTranspose"] as const;

let callsInstalled = false;

/** The class tfjs-layers registered for serialisation under `className`. */
function layerClass(className: string): { prototype: unknown } {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
  if (entry === undefined) {
    throw new Error(
      `Fused layers: tfjs-layers registers no "${className}" class (is @tensorflow/tfjs ` +
        `4.22.0 installed?); run without fused layers: KMNIST_FUSED_LAYERS=0.`,
    );
  }
  return entry[0] as unknown as { prototype: unknown };
}

/**
 * Gives tfjs-layers' Dense, Conv2D and Conv2DTranspose classes a `call` that runs one fused kernel
 * while {@link fusedLayersActive}, and the class's own `call` otherwise (another backend or kernel
 * set, an activation, data format, dilation, rank or dtype the fused kernels do not take, a
 * subclass with a class name of its own). Patches the classes once, so layers built before or
 * after run fused alike; idempotent. `initBackend` calls it when it registers the OpenBLAS set.
 */
export function installFusedLayerCalls(): void {
  if (callsInstalled) return;
  callsInstalled = true;
  for (const className of FUSED_CLASSES) {
    const prototype = layerClass(className).prototype as { call: CallFunction };
    const ownCall = prototype.call;
    prototype.call = function (
      this: LayerFields & { getClassName(): string },
      inputs: tf.Tensor | tf.Tensor[],
      kwargs: tf.serialization.ConfigDict,
    ) {
      if (!fusedLayersActive() || this.getClassName() !== className) {
        return ownCall.call(this, inputs, kwargs);
      }
      // One kernel call and no intermediate tensors: nothing for a tidy to free.
      const output = fusedOutput(className, this, inputs, kwargs);
      if (output === null) return ownCall.call(this, inputs, kwargs);
      fusedLayerCalls[className] = (fusedLayerCalls[className] ?? 0) + 1;
      return output;
    };
  }
}

/**
 * The gradient through y = act(z + bias) from the output `y`: [dz, db] (db summed over every axis
 * but the last). One native pass when {@link BIAS_ACT_GRAD} is registered on the active backend,
 * else tfjs ops with tfjs's own formulas.
 */
function biasActivationGrad(
  dy: tf.Tensor,
  y: tf.Tensor,
  activation: string,
): [tf.Tensor, tf.Tensor] {
  const channels = y.shape[y.rank - 1];
  if (activation === "linear") return [dy, tf.sum(tf.reshape(dy, [-1, channels]), 0)];
  if (!FUSED_ACTIVATIONS.has(activation)) {
    throw new Error(
      `Fused layer gradient: activation "${activation}" is not supported (use linear, relu or ` +
        `sigmoid, or tfjs's own layer call with KMNIST_FUSED_LAYERS=0).`,
    );
  }
  if (tf.getKernel(BIAS_ACT_GRAD, tf.getBackend()) !== undefined && dy.dtype === "float32") {
    return tf.engine().runKernel(BIAS_ACT_GRAD, { dy, y }, { activation }) as [
      tf.Tensor,
      tf.Tensor,
    ];
  }
  const dz = activation === "relu"
    ? tf.mul(dy, tf.cast(tf.step(y), "float32"))
    : tf.mul(dy, tf.mul(y, tf.sub(1, y)));
  return [dz, tf.sum(tf.reshape(dz, [-1, channels]), 0)];
}

type Attrs = Record<string, unknown>;

let gradientsInstalled = false;

/**
 * Registers the gradients of `_FusedMatMul`, `FusedConv2D` and {@link FUSED_CONV2D_TRANSPOSE}
 * when run directly as kernels (tfjs itself never records them on a tape: its fused ops do
 * their own gradients). Idempotent.
 */
export function installFusedLayerGradients(): void {
  if (gradientsInstalled) return;
  gradientsInstalled = true;
  tf.registerGradient({
    kernelName: "_FusedMatMul",
    inputsToSave: ["a", "b"],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [a, b, y] = saved;
      const { transposeA, transposeB, activation } = attrs as Attrs as {
        transposeA: boolean;
        transposeB: boolean;
        activation: string;
      };
      const [dz, db] = biasActivationGrad(dy as tf.Tensor, y, activation);
      // As tfjs-core's fused matMul gradient.
      const mm = (p: tf.Tensor, q: tf.Tensor, tp: boolean, tq: boolean) => tf.matMul(p, q, tp, tq);
      return {
        a: () =>
          !transposeA
            ? mm(dz, b, false, !transposeB)
            : transposeB
            ? mm(b, dz, true, true)
            : mm(b, dz, false, true),
        b: () =>
          !transposeB
            ? mm(a, dz, !transposeA, false)
            : transposeA
            ? mm(dz, a, true, true)
            : mm(dz, a, true, false),
        bias: () => db,
      };
    },
  });
  tf.registerGradient({
    kernelName: "FusedConv2D",
    inputsToSave: ["x", "filter"],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter, y] = saved;
      const a = attrs as Attrs;
      if (!allOnes(a.dilations as number | number[])) {
        throw new Error("FusedConv2D gradient: only dilations of 1 are supported.");
      }
      const [dz, db] = biasActivationGrad(dy as tf.Tensor, y, a.activation as string);
      const geometry = {
        strides: a.strides,
        pad: a.pad,
        dataFormat: a.dataFormat,
        dimRoundingMode: a.dimRoundingMode,
      } as unknown as tf.NamedAttrMap;
      return {
        x: () =>
          tf.engine().runKernel("Conv2DBackpropInput", { dy: dz, filter }, {
            ...geometry,
            inputShape: x.shape,
          }) as tf.Tensor,
        filter: () =>
          tf.engine().runKernel("Conv2DBackpropFilter", { x, dy: dz }, {
            ...geometry,
            filterShape: filter.shape,
          }) as tf.Tensor,
        bias: () => db,
      };
    },
  });
  tf.registerGradient({
    kernelName: FUSED_CONV2D_TRANSPOSE,
    inputsToSave: ["dy", "filter"],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const [input, filter, y] = saved;
      const a = attrs as Attrs;
      if (tf.getKernel(CONV2D_TRANSPOSE_GRAD, tf.getBackend()) !== undefined) {
        // One kernel for all three (a decoder layer needs both its input's and its filter's).
        const [dInput, dFilter, dBias] = tf.engine().runKernel(
          CONV2D_TRANSPOSE_GRAD,
          { dy: dy as tf.Tensor, y, input, filter },
          a as tf.NamedAttrMap,
        ) as tf.Tensor[];
        return { dy: () => dInput, filter: () => dFilter, bias: () => dBias };
      }
      const [dz, db] = biasActivationGrad(dy as tf.Tensor, y, a.activation as string);
      const geometry = {
        strides: a.strides,
        pad: a.pad,
        dataFormat: "NHWC",
        dimRoundingMode: a.dimRoundingMode,
      } as unknown as tf.NamedAttrMap;
      // As tfjs-core's Conv2DBackpropInput gradient, with dz as its dy.
      return {
        dy: () =>
          tf.engine().runKernel("Conv2D", { x: dz, filter }, {
            ...geometry,
            dilations: [1, 1],
          }) as tf.Tensor,
        filter: () =>
          tf.engine().runKernel("Conv2DBackpropFilter", { x: dz, dy: input }, {
            ...geometry,
            filterShape: filter.shape,
          }) as tf.Tensor,
        bias: () => db,
      };
    },
  });
}
