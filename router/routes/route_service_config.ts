/**
 * Per-route `responseClassifier` of `switchyard.routes`. The classifier lives in the path stack,
 * which is built (and cached) per logical name, so a route's classifier applies to the route's
 * `dst` name: the router's `service` block is rewritten into an `io.l5d.static` one with one
 * extra entry per classified route, `{prefix: <route dst>, responseClassifier}`, after the
 * router's own entries (later entries win, as in Linkerd). A `{param}` in the dst is a
 * `{capture}` of the static-config prefix syntax, so `/svc/users/{id}` covers every user.
 *
 * Consequence: two routes with the same dst share one classifier (the later route's). Give a
 * route a distinct dst (e.g. `/svc/users-writes`) when it needs its own classifier.
 *
 * @example
 * ```ts
 * import { serviceBlockSchema } from "../config/service_schema.ts";
 * import { resolveServiceParams } from "../config/prefix_params.ts";
 * import { routeServiceConfig } from "./route_service_config.ts";
 * const service = routeServiceConfig(serviceBlockSchema.parse({}), [{
 *   match: { path: "/pay/*" },
 *   dst: "/svc/pay",
 *   responseClassifier: { kind: "io.l5d.http.retryableIdempotent5XX" },
 * }]);
 * resolveServiceParams(service, "/svc/pay").responseClassifier.kind; // "io.l5d.http.retryableIdempotent5XX"
 * ```
 *
 * @module
 */
import type { RouteConfig, ServiceConfig, ServicePrefixConfig } from "../config/mod.ts";

/**
 * The service block with per-route classifiers added.
 *
 * @param service The router's `service` block.
 * @param routes Every route of the router's `switchyard.routes` identifiers, in order.
 * @returns `service` itself when no route sets a classifier, else an `io.l5d.static` block.
 */
export function routeServiceConfig(
  service: ServiceConfig,
  routes: readonly RouteConfig[],
): ServiceConfig {
  const extra: ServicePrefixConfig[] = [];
  for (const r of routes) {
    if (r.responseClassifier !== undefined) {
      extra.push({ prefix: r.dst, responseClassifier: r.responseClassifier });
    }
  }
  if (extra.length === 0) return service;
  if (service.kind === "io.l5d.static") {
    return { kind: "io.l5d.static", configs: [...service.configs, ...extra] };
  }
  const { kind: _kind, totalTimeoutMs, ...rest } = service;
  const base: ServicePrefixConfig = totalTimeoutMs === undefined
    ? { prefix: "/", ...rest }
    : { prefix: "/", ...rest, totalTimeoutMs };
  return { kind: "io.l5d.static", configs: [base, ...extra] };
}
