/**
 * Every environment switch of the speed package, read once into one typed, validated
 * {@link SpeedConfig} (README.md beside this file has the table). An invalid value is an error
 * that names the variable, the value and what is allowed, never a silent default.
 *
 * The config is read on first use ({@link speedConfig}; `initBackend` is the first user, so a bad
 * value fails there). Code that changes a variable at run time (tests, benchmarks) calls
 * {@link reloadConfig} and then `initBackend` again, which re-registers the kernels when the
 * config changed.
 *
 * @module
 */

/** Names of the backends the package can run on. */
export type BackendName = "blas" | "wasm" | "cpu";

/** The backends, in the order the docs list them. */
export const BACKEND_NAMES: readonly BackendName[] = ["blas", "wasm", "cpu"];

/** The speed package's switches, parsed. */
export interface SpeedConfig {
  /** `KMNIST_BACKEND`: the backend `initBackend()` starts without an option (undefined: blas). */
  backend?: BackendName;
  /** `KMNIST_OPENBLAS`: the OpenBLAS library file (undefined: Debian's usual paths). */
  openblas?: string;
  /** `KMNIST_BLAS_THREADS`: OpenBLAS threads (undefined: all cores). */
  blasThreads?: number;
  /**
   * `OPENBLAS_THREAD_TIMEOUT` (OpenBLAS's own variable, 2^n cycles an idle worker spins): the
   * user's value, kept; undefined: the package loads OpenBLAS with 20.
   */
  openblasThreadTimeout?: number;
  /** `KMNIST_NATIVE`: whether the native helpers (C) are built and used (default true). */
  native: boolean;
  /** `KMNIST_CC`: the C compiler for the native helpers (default `cc`). */
  cc: string;
  /** `KMNIST_NATIVE_CACHE`: the folder of built helpers (undefined: the user's cache folder). */
  nativeCache?: string;
  /** `KMNIST_NATIVE_OPENMP`: whether the helpers are built with OpenMP when possible (true). */
  nativeOpenmp: boolean;
  /** `KMNIST_PARALLEL_BLOCKS`: blocked convolutions share their blocks over the cores in C (true). */
  parallelBlocks: boolean;
  /** `KMNIST_BLOCKED_CONV`: forward convolutions and filter gradients run in blocks (true). */
  blockedConv: boolean;
  /** `KMNIST_COL2IM_BLOCK`: floats of im2col matrix per block of images (131,072). */
  col2imBlock: number;
  /** `KMNIST_FUSED_LAYERS`: Dense / Conv2D / Conv2DTranspose layers run fused kernels (true). */
  fusedLayers: boolean;
  /** `KMNIST_DIRECT_CONV`: one-input-channel convolutions run directly in C (true). */
  directConv: boolean;
  /** `KMNIST_PHASE_DETAIL`: kernel phase timings carry their shapes (false). */
  phaseDetail: boolean;
}

/** One documented switch: its variable and what it sets (README.md lists the same). */
export interface SwitchDoc {
  /** The environment variable. */
  variable: string;
  /** The values it accepts. */
  allowed: string;
  /** The value when unset. */
  default: string;
}

/** Every variable the config reads, with what it allows and its default. */
export const SWITCHES: readonly SwitchDoc[] = [
  { variable: "KMNIST_BACKEND", allowed: "blas, wasm or cpu", default: "blas" },
  { variable: "KMNIST_BLAS_THREADS", allowed: "a positive integer", default: "all cores" },
  { variable: "KMNIST_OPENBLAS", allowed: "a library file path", default: "Debian's paths" },
  { variable: "OPENBLAS_THREAD_TIMEOUT", allowed: "an integer 0-30", default: "20" },
  { variable: "KMNIST_NATIVE", allowed: "0 or 1", default: "1" },
  { variable: "KMNIST_CC", allowed: "a compiler command", default: "cc" },
  { variable: "KMNIST_NATIVE_CACHE", allowed: "a folder path", default: "~/.cache/..." },
  { variable: "KMNIST_NATIVE_OPENMP", allowed: "0 or 1", default: "1" },
  { variable: "KMNIST_PARALLEL_BLOCKS", allowed: "0 or 1", default: "1" },
  { variable: "KMNIST_BLOCKED_CONV", allowed: "0 or 1", default: "1" },
  { variable: "KMNIST_COL2IM_BLOCK", allowed: "a positive integer (floats)", default: "131072" },
  { variable: "KMNIST_FUSED_LAYERS", allowed: "0 or 1", default: "1" },
  { variable: "KMNIST_DIRECT_CONV", allowed: "0 or 1", default: "1" },
  { variable: "KMNIST_PHASE_DETAIL", allowed: "0 or 1", default: "0" },
];

