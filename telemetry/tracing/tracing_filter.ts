/**
 * The span filters: one SERVER span per request and one CLIENT span per attempt, through
 * `@opentelemetry/api`. Unsampled requests (`ctx.sampled` false, the common case at Linkerd's
 * default rate 0.001) take one branch and call `next` directly: no span, no context, no promise.
 *
 * Stack positions:
 * - `serverSpan`: the server level, above identification, so every routed request (and the
 *   typed error it may end in) is one span. Its id replaces `ctx.spanId` (decoded earlier by
 *   `decodeTraceContext`, parent = the caller's span).
 * - `clientSpan`: the top of the endpoint stack, above the request timeout and the transport, so
 *   each attempt (a retry or a requeue) is its own span and a timed-out attempt ends as an error.
 *   For the attempt it sets `ctx.spanId` = the client span and `ctx.parentSpanId` = the server
 *   span, which the transport encodes upstream (`encodeTraceHeaders`): the next hop's server span
 *   becomes its child, as with Finagle's `Trace.letId` around a client call. Both are restored
 *   when the attempt ends; attempts of one request never overlap.
 *
 * Attributes: `switchyard.router`, `switchyard.server` (server: the listener as Linkerd's server
 * label `<ip>/<port>`), `switchyard.service` (`/svc/...`), `switchyard.client` (bound id),
 * `switchyard.endpoint` (`host:port`), `switchyard.debug` (`true` on a debug trace's spans),
 * `switchyard.classification`, `switchyard.retry` (client: this attempt's retry number, 0 = first
 * try) and `switchyard.retries` (server: retries spent),
 * plus the OTel HTTP conventions `http.request.method`, `http.response.status_code`, `url.path`,
 * `server.address`/`server.port`, `client.address`, `error.type`.
 *
 * Both spans also carry Linkerd's HTTP binary annotations (L1 `router/http/.../TracingFilter.scala`,
 * on its server and client stacks; `TracingFilterTest`): `http.uri`, `http.req.method`,
 * `http.req.host`, `http.req.content-length`, `http.req.content-type`,
 * `http.req.transfer-encoding`, and from the response `http.rsp.status`,
 * `http.rsp.content-length`, `http.rsp.content-type`, `http.rsp.transfer-encoding` (each only
 * when the message has it). Not recorded: `http.req.version`/`http.rsp.version` (this layer does
 * not see the wire version) and `http.rsp.body` (Linkerd's own comment: Zipkin ignores it).
 * `http.status_code` is the final status, Finagle's `HttpTracingFilter` key (Zipkin's convention).
 *
 * Linkerd's routing annotations: the server span carries `router.label` (L1 `RoutingFactory`),
 * `service`, `dtab.base`, `dtab.local` (L1 `DstTracing.Path`), `client` and `residual` (L1
 * `DstTracing.Bound`), as in Linkerd's `HttpEndToEndTest` ("linking"), each also under its
 * pre-1.0 name (`namer.path`, `namer.dtab.base`, `namer.dtab.local`, `dst.id`, `dst.path`;
 * renamed in 1.0.0, CHANGES.md); the client span repeats the service and client ones. Each attempt's
 * client span records its classification as L1 `ClassifiedTracing` does: the tag
 * `l5d.success` (`1.0`) or the annotation `l5d.retryable` / `l5d.failure`.
 *
 * @module
 */
import { type Span, SpanKind, SpanStatusCode, type Tracer } from "@opentelemetry/api";
import type { Ctx } from "../../router/core/ctx.ts";
import type { Filter, Service } from "../../router/core/service.ts";
import { findSwitchyardError } from "../../router/core/errors.ts";
import { showPath } from "../../router/dtab/path.ts";
import { showDtab } from "../../router/dtab/dtab.ts";
import { childOf, rootIn } from "./tracer.ts";
import { tracingSwitch } from "./trace_ctx.ts";

/** Labels an attempt's outcome (`success`, `failure`, `retryable_failure`, ...). */
export type ClassifyAttempt = (
  req: Request,
  ctx: Ctx,
  rsp: Response | undefined,
  err: unknown,
) => string;

function statusClassification(_req: Request, _ctx: Ctx, rsp: Response | undefined): string {
  return rsp !== undefined && rsp.status < 500 ? "success" : "failure";
}

