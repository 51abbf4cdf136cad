/**
 * `heap`: always the least-loaded node (Finagle's `HeapBalancer`), by status first, then
 * `load() / weight`. Simplification: instead of a heap kept in sync with every call's start and
 * end, each pick scans the nodes — O(n), but exact for any load source (`load()` may change
 * without notice), allocation-free, and uncontended on one thread; clients hold tens of nodes,
 * not thousands. Ties (e.g. an idle client, everyone at load 0) are broken by smooth weighted
 * round-robin credit, so sequential traffic still honours weights instead of always hitting the
 * first node. Credit is capped at one round, so a node that was busy for a while does not
 * take a burst when it comes back.
 *
 * @example
 * ```ts
 * import { heap } from "./heap.ts";
 * const dist = heap();
 * ```
 *
 * @module
 */
import type { Node } from "../../router/core/service.ts";
import { costOf, type Distributor, statusRank } from "./distributor.ts";
import { weightOf } from "./_weighted.ts";

/** The Linkerd kind. */
export const kind = "heap";

/**
 * A least-loaded distributor.
 *
 * @returns the distributor
 *
 * @example
 * ```ts
 * import { heap } from "./heap.ts";
 * const dist = heap();
 * ```
 */
export function heap(): Distributor {
  let nodes: readonly Node[] = [];
  let credit = new Float64Array(0);
  let weights = new Float64Array(0);
  let total = 0;
  return {
    kind,
    update(next) {
      nodes = next;
      credit = new Float64Array(next.length);
      weights = Float64Array.from(next, weightOf);
      total = weights.reduce((a, b) => a + b, 0);
      if (total === 0) {
        weights.fill(1);
        total = next.length;
      }
      return next;
    },
    pick() {
      let best = 0, bestRank = Infinity, bestCost = Infinity, bestCredit = -Infinity;
      for (let i = 0; i < nodes.length; i++) {
        const node = nodes[i]!;
        const c = (credit[i] = Math.min(credit[i]! + weights[i]!, total));
        const rank = statusRank(node.status());
        if (rank > bestRank) continue;
        const cost = costOf(node);
        if (rank < bestRank || cost < bestCost || (cost === bestCost && c > bestCredit)) {
          best = i;
          bestRank = rank;
          bestCost = cost;
          bestCredit = c;
        }
      }
      credit[best]! -= total;
      return nodes[best]!;
    },
  };
}
