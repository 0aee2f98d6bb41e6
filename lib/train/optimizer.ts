/**
 * The optimizer every model trains with: Adam (beta1 0.9, beta2 0.999, epsilon 1e-7), the same
 * maths as `tf.train.adam(lr, 0.9, 0.999, 1e-7)`, fused into one JS pass per variable.
 *
 * tfjs's own Adam runs about a dozen kernels per variable and step (Multiply, Add, Square, Div,
 * Sqrt, ...), each a dispatch through the engine; for the small dense models that dominates a
 * training step. {@link FusedAdam} reads each gradient in place (a view of the wasm heap or the
 * cpu backend's array), keeps the moments in Float32Arrays, and writes each variable once, on
 * the wasm backend straight into fresh heap memory (no JS array, no copy). (Not in place:
 * tfjs's wasm kernels cache XNNPACK-packed weights per tensor, so a variable's memory must not
 * change under the same data id; `assign` gives it a new one.) Where the backend offers a fused
 * Adam step in tfjs's kernel registry ({@link ADAM_STEP_KERNEL}: the speed package registers one
 * in C once `initBackend` has loaded its native helpers), the loop runs there, with the same
 * rounding; on plain tfjs backends the JS loop runs.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Options for {@link createOptimizer}. */
export interface OptimizerOptions {
  /** Adam step size; the project default is 1e-3. */
  learningRate?: number;
}

/** The parts of a tfjs backend that {@link readView} uses to read a tensor without copying. */
interface ViewBackend {
  typedArrayFromHeap?(info: tf.TensorInfo): Float32Array;
  data?: { get(dataId: object): { values?: unknown } | undefined };
}

/**
 * The float32 values of a tensor, without a copy where the backend allows (wasm heap view, cpu
 * array). Valid only until the next tfjs operation; never write to it.
 */
