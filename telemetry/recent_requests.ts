/**
 * `io.l5d.recentRequests`: a sample of recent requests (`sampleRate`), the last `capacity` kept,
 * served by the admin server at `/requests.json` (and `/requests`, a plain table), as Linkerd's
 * recent-requests page. Recording is a server-level filter; unsampled requests cost one random().
 *
 * The table has L1 `RecentRequestsAdminHandler`'s columns (Timestamp, Source, Router, Logical
 * Name, Concrete Name, Destination; the names link to the dtab playground as Linkerd's do to
 * `delegator?router=…#…`), but not its Server column (the listener is not known at this level),
 * then the method, URI, status and duration.
 *
 * @module
 */
import type { Filter } from "../router/core/service.ts";

/** One sampled request. */
export interface RecentRequest {
  readonly timestamp: string;
  /** The caller's address (Linkerd's Source column). */
  readonly source: string;
  readonly router: string;
  readonly method: string;
  readonly uri: string;
  readonly service: string;
  readonly client: string;
  readonly endpoint: string;
  readonly status: number;
  readonly durationMs: number;
}

/** The recorder. */
export interface RecentRequests {
  /** The filter for a router's server stack. */
  filter(router: string): Filter;
  /** Newest first. */
  list(): RecentRequest[];
}

/**
 * Make a recorder.
 *
 * @example
 * ```ts
 * import { createRecentRequests } from "./recent_requests.ts";
 * const recent = createRecentRequests({ sampleRate: 1, capacity: 10 });
 * recent.list(); // []
 * ```
 */
export function createRecentRequests(
  opts: { sampleRate: number; capacity: number; random?: () => number },
): RecentRequests {
  const ring: RecentRequest[] = [];
  const random = opts.random ?? Math.random;
  const rate = Math.min(1, Math.max(0, opts.sampleRate));
  function push(r: RecentRequest): void {
    ring.push(r);
    if (ring.length > opts.capacity) ring.shift();
  }
  return {
    filter(router) {
      return async function recentRequests(req, ctx, next) {
        if (rate === 0 || random() >= rate) return next(req, ctx);
        const t0 = performance.now();
        const base = {
          timestamp: new Date().toISOString(),
          source: ctx.remoteAddr,
          router,
          method: req.method,
          uri: `${ctx.host}${ctx.target}`,
        };
        try {
          const rsp = await next(req, ctx);
          push({
            ...base,
            service: ctx.dstStr,
            client: ctx.bound?.idStr ?? "",
            endpoint: ctx.endpoint,
            status: rsp.status,
            durationMs: Math.round((performance.now() - t0) * 1000) / 1000,
          });
          return rsp;
        } catch (e: unknown) {
          const status = (e as { status?: unknown })?.status;
          push({
            ...base,
            service: ctx.dstStr,
            client: ctx.bound?.idStr ?? "",
            endpoint: ctx.endpoint,
            status: typeof status === "number" ? status : 502,
            durationMs: Math.round((performance.now() - t0) * 1000) / 1000,
          });
          throw e;
        }
      };
    },
    list: () => ring.slice().reverse(),
  };
}

function esc(s: string | number): string {
  return String(s).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A name linked to the dtab playground, as Linkerd's `delegator?router=<r>#<name>`. */
function delegatorLink(router: string, name: string): string {
  if (name === "") return "";
  const href = `delegator?router=${encodeURIComponent(router)}#${encodeURIComponent(name)}`;
  return `<a href="${esc(href)}">${esc(name)}</a>`;
}

/** `/requests`: the sample as an HTML table. */
export function recentRequestsPage(list: readonly RecentRequest[]): Response {
  const rows = list.map((r) =>
    `<tr><td>${esc(r.timestamp)}</td><td>${esc(r.source)}</td><td>${esc(r.router)}</td><td>${
      delegatorLink(r.router, r.service)
    }</td><td>${delegatorLink(r.router, r.client)}</td><td>${esc(r.endpoint)}</td><td>${
      esc(r.method)
    }</td><td>${esc(r.uri)}</td><td>${esc(r.status)}</td><td>${esc(r.durationMs)}</td></tr>`
  ).join("\n");
  const html = `<!doctype html><meta charset="utf-8"><title>Recent Requests</title>
<style>body{font:13px system-ui;margin:20px}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left}</style>
<h1>Recent Requests</h1><table><thead><tr><th>Timestamp</th><th>Source</th><th>Router</th>
<th>Logical Name</th><th>Concrete Name</th><th>Destination</th><th>Method</th><th>URI</th>
<th>Status</th><th>ms</th></tr></thead><tbody>
${rows}</tbody></table>`;
  return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
}
