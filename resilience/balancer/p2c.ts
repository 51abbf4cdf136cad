/**
 * `p2c` (Linkerd's default `loadBalancer.kind`): power of two choices, least outstanding.
 * Draw two distinct nodes at random (in proportion to weight), send to the better one: open
 * before busy, then fewer outstanding requests per unit of weight (`load() / weight`; an
 * endpoint `Node` reports outstanding requests as its load). Two draws, no array copies.
 *
 * @example
 * ```ts
 * import { p2c } from "./p2c.ts";
 * const dist = p2c(Math.random);
 * ```
 *
 * @module
 */
import type { Node } from "../../router/core/service.ts";
import { better, type Distributor } from "./distributor.ts";
import { WeightedSampler } from "./_weighted.ts";

/** The Linkerd kind. */
export const kind = "p2c";

/**
 * A p2c distributor.
 *
 * @param random uniform [0, 1) (use `clock.random`)
 * @returns the distributor
 *
 * @example
 * ```ts
 * import { p2c } from "./p2c.ts";
 * const dist = p2c(Math.random);
 * ```
 */
export function p2c(random: () => number): Distributor {
  let nodes: readonly Node[] = [];
  const sampler = new WeightedSampler();
  return {
    kind,
    update(next) {
      nodes = next;
      sampler.reset(next);
      return next;
    },
    pick() {
      const n = nodes.length;
      if (n === 1) return nodes[0]!;
      const a = sampler.one(random());
      const b = sampler.other(a, random());
      return better(nodes[a]!, nodes[b]!);
    },
  };
}