/** Reads one variable: from `env` when given, else from the process (undefined when unset). */
export type EnvReader = (name: string) => string | undefined;

function invalid(name: string, value: string, allowed: string): Error {
  return new Error(
    `${name}="${value}" is not a valid value: use ${allowed}, or unset ${name} for the default.`,
  );
}

/** The variable's value, or undefined when unset or empty. */
function read(env: EnvReader, name: string): string | undefined {
  const value = env(name);
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function flag(env: EnvReader, name: string, fallback: boolean): boolean {
  const value = read(env, name);
  if (value === undefined) return fallback;
  if (value === "1") return true;
  if (value === "0") return false;
  throw invalid(name, value, "0 (off) or 1 (on)");
}

function integer(
  env: EnvReader,
  name: string,
  min: number,
  max: number,
  allowed: string,
): number | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw invalid(name, value, allowed);
  }
  return Number(value);
}

/**
 * Parses the switches from `env` (default: the process environment).
 *
 * @throws Error naming the variable, its value and what is allowed, for any invalid value.
 */
export function parseSpeedConfig(env: EnvReader = processEnv): SpeedConfig {
  const backend = read(env, "KMNIST_BACKEND");
  if (backend !== undefined && !BACKEND_NAMES.includes(backend as BackendName)) {
    throw invalid("KMNIST_BACKEND", backend, BACKEND_NAMES.join(", "));
  }
  const config: SpeedConfig = {
    native: flag(env, "KMNIST_NATIVE", true),
    cc: read(env, "KMNIST_CC") ?? "cc",
    nativeOpenmp: flag(env, "KMNIST_NATIVE_OPENMP", true),
    parallelBlocks: flag(env, "KMNIST_PARALLEL_BLOCKS", true),
    blockedConv: flag(env, "KMNIST_BLOCKED_CONV", true),
    col2imBlock: integer(
      env,
      "KMNIST_COL2IM_BLOCK",
      1,
      2 ** 30,
      "a positive integer (floats per block, e.g. 131072)",
    ) ?? 131_072,
    fusedLayers: flag(env, "KMNIST_FUSED_LAYERS", true),
    directConv: flag(env, "KMNIST_DIRECT_CONV", true),
    phaseDetail: flag(env, "KMNIST_PHASE_DETAIL", false),
  };
  if (backend !== undefined) config.backend = backend as BackendName;
  const openblas = read(env, "KMNIST_OPENBLAS");
  if (openblas !== undefined) config.openblas = openblas;
  const threads = integer(
    env,
    "KMNIST_BLAS_THREADS",
    1,
    4096,
    "a positive integer (OpenBLAS threads, e.g. 1)",
  );
  if (threads !== undefined) config.blasThreads = threads;
  const timeout = integer(
    env,
    "OPENBLAS_THREAD_TIMEOUT",
    0,
    30,
    "an integer from 0 to 30 (OpenBLAS workers spin 2^n cycles)",
  );
  if (timeout !== undefined) config.openblasThreadTimeout = timeout;
  const cache = read(env, "KMNIST_NATIVE_CACHE");
  if (cache !== undefined) config.nativeCache = cache;
  return config;
}

/** The process environment, or nothing when --allow-env is not granted (then the defaults). */
function processEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

let current: SpeedConfig | undefined;

/** The config, read from the environment on first call and kept. */
export function speedConfig(): SpeedConfig {
  current ??= parseSpeedConfig();
  return current;
}

/**
 * Reads the environment again (after a test or tool changed a variable) and returns the new
 * config; `overrides` replace single fields. Call `initBackend` afterwards: it re-registers the
 * kernels when the config changed. Kernels that are already registered keep the old values until
 * then; the OpenBLAS library and the native helpers, once loaded, stay loaded.
 */
export function reloadConfig(overrides: Partial<SpeedConfig> = {}): SpeedConfig {
  current = { ...parseSpeedConfig(), ...overrides };
  return current;
}
