/**
 * Seeded randomness for everything that shuffles or samples outside tfjs.
 *
 * @module
 */

/**
 * A seeded uniform generator on [0, 1) (mulberry32): the same seed gives the same sequence on every
 * machine.
 *
 * @param seed any integer; only its low 32 bits are used.
 */
export function createRandom(seed: number): () => number {
  if (!Number.isFinite(seed)) {
    throw new Error(`createRandom: seed must be a finite number, got ${seed}.`);
  }
  let state = seed >>> 0;
  return function next(): number {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The indices 0..count-1 in a seeded random order (Fisher-Yates). */
export function shuffledIndices(count: number, seed: number): Int32Array {
  if (!Number.isInteger(count) || count < 0) {
    throw new Error(`shuffledIndices: count must be a non-negative integer, got ${count}.`);
  }
  const random = createRandom(seed);
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = order[i];
    order[i] = order[j];
    order[j] = swap;
  }
  return order;
}

/** Options for {@link batchIndices}. */
export interface BatchOptions {
  /** Images per batch; the last batch holds the remainder. */
  batchSize: number;
  /** Seed of the shuffle (use a different seed per epoch, e.g. `seed + epoch`). Default 0. */
  seed?: number;
  /** Shuffle before batching (default true); false keeps the natural order. */
  shuffle?: boolean;
}

/**
 * Splits 0..count-1 into batches of indices, shuffled with a seed unless `shuffle` is false.
 * Every index appears exactly once; the last batch may be smaller.
 */
export function batchIndices(count: number, options: BatchOptions): Int32Array[] {
  const { batchSize, seed = 0, shuffle = true } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batchIndices: batchSize must be a positive integer, got ${batchSize}.`);
  }
  let order: Int32Array;
  if (shuffle) {
    order = shuffledIndices(count, seed);
  } else {
    order = new Int32Array(count);
    for (let i = 0; i < count; i++) order[i] = i;
  }
  const batches: Int32Array[] = [];
  for (let start = 0; start < count; start += batchSize) {
    batches.push(order.subarray(start, Math.min(start + batchSize, count)));
  }
  return batches;
}
