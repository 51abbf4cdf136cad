/**
 * Load balancers (`client.loadBalancer`): the client stack's **leaf**. A `Balancer` holds the
 * client's endpoint `Node`s (updated from discovery) and picks one per attempt; the algorithm
 * is a {@link Distributor} (`p2c` default, `ewma`, `aperture`, `heap`, `roundRobin`) and this
 * file adds the behaviour they all share:
 *
 * - **maxEffort** (default 5): when the picked node is not `open` (failure accrual marked it
 *   dead, or it is probing) and some node is open, pick again up to `maxEffort` times, then
 *   fall back to the least-loaded open node (Finagle would send to the busy node instead).
 * - **panic mode** (better than Linkerd, as Envoy): when *no* node is open — e.g. accrual
 *   marked every endpoint dead during a deploy — balance over all of them anyway instead of
 *   failing with "No hosts are available", and count it (`panicCount`). Recovery happens
 *   through accrual's probes.
 * - **weights** from the namer are honoured by every distributor (see `distributor.ts`).
 * - gauges: `size`, `available` (open nodes), `panicCount`; per endpoint via `nodes`.
 *
 * `balancerService` turns a balancer into the client stack's leaf Service: it picks, records
 * `ctx.endpoint`, and calls the node; with no nodes it rejects with `NoHostsAvailable` (502).
 *
 * Stack position: the **leaf of the client stack**, below client stats and `requeues` (a
 * requeue re-picks); each node is an endpoint stack (`failureAccrual` → `requestTimeout` →
 * pool limit → ctx encode → transport). Linkerd keys: `kind`, `maxEffort`, `decayTimeMs`,
 * `smoothWindowMs`, `lowLoad`, `highLoad`, `minAperture`; `enableProbation` is the client
 * stack's (`router/stacks.ts`): an endpoint removed from discovery stays while healthy.
 *
 * @example
 * ```ts
 * import { balancerService, createBalancer } from "./balancer.ts";
 * import { endpointNode } from "./node.ts";
 * import { systemClock } from "../../router/core/clock.ts";
 * const balancer = createBalancer("p2c", {}, systemClock);
 * balancer.update([
 *   endpointNode({ id: "10.0.0.1:80", call: () => Promise.resolve(new Response("a")) }),
 *   endpointNode({ id: "10.0.0.2:80", call: () => Promise.resolve(new Response("b")) }),
 * ]);
 * const leaf = balancerService(balancer);
 * ```
 *
 * @module
 */
import type { Clock } from "../../router/core/clock.ts";
import type { Ctx } from "../../router/core/ctx.ts";
import type { Node, Service } from "../../router/core/service.ts";
import { NoHostsAvailable } from "../../router/core/errors.ts";
import { costOf, type Distributor } from "./distributor.ts";
import { aperture } from "./aperture.ts";
import { ewma } from "./ewma.ts";
import { heap } from "./heap.ts";
import { p2c } from "./p2c.ts";
import { roundRobin } from "./round_robin.ts";

/** The Linkerd `loadBalancer.kind` values. */
export const BALANCER_KINDS = ["p2c", "ewma", "aperture", "heap", "roundRobin"] as const;

/** A supported kind. */
export type BalancerKind = typeof BALANCER_KINDS[number];

/** Linkerd's `loadBalancer` params (the ones a kind does not use are ignored). */
export interface BalancerParams {
  /** Re-picks when the chosen node is not open (default 5). */
  readonly maxEffort?: number | undefined;
  /** `ewma` decay, ms (default 10 000). */
  readonly decayTimeMs?: number | undefined;
  /** `aperture` load smoothing, ms (default 5000). */
  readonly smoothWindowMs?: number | undefined;
  /** `aperture` narrow threshold (default 0.5). */
  readonly lowLoad?: number | undefined;
  /** `aperture` widen threshold (default 2.0). */
  readonly highLoad?: number | undefined;
  /** `aperture` minimum size (default 1). */
  readonly minAperture?: number | undefined;
  /** Not read here: the client stack keeps removed endpoints that are still healthy. */
  readonly enableProbation?: boolean | undefined;
}

/** A client's load balancer. */
export interface Balancer {
  /** Replace the endpoint set (from discovery). The caller owns node lifecycles. */
  update(nodes: readonly Node[]): void;
  /**
   * Choose a node for one attempt.
   *
   * @throws {NoHostsAvailable} when there are no nodes
   */
  pick(): Node;
  /** The nodes picks come from (possibly wrapped by the distributor, e.g. `EwmaNode`). */
  readonly nodes: readonly Node[];
  /** Number of nodes (gauge `size`). */
  readonly size: number;
  /** Number of `open` nodes (gauge `available`; O(n)). */
  readonly available: number;
  /** Picks made in panic mode, with no open node (counter). */
  readonly panicCount: number;
}

/** Options of {@link balancerOf}. */
export interface BalancerOptions {
  /** Re-picks when the chosen node is not open (default 5). */
  readonly maxEffort?: number | undefined;
  /** Called on every pick made in panic mode. */
  readonly onPanic?: (() => void) | undefined;
}

class SharedBalancer implements Balancer {
  readonly #dist: Distributor;
  readonly #maxEffort: number;
  readonly #onPanic: (() => void) | undefined;
  #nodes: readonly Node[] = [];
  #scan = 0;
  panicCount = 0;

