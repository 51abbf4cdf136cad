/**
 * The admin dashboard's routes: the dashboard at `/`, the dtab playground at `/delegator`, the
 * icon at `/dashboard/favicon.svg` (and at `/favicon.ico`, which a browser asks for on the admin
 * pages that link no icon), `/admin/api/summary.json`, which the dashboard polls every second, and
 * Linkerd's static-asset prefixes `/files/` and `/admin/files/`, which serve each embedded style
 * and script by its file name (`/files/style.css`; any folder before the name is ignored, so
 * Linkerd's `/files/css/…` layout finds the same file) and 404 anything else.
 *
 * Each page is built once, when the handlers are made, into one self-contained document (styles,
 * uPlot and the page's bundled modules inline: `page.ts`). The dashboard also carries the current
 * summary inline, so its first paint needs no second request; it is `no-store`. The playground and
 * the icon are static: `ETag` + `cache-control: no-cache`, so a reload is a 304. The summary is
 * computed from the registry on request and reused for `summaryTtlMs` (default 250 ms), so many
 * open tabs cost one computation per tick.
 *
 * @module
 */
import type { AdminHandler } from "../handler.ts";
import type { MetricsRegistry } from "../../metrics/mod.ts";
import { dashboardSources } from "./assets.ts";
import { inlinePage } from "./page.ts";
import { type LiveRouter, summarize } from "./summary.ts";

/** What the dashboard reads. */
export interface DashboardDeps {
  /** The process's metrics registry. */
  readonly registry: MetricsRegistry;
  /** How long one computed summary is reused, ms (default 250; 0 = never). */
  readonly summaryTtlMs?: number;
  /**
   * The routers now serving, each with its listeners as `ip/port` (the server scope's form), when
   * known (changes with config reloads). Routers and listeners not listed are left out of the
   * summary; without it, every router and listener with metrics is shown.
   */
  readonly routers?: () => Iterable<LiveRouter>;
  /**
   * The program's version, shown beside the name in the dashboard's header (as Linkerd's
   * dashboard shows its build version: L1 `DashboardHandlerTest` "serves linkerd admin and
   * version").
   */
  readonly version?: string;
}

/** The summary endpoint's path. */
export const SUMMARY_PATH = "/admin/api/summary.json";

const HTML = "text/html; charset=utf-8";
const SLOT = '<script type="application/json" id="initial-summary"></script>';
/** Where the header shows the version (an HTML comment, so the page is valid without it). */
const VERSION_SLOT = "<!--version-->";

/** FNV-1a over the UTF-16 code units, as a quoted strong ETag. */
function etagOf(body: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < body.length; i++) {
    h ^= body.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return `"${(h >>> 0).toString(16)}-${body.length.toString(16)}"`;
}

function staticHandler(path: string, type: string, body: string): AdminHandler {
  const etag = etagOf(body);
  const headers = {
    "content-type": type,
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
    etag,
  };
  return {
    path,
    handler(req) {
      const inm = req.headers.get("if-none-match");
      if (inm !== null && inm.split(",").some((t) => t.trim() === etag)) {
        return new Response(null, { status: 304, headers });
      }
      return new Response(body, { headers });
    },
  };
}

function typeOf(name: string): string {
  if (name.endsWith(".css")) return "text/css; charset=utf-8";
  if (name.endsWith(".js")) return "text/javascript; charset=utf-8";
  if (name.endsWith(".svg")) return "image/svg+xml";
  return "text/plain; charset=utf-8";
}

/** A prefix (`/files/*`) serving the embedded files by their last path segment. */
function filesHandler(path: string, files: ReadonlyMap<string, AdminHandler>): AdminHandler {
  return {
    path,
    handler(req) {
      const name = new URL(req.url).pathname.split("/").pop() ?? "";
      const h = files.get(name);
      return h ? h.handler(req) : new Response(`not found: ${name}\n`, {
        status: 404,
        headers: { "content-type": "text/plain; charset=utf-8" },
      });
    },
  };
}

/**
 * The dashboard's admin handlers; add them to the admin server's `handlers`.
 *
 * @param deps The registry (and the summary's reuse time).
 * @returns Handlers for `/`, `/delegator`, `/dashboard/favicon.svg`, `/favicon.ico`, `/files/*`,
 *   `/admin/files/*` and `/admin/api/summary.json`.
 * @throws {TypeError} If an embedded page links a file that is not embedded (a build defect).
 * @example
 * ```ts
 * import { dashboardHandlers } from "./dashboard.ts";
 * import { createRegistry } from "../../metrics/mod.ts";
 * const handlers = dashboardHandlers({ registry: createRegistry() });
 * const page = await handlers.find((h) => h.path === "/")!.handler(new Request("http://admin/"));
 * ```
 */
export function dashboardHandlers(deps: DashboardDeps): AdminHandler[] {
  const { registry } = deps;
  const ttl = deps.summaryTtlMs ?? 250;
  const src = dashboardSources();
  const version = (deps.version ?? "").replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const index = inlinePage(src.index, src.files).replace(VERSION_SLOT, version);
  const slot = index.indexOf(SLOT);
  if (slot < 0) throw new TypeError("index.html has no initial-summary slot");
  const head = index.slice(0, slot) + SLOT.slice(0, SLOT.indexOf("</script>"));
  const tail = index.slice(slot + SLOT.indexOf("</script>"));
  const files = new Map<string, AdminHandler>();
  for (const [name, body] of Object.entries({ ...src.files, "favicon.svg": src.favicon })) {
    files.set(name, staticHandler(name, typeOf(name), body));
  }
  let cached: { at: number; body: string } | undefined;
  const summaryJson = (): string => {
    const now = registry.clock.mono();
    if (cached === undefined || now - cached.at >= ttl) {
      const live = deps.routers
        ? new Map([...deps.routers()].map((r) => [r.label, r.servers && new Set(r.servers)]))
        : undefined;
      cached = { at: now, body: JSON.stringify(summarize(registry, live)) };
    }
    return cached.body;
  };
  return [
    {
      path: "/",
      handler: () =>
        new Response(head + summaryJson().replaceAll("<", "\\u003c") + tail, {
          headers: { "content-type": HTML, "cache-control": "no-store" },
        }),
    },
    staticHandler("/delegator", HTML, inlinePage(src.delegator, src.files)),
    staticHandler("/dashboard/favicon.svg", "image/svg+xml", src.favicon),
    // What a browser asks for on the admin pages that link no icon (/config.json, /help, …).
    staticHandler("/favicon.ico", "image/svg+xml", src.favicon),
    filesHandler("/files/*", files),
    filesHandler("/admin/files/*", files),
    {
      path: SUMMARY_PATH,
      handler: () =>
        new Response(summaryJson(), {
          headers: {
            "content-type": "application/json; charset=utf-8",
            "cache-control": "no-store",
          },
        }),
    },
  ];
}
