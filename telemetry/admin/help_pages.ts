/**
 * The small Linkerd 1 admin pages that are not the dashboard:
 *
 * - `/help`: every admin endpoint with one line on what it is (twitter-server's index).
 * - `/logging`: the log level as a page with a button per level (a UI over `/logging.json`).
 * - `/admin/tracing`: `?enable=true` / `?disable=true` switch span recording on and off at
 *   runtime, as twitter-server's `Trace.enable`/`disable` (any method; `admin.security` counts
 *   it as diagnostics, as Linkerd does); without a query it reports the state. Trace context is
 *   still propagated while disabled.
 * - `/admin/pprof/{profile,heap,contention}`: JVM profiles have no Deno equivalent behind an
 *   HTTP endpoint; they answer 501 and name the Deno tool that does the job.
 *
 * @example
 * ```ts
 * import { helpPages } from "./help_pages.ts";
 * import { createLogger } from "../log.ts";
 * const hs = helpPages({ log: createLogger({ level: "off" }), paths: () => ["/admin/ping"] });
 * hs.map((h) => h.path).includes("/help"); // true
 * ```
 *
 * @module
 */
import type { AdminHandler } from "./handler.ts";
import type { Logger } from "../log.ts";
import { tracingSwitch } from "../tracing/trace_ctx.ts";

/** What each known endpoint is, for `/help`. */
const DESCRIPTIONS: Record<string, string> = {
  "/": "the dashboard: success rate, request volume and latency per router and service",
  "/dashboard": "the dashboard",
  "/delegator": "the dtab playground",
  "/delegator.json": "delegation tree of ?namespace=&path=[&dtab=] (or POST application/json)",
  "/delegator/dtabs.json":
    "each router's interpreter dtab (io.l5d.fs file, ConfigMap, Consul KV; live) and own dtab",
  "/requests": "recent requests (io.l5d.recentRequests)",
  "/requests.json": "recent requests as JSON",
  "/logging": "log level, with buttons to change it",
  "/logging.json":
    "loggers and levels ([{logger, level}]); POST logger=root&level=DEBUG changes it",
  "/help": "this page",
  "/config.json": "the running configuration as written (Linkerd's re-serialization)",
  "/bound-names.json": "every name the io.l5d.fs and io.l5d.k8s namers can enumerate",
  "/client_state.json": "each client's endpoints and their state",
  "/admin": "every admin path, one per line (= /admin/index.txt)",
  "/admin/index.txt": "every admin path, one per line",
  "/files/*": "the dashboard's styles and scripts by file name (= /admin/files/*)",
  "/admin/threads.json": "= /admin/threads",
  "/admin/lint.json": "= /admin/lint",
  "/admin/ping": "liveness: pong",
  "/admin/shutdown": "POST: graceful shutdown",
  "/admin/reload": "POST: reload the config file now",
  "/admin/metrics.json": "metrics: flat (?tree=1 nested, ?q=prefix, ?pretty=1)",
  "/admin/metrics/prometheus": "metrics in Linkerd's Prometheus shape (io.l5d.prometheus)",
  "/metrics": "metrics in Switchyard's own Prometheus exposition",
  "/admin/metrics/influxdb": "metrics in InfluxDB line protocol (io.l5d.influxdb)",
  "/admin/tracing": "?enable=true / ?disable=true switches span recording",
  "/admin/server_info": "version, start time, uptime",
  "/admin/threads": "isolates and their memory",
  "/admin/contention": "blocked threads and lock owners (none in a JavaScript isolate)",
  "/admin/metrics/usage": "the usage message Linkerd would send (usage.enabled); never sent",
  "/admin/registry.json": "the configured modules (routers, namers, telemeters)",
  "/admin/announcer": "announcers (none are supported)",
  "/admin/lint": "lint of the running configuration",
  "/admin/workers.json": "per-worker counts (--workers)",
};

