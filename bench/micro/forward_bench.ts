/**
 * Cost of building the upstream request head (`router/http/forward.ts` `upstreamHeaders`):
 * copy the inbound headers, strip hop-by-hop and `l5d-*` context, add `l5d-dst-*`, `l5d-reqid`
 * and `Via`. A bare `new Headers(req.headers)` copy is the baseline.
 *
 * Run: `deno bench bench/micro/forward_bench.ts`
 *
 * @module
 */
import { upstreamHeaders } from "../../router/http/forward.ts";
import { Ctx } from "../../router/core/ctx.ts";
import { parseDtab, parsePath, showPath } from "../../router/dtab/mod.ts";
import { constVar } from "../../router/core/var.ts";

function ctxFor(url: URL, opts: { deadline?: boolean; dtab?: boolean } = {}): Ctx {
  const ctx = new Ctx({
    url,
    router: "outgoing",
    signal: new AbortController().signal,
    startMs: Date.now(),
    host: url.host,
    target: url.pathname + url.search,
  });
  ctx.dst = parsePath("/svc/web");
  ctx.dstStr = "/svc/web";
  const id = parsePath("/#/io.l5d.fs/web");
  ctx.bound = { id, idStr: showPath(id), addr: constVar({ type: "neg" }), residual: [] };
  ctx.traceId = "4bf92f3577b34da6";
  if (opts.deadline) ctx.deadline = Date.now() + 1000;
  if (opts.dtab) ctx.dtabLocal = parseDtab("/svc/web => /svc/web-v2");
  return ctx;
}

const url = new URL("http://web/api/items?id=42");
const typical = new Request(url, {
  headers: {
    host: "web",
    "user-agent": "curl/8.5.0",
    accept: "*/*",
    "x-request-id": "2f1c9e0a-55d1-4b8e-9d6e-0d2a8f0e7b11",
    traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  },
});
const browser = new Request(url, {
  headers: {
    host: "web",
    "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
    accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "accept-encoding": "gzip, deflate, br",
    "accept-language": "en-US,en;q=0.9",
    "cache-control": "no-cache",
    connection: "keep-alive, x-hop",
    "x-hop": "1",
    cookie: "session=abcdef0123456789; theme=dark; consent=1",
    "l5d-ctx-deadline": "0 0",
    "l5d-ctx-trace": "AAAAAAAAAAEAAAAAAAAAAgAAAAAAAAADAAAAAAAAAAE=",
    "l5d-dtab": "/svc/web => /svc/web-v2",
    via: "1.1 linkerd",
  },
});
const plain = ctxFor(url);
const rich = ctxFor(url, { deadline: true, dtab: true });

Deno.bench({
  name: "new Headers(req.headers) copy only (5 headers)",
  group: "forward",
  baseline: true,
}, () => {
  new Headers(typical.headers);
});
Deno.bench(
  { name: "upstreamHeaders() of a curl-like request (5 headers)", group: "forward" },
  () => {
    upstreamHeaders(typical, plain);
  },
);
Deno.bench({
  name: "upstreamHeaders() of a browser-like request with l5d-* context (13 headers)",
  group: "forward",
}, () => {
  upstreamHeaders(browser, rich);
});
