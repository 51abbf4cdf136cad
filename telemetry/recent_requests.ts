/**
 * `io.l5d.recentRequests`: the requests of a sample of traces (`sampleRate`), those of the last
 * `capacity` traces kept, served by the admin server at `/requests` (Linkerd's table) and
 * `/requests.json`. Recording is a server-level filter; an unsampled request costs one look at
 * its trace id.
 *
 * As L1 `RecentRequetsTracer` (telemetry/recent-requests): the decision is a function of the
 * trace id (Linkerd's `Sampler(sampleRate)(traceId)`), so every hop of one trace through this
 * process is kept or dropped together, and the store is keyed by trace id with `capacity` traces
 * (a Guava cache of `maximumSize(capacity)`, the least recently recorded trace evicted first),
 * each trace keeping all of its requests. Newest first by start time, as Linkerd's `getRequests`.
 *
 * The table has L1 `RecentRequestsAdminHandler`'s columns (Timestamp, Source, Server, Router,
 * Logical Name, Concrete Name, Destination; the names link to the dtab playground as Linkerd's do
 * to `delegator?router=…#…`), with Linkerd's spellings: the timestamp as Twitter's `Time`
 * (`2017-01-02 03:04:05 +0000`) and the addresses as Java's `InetSocketAddress`
 * (`/127.0.0.1:4140`), then Switchyard's own method, URI, status and duration.
 *
 * @module
 */
import type { Filter } from "../router/core/service.ts";
import { sampledAtRate } from "./tracing/sampler.ts";

/** One recorded request. */
export interface RecentRequest {
  /** ISO 8601, when the request arrived. */
  readonly timestamp: string;
  /** The trace the request belongs to. */
  readonly traceId: string;
  /** The caller's ip (Linkerd's Source column, with {@link RecentRequest.sourcePort}). */
  readonly source: string;
  /** The caller's port, 0 when unknown. */
  readonly sourcePort: number;
  /** The listener (`ip:port`) the request arrived on (Linkerd's Server column), `""` if none. */
  readonly server: string;
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

function hostPort(ip: string, port: number): string {
  if (ip === "") return "";
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/**
 * The requests of the `capacity` traces with the newest requests (each trace whole): what one
 * recorder keeps, for merging several (workers).
 *
 * @param list newest first
 * @example
 * ```ts
 * import { keepRecentTraces, type RecentRequest } from "./recent_requests.ts";
 * const r = (traceId: string) => ({ traceId }) as RecentRequest;
 * keepRecentTraces([r("b"), r("a"), r("b"), r("c")], 2).map((x) => x.traceId); // ["b", "a", "b"]
 * ```
 */
export function keepRecentTraces(
  list: readonly RecentRequest[],
  capacity: number,
): RecentRequest[] {
  const kept = new Set<string>();
  for (const r of list) {
    if (kept.size >= capacity) break;
    kept.add(r.traceId);
  }
  return list.filter((r) => kept.has(r.traceId));
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
  opts: { sampleRate: number; capacity: number },
): RecentRequests {
  // Trace id → its requests; Map order = least recently recorded first (Guava's LRU eviction).
  const traces = new Map<string, { r: RecentRequest; seq: number }[]>();
  let seq = 0;
  const rate = Math.min(1, Math.max(0, opts.sampleRate));
  function push(r: RecentRequest): void {
    const recs = traces.get(r.traceId) ?? [];
    traces.delete(r.traceId);
    recs.push({ r, seq: seq++ });
    traces.set(r.traceId, recs);
    while (traces.size > opts.capacity) traces.delete(traces.keys().next().value!);
  }
  return {
    filter(router) {
      return async function recentRequests(req, ctx, next) {
        if (rate === 0 || !sampledAtRate(ctx.traceId, rate)) return next(req, ctx);
        const t0 = performance.now();
        const base = {
          timestamp: new Date().toISOString(),
          traceId: ctx.traceId,
          source: ctx.remoteAddr,
          sourcePort: ctx.remotePort,
          server: hostPort(ctx.serverIp, ctx.serverPort),
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
    list: () =>
      [...traces.values()].flat().sort((a, b) =>
        a.r.timestamp < b.r.timestamp ? 1 : a.r.timestamp > b.r.timestamp ? -1 : b.seq - a.seq
      ).map((x) => x.r),
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

/** Twitter's `Time.toString` (`yyyy-MM-dd HH:mm:ss Z`, UTC), which Linkerd's page shows. */
function twitterTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace("T", " ")} +0000`;
}

/** Java's `InetSocketAddress.toString` of a resolved address: `/127.0.0.1:4140`. */
function javaAddr(addr: string): string {
  return addr === "" ? "" : `/${addr.replace(/^\[(.*)\](:\d+)$/, "$1$2")}`;
}

/** `/requests`: the sample as an HTML table. */
export function recentRequestsPage(list: readonly RecentRequest[]): Response {
  const rows = list.map((r) =>
    `<tr><td>${esc(twitterTime(r.timestamp))}</td><td>${
      esc(r.sourcePort > 0 ? javaAddr(hostPort(r.source, r.sourcePort)) : r.source)
    }</td><td>${esc(javaAddr(r.server))}</td><td>${esc(r.router)}</td><td>${
      delegatorLink(r.router, r.service)
    }</td><td>${delegatorLink(r.router, r.client)}</td><td>${esc(javaAddr(r.endpoint))}</td><td>${
      esc(r.method)
    }</td><td>${esc(r.uri)}</td><td>${esc(r.status)}</td><td>${esc(r.durationMs)}</td></tr>`
  ).join("\n");
  const html = `<!doctype html><meta charset="utf-8"><title>Recent Requests</title>
<style>body{font:13px system-ui;margin:20px}td,th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:left}</style>
<div class="container main"><h1 class="title">Recent Requests</h1><div class="content">
<table class="table table-bordered"><thead><tr><th>Timestamp</th><th>Source</th><th>Server</th>
<th>Router</th><th>Logical Name</th><th>Concrete Name</th><th>Destination</th><th>Method</th>
<th>URI</th><th>Status</th><th>ms</th></tr></thead><tbody>
${rows}</tbody></table></div></div>`;
  return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
}
