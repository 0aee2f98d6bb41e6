/**
 * The memory-bound helpers of packages/tfjs_blas/native/kernels.c (im2col, col2im, bias add, multiply,
 * relu, step, column sums), compiled on first use with the system C compiler
 * (`cc -O3 -march=native -shared -fPIC`) into a cache outside the repository and loaded with
 * Deno.dlopen. They run on the tfjs wasm backend's memory, at close to memory speed (the JS loops
 * they replace take ~1.5 ns per element).
 *
 * Without a compiler (or with `KMNIST_NATIVE=0`, or without --allow-ffi / --allow-run),
 * {@link loadNative} returns null and the kernels keep their JS paths; {@link nativeLoadError}
 * says why. `KMNIST_CC` names another compiler; `KMNIST_NATIVE_CACHE` another cache folder
 * (default `$XDG_CACHE_HOME/kmnist-autoencoders` or `~/.cache/kmnist-autoencoders`). Built with
 * `-fopenmp` when the compiler supports it (loops over >= 256 Ki floats then use every core, and
 * the blocked convolutions spread their blocks over the cores, each thread calling
 * single-threaded OpenBLAS; OpenMP threads wait passively), else single-threaded;
 * `KMNIST_NATIVE_OPENMP=0` forces the latter.
 *
 * @module
 */
import { join } from "node:path";
import type { ConvGeometry } from "./im2col.ts";
import { type LockedSgemm, SGEMM_SIGNATURE } from "./blas.ts";
import { type AdamArgs, registerAdamStep, unregisterAdamStep } from "./adam_step.ts";
import { speedConfig } from "./config.ts";
import { withLoadEnv } from "./load_env.ts";

export type { AdamArgs };

const SYMBOLS = {
  kmnist_im2col: { parameters: ["buffer", "i32", "i32", "buffer"], result: "void" },
  kmnist_col2im: { parameters: ["buffer", "i32", "i32", "buffer"], result: "void" },
  kmnist_add: { parameters: ["buffer", "i32", "i32", "i32", "i32", "i32"], result: "void" },
  kmnist_mul: { parameters: ["buffer", "i32", "i32", "i32", "i32"], result: "void" },
  kmnist_relu: { parameters: ["buffer", "i32", "i32", "i32"], result: "void" },
  kmnist_step: { parameters: ["buffer", "i32", "i32", "i32", "f32"], result: "void" },
  kmnist_relu_grad: { parameters: ["buffer", "i32", "i32", "i32", "i32"], result: "void" },
  kmnist_bias_act: {
    parameters: ["buffer", "i32", "i32", "i32", "i32", "i32", "f32"],
    result: "void",
  },
  kmnist_adam: {
    parameters: [
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
      "i32",
      "f64",
      "f64",
      "f64",
      "f64",
      "f64",
      "f64",
      "f64",
    ],
    result: "void",
  },
  kmnist_column_sum: { parameters: ["buffer", "i32", "i32", "i32", "i32"], result: "void" },
  kmnist_bind_blas: { parameters: ["buffer"], result: "i32" },
  kmnist_sgemm: SGEMM_SIGNATURE,
  kmnist_conv_forward_blocks: {
    parameters: ["buffer", "i32", "i32", "i32", "i32", "i32", "buffer", "i32", "i32", "i32", "f32"],
    result: "void",
  },
  kmnist_conv_input_grad_blocks: {
    parameters: ["buffer", "i32", "i32", "i32", "i32", "buffer", "i32", "i32", "i32", "i32", "f32"],
    result: "void",
  },
  kmnist_conv1_forward: {
    parameters: ["buffer", "i32", "i32", "i32", "i32", "buffer", "i32", "i32", "f32"],
    result: "i32",
  },
  kmnist_conv1_filter_grad: {
    parameters: ["buffer", "i32", "i32", "i32", "buffer", "i32"],
    result: "i32",
  },
  kmnist_conv1_input_grad: {
    parameters: ["buffer", "i32", "i32", "i32", "buffer", "i32", "i32", "i32", "f32"],
    result: "void",
  },
  kmnist_conv_transpose_backward_blocks: {
    parameters: [
      "buffer",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "buffer",
      "i32",
      "i32",
      "i32",
    ],
    result: "i32",
  },
  kmnist_bias_act_grad: {
    parameters: ["buffer", "i32", "i32", "i32", "i32", "i32", "i32", "i32"],
    result: "i32",
  },
  kmnist_conv_filter_grad_blocks: {
    parameters: ["buffer", "i32", "i32", "i32", "i32", "buffer", "i32", "i32"],
    result: "void",
  },
} as const;

