/**
 * Settings that a shared library reads from the environment once, when it is loaded (OpenMP's
 * OMP_WAIT_POLICY, OpenBLAS's OPENBLAS_THREAD_TIMEOUT): set for the dlopen only, then put back,
 * so that child processes (such as the PyTorch reference that tools/bench.ts starts) do not
 * inherit them.
 *
 * @module
 */

/** Runs `load` with the environment variable `name` set to `value`, then restores its old value. */
export function withLoadEnv<T>(name: string, value: string, load: () => T): T {
  const previous = Deno.env.get(name);
  Deno.env.set(name, value);
  try {
    return load();
  } finally {
    if (previous === undefined) Deno.env.delete(name);
    else Deno.env.set(name, previous);
  }
}
