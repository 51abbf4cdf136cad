/**
 * The endpoint transport: the leaf Service that sends one attempt to one endpoint. It builds the
 * upstream request head from the inbound one (hop-by-hop removed, `l5d-*` context re-encoded,
 * `l5d-dst-*`, `l5d-reqid` and `Via` added) and sends it with the pooled HTTP/1.1 client (an
 * HTTP/1.0 request goes as HTTP/1.0, as Linkerd forwards it).
 * Request and response bodies stream through untouched.
 *
 * The head is built as a `[name, value][]` list in one pass over the inbound headers (captured
 * once per request in `ctx.headerList`): no `Headers` copy, no per-name deletes, and the client
 * serialises a list ~15× faster than a `Headers` object.
 *
 * @module
 */
import type { Ctx } from "../core/ctx.ts";
import type { Service } from "../core/service.ts";
import {
  type ClassificationHold,
  type H1Client,
  isHttp10Response,
  type ResponseHeadLimits,
} from "./h1/mod.ts";
import { H, HOP_BY_HOP, VIA_VALUE, VIA_VALUE_10, VIA_VALUE_H2 } from "./headers.ts";
import { appendField } from "./response_fields.ts";
import { httpVersion, requestParts } from "./raw/request_parts.ts";
import { isTunnelableConnect, tunnelConnect } from "./connect.ts";
import { isRawUpgrade, isWebSocketUpgrade, proxyWebSocket, tunnelUpgrade } from "./websocket.ts";
import { showPath } from "../dtab/path.ts";
import { showDtab } from "../dtab/dtab.ts";
import { formatGrpcTimeout, nsToMs } from "../../resilience/deadline.ts";
import { encodeTraceHeaders, type HeaderSink } from "../../telemetry/tracing/mod.ts"; // issue 4

/** `String.prototype.charCodeAt` for `charCodeAt.call(s, i)`: see `router/http/h1/_bytes.ts`. */
const charCodeAt = String.prototype.charCodeAt;

/** Inbound headers never forwarded as-is: hop-by-hop, and the context the router re-encodes. */
const SKIP = new Set<string>([
  ...HOP_BY_HOP,
  H.dtab,
  // The context Linkerd re-encodes; any other `l5d-ctx-*` header passes through, as Linkerd's
  // server filters remove only these (apps forward every `l5d-ctx-*` header they receive).
  H.ctxDtab,
  H.ctxDeadline,
  H.ctxTrace,
  H.sample,
  H.dstService,
  H.dstClient,
  H.dstResidual,
  H.host,
  H.via,
  // Linkerd's ClearForwardedClientCertFilter: an inbound one is never trusted (spoofing);
  // clients with `forwardClientCert` send their own (ForwardClientCertFilter).
  H.clientCert,
]);

/** A header list that the trace encoder can write into (set replaces, delete removes). */
class HeaderList implements HeaderSink {
  constructor(readonly list: [string, string][]) {}
  set(name: string, value: string): void {
    const l = this.list;
    for (let i = 0; i < l.length; i++) {
      if (l[i]![0] === name) {
        l[i] = [name, value];
        return;
      }
    }
    l.push([name, value]);
  }
  delete(name: string): void {
    const l = this.list;
    for (let i = l.length - 1; i >= 0; i--) if (l[i]![0] === name) l.splice(i, 1);
  }
}

/**
 * Build the upstream request head for one attempt.
 *
 * @param version the request's HTTP version (`httpVersion(req)`; the caller has it already)
 * @returns a new `[name, value][]` list; the request is not modified.
 */