/**
 * The native helpers. Every `heap` is a Float32Array over the whole memory the data lives in
 * (byteOffset 0); every position is a float index into it.
 */
export interface Native {
  /** The loaded shared library. */
  path: string;
  /** {@link im2col} of im2col.ts, natively. */
  im2col(g: ConvGeometry, heap: Float32Array, xAt: number, colsAt: number): void;
  /** {@link col2im} of im2col.ts, natively (filters up to 64x64). */
  col2im(g: ConvGeometry, heap: Float32Array, colsAt: number, dxAt: number): void;
  /** out = a + b, same shapes (`n` 0), or b of length `n` broadcast over rows of a. */
  add(heap: Float32Array, a: number, b: number, out: number, size: number, n: number): void;
  /** out = a · b elementwise. */
  mul(heap: Float32Array, a: number, b: number, out: number, size: number): void;
  /** out = max(x, 0). */
  relu(heap: Float32Array, x: number, out: number, size: number): void;
  /** out = x > 0 ? 1 : alpha (NaN stays NaN). */
  step(heap: Float32Array, x: number, out: number, size: number, alpha: number): void;
  /** out = dy · step(x): ReLU's gradient in one pass. */
  reluGrad(heap: Float32Array, dy: number, x: number, out: number, size: number): void;
  /**
   * In place on c[m, n]: + bias[n] (none when `bias` < 0), then the activation (0 linear, 1 relu,
   * 2 relu6, 3 leakyrelu with `alpha`, 4 elu, 5 sigmoid).
   */
  biasAct(
    heap: Float32Array,
    c: number,
    m: number,
    n: number,
    bias: number,
    activation: number,
    alpha: number,
  ): void;
  /**
   * A conv2dTranspose layer's whole backward pass in blocks over the cores (kernels.c explains):
   * from dy, the layer's output y and input `in`, and the filter, writes the input's gradient
   * `din`, the filter's `dw` and the bias's `db`. `g` is the geometry of the convolution whose
   * input gradient the layer's forward is; scratch holds threads x (perBlock x (H*W*C + OH*OW*K)
   * + K*CO) floats.
   */
  convTransposeBackwardBlocks(args: {
    heap: Float32Array;
    g: ConvGeometry;
    outChannels: number;
    perBlock: number;
    dy: number;
    y: number;
    input: number;
    filter: number;
    din: number;
    dw: number;
    db: number;
    scratch: number;
    activation: number;
  }): void;
  /**
   * Convolutions whose input has one channel (`g.inChannels` 1), computed directly (no im2col,
   * no GEMM), the images spread over the cores: the forward (`input` x, `second` the filter,
   * then bias and activation as {@link Native.convForwardBlocks}), the filter gradient (`input`
   * x, `second` dy) and the input gradient (`input` dy, `second` the filter; a conv2dTranspose to
   * one channel, with its bias and activation). No scratch (`scratch` and `perBlock` unused).
   */
  conv1Forward(args: DirectConvArgs): void;
  /** See {@link Native.conv1Forward}. */
  conv1FilterGrad(args: DirectConvArgs): void;
  /** See {@link Native.conv1Forward}. */
  conv1InputGrad(args: DirectConvArgs): void;
  /**
   * The gradient of y = act(z + bias) in one pass, from dy and y (both [rows, cols]): dz = dy ·
   * act'(y) into `dz` (activation 1 relu, 5 sigmoid) and db[j] = Σ_r dz[r, j] into `db`
   * (accumulated in double, per-thread runs added in thread order).
   */
  biasActGrad(args: {
    heap: Float32Array;
    dy: number;
    y: number;
    dz: number;
    db: number;
    rows: number;
    cols: number;
    activation: number;
  }): void;
  /**
   * One Adam step (lib/train/optimizer.ts's loop, same rounding): updates `m`, `v` in place and
   * writes the new weights to `out`; any Float32Arrays (views of wasm memory included). Served
   * to the optimizer as the registered kernel `KmnistAdamStep` (adam_step.ts).
   */
  adam(args: AdamArgs): void;
  /** out[j] = Σ_r x[r, j] for x [rows, cols] (cols ≤ 65,536). */
  columnSum(heap: Float32Array, x: number, out: number, rows: number, cols: number): void;
  /**
   * Binds the blocked convolutions below to the OpenBLAS library at `path` (already loaded by
   * blas.ts). Returns the threads they share the blocks over, or 0 when binding failed.
   */
  bindBlas(path: string): number;
  /**
   * OpenBLAS sgemm on `threads` threads, the count set under the process-wide lock the blocked
   * kernels also hold (see kernels.c). Needs {@link Native.bindBlas}; for `Blas.useLock`.
   */
  sgemm: LockedSgemm;
  /**
   * Forward convolution in blocks of `perBlock` images spread over the cores: per block, im2col
   * into the thread's scratch, single-threaded sgemm into `out`, then bias and activation (codes
   * as {@link Native.biasAct}; `bias` < 0 for none). Needs {@link Native.bindBlas}; scratch holds
   * threads x perBlock x OH*OW x K floats.
   */
  convForwardBlocks(
    args: BlockedConvArgs & { bias: number; activation: number; alpha: number },
  ): void;
  /**
   * Input gradient (conv2dTranspose's forward) in blocks over the cores: per block, dcols = dy ·
   * Wᵀ into the thread's scratch, col2im into `out`, then bias and activation as
   * {@link Native.convForwardBlocks} (a conv2dTranspose layer; omit them for a plain gradient).
   * Scratch as convForwardBlocks.
   */
  convInputGradBlocks(
    args: BlockedConvArgs & { bias?: number; activation?: number; alpha?: number },
  ): void;
  /**
   * Filter gradient in blocks over the cores: each thread sums im2col(x)ᵀ · dy over its own run of
   * blocks, then the partials are added in thread order into `out`. Scratch holds threads x
   * (perBlock x OH*OW x K + K x CO) floats.
   */
  convFilterGradBlocks(args: BlockedConvArgs): void;
}

