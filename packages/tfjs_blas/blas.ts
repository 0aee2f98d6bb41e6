/**
 * OpenBLAS `cblas_sgemm` through Deno's FFI, on any Float32Array-backed memory (the wasm backend's
 * heap, or plain arrays).
 *
 * The library is Debian's `libopenblas0-pthread` (installed by tools/install_system_deps.sh);
 * `KMNIST_OPENBLAS` names another file. Needs `--allow-ffi`.
 *
 * @module
 */
import { speedConfig } from "./config.ts";
import { withLoadEnv } from "./load_env.ts";

/** Candidate paths of the pthread OpenBLAS, best first. */
export const OPENBLAS_CANDIDATES: readonly string[] = [
  "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
  "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
  "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
  "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
  "/usr/lib/libopenblas.so.0",
];

const CBLAS_ROW_MAJOR = 101;
const CBLAS_NO_TRANS = 111;
const CBLAS_TRANS = 112;

/**
 * The FFI signature of cblas_sgemm (order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta,
 * C, ldc), shared with the C helpers' kmnist_sgemm, which takes the same arguments.
 */
export const SGEMM_SIGNATURE = {
  parameters: [
    "i32",
    "i32",
    "i32",
    "i32",
    "i32",
    "i32",
    "f32",
    "pointer",
    "i32",
    "pointer",
    "i32",
    "f32",
    "pointer",
    "i32",
  ],
  result: "void",
} as const;

const SYMBOLS = {
  cblas_sgemm: SGEMM_SIGNATURE,
  openblas_set_num_threads: { parameters: ["i32"], result: "void" },
  openblas_get_num_threads: { parameters: [], result: "i32" },
  // The threads OpenBLAS started with (OPENBLAS_NUM_THREADS or the cores); it only grows, so
  // unlike openblas_get_num_threads it does not depend on what another worker has set since.
  blas_num_threads: { type: "i32" },
} as const;

/**
 * An sgemm that sets OpenBLAS's thread count and multiplies under one process-wide lock
 * (native.ts's `kmnist_sgemm`); pointers as Deno's FFI gives them. Transposes are CBLAS codes.
 */
export type LockedSgemm = (
  threads: number,
  transA: number,
  transB: number,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Deno.PointerValue,
  lda: number,
  b: Deno.PointerValue,
  ldb: number,
  beta: number,
  c: Deno.PointerValue,
  ldc: number,
) => void;

/** A loaded OpenBLAS. */
export interface Blas {
  /** The file that was loaded. */
  path: string;
  /** Threads OpenBLAS uses now. */
  threads: number;
  /** The cores OpenBLAS found (its default thread count). */
  maxThreads: number;
  /**
   * Sets the threads this library's products use (with {@link Blas.useLock}, products of <=
   * SINGLE_THREAD_MACS, or k <= 16, use 1).
   */
  setThreads(threads: number): void;
  /**
   * Runs every product through `locked` (the native helpers' `kmnist_sgemm`): the thread count is
   * then chosen per product and set under a process-wide lock. Without it the count stays fixed
   * at {@link Blas.threads} for every product (OpenBLAS's count is one value for the whole
   * process, and changing it per call from JS races with other workers of the process).
   */
  useLock(locked: LockedSgemm): void;
  /**
   * OpenBLAS's thread count for the whole process now (what the last product of any worker set):
   * a diagnostic; products choose their own count under the lock.
   */
  processThreads(): number;
  /** Whether products go through {@link Blas.useLock}'s locked sgemm. */
  readonly locked: boolean;
  /**
   * Row-major C[m,n] = alpha · op(A) · op(B) + beta · C, every matrix a float offset into `heap`
   * (op(A) is [m,k]; A is stored [k,m] when `transA`). Leading dimensions are the stored row
   * lengths unless given.
   */
  sgemm(args: SgemmArgs): void;
}

/** Arguments of {@link Blas.sgemm}. */
export interface SgemmArgs {
  /** The memory that holds A, B and C. */
  heap: Float32Array;
  /** Rows of op(A) and C. */
  m: number;
  /** Columns of op(B) and C. */
  n: number;
  /** Inner dimension. */
  k: number;
  /** Float offset of A in `heap`. */
  a: number;
  /** Float offset of B in `heap`. */
  b: number;
  /** Float offset of C in `heap`. */
  c: number;
  /** A is stored transposed ([k, m]). */
  transA?: boolean;
  /** B is stored transposed ([n, k]). */
  transB?: boolean;
  /** Scale of the product (1). */
  alpha?: number;
  /** Scale of the old C (0: overwrite). */
  beta?: number;
}

