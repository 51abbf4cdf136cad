/**
 * Issue 5's additions to one router, in one place for the linker (and a reload) to call:
 *
 * - `dentries`: the compiled top-level `services:` that apply to the router, to append to its
 *   dtab (later dentries win; `/delegator.json` then shows them);
 * - `identifier(spec)`: the builder `identifiersFromConfig` calls for `switchyard.routes`;
 * - `service`: the router's `service` block (a route's classifier rides on the request instead);
 * - `wrap(router)`: applies per-route timeouts and header edits (`route_overrides.ts`).
 *
 * Wiring (router/linker.ts):
 * ```ts ignore
 * const ext = routerExtensions(rc, config.services, clock);
 * const spec = { ...routerSpec(rc), dtab: [...dtab, ...ext.dentries],
 *   identifiers: identifiersFromConfig(rc.identifier, prefix, parsePath, ext.identifier) };
 * const stacks = createStacks({ ..., service: ext.service });
 * const router = ext.wrap(createRouter(spec, deps));
 * ```
 *
 * @example
 * ```ts
 * import { routerSchema } from "../config/router_schema.ts";
 * import { systemClock } from "../core/clock.ts";
 * import { routerExtensions } from "./router_extensions.ts";
 * const rc = routerSchema.parse({ protocol: "http" });
 * routerExtensions(rc, [], systemClock).dentries.length; // 0
 * ```
 *
 * @module
 */
import type { Clock } from "../core/clock.ts";
import type { Dtab } from "../dtab/mod.ts";
import type { Identifier } from "../identify/identifier.ts";
import type { Router } from "../router.ts";
import type { RouteConfig, RouterConfig, ServiceConfig, ServiceDefConfig } from "../config/mod.ts";
import { compileServices } from "../services/mod.ts";
import { compileRouteTable, type RouteTable } from "./route_table.ts";
import { kind as routesKind, type RouteMemo, routesIdentifier } from "./route_identifier.ts";
import { withRouteOverrides } from "./route_overrides.ts";

/** What issue 5 adds to one router. */
export interface RouterExtensions {
  /** Compiled `services:` dentries for this router (append after its dtab). */
  readonly dentries: Dtab;
  /** Builds the identifiers of Switchyard kinds (pass to `identifiersFromConfig`). */
  readonly identifier: (spec: { readonly kind: string }) => Identifier | undefined;
  /** The `service` block to build stacks with. */
  readonly service: ServiceConfig;
  /** Route tables by identifier. */
  readonly tables: ReadonlyMap<Identifier, RouteTable>;
  /** Wrap the built router so route overrides apply (identity when there are no routes). */
  wrap(router: Router): Router;
}

/**
 * Build the issue-5 extensions of one router.
 *
 * @param rc The router config.
 * @param services The top-level `services:`.
 * @param clock The clock (per-route deadlines).
 * @returns The extensions.
 * @throws {RouteTableError} when a route's path pattern is not one Hono accepts.
 */
export function routerExtensions(
  rc: RouterConfig,
  services: readonly ServiceDefConfig[],
  clock: Clock,
): RouterExtensions {
  const memo: RouteMemo = new WeakMap();
  const bySpec = new Map<object, Identifier>();
  const tables = new Map<Identifier, RouteTable>();
  const routes: RouteConfig[] = [];
  function build(routeList: readonly RouteConfig[]): Identifier {
    const table = compileRouteTable(routeList);
    const id = routesIdentifier(table, memo);
    tables.set(id, table);
    return id;
  }
  for (const spec of rc.identifier) {
    if (spec.kind !== routesKind) continue;
    bySpec.set(spec, build(spec.routes));
    routes.push(...spec.routes);
  }
  return {
    dentries: compileServices(services, rc.label).dentries,
    identifier(spec) {
      const known = bySpec.get(spec);
      if (known !== undefined || spec.kind !== routesKind) return known;
      return build((spec as unknown as { routes: readonly RouteConfig[] }).routes); // a copy of a spec
    },
    service: rc.service,
    tables,
    wrap: (router) => withRouteOverrides(router, { tables, memo, clock }),
  };
}
