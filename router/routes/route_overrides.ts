/**
 * Per-route overrides of `switchyard.routes`: `timeoutMs`, `responseClassifier`,
 * `requestHeaders`, `responseHeaders` (`rewrite` travels in the identifier's `target`).
 *
 * The matched route rides in the request context as `ctx.extra.route` (a {@linkcode RouteMatch}).
 * Two ways to apply it, same semantics:
 *
 * - {@linkcode routeOverrides}: a `Filter` that reads `ctx.extra.route`. The intended home is the
 *   top of the path stack (above service stats), once `router.ts` copies the identifier's route
 *   into `ctx.extra` (a two-line change: `Identified` gains `route?`, `serve` sets it).
 * - {@linkcode withRouteOverrides}: what the linker uses today without touching `router.ts`: it
 *   wraps a `Router`, finds the route the identifiers will pick (running the identifiers listed
 *   before the route table, so a request another identifier names gets no route overrides),
 *   records it, and applies the same filter around `router.serve`.
 *
 * Semantics:
 * - `timeoutMs` shrinks the request deadline: `ctx.deadline = min(ctx.deadline, now + timeoutMs)`.
 *   The path stack's `totalTimeout` filter enforces it below service stats (a timed-out request
 *   counts as a failure and answers 503 with `l5d-err`), it bounds every retry, and it is
 *   propagated upstream as `l5d-ctx-deadline`, like `service.totalTimeoutMs`.
 * - `responseClassifier` is the request's classifier (`ctx.classifier`): the path stack keeps a
 *   classifier a route set, so its retries, stats and failure accrual judge this route's requests
 *   with it, and another route with the same `dst` keeps the service's own.
 * - `requestHeaders`: `remove` then `add` (set, replacing), on a copy of the request (inbound
 *   headers are immutable). `add: {host: …}` sets the forwarded Host (`ctx.host`); removing
 *   `host` is ignored. Router headers (`l5d-dst-*`, `Via`, `l5d-ctx-*`) are set after and win.
 * - `responseHeaders`: `remove` then `add` on the upstream response. Error responses the router
 *   makes itself (rescued 4xx/5xx with `l5d-err`) are not edited.
 *
 * @example
 * ```ts
 * import { routeOverrides } from "./route_overrides.ts";
 * import { systemClock } from "../core/clock.ts";
 * const filter = routeOverrides(systemClock); // insert at the top of the path stack
 * ```
 *
 * @module
 */
import type { Clock } from "../core/clock.ts";
import type { Ctx } from "../core/ctx.ts";
import type { Filter, Service } from "../core/service.ts";
import type { Router } from "../router.ts";
import type { Identifier } from "../identify/identifier.ts";
import type { HeaderEdits, RouteMatch, RouteTable } from "./route_table.ts";
import { matchMemo, type RouteMemo } from "./route_identifier.ts";
import { classifierFor } from "../../resilience/classifiers.ts";
import type { ResponseClassifier } from "../../resilience/classifier.ts";

/** The `ctx.extra` key holding the matched route. */
export const ROUTE_KEY = "route";

/**
 * The route recorded for this request, if any.
 *
 * @param ctx The request context.
 * @returns The match from `ctx.extra.route`.
 */
export function routeOf(ctx: Ctx): RouteMatch | undefined {
  return ctx.extra?.[ROUTE_KEY] as RouteMatch | undefined;
}

/**
 * Record the route of a request in its context.
 *
 * @param ctx The request context.
 * @param match The match.
 */
export function setRoute(ctx: Ctx, match: RouteMatch): void {
  (ctx.extra ??= {})[ROUTE_KEY] = match;
}

/**
 * Apply a route's request header edits.
 *
 * @param req The request.
 * @param ctx Its context (`host` may change).
 * @param edits The edits.
 * @returns A new request with the edited headers (same method, URL and body).
 */
export function editRequest(req: Request, ctx: Ctx, edits: HeaderEdits): Request {
  const h = new Headers(req.headers);
  for (const name of edits.remove) if (name !== "host") h.delete(name);
  for (const [name, value] of edits.set) {
    if (name === "host") ctx.host = value;
    else h.set(name, value);
  }
  return new Request(req, { headers: h });
}

function applyEdits(h: Headers, edits: HeaderEdits): void {
  for (const name of edits.remove) h.delete(name);
  for (const [name, value] of edits.set) h.set(name, value);
}

/**
 * Apply a route's response header edits.
 *
 * @param rsp The upstream response.
 * @param edits The edits.
 * @returns The response, edited in place when its headers are mutable, else a copy.
 */