/**
 * Products of at most this many multiply-adds run on one thread (see {@link Blas.sgemm}): below
 * it, handing work to OpenBLAS's second thread costs more than it saves (measured: the vanilla
 * model's 128x784x64 products, 6.4 M MACs, train 12% faster on one thread; multilayer's 25.7 M
 * MAC products are faster on two).
 */
export const SINGLE_THREAD_MACS = 8_388_608;

let cached: Blas | null | undefined;
let loadError = "";

/** Why {@link loadBlas} returned null (empty when it did not). */
export function blasLoadError(): string {
  return loadError;
}

/**
 * Loads OpenBLAS once (later calls return the same object), or returns null when it is absent or
 * FFI is not allowed; {@link blasLoadError} then says why.
 */
export function loadBlas(): Blas | null {
  if (cached !== undefined) return cached;
  const config = speedConfig();
  const override = config.openblas;
  const candidates = override !== undefined ? [override] : OPENBLAS_CANDIDATES;
  const errors: string[] = [];
  for (const path of candidates) {
    try {
      Deno.statSync(path);
    } catch {
      errors.push(`${path}: not found`);
      continue;
    }
    try {
      const load = () => Deno.dlopen(path, SYMBOLS);
      // OPENBLAS_THREAD_TIMEOUT is read once, at load; a user's own value wins.
      const lib = config.openblasThreadTimeout !== undefined
        ? load()
        : withLoadEnv("OPENBLAS_THREAD_TIMEOUT", OPENBLAS_THREAD_TIMEOUT, load);
      cached = makeBlas(path, lib);
      return cached;
    } catch (error) {
      errors.push(`${path}: ${(error as Error).message}`);
    }
  }
  loadError = `OpenBLAS could not be loaded (${errors.join("; ")}). Install Debian's ` +
    `libopenblas0-pthread (bash tools/install_system_deps.sh), set KMNIST_OPENBLAS to the library ` +
    `file, and run deno with --allow-ffi.`;
  cached = null;
  return null;
}

/**
 * How long (2^n cycles) OpenBLAS's idle worker threads spin before they sleep, unless the user set
 * `OPENBLAS_THREAD_TIMEOUT`. OpenBLAS's default, 2^28 (about 0.1 s), keeps its worker spinning
 * through a whole training step, on the core that the blocked convolutions' OpenMP thread and the
 * native elementwise kernels need: measured, conv training ran at 1,970-2,440 img/s with the
 * default and 2,730-2,830 with 2^20 (dense models unchanged within noise).
 */
export const OPENBLAS_THREAD_TIMEOUT = "20";

