/**
 * The admin dashboard (the admin server's `/`) and the dtab playground (`/delegator`): web pages
 * embedded in the binary, live from `/admin/api/summary.json`, charts drawn with uPlot.
 *
 * Wiring: add `...dashboardHandlers({ registry })` to the admin server's handlers.
 *
 * @example
 * ```ts
 * import { dashboardHandlers, summarize } from "./mod.ts";
 * import { createRegistry } from "../../metrics/mod.ts";
 * const registry = createRegistry();
 * const handlers = dashboardHandlers({ registry });
 * summarize(registry).top.requests; // 0
 * ```
 *
 * @module
 */
export { type DashboardDeps, dashboardHandlers, SUMMARY_PATH } from "./dashboard.ts";
export { type DashboardSources, dashboardSources } from "./assets.ts";
export { inlinePage } from "./page.ts";
export { bundleModules } from "./bundle.ts";
export {
  type ClientSummary,
  type DashboardSummary,
  type EndpointSummary,
  type RouterSummary,
  type ScopeSummary,
  type ServerSummary,
  type ServiceSummary,
  summarize,
  type TopLine,
} from "./summary.ts";
export { type LatencyQuantiles, mixQuantiles } from "./latency_mix.ts";
