/**
 * The one abstraction: a proxy is a function from a request to an eventual response
 * (Finagle's "your server as a function"), on web-standard `Request`/`Response`.
 *
 * @module
 */
import type { Ctx } from "./ctx.ts";

/** A service answers one request. A failure is a rejected promise holding a typed error. */
export type Service = (req: Request, ctx: Ctx) => Promise<Response>;

/** A filter wraps a service: it sees the request going down and the response coming up. */
export type Filter = (req: Request, ctx: Ctx, next: Service) => Promise<Response>;

/** Health of a node a balancer holds, best first. */
export type Status = "open" | "busy" | "closed";

/**
 * Bind a filter to the service below it. Called once when a stack is built, never per request.
 *
 * @example
 * ```ts
 * import { andThen, type Service } from "./service.ts";
 * const leaf: Service = () => Promise.resolve(new Response("ok"));
 * const svc = andThen((req, ctx, next) => next(req, ctx), leaf);
 * ```
 */
export function andThen(filter: Filter, next: Service): Service {
  return function filtered(req, ctx) {
    return filter(req, ctx, next);
  };
}

/**
 * Call `svc`, turning a synchronous throw into a rejection: what `await svc(req, ctx)` inside an
 * async function gives, for filters written as promise chains (issue 6: no async frame).
 *
 * @example
 * ```ts
 * import { invoke, type Service } from "./service.ts";
 * const broken: Service = () => {
 *   throw new Error("sync");
 * };
 * // invoke(broken, req, ctx) rejects instead of throwing
 * ```
 */
export function invoke(svc: Service, req: Request, ctx: Ctx): Promise<Response> {
  try {
    return svc(req, ctx);
  } catch (e: unknown) {
    return Promise.reject(e);
  }
}

/** Compose filters top to bottom over a leaf service; `null` entries (disabled modules) cost nothing. */
export function stack(filters: readonly (Filter | null)[], leaf: Service): Service {
  let svc = leaf;
  for (let i = filters.length - 1; i >= 0; i--) {
    const f = filters[i];
    if (f) svc = andThen(f, svc);
  }
  return svc;
}

/**
 * A balancer's view of one endpoint: a service plus health and load.
 * Health and lifecycle live here, not on the hot `Service` type.
 */
export interface Node {
  /** `host:port`. */
  readonly id: string;
  /** Load-balancer weight from the namer (fs `* weight`), default 1. */
  readonly weight: number;
  /** Send one request to this endpoint. */
  readonly call: Service;
  /** `open` = healthy, `busy` = marked dead / probing, `closed` = gone. */
  status(): Status;
  /** Outstanding requests (p2c) or a cost (ewma). */
  load(): number;
  /** Release connections and timers. */
  close(): Promise<void>;
}
