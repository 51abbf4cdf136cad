/**
 * The endpoint `Node` a balancer holds: an endpoint stack's Service plus the bookkeeping a
 * balancer needs — `load()` is the number of requests in flight (what `p2c` and `heap`
 * compare), `status()` comes from the transport when it knows better (e.g. `closed` after
 * `close()`), `weight` from the namer (fs `* weight`, default 1).
 *
 * Build order per endpoint: `failureAccrual(endpointNode({id, weight, call: endpointStack}))`,
 * so accrual owns `status()` and the in-flight count covers the whole endpoint stack.
 *
 * @example
 * ```ts
 * import { endpointNode } from "./node.ts";
 * const node = endpointNode({
 *   id: "10.0.0.1:8080",
 *   weight: 2,
 *   call: () => Promise.resolve(new Response("ok")),
 * });
 * node.load(); // 0
 * ```
 *
 * @module
 */
import type { Ctx } from "../../router/core/ctx.ts";
import type { Node, Service, Status } from "../../router/core/service.ts";

/** A Node that counts its requests in flight. */
export interface EndpointNode extends Node {
  /** Requests in flight (the per-endpoint `outstanding` gauge). */
  readonly outstanding: number;
  /**
   * `call` without its own completion reaction: the request counts as outstanding until the
   * caller calls {@linkcode EndpointNode.settled} once, when the returned promise settles. For a
   * wrapper that reacts to the outcome anyway (failure accrual): one reaction per request instead
   * of two (issue 6).
   */
  callUnsettled(req: Request, ctx: Ctx): Promise<Response>;
  /** A request started with {@linkcode EndpointNode.callUnsettled} settled. */
  settled(): void;
}

/** Options of {@link endpointNode}. */
export interface EndpointNodeOptions {
  /** `host:port`. */
  readonly id: string;
  /** Balancer weight (default 1). */
  readonly weight?: number | undefined;
  /** The endpoint stack. */
  readonly call: Service;
  /** Transport health (default `open` until closed). */
  readonly status?: (() => Status) | undefined;
  /** Release the transport's connections. */
  readonly close?: (() => Promise<void>) | undefined;
  /**
   * Set as `ctx.ep` before each call of `call`, when `call` is a stack shared by a client's
   * endpoints that reads the endpoint it serves from there (router/stacks.ts); {@link EP_SELF}:
   * the node itself.
   */
  readonly ep?: unknown;
}

/**
 * `EndpointNodeOptions.ep` for a node that is itself what its endpoint stack reads (a subclass
 * carrying the endpoint's stats and address: one object per endpoint, not two; issue 6).
 */
export const EP_SELF: unique symbol = Symbol("ep: the node itself");

/**
 * The node {@link endpointNode} makes: it counts its requests in flight. A subclass may carry
 * what a shared endpoint stack reads of its endpoint (`ep: EP_SELF`).
 */
export class CountingNode implements EndpointNode {
  readonly id: string;
  readonly weight: number;
  outstanding = 0;
  #closed = false;
  readonly #call: Service;
  readonly #ep: unknown;
  /** The options, kept only when they carry `status` or `close` (one object less per endpoint). */
  readonly #hooks: EndpointNodeOptions | undefined;

  constructor(opts: EndpointNodeOptions) {
    this.id = opts.id;
    this.weight = opts.weight ?? 1;
    this.#call = opts.call;
    this.#ep = opts.ep === EP_SELF ? this : opts.ep;
    this.#hooks = opts.status !== undefined || opts.close !== undefined ? opts : undefined;
  }

  status(): Status {
    if (this.#closed) return "closed";
    return this.#hooks?.status?.() ?? "open";
  }

  load(): number {
    return this.outstanding;
  }

  close(): Promise<void> {
    this.#closed = true;
    return this.#hooks?.close?.() ?? Promise.resolve();
  }

  callUnsettled(req: Request, ctx: Ctx): Promise<Response> {
    this.outstanding++;
    if (this.#ep !== undefined) ctx.ep = this.#ep;
    try {
      return this.#call(req, ctx);
    } catch (e: unknown) {
      return Promise.reject(e); // settles: the caller's settled() counts it out
    }
  }

  settled(): void {
    this.outstanding--;
  }

  /** Send one request (a method, not a per-node closure: call it on the node). */
  call(req: Request, ctx: Ctx): Promise<Response> {
    this.outstanding++;
    if (this.#ep !== undefined) ctx.ep = this.#ep;
    let p: Promise<Response>;
    try {
      p = this.#call(req, ctx);
    } catch (e: unknown) {
      this.outstanding--;
      return Promise.reject(e);
    }
    return p.then(
      (res) => {
        this.outstanding--;
        return res;
      },
      (e: unknown) => {
        this.outstanding--;
        throw e;
      },
    );
  }
}

/**
 * Make an endpoint node.
 *
 * @param opts id, weight, endpoint stack and lifecycle hooks
 * @returns the node
 *
 * @example
 * ```ts
 * import { endpointNode } from "./node.ts";
 * const node = endpointNode({ id: "10.0.0.1:80", call: () => Promise.resolve(new Response()) });
 * ```
 */
export function endpointNode(opts: EndpointNodeOptions): EndpointNode {
  return new CountingNode(opts);
}