export function readView(t: tf.Tensor): Float32Array {
  const backend = tf.backend() as unknown as ViewBackend;
  if (t.dtype === "float32") {
    if (typeof backend.typedArrayFromHeap === "function") {
      return backend.typedArrayFromHeap({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
    }
    const values = backend.data?.get(t.dataId)?.values;
    if (values instanceof Float32Array && values.length === t.size) return values;
  }
  return Float32Array.from(t.dataSync());
}

/** Where a variable's update is written: memory the backend owns, with a view of it. */
interface OutputBuffer {
  dataId: tf.DataId;
  view(): Float32Array;
}

/**
 * Uninitialised float32 memory of the variable's shape on a backend that can view its own memory
 * (wasm), or null (then the update goes through a JS array and `tf.tensor`).
 */
function allocateOutput(variable: tf.Variable): OutputBuffer | null {
  const backend = tf.backend() as unknown as ViewBackend & {
    write?(values: null, shape: number[], dtype: tf.DataType): tf.DataId;
  };
  if (
    variable.dtype !== "float32" || typeof backend.typedArrayFromHeap !== "function" ||
    typeof backend.write !== "function"
  ) {
    return null;
  }
  const shape = variable.shape;
  const dataId = backend.write(null, shape, "float32");
  return {
    dataId,
    view: () => backend.typedArrayFromHeap!({ dataId, shape, dtype: "float32" }),
  };
}

/** A named tensor, as tf.Optimizer's getWeights / setWeights exchange them. */
export interface NamedTensor {
  /** `iter`, `<variable>/m` or `<variable>/v`. */
  name: string;
  /** The value. */
  tensor: tf.Tensor;
}

/**
 * Name of the fused Adam step kernel looked up in tfjs's registry for the active backend. Not a
 * tensor kernel: its `kernelFunc` takes `{ inputs: {}, backend, attrs }` with attrs
 * `{ g, w, m, v, out, b1, b2, c1, c2, stepSize, invSqrtBias2, eps }` (the loop's Float32Arrays
 * and scalars below), updates m and v, writes the new weights to out (packages/tfjs_blas
 * registers it; its README documents the contract).
 */
export const ADAM_STEP_KERNEL = "KmnistAdamStep";

/** Variables smaller than this are updated in JS (an FFI call costs about as much). */
const NATIVE_MIN_SIZE = 1024;

let useNative = true;

/** How many variable updates ran in C so far (tests). */
export let nativeAdamUpdates = 0;

/**
 * Whether {@link FusedAdam} may run its update loop in a registered {@link ADAM_STEP_KERNEL}
 * (when the backend has one); default true. For tests and benchmarks of the JS loop.
 */
export function setNativeAdam(enabled: boolean): void {
  useNative = enabled;
}

/** Adam's state for one variable. */
interface Moments {
  m: Float32Array;
  v: Float32Array;
}

/**
 * Adam with the update fused into one loop per variable:
 * m = b1·m + (1-b1)·g; v = b2·v + (1-b2)·g²; w -= lr·(m/(1-b1ᵗ)) / (sqrt(v/(1-b2ᵗ)) + eps).
 *
 * `getWeights()` / `setWeights()` use tf.train.adam's layout: `iter`, then `<variable>/m` for
 * every variable, then `<variable>/v`, so checkpoints can move between the two.
 */
export class FusedAdam extends tf.Optimizer {
  /** Name under which the class is registered for serialisation. */
  static get className(): string {
    return "FusedAdam";
  }

  private readonly moments = new Map<string, Moments>();
  private step = 0;

  /**
   * @param learningRate step size
   * @param beta1 first-moment decay
   * @param beta2 second-moment decay
   * @param epsilon denominator guard
   */
  constructor(
    /** Step size; a schedule may change it between steps (the moments are kept). */
    public learningRate: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-7,
  ) {
    super();
  }

  /** Steps taken so far. */
  override get iterations(): number {
    return this.step;
  }

  /** Applies one Adam step to every variable named in `variableGradients`. */
  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const list = Array.isArray(variableGradients)
      ? variableGradients
      : Object.keys(variableGradients).map((name) => ({
        name,
        tensor: variableGradients[name],
      }));
    this.step++;
    const b1 = this.beta1, b2 = this.beta2, eps = this.epsilon;
    const c1 = 1 - b1, c2 = 1 - b2;
    const bias1 = 1 - Math.pow(b1, this.step);
    const bias2 = 1 - Math.pow(b2, this.step);
    // w -= lr/bias1 · m / (sqrt(v)/sqrt(bias2) + eps)
    const stepSize = this.learningRate / bias1;
    const invSqrtBias2 = 1 / Math.sqrt(bias2);
    const registered = tf.engine().registeredVariables;
    for (const { name, tensor: grad } of list) {
      if (grad == null) continue;
      const variable = registered[name];
      if (variable === undefined) {
        throw new Error(`FusedAdam: no variable named "${name}" is registered with tfjs.`);
      }
      if (!variable.trainable) continue;
      const size = variable.size;
      let state = this.moments.get(name);
      if (state === undefined || state.m.length !== size) {
        state = { m: new Float32Array(size), v: new Float32Array(size) };
        this.moments.set(name, state);
      }
      const { m, v } = state;
      // The new weights go straight into backend memory (no JS array, no copy); allocated before
      // the views are taken, since an allocation may grow (and so detach) the wasm heap.
      const target = allocateOutput(variable);
      const g = readView(grad);
      const w = readView(variable);
      const out = target?.view() ?? new Float32Array(size);
      // The same loop as a registered kernel (C, same rounding) when the backend has one.
      const fused = useNative && size >= NATIVE_MIN_SIZE
        ? tf.getKernel(ADAM_STEP_KERNEL, tf.getBackend())
        : undefined;
      if (fused !== undefined && g.length === size && w.length === size) {
        const attrs = { g, w, m, v, out, b1, b2, c1, c2, stepSize, invSqrtBias2, eps };
        fused.kernelFunc({
          inputs: {},
          backend: tf.backend(),
          attrs: attrs as unknown as tf.NamedAttrMap,
        });
        nativeAdamUpdates++;
      } else {
        for (let i = 0; i < size; i++) {
          const gi = g[i];
          const mi = b1 * m[i] + c1 * gi;
          const vi = b2 * v[i] + c2 * gi * gi;
          m[i] = mi;
          v[i] = vi;
          out[i] = w[i] - (stepSize * mi) / (Math.sqrt(vi) * invSqrtBias2 + eps);
        }
      }
      const updated = target !== null
        ? tf.engine().makeTensorFromDataId(target.dataId, variable.shape, "float32")
        : tf.tensor(out, variable.shape, "float32");
      variable.assign(updated);
      updated.dispose();
    }
  }

  /** Iteration count and moments, in tf.train.adam's layout. */
  override async getWeights(): Promise<NamedTensor[]> {
    const names = [...this.moments.keys()];
    const shapes = new Map<string, number[]>();
    const registered = tf.engine().registeredVariables;
    for (const name of names) {
      shapes.set(name, registered[name]?.shape ?? [this.moments.get(name)!.m.length]);
    }
    return await Promise.resolve([
      { name: "iter", tensor: tf.scalar(this.step, "int32") },
      ...names.map((name) => ({
        name: `${name}/m`,
        tensor: tf.tensor(this.moments.get(name)!.m.slice(), shapes.get(name)!),
      })),
      ...names.map((name) => ({
        name: `${name}/v`,
        tensor: tf.tensor(this.moments.get(name)!.v.slice(), shapes.get(name)!),
      })),
    ]);
  }

  /** Restores what {@link getWeights} returned (or what tf.train.adam's getWeights returned). */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = weightValues.filter((w) => w.name !== "iter");
    const iter = weightValues.find((w) => w.name === "iter");
    if (iter !== undefined) this.step = (await iter.tensor.data())[0];
    this.moments.clear();
    const count = rest.length / 2;
    if (!Number.isInteger(count)) {
      throw new Error(
        `FusedAdam.setWeights: expected "iter" plus one "/m" and one "/v" tensor per variable, ` +
          `got ${weightValues.length} tensors.`,
      );
    }
    for (let i = 0; i < count; i++) {
      const mName = rest[i].name, vName = rest[count + i].name;
      const name = mName.replace(/\/m$/, "");
      if (!mName.endsWith("/m") || vName !== `${name}/v`) {
        throw new Error(
          `FusedAdam.setWeights: tensors out of order ("${mName}", "${vName}"): pass them as ` +
            `getWeights() returned them.`,
        );
      }
      this.moments.set(name, {
        m: Float32Array.from(await rest[i].tensor.data()),
        v: Float32Array.from(await rest[count + i].tensor.data()),
      });
    }
  }

  /** Frees the moments. */
  override dispose(): void {
    this.moments.clear();
  }

  /** The constructor arguments, for serialisation. */
  override getConfig(): tf.serialization.ConfigDict {
    return {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
    };
  }

  /** Rebuilds an optimizer from {@link getConfig}'s output. */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config.learningRate, config.beta1, config.beta2, config.epsilon);
  }
}
tf.serialization.registerClass(FusedAdam);

/**
 * Creates the Adam optimizer (beta1 0.9, beta2 0.999, epsilon 1e-7) used for all models: a
 * {@link FusedAdam}, the same maths as `tf.train.adam(learningRate, 0.9, 0.999, 1e-7)`.
 */
export function createOptimizer(options: OptimizerOptions = {}): tf.Optimizer {
  return new FusedAdam(options.learningRate ?? 1e-3, 0.9, 0.999, 1e-7);
}