export function upstreamHeaders(
  req: Request,
  ctx: Ctx,
  forwardClientCert = false,
  version: string = httpVersion(req),
): [string, string][] {
  const src = ctx.headerSource === req && ctx.headerList ? ctx.headerList : [...req.headers];
  const out: [string, string][] = [];
  let connListed: Set<string> | undefined;
  let via: string | undefined;
  let grpcTimeout = false;
  for (const e of src) {
    const name = e[0];
    if (SKIP.has(name) || (charCodeAt.call(name, 0) === 112 && name.startsWith("proxy-"))) {
      if (name === "connection") {
        connListed ??= new Set();
        for (const x of e[1].split(",")) connListed.add(x.trim().toLowerCase());
      } else if (name === H.via) via = via === undefined ? e[1] : `${via}, ${e[1]}`;
      else if (name === "te" && version === "2.0" && e[1].trim().toLowerCase() === "trailers") {
        // The one TE HTTP/2 allows (RFC 9113 §8.2.2), which Linkerd's h2 router passes on
        // (finagle/h2/.../ConnectionHeaders.scala finds only other values malformed).
        out.push(e as [string, string]);
      }
      continue;
    }
    if (name === H.grpcTimeout) grpcTimeout = true;
    out.push(e as [string, string]);
  }
  if (connListed) {
    for (let i = out.length - 1; i >= 0; i--) if (connListed.has(out[i]![0])) out.splice(i, 1);
  }
  out.push([H.host, ctx.host]);
  if (ctx.dstStr) out.push([H.dstService, ctx.dstStr]);
  const bound = ctx.bound;
  if (bound) {
    out.push([H.dstClient, bound.idStr]);
    if (bound.residual.length > 0) out.push([H.dstResidual, showPath(bound.residual)]);
  }
  // issue 4: traceparent, b3, x-b3-*, l5d-ctx-trace, l5d-reqid
  encodeTraceHeaders(new HeaderList(out), ctx);
  if (ctx.dtabLocal.length > 0) out.push([H.ctxDtab, showDtab(ctx.dtabLocal)]);
  if (ctx.deadline !== Infinity) {
    // Finagle's Deadline.combined of the inbound deadline and this hop's: the latest timestamp,
    // the earliest deadline; an inbound deadline that is still the strictest goes on exactly.
    const inbound = ctx.inboundDeadline;
    if (inbound !== undefined && nsToMs(inbound.deadlineNs) === ctx.deadline) {
      out.push([H.ctxDeadline, `${inbound.timestampNs} ${inbound.deadlineNs}`]);
    } else {
      let startNs = BigInt(ctx.startMs) * 1_000_000n;
      if (inbound !== undefined && inbound.timestampNs > startNs) startNs = inbound.timestampNs;
      const deadlineNs = BigInt(Math.floor(ctx.deadline)) * 1_000_000n;
      out.push([H.ctxDeadline, `${startNs} ${deadlineNs}`]);
    }
    if (grpcTimeout) {
      new HeaderList(out).set(
        H.grpcTimeout,
        formatGrpcTimeout(Math.max(0, ctx.deadline - Date.now())),
      );
    }
  }
  if (forwardClientCert && ctx.clientCert !== undefined) out.push([H.clientCert, ctx.clientCert]);
  const hop = version === "1.0" ? VIA_VALUE_10 : version === "2.0" ? VIA_VALUE_H2 : VIA_VALUE;
  out.push([H.via, via ? `${via}, ${hop}` : hop]);
  // Server options (forwarded.ts): after the inbound ones, so a `Forwarded` chain stays in order.
  const added = ctx.addHeaders;
  if (added) {
    for (const e of added) out.push(e as [string, string]);
  }
  return out;
}

/** How {@link forwardTo} sends. */
export interface ForwardOptions {
  /**
   * Send the client's certificate as `x-forwarded-client-cert` (Linkerd's client
   * `forwardClientCert`); an inbound one is dropped either way.
   */
  readonly forwardClientCert?: boolean;
  /** Called when a request opens a new connection (the client's `connects`). */
  readonly onConnect?: (() => void) | undefined;
  /** The router's `maxInitialLineKB`/`maxHeadersKB` for response heads (http). */
  readonly headLimits?: ResponseHeadLimits | undefined;
  /**
   * `streamingEnabled: false` (L1 `protocol-http.md`): bodies are read whole before they go on,
   * so a chunked request reaches the endpoint with `Content-Length`, and a chunked response the
   * client, as Finagle's aggregating codec does without streaming.
   */
  readonly bufferBodies?: boolean | undefined;
}

/**
 * The transport Service for one endpoint.
 *
 * @param client the pooled HTTP/1.1 client
 * @param host endpoint ip/host
 * @param port endpoint port
 * @param opts client certificate forwarding, connect hook, head limits, buffering
 */
export function forwardTo(
  client: H1Client,
  host: string,
  port: number,
  opts: ForwardOptions = {},
): Service {
  return (req, ctx) => forward(client, host, port, opts, req, ctx);
}

/**
 * One request to one endpoint: what {@link forwardTo}'s Service does, for a caller that knows
 * the endpoint per request (a client's endpoint stack shared by its endpoints, router/stacks.ts:
 * issue 6, no closure per endpoint). Not async (issue 6): the common path returns the client's
 * promise with one reaction.
 *
 * @param client the pooled HTTP/1.1 client
 * @param host endpoint ip/host
 * @param port endpoint port
 * @param opts client certificate forwarding, connect hook, head limits, buffering
 * @param req the request
 * @param ctx its context
 * @returns the endpoint's response
 */
