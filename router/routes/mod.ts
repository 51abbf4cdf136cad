/**
 * Hono-style route tables (`identifier: {kind: switchyard.routes, routes: [...]}`, issue 5):
 * an ordered table of `match` (method, Hono path pattern, host, headers, query) → `dst` (a name
 * that may use the pattern's params as `{name}`), with per-route overrides (`timeoutMs`,
 * `responseClassifier`, `requestHeaders` / `responseHeaders` `{add, remove}`, `rewrite {path,
 * stripPrefix}`). The config schema is `router/config/routes_schema.ts`.
 *
 * ```yaml
 * identifier:
 *   kind: switchyard.routes
 *   routes:
 *   - match: {method: GET, path: "/api/users/:id{[0-9]+}", host: api.example.com}
 *     dst: /svc/users/{id}          # {id} → the captured value, raw
 *     timeoutMs: 500
 *     rewrite: {path: "/v2/users/{id}"}
 *   - match: {path: /static/*}
 *     dst: /svc/static
 *     rewrite: {stripPrefix: /static}
 *     responseHeaders: {add: {cache-control: max-age=60}}
 *   - dst: /svc/default            # no match = everything
 * ```
 *
 * `dst` and `rewrite.path` use a route's params as `{name}` (Hono's own `:name` is for patterns
 * only). YAML: inside a flow mapping (`{path: …}`) quote any value holding `{` or `}` —
 * `rewrite: {path: "/v2/{id}"}`, `match: {path: "/p/:id{[0-9]+}"}`; block values need no quotes.
 *
 * - {@linkcode compileRouteTable}: the table (first matching route in table order wins; see
 *   `route_table.ts` for Hono's pattern semantics).
 * - {@linkcode routesIdentifier}: the identifier (dst + rewritten target).
 * - {@linkcode routeOverrides} / {@linkcode withRouteOverrides}: timeouts and header edits.
 * - {@linkcode routerExtensions}: all of the above plus compiled `services:` for one router.
 *
 * @example
 * ```ts
 * import { compileRouteTable, routesIdentifier } from "./mod.ts";
 * const id = routesIdentifier(compileRouteTable([
 *   { match: { path: "/posts/:id{[0-9]+}" }, dst: "/svc/posts/{id}" },
 * ]));
 * const url = new URL("http://blog/posts/7");
 * id({ req: new Request(url), url, host: "blog" }); // { ok: true, dst: ["svc", "posts", "7"] }
 * ```
 *
 * @module
 */
export {
  type CompiledRoute,
  compileRouteTable,
  type HeaderEdits,
  type Params,
  type RouteMatch,
  type RouteRequest,
  type RouteTable,
  RouteTableError,
  type RouteVerdict,
} from "./route_table.ts";
export {
  kind,
  matchMemo,
  type RouteMemo,
  routeRequest,
  routesIdentifier,
} from "./route_identifier.ts";
export {
  editRequest,
  editResponse,
  ROUTE_KEY,
  routeOf,
  type RouteOverrideOptions,
  routeOverrides,
  setRoute,
  withRouteOverrides,
} from "./route_overrides.ts";
export { type RouterExtensions, routerExtensions } from "./router_extensions.ts";