/** Arguments of the blocked convolutions ({@link Native.convForwardBlocks} and the others). */
export interface BlockedConvArgs {
  /** The whole memory (a Float32Array at byte 0). */
  heap: Float32Array;
  /** Geometry of the convolution (as the forward conv sees it). */
  g: ConvGeometry;
  /** Output channels of the forward convolution. */
  outChannels: number;
  /** Images per block. */
  perBlock: number;
  /** Float positions: the forward input x (or dy for the input gradient). */
  input: number;
  /** The filter [FH, FW, C, CO] (forward, input gradient) or dy (filter gradient). */
  second: number;
  /** Where the result goes. */
  out: number;
  /** The scratch. */
  scratch: number;
}

/** Arguments of the direct one-channel convolutions ({@link Native.conv1Forward}). */
export type DirectConvArgs = Omit<BlockedConvArgs, "perBlock" | "scratch"> & {
  /** Float position of the bias ([channels]), or < 0 for none (default none). */
  bias?: number;
  /** Activation code (as {@link Native.biasAct}; default 0, linear). */
  activation?: number;
  /** Leaky ReLU's slope (default 0.2). */
  alpha?: number;
};

let cached: Native | null | undefined;
let loadError = "";

/** Why {@link loadNative} returned null ("" when it did not). */
export function nativeLoadError(): string {
  return loadError;
}

/** The C source's location. */
export function nativeSource(): URL {
  return new URL("./native/kernels.c", import.meta.url);
}

function cacheFolder(): string {
  const override = speedConfig().nativeCache;
  if (override !== undefined) return override;
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  const home = Deno.env.get("HOME") ?? "/tmp";
  return join(xdg || join(home, ".cache"), "kmnist-autoencoders");
}

