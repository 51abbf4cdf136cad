/**
 * `io.l5d.recentRequests`: a sample of recent requests (`sampleRate`), the last `capacity` kept,
 * served by the admin server at `/requests.json` (and `/requests`, a plain table), as Linkerd's
 * recent-requests page. Recording is a server-level filter; unsampled requests cost one random().
 *
 * @module
 */
import type { Filter } from "../router/core/service.ts";

/** One sampled request. */
export interface RecentRequest {
  readonly timestamp: string;
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

/** `/requests`: the sample as an HTML table. */
export function recentRequestsPage(list: readonly RecentRequest[]): Response {
  const rows = list.map((r) =>
    `<tr><td>${esc(r.timestamp)}</td><td>${esc(r.router)}</td><td>${esc(r.method)}</td><td>${
      esc(r.uri)
    }</td><td>${esc(r.service)}</td><td>${esc(r.client)}</td><td>${esc(r.endpoint)}</td><td>${
      esc(r.status)
    }</td><td>${esc(r.durationMs)}</td></tr>`
  ).join("\n");
  const html = `<!doctype html><meta charset="utf-8"><title>Recent requests</title>
<style>body{font:13px system-ui;margin:20px}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left}</style>
<h1>Recent requests</h1><table><tr><th>time</th><th>router</th><th>method</th><th>uri</th>
<th>service</th><th>client</th><th>endpoint</th><th>status</th><th>ms</th></tr>
${rows}</table>`;
  return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
}
