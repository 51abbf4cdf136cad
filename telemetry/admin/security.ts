/**
 * Linkerd's `admin.security` (L1 `admin/.../SecurityFilter.scala`, `AdminConfig.scala`
 * `AdminSecurityConfig`): every admin path falls into one category by its path alone (the method
 * does not matter), each category can be switched off, and two regex lists adjust the result.
 *
 * - **ui**: the pages and the data they read: `/`, `/files/.*`, `/admin/files/.*`,
 *   `/config.json`, `/metrics.json`, `/admin/metrics.json`, `/admin/metrics`, `/delegator`,
 *   `/delegator.json`, `/logging`, `/help`.
 * - **control**: `/admin/shutdown`, `/logging.json` (any method, so `GET /logging.json` too).
 * - **diagnostics**: every other path (`/admin/ping`, `/admin/threads`, `/admin/tracing`,
 *   `/client_state.json`, ...).
 *
 * Switchyard-only paths are classified as Linkerd would classify their nearest equivalent:
 * `/admin/reload` (any method; GET is its status) is **control**, like `/admin/shutdown` and
 * `/logging.json`. The dashboard's own assets and data (`/dashboard/favicon.svg`, `/favicon.ico`,
 * `/admin/api/summary.json`) are **ui**, like `/files/.*` and `/admin/metrics.json`, so
 * `uiEnabled: true, diagnosticsEnabled: false` keeps the dashboard working. Everything else
 * (`/metrics`, `/admin/metrics/influxdb`, `/requests`, `/admin/index.txt`, ...) is
 * **diagnostics**, as Linkerd's unlisted paths are.
 *
 * Decision (as `SecurityFilter.apply`): a path matching a `pathBlacklist` regex is refused;
 * otherwise it is served when its category is enabled or it matches a `pathWhitelist` regex.
 * So the whitelist only re-enables paths of a disabled category, and the blacklist only blocks.
 * Regexes match the whole path (Java's `Matcher.matches`). A refused path answers 404, exactly
 * like a path that does not exist.
 *
 * @module
 */

/** An admin path's category. */
export type AdminCategory = "ui" | "control" | "diagnostics";

/** `admin.security` as configured (defaults: everything enabled, no lists). */
export interface AdminSecurity {
  readonly uiEnabled?: boolean | undefined;
  readonly controlEnabled?: boolean | undefined;
  readonly diagnosticsEnabled?: boolean | undefined;
  readonly pathWhitelist?: readonly string[] | undefined;
  readonly pathBlacklist?: readonly string[] | undefined;
}

function whole(re: string): RegExp {
  return new RegExp(`^(?:${re})$`);
}

const UI: readonly RegExp[] = [
  // Linkerd's UiCategory, verbatim.
  "/",
  "/files/.*",
  "/admin/files/.*",
  "/config[.]json",
  "/metrics[.]json",
  "/admin/metrics[.]json",
  "/admin/metrics",
  "/delegator",
  "/delegator[.]json",
  "/logging",
  "/help",
  // Switchyard's dashboard: its icon and the data it polls.
  "/dashboard/favicon[.]svg",
  "/favicon[.]ico",
  "/admin/api/summary[.]json",
  "/delegator/dtabs[.]json",
].map(whole);

const CONTROL: readonly RegExp[] = [
  // Linkerd's ControlCategory, verbatim.
  "/admin/shutdown",
  "/logging[.]json",
  // Switchyard's config reload (SIGHUP over HTTP).
  "/admin/reload",
].map(whole);

/**
 * The category of an admin path.
 *
 * @param path The request path, without the query.
 * @returns `ui`, `control` or `diagnostics`.
 * @example
 * ```ts
 * import { adminCategory } from "./security.ts";
 * adminCategory("/admin/shutdown"); // "control"
 * ```
 */
export function adminCategory(path: string): AdminCategory {
  if (UI.some((re) => re.test(path))) return "ui";
  if (CONTROL.some((re) => re.test(path))) return "control";
  return "diagnostics";
}

/**
 * Build the allow/refuse decision for one `admin.security` setting (regexes compiled once).
 *
 * @param sec The setting.
 * @returns `allowed(path)`: false means answer 404.
 * @example
 * ```ts
 * import { adminSecurity } from "./security.ts";
 * const allowed = adminSecurity({ controlEnabled: false, pathWhitelist: ["^/logging[.]json$"] });
 * allowed("/logging.json"); // true
 * allowed("/admin/shutdown"); // false
 * ```
 */
export function adminSecurity(sec: AdminSecurity): (path: string) => boolean {
  const white = (sec.pathWhitelist ?? []).map(whole);
  const black = (sec.pathBlacklist ?? []).map(whole);
  const enabled: Record<AdminCategory, boolean> = {
    ui: sec.uiEnabled ?? true,
    control: sec.controlEnabled ?? true,
    diagnostics: sec.diagnosticsEnabled ?? true,
  };
  return function allowed(path: string): boolean {
    if (black.some((re) => re.test(path))) return false;
    return enabled[adminCategory(path)] || white.some((re) => re.test(path));
  };
}