export function forward(
  client: H1Client,
  host: string,
  port: number,
  opts: ForwardOptions,
  req: Request,
  ctx: Ctx,
): Promise<Response> {
  try {
    if (isTunnelableConnect(req)) return tunnelConnect(req, ctx, host, port);
    if (isRawUpgrade(req)) {
      // An upgrade request with content goes as a plain request, the upgrade declined (RFC
      // 9110 §7.8): the tunnel sends a head only, and the connection carries on as HTTP/1.1.
      if (req.body === null) {
        const headers = upstreamHeaders(req, ctx, opts.forwardClientCert === true);
        return tunnelUpgrade(req, ctx, host, port, headers);
      }
    } else if (isWebSocketUpgrade(req)) {
      const headers = upstreamHeaders(req, ctx, opts.forwardClientCert === true);
      return proxyWebSocket(req, ctx, host, port, headers);
    }
    const version = httpVersion(req);
    if (opts.bufferBodies === true) {
      // `streamingEnabled: false`: the request read whole before it goes, the answer read whole.
      const whole = req.body === null
        ? Promise.resolve(null)
        : req.arrayBuffer().then((b) => new Uint8Array(b));
      return whole.then((body) => send(client, host, port, opts, req, ctx, version, body))
        .then(aggregate);
    }
    return send(client, host, port, opts, req, ctx, version, req.body);
  } catch (e: unknown) {
    return Promise.reject(e);
  }
}

/** One request to `host:port` through the pooled client, with this hop's `Via` on the answer. */
function send(
  client: H1Client,
  host: string,
  port: number,
  opts: ForwardOptions,
  req: Request,
  ctx: Ctx,
  version: string,
  body: Request["body"] | Uint8Array,
): Promise<Response> {
  const parts = requestParts.get(req);
  return client.request(host, port, {
    method: req.method,
    target: ctx.target,
    headers: upstreamHeaders(req, ctx, opts.forwardClientCert === true, version),
    body,
    signal: ctx.upstreamSignal,
    // Linkerd forwards an HTTP/1.0 request as HTTP/1.0 (ViaHeaderAppenderFilter), so the
    // upstream answers without HTTP/1.1 features (chunked) its client cannot read.
    http10: version === "1.0",
    onConnect: opts.onConnect,
    headLimits: opts.headLimits,
    // An h2 request stream's trailers go on after its body (h2 upstreams).
    trailers: version === "2.0" ? parts?.trailers : undefined,
    // 1xx answers (e.g. 103 Early Hints) go on to a raw-engine HTTP/1.1 client (RFC 9110 §15.2)
    onInterim: parts?.interim,
    // The raw engine writes a small body from the client's pooled buffer and gives it back.
    pooledBody: parts?.rawEngine === true,
    // h2 upstreams: the service's classification wait and response buffer (path stack).
    classificationTimeoutMs: ctx.classificationTimeoutMs >= 0
      ? ctx.classificationTimeoutMs
      : undefined,
    responseBufferBytes: ctx.responseBufferBytes >= 0 ? ctx.responseBufferBytes : undefined,
    classification: ctx.classificationHold as ClassificationHold | undefined,
  }).then(version === "2.0" ? appendViaH2 : appendVia);
}

/** A response whose body is read whole, so it goes on with a `Content-Length`. */
async function aggregate(rsp: Response): Promise<Response> {
  if (rsp.body === null) return rsp;
  const bytes = new Uint8Array(await rsp.arrayBuffer());
  const headers = new Headers(rsp.headers);
  headers.set("content-length", String(bytes.length));
  return new Response(bytes, { status: rsp.status, statusText: rsp.statusText, headers });
}

/**
 * This hop's `Via` on an answer: `<version of the answer> linkerd`, as Linkerd's
 * ViaHeaderAppenderFilter (an HTTP/1.0 upstream's answer gets `1.0 linkerd`).
 */
function appendVia(rsp: Response): Response {
  appendField(rsp, H.via, isHttp10Response(rsp) ? VIA_VALUE_10 : VIA_VALUE);
  return rsp;
}

function appendViaH2(rsp: Response): Response {
  appendField(rsp, H.via, VIA_VALUE_H2);
  return rsp;
}
