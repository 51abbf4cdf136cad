/**
 * Weighted random index sampling for the balancers, with no per-pick allocation: cumulative
 * weights are built once per `update`, a pick is a binary search (or one multiply when every
 * weight is equal). `other` draws a second, distinct index with probability proportional to
 * weight among the rest, by skipping the first index's segment. Every draw can be limited to a
 * prefix of the nodes (the aperture).
 *
 * @module
 */
import type { Node } from "../../router/core/service.ts";

/** The table of a sampler that needs none (length 0: nothing can be written to it). */
const NO_WEIGHTS = new Float64Array(0);

/** Samples node indices proportionally to `weight`. */
export class WeightedSampler {
  /** Cumulative weights; empty while every node weighs the same (no table needed, issue 6). */
  #cum: Float64Array = NO_WEIGHTS;
  #n = 0;
  #uniform = true;

  /** Rebuild for a node list (call from `update`). */
  reset(nodes: readonly Node[]): void {
    this.#n = nodes.length;
    const w0 = nodes[0]?.weight;
    if (nodes.every((n) => n.weight === w0)) {
      this.#uniform = true;
      this.#cum = NO_WEIGHTS;
      return;
    }
    const cum = new Float64Array(nodes.length);
    let sum = 0;
    for (let i = 0; i < nodes.length; i++) {
      sum += weightOf(nodes[i]!);
      cum[i] = sum;
    }
    // All-zero weights: treat as uniform rather than never picking anything.
    this.#uniform = sum === 0;
    this.#cum = sum === 0 ? NO_WEIGHTS : cum;
  }

  /**
   * One index in `[0, n)`.
   *
   * @param r uniform [0, 1)
   * @param n prefix length (≥ 1)
   */
  one(r: number, n: number = this.#n): number {
    if (this.#uniform) return Math.floor(r * n);
    return this.#search(r * this.#cum[n - 1]!, n);
  }

  /**
   * An index in `[0, n)` other than `a`.
   *
   * @param a the first index
   * @param r uniform [0, 1)
   * @param n prefix length (≥ 2)
   */
  other(a: number, r: number, n: number = this.#n): number {
    if (!this.#uniform) {
      const wa = this.#cum[a]! - (a > 0 ? this.#cum[a - 1]! : 0);
      const rest = this.#cum[n - 1]! - wa;
      if (rest > 0) {
        let x = r * rest;
        if (x >= this.#cum[a]! - wa) x += wa;
        const b = this.#search(x, n);
        if (b !== a) return b;
      }
    }
    const b = Math.floor(r * (n - 1));
    return b >= a ? b + 1 : b;
  }

  /** Smallest i < n with cum[i] > x (skips zero-weight nodes); clamps to the last positive. */
  #search(x: number, n: number): number {
    const cum = this.#cum;
    let lo = 0, hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    while (lo > 0 && cum[lo]! === cum[lo - 1]!) lo--;
    return lo;
  }
}

/** A node's weight as a sampling weight (negative or NaN → 0). */
export function weightOf(node: Node): number {
  const w = node.weight;
  return w > 0 ? w : 0;
}