function makeBlas(path: string, lib: Deno.DynamicLibrary<typeof SYMBOLS>): Blas {
  let lastBuffer: ArrayBufferLike | null = null;
  let base: Deno.PointerValue = null;
  const ptr = (heap: Float32Array, offset: number): Deno.PointerValue => {
    if (heap.buffer !== lastBuffer) {
      lastBuffer = heap.buffer;
      base = Deno.UnsafePointer.of(new Uint8Array(heap.buffer as ArrayBuffer));
    }
    return Deno.UnsafePointer.offset(
      base as Deno.PointerObject,
      heap.byteOffset + offset * 4,
    );
  };
  const maxThreads = Math.max(1, Number(lib.symbols.blas_num_threads));
  let locked: LockedSgemm | null = null;
  const blas: Blas = {
    path,
    threads: maxThreads,
    maxThreads,
    get locked() {
      return locked !== null;
    },
    setThreads(threads: number): void {
      if (!(Number.isInteger(threads) && threads >= 1)) {
        throw new Error(`setThreads: threads must be a positive integer, got ${threads}.`);
      }
      blas.threads = threads;
      if (locked === null) lib.symbols.openblas_set_num_threads(blas.threads);
    },
    useLock(fn: LockedSgemm): void {
      locked = fn;
    },
    processThreads(): number {
      return lib.symbols.openblas_get_num_threads();
    },
    sgemm(s: SgemmArgs): void {
      const transA = s.transA ?? false;
      const transB = s.transB ?? false;
      const lda = transA ? s.m : s.k;
      const ldb = transB ? s.k : s.n;
      // The arguments after CBLAS's order (row-major here), the same for both calls.
      const args = [
        transA ? CBLAS_TRANS : CBLAS_NO_TRANS,
        transB ? CBLAS_TRANS : CBLAS_NO_TRANS,
        s.m,
        s.n,
        s.k,
        s.alpha ?? 1,
        ptr(s.heap, s.a),
        lda,
        ptr(s.heap, s.b),
        ldb,
        s.beta ?? 0,
        ptr(s.heap, s.c),
        s.n,
      ] as const;
      if (locked !== null) {
        // A memory-bound tiny inner dimension (100352x32x9: 1.1 ms on 1 thread, 1.4 ms on 2) and
        // tiny products gain nothing from a second thread. (Larger ones do on an idle machine:
        // 128x512x784 0.67 vs 0.35 ms; on a busy one 1 thread can be faster: KMNIST_BLAS_THREADS=1.)
        locked(s.k <= 16 || s.m * s.n * s.k <= SINGLE_THREAD_MACS ? 1 : blas.threads, ...args);
        return;
      }
      lib.symbols.cblas_sgemm(CBLAS_ROW_MAJOR, ...args);
    },
  };
  // All cores unless KMNIST_BLAS_THREADS says otherwise. Never chosen by timing at start: sgemm's
  // rounding depends on the thread count, so a load-dependent choice would make re-runs of the
  // same seed give (slightly) different numbers. Pinned here for the unlocked path, but written to
  // OpenBLAS only when it differs from the count OpenBLAS started with: this write is outside the
  // native helpers' lock, and a worker loading the library while another worker's kmnist_sgemm
  // sat between setting its count and multiplying changed that product's count (a VAE's resumed
  // run then differed from the straight one in the last bit of its KL under
  // `deno test --parallel`). Every worker computes the same count from the same environment.
  const pinned = speedConfig().blasThreads ?? maxThreads;
  blas.threads = pinned;
  if (pinned !== maxThreads) lib.symbols.openblas_set_num_threads(pinned);
  return blas;
}

/**
 * Picks the faster of 1 thread and all cores for a typical training GEMM (6272x64x576) now.
 * On an idle machine that is all cores; when other processes keep the cores busy, OpenBLAS's
 * threads wait on each other and one thread is up to 2x faster. Not called by {@link loadBlas}
 * (results must not depend on the load); a diagnostic for choosing `KMNIST_BLAS_THREADS`.
 */
export function calibrateThreads(blas: Blas): number {
  const m = 6272, n = 64, k = 576;
  const heap = new Float32Array(m * k + k * n + m * n);
  for (let i = 0; i < m * k + k * n; i++) heap[i] = ((i * 7919) % 997) / 997 - 0.5;
  const args: SgemmArgs = { heap, m, n, k, a: 0, b: m * k, c: m * k + k * n };
  const time = (threads: number): number => {
    blas.setThreads(threads);
    blas.sgemm(args);
    let best = Infinity;
    for (let r = 0; r < 4; r++) {
      const t0 = performance.now();
      blas.sgemm(args);
      best = Math.min(best, performance.now() - t0);
    }
    return best;
  };
  const all = blas.maxThreads;
  const multi = time(all);
  const single = time(1);
  blas.setThreads(single < multi * 0.9 ? 1 : all);
  return blas.threads;
}

/**
 * Measures this machine's sgemm rate through FFI (n x n x n, float32), in GFLOP/s: the best of
 * `repeats` timed calls after one warm-up.
 */
export function measureSgemm(blas: Blas, options: { n?: number; repeats?: number } = {}): number {
  const n = options.n ?? 1024;
  const repeats = options.repeats ?? 5;
  const heap = new Float32Array(3 * n * n);
  for (let i = 0; i < 2 * n * n; i++) heap[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
  const args: SgemmArgs = { heap, m: n, n, k: n, a: 0, b: n * n, c: 2 * n * n };
  blas.sgemm(args);
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    blas.sgemm(args);
    best = Math.min(best, performance.now() - t0);
  }
  return (2 * n * n * n) / (best * 1e6);
}
