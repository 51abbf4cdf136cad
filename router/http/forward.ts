/**
 * The endpoint transport: the leaf Service that sends one attempt to one endpoint. It builds the
 * upstream request head from the inbound one (hop-by-hop removed, `l5d-*` context re-encoded,
 * `l5d-dst-*`, `l5d-reqid` and `Via` added) and sends it with the pooled HTTP/1.1 client.
 * Request and response bodies stream through untouched.
 *
 * @module
 */
import type { Ctx } from "../core/ctx.ts";
import type { Service } from "../core/service.ts";
import type { H1Client } from "./h1/mod.ts";
import { H, stripHopByHop, VIA_VALUE } from "./headers.ts";
import { showPath } from "../dtab/path.ts";
import { showDtab } from "../dtab/dtab.ts";
import { formatGrpcTimeout } from "../../resilience/deadline.ts";
import { encodeTraceHeaders } from "../../telemetry/tracing/mod.ts"; // issue 4: tracing

/** Headers never forwarded as-is: the context the router re-encodes. */
const DROP = [
  H.dtab,
  H.dtabLocal,
  H.sample,
  H.addContext,
  H.dstService,
  H.dstClient,
  H.dstResidual,
];

/**
 * Build the upstream request headers for one attempt.
 *
 * @returns a new Headers object; `req.headers` is not modified.
 */
export function upstreamHeaders(req: Request, ctx: Ctx): Headers {
  const h = new Headers(req.headers);
  stripHopByHop(h);
  for (const name of DROP) h.delete(name);
  // Drop inbound l5d-ctx-* (re-encoded below from ctx, the single source of truth).
  const ctxNames: string[] = [];
  for (const name of h.keys()) if (name.startsWith(H.ctxPrefix)) ctxNames.push(name);
  for (const name of ctxNames) h.delete(name);
  h.set(H.host, ctx.host);
  if (ctx.dstStr) h.set(H.dstService, ctx.dstStr);
  const bound = ctx.bound;
  if (bound) {
    h.set(H.dstClient, bound.idStr);
    if (bound.residual.length > 0) h.set(H.dstResidual, showPath(bound.residual));
  }
  encodeTraceHeaders(h, ctx); // issue 4: traceparent, b3, x-b3-*, l5d-ctx-trace, l5d-reqid
  if (ctx.dtabLocal.length > 0) h.set(H.ctxDtab, showDtab(ctx.dtabLocal));
  if (ctx.deadline !== Infinity) {
    const startNs = BigInt(ctx.startMs) * 1_000_000n;
    const deadlineNs = BigInt(Math.floor(ctx.deadline)) * 1_000_000n;
    h.set(H.ctxDeadline, `${startNs} ${deadlineNs}`);
    if (h.has(H.grpcTimeout)) {
      h.set(H.grpcTimeout, formatGrpcTimeout(Math.max(0, ctx.deadline - Date.now())));
    }
  }
  const via = req.headers.get(H.via);
  h.set(H.via, via ? `${via}, ${VIA_VALUE}` : VIA_VALUE);
  return h;
}

/**
 * The transport Service for one endpoint.
 *
 * @param client the pooled HTTP/1.1 client
 * @param host endpoint ip/host
 * @param port endpoint port
 */
export function forwardTo(client: H1Client, host: string, port: number): Service {
  return async function forward(req, ctx) {
    const headers = upstreamHeaders(req, ctx);
    const rsp = await client.request(host, port, {
      method: req.method,
      target: ctx.target,
      headers,
      body: req.body,
      signal: ctx.upstreamSignal,
    });
    rsp.headers.append(H.via, VIA_VALUE);
    return rsp;
  };
}