const HTML = { "content-type": "text/html; charset=utf-8" };
const PAGE_STYLE = "body{font:14px system-ui;margin:24px;max-width:60em}" +
  "td{padding:3px 10px;border-bottom:1px solid #ddd}code{font-size:13px}";

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** What {@link helpPages} needs. */
export interface HelpPagesDeps {
  /** The process's logger (its level is what `/logging` shows and sets). */
  readonly log: Logger;
  /** Every GET path the admin server answers, for `/help`. */
  readonly paths: () => readonly string[];
}

/**
 * The `/help`, `/logging`, `/admin/tracing` and `/admin/pprof/*` handlers.
 *
 * @param deps logger and the admin server's paths
 * @returns the handlers
 */
export function helpPages(deps: HelpPagesDeps): AdminHandler[] {
  const help = (): Response => {
    const rows = [...new Set([...deps.paths(), ...Object.keys(DESCRIPTIONS)])].sort()
      .map((p) =>
        `<tr><td><a href="${esc(p)}"><code>${esc(p)}</code></a></td><td>${
          esc(DESCRIPTIONS[p] ?? "")
        }</td></tr>`
      ).join("\n");
    return new Response(
      `<!doctype html><meta charset="utf-8"><title>Switchyard admin</title>` +
        `<style>${PAGE_STYLE}</style><h1>Admin endpoints</h1><table>\n${rows}\n</table>`,
      { headers: HTML },
    );
  };
  const logging = (): Response => {
    const level = deps.log.level?.() ?? "unknown";
    const buttons = ["debug", "info", "warn", "error", "off"].map((l) =>
      `<button data-level="${l}"${l === level ? " disabled" : ""}>${l}</button>`
    ).join(" ");
    return new Response(
      `<!doctype html><meta charset="utf-8"><title>Logging</title><style>${PAGE_STYLE}</style>` +
        `<h1>Logging</h1><p>logger <code>root</code>: level <b id="level">${esc(level)}</b></p>` +
        `<p>${buttons}</p><p id="err"></p><script>` +
        `for (const b of document.querySelectorAll("button")) b.onclick = async () => {` +
        `const r = await fetch("/logging.json", {method: "POST", headers: {"content-type":` +
        `"application/json"}, body: JSON.stringify({logger: "root", level: b.dataset.level})});` +
        `if (r.ok) location.reload(); else document.getElementById("err").textContent =` +
        ` "refused: " + r.status + " " + await r.text(); };</script>`,
      { headers: HTML },
    );
  };
  const tracing = (req: Request): Response => {
    const q = new URL(req.url).searchParams;
    if (q.get("enable") === "true") tracingSwitch.enabled = true;
    else if (q.get("disable") === "true") tracingSwitch.enabled = false;
    else if (q.has("enable") || q.has("disable")) {
      return new Response("use ?enable=true or ?disable=true\n", { status: 400 });
    }
    if (q.has("enable") || q.has("disable")) {
      deps.log.info("tracing switched via admin", { enabled: tracingSwitch.enabled });
    }
    return new Response(`tracing ${tracingSwitch.enabled ? "enabled" : "disabled"}\n`);
  };
  const pprof = (what: string, tool: string) => (): Response =>
    new Response(
      `/admin/pprof/${what} is a JVM profile with no equivalent here; use ${tool}\n`,
      { status: 501, headers: { "content-type": "text/plain; charset=utf-8" } },
    );
  return [
    { path: "/help", handler: help },
    { path: "/logging", handler: logging },
    { path: "/admin/tracing", handler: tracing },
    {
      path: "/admin/pprof/profile",
      handler: pprof("profile", "`deno run --cpu-prof` or `--inspect` with Chrome DevTools"),
    },
    {
      path: "/admin/pprof/heap",
      handler: pprof("heap", "`--inspect` heap snapshots; /admin/threads shows memory use"),
    },
    {
      path: "/admin/pprof/contention",
      handler: pprof("contention", "nothing: an isolate has no lock contention to profile"),
    },
  ];
}