function headerInt(h: Headers, name: string): number | undefined {
  const v = h.get(name);
  if (v === null || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/** Linkerd's `recordRequest` binary annotations (sampled spans only). */
function annotateRequest(span: Span, req: Request, ctx: Ctx): void {
  span.setAttribute("http.uri", ctx.target);
  span.setAttribute("http.req.method", req.method);
  if (ctx.host) span.setAttribute("http.req.host", ctx.host);
  const len = headerInt(req.headers, "content-length");
  if (len !== undefined) span.setAttribute("http.req.content-length", len);
  const type = req.headers.get("content-type");
  if (type !== null) span.setAttribute("http.req.content-type", type);
  const te = req.headers.get("transfer-encoding");
  if (te !== null) span.setAttribute("http.req.transfer-encoding", te);
}

/** Linkerd's `recordResponse` binary annotations (sampled spans only). */
function annotateResponse(span: Span, rsp: Response): void {
  span.setAttribute("http.rsp.status", rsp.status);
  const len = headerInt(rsp.headers, "content-length");
  if (len !== undefined) span.setAttribute("http.rsp.content-length", len);
  const type = rsp.headers.get("content-type");
  if (type !== null) span.setAttribute("http.rsp.content-type", type);
  const te = rsp.headers.get("transfer-encoding");
  if (te !== null) span.setAttribute("http.rsp.transfer-encoding", te);
}

/**
 * Linkerd's `DstTracing` annotations: the logical name (`service`) and, once bound, the client
 * (`client`, `residual`), the names since Linkerd 1.0.0 (CHANGES.md; HttpEndToEndTest "linking"),
 * and the same under their pre-1.0 names `namer.path`, `dst.id`, `dst.path`.
 */
function annotateDst(span: Span, ctx: Ctx): void {
  if (ctx.dstStr) {
    span.setAttribute("service", ctx.dstStr);
    span.setAttribute("namer.path", ctx.dstStr);
  }
  if (ctx.bound) {
    const residual = showPath(ctx.bound.residual);
    span.setAttribute("client", ctx.bound.idStr);
    span.setAttribute("residual", residual);
    span.setAttribute("dst.id", ctx.bound.idStr);
    span.setAttribute("dst.path", residual);
  }
}

/** L1 `ClassifiedTracing`: `l5d.success` (a binary annotation) or an `l5d.*` message. */
function annotateClassification(span: Span, classification: string): void {
  if (classification === "success") span.setAttribute("l5d.success", "1.0");
  else if (classification === "retryable_failure") span.addEvent("l5d.retryable");
  else if (classification === "failure") span.addEvent("l5d.failure");
}

function end(span: Span, status: number, err: unknown, classification: string): void {
  span.setAttribute("http.response.status_code", status);
  span.setAttribute("http.status_code", status);
  span.setAttribute("switchyard.classification", classification);
  if (err !== undefined) {
    const typed = findSwitchyardError(err);
    const e = typed ?? (err instanceof Error ? err : new Error(String(err)));
    span.setAttribute("error.type", e.name);
    span.recordException(e);
    span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
  } else if (status >= 500) {
    span.setAttribute("error.type", String(status));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

/**
 * Linkerd's routing failure annotation (L1 `RoutingFactory.Annotations.Failure`, recorded by
 * `RoutingFactory` and the path stack's `AcquisitionFailure` module, `Router.scala`): the binary
 * annotation `io.buoyant.router.Failure` on the server span, `Identification` when no identifier
 * named the request, `ClientAcquisition` when the name did not bind to a client that could be
 * reached (no brokers, a binding timeout, a refused connection: Finagle connects while acquiring
 * the service), `Service` when the upstream exchange itself failed (RoutingFactoryTest).
 */
export const ROUTER_FAILURE_KEY = "io.buoyant.router.Failure";

/**
 * The {@link ROUTER_FAILURE_KEY} value for an error that ended a request, if it is one.
 *
 * @param err what the router's stack threw
 * @returns `Identification`, `ClientAcquisition`, `Service` or undefined
 */
export function routerFailure(err: unknown): string | undefined {
  const e = findSwitchyardError(err);
  switch (e?.name) {
    case "UnknownDestination":
      return "Identification";
    case "NoHostsAvailable":
    case "BindFailed":
    case "ConnectFailed":
      return "ClientAcquisition";
    case "DeadlineExceeded":
      return e.message.startsWith("binding ") ? "ClientAcquisition" : undefined;
    case "UpstreamError":
    case "StreamReset":
      return "Service";
  }
  return undefined;
}

function errorStatus(err: unknown): number {
  return findSwitchyardError(err)?.status ?? 502;
}

/**
 * The server span filter of one router.
 *
 * @param tracer from the Linker's tracer provider
 * @param router the router label
 * @param baseDtab the router's base dtab as shown (`namer.dtab.base`)
 * @example
 * ```ts
 * import { serverSpan } from "./tracing_filter.ts";
 * import { createTracerProvider } from "./tracer.ts";
 * const tracer = createTracerProvider({
 *   sink: () => {},
 *   clock: { now: Date.now, mono: () => performance.now(), random: Math.random },
 * }).getTracer("switchyard");
 * const filter = serverSpan(tracer, "outgoing");
 * ```
 */
export function serverSpan(tracer: Tracer, router: string, baseDtab = ""): Filter {
  async function traced(req: Request, ctx: Ctx, next: Service): Promise<Response> {
    const parent = ctx.parentSpanId ? childOf(ctx.traceId, ctx.parentSpanId) : rootIn(ctx.traceId);
    const span = tracer.startSpan(req.method, {
      kind: SpanKind.SERVER,
      attributes: {
        "switchyard.router": router,
        "http.request.method": req.method,
        "url.path": ctx.url.pathname,
        "server.address": ctx.host,
        "client.address": ctx.remoteAddr,
        "router.label": router,
      },
    }, parent);
    // Linkerd's server label `<ip>/<port>` (ProtocolInitializer.configureServer): the Zipkin
    // service name of a server span.
    if (ctx.serverIp) span.setAttribute("switchyard.server", `${ctx.serverIp}/${ctx.serverPort}`);
    if (ctx.traceDebug) span.setAttribute("switchyard.debug", true);
    annotateRequest(span, req, ctx);
    ctx.spanId = span.spanContext().spanId;
    let rsp: Response | undefined;
    let err: unknown;
    try {
      rsp = await next(req, ctx);
      return rsp;
    } catch (e: unknown) {
      err = e ?? new Error("unknown error");
      throw e;
    } finally {
      if (ctx.dstStr) {
        span.updateName(`${req.method} ${ctx.dstStr}`);
        span.setAttribute("switchyard.service", ctx.dstStr);
      }
      if (ctx.bound) span.setAttribute("switchyard.client", ctx.bound.idStr);
      if (ctx.endpoint) span.setAttribute("switchyard.endpoint", ctx.endpoint);
      span.setAttribute("switchyard.retries", ctx.retries);
      // Linkerd's ClassifiedRetries records `finagle.retry` on the trace once per retry.
      if (ctx.retryTimes) { for (const t of ctx.retryTimes) span.addEvent("finagle.retry", t); }
      if (ctx.dstStr) {
        const local = showDtab(ctx.dtabLocal);
        span.setAttribute("dtab.base", baseDtab);
        span.setAttribute("dtab.local", local);
        span.setAttribute("namer.dtab.base", baseDtab);
        span.setAttribute("namer.dtab.local", local);
      }
      annotateDst(span, ctx);
      if (rsp) annotateResponse(span, rsp);
      const failure = err === undefined ? undefined : routerFailure(err);
      if (failure) span.setAttribute(ROUTER_FAILURE_KEY, failure);
      const status = rsp?.status ?? errorStatus(err);
      end(span, status, err, ctx.classification || (status < 500 ? "success" : "failure"));
    }
  }
  return function serverSpan(req, ctx, next) {
    return ctx.sampled && tracingSwitch.enabled ? traced(req, ctx, next) : next(req, ctx);
  };
}

/** Where a client span filter sits. */
export interface ClientSpanTarget {
  readonly router: string;
  /** Bound client id, `/#/io.l5d.fs/hello`. */
  readonly client: string;
  /** Endpoint host (ip). */
  readonly host: string;
  readonly port: number;
  /** Labels each attempt (default: success below 500). */
  readonly classify?: ClassifyAttempt;
}

/**
 * The client span filter of one endpoint.
 *
 * @param tracer from the Linker's tracer provider
 * @param target the endpoint this stack sends to
 * @example
 * ```ts
 * import { clientSpan } from "./tracing_filter.ts";
 * import { createTracerProvider } from "./tracer.ts";
 * const tracer = createTracerProvider({
 *   sink: () => {},
 *   clock: { now: Date.now, mono: () => performance.now(), random: Math.random },
 * }).getTracer("switchyard");
 * const filter = clientSpan(tracer, {
 *   router: "outgoing", client: "/#/io.l5d.fs/hello", host: "127.0.0.1", port: 8080,
 * });
 * ```
 */
export function clientSpan(tracer: Tracer, target: ClientSpanTarget): Filter {
  const endpoint = target.host.includes(":")
    ? `[${target.host}]:${target.port}`
    : `${target.host}:${target.port}`;
  const classify = target.classify ?? statusClassification;
  async function traced(req: Request, ctx: Ctx, next: Service): Promise<Response> {
    const serverSpanId = ctx.spanId, serverParent = ctx.parentSpanId;
    const span = tracer.startSpan(`${req.method} ${target.client}`, {
      kind: SpanKind.CLIENT,
      attributes: {
        "switchyard.router": target.router,
        "switchyard.service": ctx.dstStr,
        "switchyard.client": target.client,
        "switchyard.endpoint": endpoint,
        "switchyard.retry": ctx.attempt,
        "http.request.method": req.method,
        "url.path": ctx.url.pathname,
        "server.address": target.host,
        "server.port": target.port,
      },
    }, childOf(ctx.traceId, serverSpanId));
    if (ctx.traceDebug) span.setAttribute("switchyard.debug", true);
    annotateRequest(span, req, ctx);
    ctx.spanId = span.spanContext().spanId;
    ctx.parentSpanId = serverSpanId;
    let rsp: Response | undefined;
    let err: unknown;
    try {
      rsp = await next(req, ctx);
      return rsp;
    } catch (e: unknown) {
      err = e ?? new Error("unknown error");
      throw e;
    } finally {
      ctx.spanId = serverSpanId;
      ctx.parentSpanId = serverParent;
      if (rsp) annotateResponse(span, rsp);
      annotateDst(span, ctx);
      const classification = classify(req, ctx, rsp, err);
      annotateClassification(span, classification);
      end(span, rsp?.status ?? errorStatus(err), err, classification);
    }
  }
  return function clientSpan(req, ctx, next) {
    return ctx.sampled && tracingSwitch.enabled ? traced(req, ctx, next) : next(req, ctx);
  };
}
