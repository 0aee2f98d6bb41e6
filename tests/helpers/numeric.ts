/**
 * Numeric helpers shared by the kernel and optimizer tests.
 *
 * @module
 */

/** Largest absolute difference over the largest absolute reference value (float32 sums in another order). */
export function relError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let worst = 0;
  let scale = 1e-12;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
  }
  return worst / scale;
}

/** `n` values uniform in [-1, 1) from a seeded generator. */
export function randomArray(random: () => number, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = random() * 2 - 1;
  return a;
}
