/**
 * The algorithm half of a load balancer. A `Distributor` only chooses among its current nodes;
 * the shared `Balancer` (balancer.ts) adds `maxEffort` re-picks, the open-node fallback, panic
 * mode and counters, so every algorithm behaves the same at the edges.
 *
 * Conventions every distributor follows: prefer the better `status()` (open > busy > closed),
 * then the lower **cost** = `load() / weight` (so a weight-2 node carries twice the load at the
 * same cost), and sample candidates in proportion to weight.
 *
 * @module
 */
import type { Node, Status } from "../../router/core/service.ts";

/** A balancing algorithm over a node list. */
export interface Distributor {
  /** The Linkerd `loadBalancer.kind`. */
  readonly kind: string;
  /**
   * Replace the node list.
   *
   * @returns the nodes `pick()` returns from (a distributor may wrap nodes to observe calls)
   */
  update(nodes: readonly Node[]): readonly Node[];
  /** Choose one node; only called when there is at least one. */
  pick(): Node;
}

/**
 * Order of statuses, best first.
 *
 * @returns 0 open, 1 busy, 2 closed
 */
export function statusRank(s: Status): number {
  return s === "open" ? 0 : s === "busy" ? 1 : 2;
}

/**
 * Load per unit of weight.
 *
 * @returns `load() / weight`, Infinity for a non-positive weight
 */
export function costOf(node: Node): number {
  return node.weight > 0 ? node.load() / node.weight : Infinity;
}

/**
 * The better of two nodes: better status, then lower cost; `a` on ties.
 *
 * @returns `a` or `b`
 *
 * @example
 * ```ts
 * import { better } from "./distributor.ts";
 * import { endpointNode } from "./node.ts";
 * const call = () => Promise.resolve(new Response());
 * better(endpointNode({ id: "a", call }), endpointNode({ id: "b", call })).id; // "a"
 * ```
 */
export function better(a: Node, b: Node): Node {
  const ra = statusRank(a.status()), rb = statusRank(b.status());
  if (ra !== rb) return ra < rb ? a : b;
  return costOf(b) < costOf(a) ? b : a;
}
