/**
 * The `switchyard.routes` identifier: names a request with the first matching route of a
 * {@linkcode RouteTable}. Its result carries the route's `rewrite` as the `target` to forward
 * (router.ts already honours `target`); the route's other overrides are applied by
 * `route_overrides.ts`.
 *
 * Unlike Linkerd's identifiers it does not prepend `dstPrefix`: a route's `dst` is the whole
 * logical name (`/svc/users/{id}`), as `routes_schema.ts` documents.
 *
 * @example
 * ```ts
 * import { compileRouteTable } from "./route_table.ts";
 * import { routesIdentifier } from "./route_identifier.ts";
 * const id = routesIdentifier(compileRouteTable([{ match: { path: "/a/:x" }, dst: "/svc/{x}" }]));
 * const url = new URL("http://h/a/b");
 * id({ req: new Request(url), url, host: "h" }); // { ok: true, dst: ["svc", "b"] }
 * ```
 *
 * @module
 */
import type { Identifier, IdentifyInput } from "../identify/identifier.ts";
import type { RouteMatch, RouteRequest, RouteTable } from "./route_table.ts";

/** The kind this identifier implements. */
export const kind = "switchyard.routes";

/**
 * A memo of matches by request, shared by the identifier and the override wrapper of one
 * router, so a request is matched once. Owned by whoever builds the router; entries go away with
 * their requests (WeakMap).
 */
export type RouteMemo = WeakMap<Request, RouteMatch | null>;

/**
 * Build the request view a table matches from identifier input.
 *
 * @param input What identifiers see.
 * @returns The route request.
 */
export function routeRequest(input: IdentifyInput): RouteRequest {
  return { method: input.req.method, url: input.url, host: input.host, headers: input.req.headers };
}

/**
 * Match with a memo.
 *
 * @param table The table.
 * @param input What identifiers see.
 * @param memo Optional per-router memo.
 * @returns The match, or undefined.
 */
export function matchMemo(
  table: RouteTable,
  input: IdentifyInput,
  memo: RouteMemo | undefined,
): RouteMatch | undefined {
  if (memo) {
    const hit = memo.get(input.req);
    if (hit !== undefined) return hit ?? undefined;
  }
  const m = table.match(routeRequest(input));
  memo?.set(input.req, m ?? null);
  return m;
}

/**
 * The identifier of a route table.
 *
 * @param table The compiled table.
 * @param memo Optional memo shared with `withRouteOverrides` (avoids matching twice).
 * @returns An identifier: the route's dst (and rewritten target), or why nothing matched.
 * @example
 * ```ts
 * import { compileRouteTable } from "./route_table.ts";
 * import { routesIdentifier } from "./route_identifier.ts";
 * const id = routesIdentifier(compileRouteTable([{ match: { method: ["POST"] }, dst: "/svc/w" }]));
 * const url = new URL("http://h/");
 * id({ req: new Request(url), url, host: "h" }).ok; // false
 * ```
 */
export function routesIdentifier(table: RouteTable, memo?: RouteMemo): Identifier {
  return function identifyRoute(input) {
    const m = matchMemo(table, input, memo);
    if (m === undefined) {
      return {
        ok: false,
        reason:
          `no route of ${kind} matches ${input.req.method} ${input.host}${input.url.pathname}`,
      };
    }
    return m.target === undefined
      ? { ok: true, dst: m.dst }
      : { ok: true, dst: m.dst, target: m.target };
  };
}