  constructor(dist: Distributor, opts: BalancerOptions) {
    this.#dist = dist;
    this.#maxEffort = Math.max(0, opts.maxEffort ?? 5);
    this.#onPanic = opts.onPanic;
  }

  update(nodes: readonly Node[]): void {
    this.#nodes = this.#dist.update(nodes);
  }

  get nodes(): readonly Node[] {
    return this.#nodes;
  }

  get size(): number {
    return this.#nodes.length;
  }

  get available(): number {
    let n = 0;
    for (const node of this.#nodes) if (node.status() === "open") n++;
    return n;
  }

  pick(): Node {
    if (this.#nodes.length === 0) throw new NoHostsAvailable("No hosts are available");
    const first = this.#dist.pick();
    if (first.status() === "open") return first;
    if (this.available === 0) {
      // Panic: nothing is open, so balance over everything rather than fail.
      this.panicCount++;
      this.#onPanic?.();
      return first;
    }
    for (let i = 0; i < this.#maxEffort; i++) {
      const node = this.#dist.pick();
      if (node.status() === "open") return node;
    }
    return this.#leastLoadedOpen() ?? first;
  }

  /** Scan from a rotating offset so ties spread. */
  #leastLoadedOpen(): Node | undefined {
    const nodes = this.#nodes;
    const n = nodes.length;
    this.#scan = (this.#scan + 1) % n;
    let best: Node | undefined;
    let bestCost = Infinity;
    for (let k = 0; k < n; k++) {
      const node = nodes[(this.#scan + k) % n]!;
      if (node.status() !== "open") continue;
      const c = costOf(node);
      if (!best || c < bestCost) {
        best = node;
        bestCost = c;
      }
    }
    return best;
  }
}

/**
 * A balancer over any distributor.
 *
 * @param distributor the algorithm
 * @param opts maxEffort and panic hook
 * @returns the balancer
 *
 * @example
 * ```ts
 * import { balancerOf } from "./balancer.ts";
 * import { p2c } from "./p2c.ts";
 * const balancer = balancerOf(p2c(Math.random), { maxEffort: 5, onPanic: () => {} });
 * ```
 */
export function balancerOf(distributor: Distributor, opts: BalancerOptions = {}): Balancer {
  return new SharedBalancer(distributor, opts);
}

/**
 * A balancer for a Linkerd kind.
 *
 * @param kind `p2c` | `ewma` | `aperture` | `heap` | `roundRobin`
 * @param params Linkerd's `loadBalancer` params
 * @param clock time and randomness
 * @returns the balancer
 * @throws {Error} for an unknown kind
 *
 * @example
 * ```ts
 * import { createBalancer } from "./balancer.ts";
 * import { systemClock } from "../../router/core/clock.ts";
 * const balancer = createBalancer("ewma", { maxEffort: 5, decayTimeMs: 10_000 }, systemClock);
 * ```
 */
export function createBalancer(
  kind: BalancerKind | string,
  params: BalancerParams,
  clock: Clock,
): Balancer {
  const random = () => clock.random();
  let dist: Distributor;
  switch (kind) {
    case "p2c":
      dist = p2c(random);
      break;
    case "ewma":
      dist = ewma({ decayTimeMs: params.decayTimeMs, clock });
      break;
    case "aperture":
      dist = aperture({
        smoothWindowMs: params.smoothWindowMs,
        lowLoad: params.lowLoad,
        highLoad: params.highLoad,
        minAperture: params.minAperture,
        clock,
      });
      break;
    case "heap":
      dist = heap();
      break;
    case "roundRobin":
      dist = roundRobin();
      break;
    default:
      throw new Error(`unknown loadBalancer kind: ${kind}`);
  }
  return balancerOf(dist, { maxEffort: params.maxEffort });
}

/** Options of {@link balancerService}. */
export interface BalancerServiceOptions {
  /** The error when there are no nodes (default: Linkerd's "No hosts are available for ..."). */
  readonly noHosts?: ((ctx: Ctx) => Error) | undefined;
}

/**
 * The client stack's leaf: pick a node, record `ctx.endpoint`, call it.
 *
 * @param balancer the client's balancer
 * @param opts the no-hosts error
 * @returns the leaf Service
 * @throws {NoHostsAvailable} (as a rejection) when the balancer is empty
 *
 * @example
 * ```ts
 * import { balancerService, createBalancer } from "./balancer.ts";
 * import { systemClock } from "../../router/core/clock.ts";
 * const leaf = balancerService(createBalancer("p2c", {}, systemClock));
 * ```
 */
export function balancerService(balancer: Balancer, opts: BalancerServiceOptions = {}): Service {
  const noHosts = opts.noHosts ??
    ((ctx: Ctx) =>
      new NoHostsAvailable(
        ctx.noHosts ||
          `No hosts are available for ${ctx.dstStr || ctx.bound?.idStr || ctx.host}`,
      ));
  return function balanced(req, ctx) {
    if (balancer.size === 0) return Promise.reject(noHosts(ctx));
    const node = balancer.pick();
    ctx.endpoint = node.id;
    return node.call(req, ctx);
  };
}
