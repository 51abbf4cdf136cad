/**
 * A `Node` whose endpoint stack is built on its first request (Finagle builds an endpoint's
 * stack on its first `apply` too). Until then it is what a fresh endpoint stack would report:
 * `open`, load 0, the namer's weight; after, it delegates everything to the built node. A
 * client with many endpoints (1000 services × 10 endpoints in the fs namer, issue 6) pays for
 * the stack, its metrics and its failure accrual only on the endpoints it actually uses.
 *
 * An unbuilt node is one small object: no closures and no id string yet (`spec` is shared by a
 * client's nodes and gets the node's `arg`). `make` must not throw; `close()` before the first
 * request builds nothing.
 *
 * @example
 * ```ts
 * import { lazyNode } from "./lazy_node.ts";
 * import { endpointNode } from "./node.ts";
 * const node = lazyNode("10.0.0.1:80", 1, {
 *   idOf: (addr: string) => addr,
 *   make: (id) => endpointNode({ id, call: () => Promise.resolve(new Response("ok")) }),
 * });
 * node.status(); // "open": nothing built yet
 * ```
 *
 * @module
 */
import type { Ctx } from "../../router/core/ctx.ts";
import type { Node, Status } from "../../router/core/service.ts";

/** A node built on first use. */
export interface LazyNode extends Node {
  /** The built node, once a request went through. */
  readonly built: Node | undefined;
}

class Lazy<A> implements LazyNode {
  readonly weight: number;
  built: Node | undefined = undefined;
  #arg: A | undefined;
  readonly #spec: LazySpec<A>;
  #closed = false;

  constructor(arg: A, weight: number, spec: LazySpec<A>) {
    this.#arg = arg;
    this.weight = weight;
    this.#spec = spec;
  }

  /**
   * `host:port`: the built node's, or made when read before the first request (an endpoint that
   * is never used never needs it; not kept, one field less per endpoint, issue 6).
   */
  get id(): string {
    return this.built?.id ?? this.#spec.idOf(this.#arg as A);
  }

  status(): Status {
    const b = this.built;
    if (b !== undefined) return b.status();
    return this.#closed ? "closed" : "open";
  }

  load(): number {
    return this.built?.load() ?? 0;
  }

  close(): Promise<void> {
    this.#closed = true;
    return this.built?.close() ?? Promise.resolve();
  }

  /** Send one request, building the endpoint stack first if this is the first. */
  call(req: Request, ctx: Ctx): Promise<Response> {
    let b = this.built;
    if (b === undefined) {
      if (this.#closed) return Promise.reject(new Error(`endpoint ${this.id} is closed`));
      this.built = b = this.#spec.make(this.id, this.#arg as A);
    }
    return b.call(req, ctx);
  }
}

/** How a client's lazy nodes get their id and their stack (shared by all of them). */
export interface LazySpec<A> {
  /** The node's id (`host:port`) from its argument. */
  readonly idOf: (arg: A) => string;
  /** Builds the endpoint node (stack, metrics, accrual); called at most once per node. */
  readonly make: (id: string, arg: A) => Node;
}

/**
 * Make a node that builds its endpoint stack on the first request.
 *
 * @param arg what the node is built from (e.g. the namer's address)
 * @param weight balancer weight (from the namer)
 * @param spec id and builder, shared by a client's nodes
 * @returns the node; `call` is a method (call it on the node)
 *
 * @example
 * ```ts
 * import { lazyNode } from "./lazy_node.ts";
 * import { endpointNode } from "./node.ts";
 * const spec = {
 *   idOf: (port: number) => `10.0.0.1:${port}`,
 *   make: (id: string) => endpointNode({ id, call: () => Promise.resolve(new Response()) }),
 * };
 * const node = lazyNode(80, 2, spec);
 * ```
 */
export function lazyNode<A>(arg: A, weight: number, spec: LazySpec<A>): LazyNode {
  return new Lazy(arg, weight, spec);
}
