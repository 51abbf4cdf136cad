/**
 * The dashboard's admin routes, loaded on first use. The pages, scripts and styles (uPlot
 * included, ~0.4 MB of text) and the summary code are imported when the first dashboard request
 * arrives, not when the admin server starts: an idle proxy whose dashboard nobody opens does not
 * hold them (issue 6, idle RSS). `deno compile` still embeds them (the import is static text).
 *
 * @module
 */
import type { AdminHandler } from "../handler.ts";
import type { DashboardDeps } from "./dashboard.ts";

/** The paths {@link dashboardHandlers} serves (checked against it by the tests). */
export const DASHBOARD_PATHS: readonly string[] = Object.freeze([
  "/",
  "/delegator",
  "/dashboard/favicon.svg",
  "/favicon.ico",
  "/files/*",
  "/admin/files/*",
  "/admin/api/summary.json",
]);

/**
 * The dashboard's handlers, each importing and building the real ones on its first request
 * (built once, shared by all paths).
 *
 * @param deps The registry (and summary cache TTL) the dashboard reads.
 * @returns One handler per path of {@link DASHBOARD_PATHS}.
 * @example
 * ```ts
 * import { lazyDashboardHandlers } from "./lazy.ts";
 * import { createRegistry } from "../../metrics/mod.ts";
 * const handlers = lazyDashboardHandlers({ registry: createRegistry() });
 * handlers.map((h) => h.path); // ["/", "/delegator", "/dashboard/favicon.svg", "/files/*", …]
 * ```
 */
export function lazyDashboardHandlers(deps: DashboardDeps): AdminHandler[] {
  let real: Promise<Map<string, AdminHandler>> | undefined;
  const load = () =>
    real ??= import("./dashboard.ts").then((m) =>
      new Map(m.dashboardHandlers(deps).map((h) => [h.path, h]))
    );
  return DASHBOARD_PATHS.map((path) => ({
    path,
    async handler(req: Request): Promise<Response> {
      const h = (await load()).get(path);
      return h ? await h.handler(req) : new Response("not found", { status: 404 });
    },
  }));
}
