/**
 * A small seeded PRNG (mulberry32) for randomized tests, so a failure can be replayed from its
 * seed.
 *
 * @module
 */

/**
 * A uniform [0, 1) source from `seed`.
 *
 * @example
 * ```ts
 * import { prng } from "./prng.ts";
 * const r = prng(42);
 * r() === prng(42)(); // true
 * ```
 */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