async function digest(text: string): Promise<string> {
  const bytes = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  return [...bytes.slice(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function cpuModel(): string {
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    return [...info.matchAll(/^(model name|flags)\s*:\s*(.*)$/gm)].slice(0, 2).map((m) => m[2])
      .join("|");
  } catch {
    return Deno.build.arch;
  }
}

/**
 * Compiler flags: no FMA contraction (Adam must round as its JS version does); no errno from sqrt
 * (so that Adam's loop vectorises; sqrt stays IEEE correctly rounded).
 */
const FLAGS = ["-O3", "-march=native", "-ffp-contract=off", "-fno-math-errno", "-shared", "-fPIC"];

/**
 * Compiles (once per source, compiler flags and CPU; cached) and loads the native helpers, or
 * returns null (see {@link nativeLoadError}). Later calls return the same object.
 */
export async function loadNative(): Promise<Native | null> {
  if (cached !== undefined) return cached;
  try {
    const config = speedConfig();
    if (!config.native) {
      throw new Error("disabled by KMNIST_NATIVE=0");
    }
    const source = await Deno.readTextFile(nativeSource());
    const cc = config.cc;
    // OpenMP (both cores for the big loops) when the compiler has it; else single-threaded.
    // GCC's cost model finds Adam's double-precision loop "not profitable" to vectorise; it is
    // 2.4x faster vectorised, so its `omp simd` is forced where the compiler knows the flag.
    const attempts = !config.nativeOpenmp
      ? [FLAGS]
      : [[...FLAGS, "-fopenmp", "-fsimd-cost-model=unlimited"], [...FLAGS, "-fopenmp"], FLAGS];
    const folder = cacheFolder();
    let file = "";
    const failures: string[] = [];
    for (const flags of attempts) {
      const key = await digest([source, cc, ...flags, cpuModel()].join("\n"));
      file = join(folder, `kernels-${key}.so`);
      try {
        await Deno.stat(file);
        break;
      } catch {
        // not built yet
      }
      await Deno.mkdir(folder, { recursive: true });
      // Unique per call: workers of one process (deno test --parallel) share Deno.pid and may
      // compile at once; with a shared name one's cc overwrote the other's file mid-write.
      const tmp = `${file}.${Deno.pid}.${crypto.randomUUID()}.tmp`;
      const result = await new Deno.Command(cc, {
        args: [...flags, "-o", tmp, nativeSource().pathname],
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (result.success) {
        await Deno.rename(tmp, file);
        break;
      }
      await Deno.remove(tmp).catch(() => {});
      failures.push(
        `${cc} ${flags.join(" ")} failed (exit ${result.code}): ` +
          new TextDecoder().decode(result.stderr).slice(-300),
      );
      file = "";
    }
    if (file === "") throw new Error(failures.join("; "));
    // Passive waiting: idle OpenMP threads must not spin on the cores OpenBLAS and JS need (and
    // with OMP_WAIT_POLICY=ACTIVE, Deno was measured to crash at exit with the threads spinning),
    // whatever the user set. Children never see it (PASSIVE halves the PyTorch reference).
    const lib = withLoadEnv("OMP_WAIT_POLICY", "PASSIVE", () => Deno.dlopen(file, SYMBOLS));
    cached = makeNative(file, lib);
    registerAdamStep(cached);
  } catch (error) {
    loadError = `The native helpers are unavailable, the JS paths run instead (slower): ` +
      `${(error as Error).message}. Install a C compiler (Debian: gcc), allow --allow-run and ` +
      `--allow-ffi, or set KMNIST_CC.`;
    cached = null;
  }
  return cached;
}

/** The helpers if {@link loadNative} has loaded them, else null (never compiles). */
export function nativeIfLoaded(): Native | null {
  return cached ?? null;
}

/**
 * Forgets the loaded helpers and unregisters the fused Adam step (tests: the next
 * {@link loadNative} reads the config's `native`, `cc`, ... again).
 */
export function resetNativeForTests(): void {
  unregisterAdamStep();
  cached = undefined;
  loadError = "";
}

/** Throws when a native kernel returned a failure status (it could not allocate `what`). */
function checkMemory(status: number, kernel: string, what: string): void {
  if (status !== 0) {
    throw new Error(
      `native ${kernel}: out of memory for ${what}; free memory or use a smaller batch.`,
    );
  }
}

function makeNative(path: string, lib: Deno.DynamicLibrary<typeof SYMBOLS>): Native {
  const f = lib.symbols;
  let lastBuffer: ArrayBufferLike | null = null;
  let bytes = new Uint8Array(0);
  const mem = (heap: Float32Array): Uint8Array<ArrayBuffer> => {
    if (heap.byteOffset !== 0) {
      throw new Error("native kernels: the heap must start at byte 0 of its buffer.");
    }
    if (heap.buffer !== lastBuffer) {
      lastBuffer = heap.buffer;
      bytes = new Uint8Array(heap.buffer as ArrayBuffer);
    }
    return bytes as Uint8Array<ArrayBuffer>;
  };
  const geometry = new Int32Array(14);
  const setGeometry = (g: ConvGeometry): Int32Array<ArrayBuffer> => {
    geometry.set([
      g.batchSize,
      g.inHeight,
      g.inWidth,
      g.inChannels,
      g.outHeight,
      g.outWidth,
      g.filterHeight,
      g.filterWidth,
      g.strideHeight,
      g.strideWidth,
      g.dilationHeight,
      g.dilationWidth,
      g.padTop,
      g.padLeft,
    ]);
    return geometry as Int32Array<ArrayBuffer>;
  };
  /** The C argument list shared by the input- and filter-gradient blocked convolutions. */
  const blockedArgs = (a: BlockedConvArgs) =>
    [
      mem(a.heap),
      a.input,
      a.second,
      a.out,
      a.scratch,
      setGeometry(a.g),
      a.outChannels,
      a.perBlock,
    ] as const;
  return {
    path,
    im2col: (g, heap, xAt, colsAt) => f.kmnist_im2col(mem(heap), xAt, colsAt, setGeometry(g)),
    col2im: (g, heap, colsAt, dxAt) => {
      if (g.filterHeight > 64 || g.filterWidth > 64) {
        throw new Error("native col2im: filters larger than 64x64 are not supported.");
      }
      f.kmnist_col2im(mem(heap), colsAt, dxAt, setGeometry(g));
    },
    add: (heap, a, b, out, size, n) => f.kmnist_add(mem(heap), a, b, out, size, n),
    mul: (heap, a, b, out, size) => f.kmnist_mul(mem(heap), a, b, out, size),
    relu: (heap, x, out, size) => f.kmnist_relu(mem(heap), x, out, size),
    step: (heap, x, out, size, alpha) => f.kmnist_step(mem(heap), x, out, size, alpha),
    reluGrad: (heap, dy, x, out, size) => f.kmnist_relu_grad(mem(heap), dy, x, out, size),
    biasAct: (heap, c, m, n, bias, activation, alpha) =>
      f.kmnist_bias_act(mem(heap), c, m, n, bias, activation, alpha),
    adam: (a) =>
      f.kmnist_adam(
        a.g as Float32Array<ArrayBuffer>,
        a.w as Float32Array<ArrayBuffer>,
        a.m as Float32Array<ArrayBuffer>,
        a.v as Float32Array<ArrayBuffer>,
        a.out as Float32Array<ArrayBuffer>,
        a.out.length,
        a.b1,
        a.b2,
        a.c1,
        a.c2,
        a.stepSize,
        a.invSqrtBias2,
        a.eps,
      ),
    bindBlas: (path) => f.kmnist_bind_blas(new TextEncoder().encode(`${path}\0`)),
    sgemm: (threads, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) =>
      f.kmnist_sgemm(threads, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc),
    convForwardBlocks: (a) =>
      f.kmnist_conv_forward_blocks(
        mem(a.heap),
        a.input,
        a.second,
        a.bias,
        a.out,
        a.scratch,
        setGeometry(a.g),
        a.outChannels,
        a.perBlock,
        a.activation,
        a.alpha,
      ),
    convInputGradBlocks: (a) =>
      f.kmnist_conv_input_grad_blocks(
        ...blockedArgs(a),
        a.bias ?? -1,
        a.activation ?? 0,
        a.alpha ?? 0.2,
      ),
    conv1Forward: (a) => {
      const status = f.kmnist_conv1_forward(
        mem(a.heap),
        a.input,
        a.second,
        a.bias ?? -1,
        a.out,
        setGeometry(a.g),
        a.outChannels,
        a.activation ?? 0,
        a.alpha ?? 0.2,
      );
      checkMemory(status, "conv1Forward", "its scratch");
    },
    conv1FilterGrad: (a) => {
      const status = f.kmnist_conv1_filter_grad(
        mem(a.heap),
        a.input,
        a.second,
        a.out,
        setGeometry(a.g),
        a.outChannels,
      );
      checkMemory(status, "conv1FilterGrad", "the partial sums");
    },
    conv1InputGrad: (a) => {
      if (a.g.filterHeight > 64 || a.g.filterWidth > 64) {
        throw new Error("native conv1InputGrad: filters larger than 64x64 are not supported.");
      }
      f.kmnist_conv1_input_grad(
        mem(a.heap),
        a.input,
        a.second,
        a.out,
        setGeometry(a.g),
        a.outChannels,
        a.bias ?? -1,
        a.activation ?? 0,
        a.alpha ?? 0.2,
      );
    },
    convTransposeBackwardBlocks: (a) => {
      const status = f.kmnist_conv_transpose_backward_blocks(
        mem(a.heap),
        a.dy,
        a.y,
        a.input,
        a.filter,
        a.din,
        a.dw,
        a.db,
        a.scratch,
        setGeometry(a.g),
        a.outChannels,
        a.perBlock,
        a.activation,
      );
      checkMemory(status, "convTransposeBackwardBlocks", "the bias sums");
    },
    biasActGrad: (a) => {
      const status = f.kmnist_bias_act_grad(
        mem(a.heap),
        a.dy,
        a.y,
        a.dz,
        a.db,
        a.rows,
        a.cols,
        a.activation,
      );
      checkMemory(status, "biasActGrad", "the partial sums");
    },
    convFilterGradBlocks: (a) => f.kmnist_conv_filter_grad_blocks(...blockedArgs(a)),
    columnSum: (heap, x, out, rows, cols) => {
      if (cols > 65536) throw new Error("native columnSum: at most 65,536 columns.");
      f.kmnist_column_sum(mem(heap), x, out, rows, cols);
    },
  };
}
