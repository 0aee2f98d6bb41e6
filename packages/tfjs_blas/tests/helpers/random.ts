/**
 * Seeded randomness for the package's tests, so that they need nothing from the research code:
 * the same mulberry32 sequence as lib/data/random.ts's createRandom.
 *
 * @module
 */

/** A seeded uniform generator on [0, 1) (mulberry32). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return function next(): number {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
