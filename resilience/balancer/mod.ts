/**
 * Load balancing: a client's endpoint `Node`s, the algorithms Linkerd 1.x offers
 * (`client.loadBalancer.kind`: `p2c` default, `ewma`, `aperture`, `heap`, `roundRobin`), and
 * what they share — `maxEffort`, panic mode when no endpoint is open, weights. The balancer is
 * the client stack's leaf (`balancerService`); each node is an endpoint stack.
 *
 * @example
 * ```ts
 * import { balancerService, createBalancer, endpointNode } from "./mod.ts";
 * import { systemClock } from "../../router/core/clock.ts";
 * const balancer = createBalancer("ewma", { decayTimeMs: 10_000 }, systemClock);
 * balancer.update([endpointNode({ id: "10.0.0.1:80", call: () => Promise.resolve(new Response()) })]);
 * const leaf = balancerService(balancer);
 * ```
 *
 * @module
 */
export * from "./balancer.ts";
export * from "./distributor.ts";
export {
  CountingNode,
  type EndpointNode,
  endpointNode,
  type EndpointNodeOptions,
  EP_SELF,
} from "./node.ts";
export { type LazyNode, lazyNode, type LazySpec } from "./lazy_node.ts";
export { p2c } from "./p2c.ts";
export { ewma, type EwmaNode, type EwmaOptions } from "./ewma.ts";
export { aperture, type ApertureDistributor, type ApertureOptions } from "./aperture.ts";
export { heap } from "./heap.ts";
export { roundRobin } from "./round_robin.ts";