export function editResponse(rsp: Response, edits: HeaderEdits): Response {
  try {
    applyEdits(rsp.headers, edits);
    return rsp;
  } catch {
    if (rsp.status < 200) return rsp;
    const h = new Headers(rsp.headers);
    applyEdits(h, edits);
    return new Response(rsp.body, { status: rsp.status, statusText: rsp.statusText, headers: h });
  }
}

const classifiers = new WeakMap<object, ResponseClassifier>();

/** A route's classifier, made once per route. */
function routeClassifier(r: RouteMatch["route"]): ResponseClassifier {
  let c = classifiers.get(r);
  if (c === undefined) {
    c = classifierFor(r.config.responseClassifier!);
    classifiers.set(r, c);
  }
  return c;
}

/** Classifier, deadline and response edits (the request edits are done by the caller). */
function around(
  m: RouteMatch,
  req: Request,
  ctx: Ctx,
  next: Service,
  clock: Clock,
): Promise<Response> {
  const r = m.route;
  if (r.config.responseClassifier !== undefined) ctx.classifier = routeClassifier(r);
  if (r.timeoutMs !== undefined) {
    const d = clock.now() + r.timeoutMs;
    if (d < ctx.deadline) {
      ctx.deadline = d;
      ctx.deadlineBy = `the route's ${r.timeoutMs} ms timeoutMs`;
    }
  }
  const edits = r.responseHeaders;
  if (edits === undefined) return next(req, ctx);
  return next(req, ctx).then((rsp) => editResponse(rsp, edits));
}

/**
 * The per-route override filter: reads `ctx.extra.route` and applies its timeout and header
 * edits; requests without a route pass through untouched.
 *
 * @param clock The clock (deadline arithmetic).
 * @returns The filter. Stack position: above the path stack's `totalTimeout` (which enforces
 *   the deadline) and above service stats.
 * @example
 * ```ts
 * import { routeOverrides } from "./route_overrides.ts";
 * import { systemClock } from "../core/clock.ts";
 * routeOverrides(systemClock).name; // "routeOverridesFilter"
 * ```
 */
export function routeOverrides(clock: Clock): Filter {
  return function routeOverridesFilter(req, ctx, next) {
    const m = routeOf(ctx);
    if (m === undefined) return next(req, ctx);
    const edits = m.route.requestHeaders;
    return around(m, edits ? editRequest(req, ctx, edits) : req, ctx, next, clock);
  };
}

/** What {@linkcode withRouteOverrides} needs. */
export interface RouteOverrideOptions {
  /** The router's route-table identifiers (as placed in `spec.identifiers`) and their tables. */
  readonly tables: ReadonlyMap<Identifier, RouteTable>;
  /** The memo those identifiers were built with. */
  readonly memo: RouteMemo;
  readonly clock: Clock;
}

/**
 * Wrap a router so requests a route table names get that route's overrides.
 *
 * @param router The router snapshot (its `spec.identifiers` hold the table identifiers).
 * @param opts Tables, memo and clock.
 * @returns The same router when it has no route tables, else a wrapper.
 * @example
 * ```ts ignore
 * const router = withRouteOverrides(createRouter(spec, deps), { tables, memo, clock });
 * ```
 */
export function withRouteOverrides(router: Router, opts: RouteOverrideOptions): Router {
  const { tables, memo, clock } = opts;
  const ids = router.spec.identifiers;
  if (tables.size === 0 || !ids.some((id) => tables.has(id))) return router;
  const serve: Service = (req, ctx) => router.serve(req, ctx);

  function select(req: Request, ctx: Ctx): RouteMatch | undefined {
    const input = { req, url: ctx.url, host: ctx.host };
    for (const id of ids) {
      const table = tables.get(id);
      if (table === undefined) {
        if (id(input).ok) return undefined; // an earlier identifier names it: no route
        continue;
      }
      const m = matchMemo(table, input, memo);
      if (m !== undefined) return m;
    }
    return undefined;
  }

  // Every member delegates to the wrapped router (fields through accessors, so a listener's
  // `inflight++` on the wrapper counts on the router); only `serve` is decorated.
  return {
    spec: router.spec,
    newCtx: (req, remoteAddr, signal, opts) => router.newCtx(req, remoteAddr, signal, opts),
    dtab: () => router.dtab(),
    clients: () => router.clients(),
    close: () => router.close(),
    get inflight() {
      return router.inflight;
    },
    set inflight(n: number) {
      router.inflight = n;
    },
    serve(req, ctx) {
      const m = select(req, ctx);
      if (m === undefined) return router.serve(req, ctx);
      setRoute(ctx, m);
      const edits = m.route.requestHeaders;
      if (edits !== undefined) {
        req = editRequest(req, ctx, edits);
        memo.set(req, m); // header edits must not change which route the identifier picks
      }
      return around(m, req, ctx, serve, clock);
    },
  };
}
