/**
 * `roundRobin`: nodes in turn. With equal weights, a counter (exactly even). With weights,
 * smooth weighted round-robin (nginx's): every pick adds each node's weight to its credit,
 * takes the node with the most credit and charges it the total — exact proportions, evenly
 * interleaved. Status is not consulted here: the balancer re-picks (the next node in turn) when
 * the chosen one is not open.
 *
 * @example
 * ```ts
 * import { roundRobin } from "./round_robin.ts";
 * const dist = roundRobin();
 * ```
 *
 * @module
 */
import type { Node } from "../../router/core/service.ts";
import type { Distributor } from "./distributor.ts";
import { weightOf } from "./_weighted.ts";

/** The Linkerd kind. */
export const kind = "roundRobin";

/**
 * A round-robin distributor.
 *
 * @returns the distributor
 *
 * @example
 * ```ts
 * import { roundRobin } from "./round_robin.ts";
 * const dist = roundRobin();
 * ```
 */
export function roundRobin(): Distributor {
  let nodes: readonly Node[] = [];
  let next = 0;
  let weighted = false;
  let credit = new Float64Array(0);
  let weights = new Float64Array(0);
  let total = 0;
  return {
    kind,
    update(list) {
      nodes = list;
      next = list.length > 0 ? next % list.length : 0;
      weights = Float64Array.from(list, weightOf);
      total = weights.reduce((a, b) => a + b, 0);
      weighted = total > 0 && weights.some((w) => w !== weights[0]);
      credit = new Float64Array(list.length);
      return list;
    },
    pick() {
      if (!weighted) {
        const node = nodes[next]!;
        next = (next + 1) % nodes.length;
        return node;
      }
      let best = 0;
      for (let i = 0; i < nodes.length; i++) {
        credit[i]! += weights[i]!;
        if (credit[i]! > credit[best]!) best = i;
      }
      credit[best]! -= total;
      return nodes[best]!;
    },
  };
}
