/**
 * Trace context propagation: W3C `traceparent`/`tracestate`, B3 (single `b3` and multi
 * `x-b3-*`), and Linkerd's `l5d-ctx-trace`, read once when a request arrives and written on every
 * upstream attempt.
 *
 * In: the first *valid* one of `traceparent`, `b3`, `x-b3-*`, `l5d-ctx-trace` gives the trace id,
 * the caller's span (our parent) and the caller's sampling decision, except that a valid
 * `l5d-ctx-trace` of another trace wins (Linkerd's io.l5d.default reads only it) and that the
 * `io.l5d.zipkin` propagator reads `b3`/`x-b3-*` first (`readInboundTrace`); malformed headers
 * are ignored. No usable header starts a new trace with a fresh 64-bit id (what Linkerd 1.x makes).
 * Sampling: `l5d-sample` (clamped to [0, 1]) decides when present, over a decision carried by the
 * request too, as Linkerd's TraceInitializer.ServerFilter; otherwise the request's decision is
 * honoured, else the configured `sampleRate` decides (sampler.ts). A debug trace (`x-b3-flags: 1`,
 * b3 `d`, Finagle's Debug flag) is always sampled and goes on as debug.
 *
 * Without a tracing telemeter (`sampleRate` undefined) this hop records no span, so it stays
 * transparent: an inbound W3C or B3 context goes on with the caller's span, and a request without
 * one gets only what Linkerd 1.x sent when it had no tracer: a trace id in `l5d-reqid` and an
 * `l5d-ctx-trace` with no sampling decision, leaving W3C and Zipkin apps to start their own
 * traces as before. That `l5d-ctx-trace` names a span of the request's own (`ctx.l5dSpanId`), a
 * child of the caller's span (of the root, `span = trace`, for a new trace), as Finagle's client
 * TraceInitializerFilter makes one whether a tracer is set or not (HttpTraceInitializerTest
 * 'parent/child requests are assigned linked request ids'), with the caller's decision, or none. With the
 * `io.l5d.zipkin` trace propagator such a request gets a new span and every header below (B3
 * included, `x-b3-sampled: 0` unless sampled), as Linkerd's ZipkinTracePropagator writes B3 on
 * every request.
 *
 * Out: every format at once, all naming the same span, so Linkerd hops, Zipkin (B3) apps and
 * W3C apps join one trace: `traceparent`, `b3`, `x-b3-traceid`/`spanid`/`parentspanid`/`sampled`
 * (a debug trace: `x-b3-flags: 1` and no `x-b3-sampled`, b3 `d`, as the B3 spec has it; with the
 * `io.l5d.zipkin` propagator `x-b3-sampled` and `x-b3-flags` on every request, as Linkerd's
 * ZipkinTrace.set),
 * `l5d-ctx-trace`, and `l5d-reqid` = the
 * trace id. `tracestate` passes through untouched (we add no vendor entry). `l5d-sample` is never
 * forwarded (router/http/forward.ts drops it).
 *
 * Header names are spelled here, not taken from router/http/headers.ts, because telemetry/ may
 * only import router/core/; they are the same strings.
 *
 * @module
 */
import type { Ctx } from "../../router/core/ctx.ts";
import { isValidHexId, newId64, normalizeTraceId, traceId32 } from "./ids.ts";
import { decodeL5dCtxTrace, encodeL5dCtxTrace } from "./l5d_ctx_trace.ts";
import { parseSampleHeader, sampledAtRate } from "./sampler.ts";

/** The trace header names (lower case). */
/** What decoding reads: a `Headers`, or any map-like view of the request's headers. */
export interface HeaderGet {
  get(name: string): string | null;
}

/** Where trace headers are written: a `Headers`, or the router's upstream header list. */
export interface HeaderSink {
  set(name: string, value: string): void;
  delete(name: string): void;
}

export const TRACE_HEADERS = {
  traceparent: "traceparent",
  tracestate: "tracestate",
  b3: "b3",
  b3TraceId: "x-b3-traceid",
  b3SpanId: "x-b3-spanid",
  b3ParentSpanId: "x-b3-parentspanid",
  b3Sampled: "x-b3-sampled",
  b3Flags: "x-b3-flags",
  l5dCtxTrace: "l5d-ctx-trace",
  l5dReqId: "l5d-reqid",
  l5dSample: "l5d-sample",
} as const;
const T = TRACE_HEADERS;

/** What a request says about its trace. `traceId` is `""` when it carries only a decision. */
export interface InboundTrace {
  readonly traceId: string;
  /** The caller's span id (our parent), `""` when absent. */
  readonly spanId: string;
  /** `undefined` = the caller deferred the decision. */
  readonly sampled: boolean | undefined;
  /** A debug trace (B3 `x-b3-flags: 1` or `d`, Finagle's Debug flag): sampled, and kept debug. */
  readonly debug?: boolean;
}

/**
 * Parse a W3C `traceparent` (version 00, and later versions read as 00 per the spec).
 *
 * @returns the trace, or `undefined` when malformed (wrong length, upper case, zero ids, `ff`)
 * @example
 * ```ts
 * import { parseTraceparent } from "./trace_ctx.ts";
 * parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")?.sampled; // true
 * ```
 */
export function parseTraceparent(v: string): InboundTrace | undefined {
  const s = v.trim();
  if (s.length < 55 || s[2] !== "-" || s[35] !== "-" || s[52] !== "-") return undefined;
  const version = s.slice(0, 2);
  if (!/^[0-9a-f]{2}$/.test(version) || version === "ff") return undefined;
  if (version === "00" && s.length !== 55) return undefined;
  if (s.length > 55 && s[55] !== "-") return undefined;
  const traceId = s.slice(3, 35), spanId = s.slice(36, 52), flags = s.slice(53, 55);
  if (!isValidHexId(traceId, 32) || !isValidHexId(spanId, 16)) return undefined;
  if (!/^[0-9a-f]{2}$/.test(flags)) return undefined;
  return { traceId: normalizeTraceId(traceId), spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

function b3Sampling(v: string): boolean | undefined | null {
  switch (v) {
    case "1":
    case "d":
    case "true":
      return true;
    case "0":
    case "false":
      return false;
    default:
      return null; // malformed
  }
}

/**
 * Parse a single `b3` header: `{traceId}-{spanId}[-{sampling}[-{parentSpanId}]]` or a lone
 * sampling state (`0`, `1`, `d`).
 *
 * @returns the trace, or `undefined` when malformed
 * @example
 * ```ts
 * import { parseB3Single } from "./trace_ctx.ts";
 * parseB3Single("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90")?.spanId;
 * // "e457b5a2e4d86bd1"
 * ```
 */
export function parseB3Single(v: string): InboundTrace | undefined {
  const parts = v.trim().toLowerCase().split("-");
  if (parts.length === 1) {
    const sampled = b3Sampling(parts[0]!);
    if (sampled === null) return undefined;
    return parts[0] === "d"
      ? { traceId: "", spanId: "", sampled, debug: true }
      : { traceId: "", spanId: "", sampled };
  }
  if (parts.length > 4) return undefined;
  const traceId = normalizeTraceId(parts[0]!);
  const spanId = parts[1]!;
  if (!traceId || !isValidHexId(spanId, 16)) return undefined;
  let sampled: boolean | undefined = undefined;
  if (parts.length >= 3) {
    const s = b3Sampling(parts[2]!);
    if (s === null) return undefined;
    sampled = s;
  }
  if (parts.length === 4 && !isValidHexId(parts[3]!, 16)) return undefined;
  return parts[2] === "d"
    ? { traceId, spanId, sampled, debug: true }
    : { traceId, spanId, sampled };
}

/**
 * Parse the multi-header B3 form (`x-b3-traceid`, `x-b3-spanid`, `x-b3-sampled`, `x-b3-flags`).
 *
 * @returns the trace, `undefined` when no B3 header is present or the ids are malformed
 * @example
 * ```ts
 * import { parseB3Multi } from "./trace_ctx.ts";
 * parseB3Multi(new Headers({ "x-b3-sampled": "0" })); // { traceId: "", spanId: "", sampled: false }
 * ```
 */
export function parseB3Multi(h: HeaderGet): InboundTrace | undefined {
  const rawTrace = h.get(T.b3TraceId), rawSpan = h.get(T.b3SpanId);
  const rawSampled = h.get(T.b3Sampled), flags = h.get(T.b3Flags);
  let sampled: boolean | undefined = undefined;
  const debug = flags !== null && flags.trim() === "1";
  if (debug) sampled = true;
  else if (rawSampled !== null) {
    const s = b3Sampling(rawSampled.trim().toLowerCase());
    if (s !== null) sampled = s;
  }
  const d = debug ? { debug } : {};
  if (rawTrace === null && rawSpan === null) {
    return sampled === undefined ? undefined : { traceId: "", spanId: "", sampled, ...d };
  }
  const traceId = normalizeTraceId((rawTrace ?? "").trim());
  const spanId = (rawSpan ?? "").trim().toLowerCase();
  if (!traceId || !isValidHexId(spanId, 16)) return undefined;
  return { traceId, spanId, sampled, ...d };
}

/**
 * Read the request's trace. With `io.l5d.zipkin` the first valid of `b3`, `x-b3-*` (Linkerd's
 * ZipkinTrace.get reads `b3` ahead of `x-b3-*`), `l5d-ctx-trace`, `traceparent`. With
 * `io.l5d.default`, whose Linkerd reads only `l5d-ctx-trace`: the first valid of `traceparent`,
 * `b3`, `x-b3-*` when it continues the same trace as a valid `l5d-ctx-trace` (an instrumented app
 * between two hops wrote its own span there; a debug flag in `l5d-ctx-trace` is kept), else
 * `l5d-ctx-trace`. So a request from a Linkerd hop that also carries an app's own, unrelated W3C
 * or B3 headers continues the trace Linkerd would.
 *
 * @param propagator the router's `tracePropagator` kind (default `io.l5d.default`)
 * @returns the inbound trace, or `undefined` when none is usable
 */
export function readInboundTrace(
  h: HeaderGet,
  propagator: TracePropagatorKind = "io.l5d.default",
): InboundTrace | undefined {
  if (propagator === "io.l5d.zipkin") {
    return fromB3(h) ?? fromL5d(h) ?? fromTraceparent(h);
  }
  const other = fromTraceparent(h) ?? fromB3(h);
  const l5d = fromL5d(h);
  if (l5d === undefined) return other;
  if (other === undefined || other.traceId !== l5d.traceId) return l5d;
  return l5d.debug && !other.debug ? { ...other, sampled: true, debug: true } : other;
}

function fromTraceparent(h: HeaderGet): InboundTrace | undefined {
  const tp = h.get(T.traceparent);
  return tp === null ? undefined : parseTraceparent(tp);
}

function fromB3(h: HeaderGet): InboundTrace | undefined {
  const b3 = h.get(T.b3);
  return (b3 === null ? undefined : parseB3Single(b3)) ?? parseB3Multi(h);
}

function fromL5d(h: HeaderGet): InboundTrace | undefined {
  const l5d = h.get(T.l5dCtxTrace);
  return l5d === null ? undefined : decodeL5dCtxTrace(l5d);
}

/**
 * Whether spans are recorded at all (`/admin/tracing?enable=true|disable=true`, twitter-server's
 * `Trace.enable`/`disable`). While disabled, trace context is still decoded and propagated with
 * its sampling decision; only this process's span filters stop recording.
 */
export const tracingSwitch: { enabled: boolean } = { enabled: true };

/** What decoding needs besides the headers. */
export interface TraceDecodeOptions {
  /**
   * The sample rate for new traces without an `l5d-sample` header; `undefined` when no tracing
   * telemeter is configured (this hop records nothing and propagates transparently).
   */
  readonly sampleRate: number | undefined;
  /** Uniform [0, 1) source for new ids. */
  readonly random: () => number;
  /**
   * The router's `tracePropagator` kind (default `io.l5d.default`). With `io.l5d.zipkin` every
   * upstream request carries a span of its own, so the B3 headers (`x-b3-traceid`,
   * `x-b3-spanid`, required) are written even without a tracer, as Linkerd's
   * ZipkinTracePropagator writes them on every request (L1 `protocol-http.md`, "Zipkin Trace
   * Propagator").
   */
  readonly propagator?: TracePropagatorKind | undefined;
}

/** `routers[].tracePropagator.kind` (L1 `protocol-http.md`, "HTTP/1.1 Trace Propagators"). */
export type TracePropagatorKind = "io.l5d.default" | "io.l5d.zipkin";

/**
 * Fill `ctx.traceId`, `ctx.spanId` (this hop's server span, new), `ctx.parentSpanId` (the
 * caller's span) and `ctx.sampled` from the request headers. Without a tracer
 * (`opts.sampleRate` undefined), `ctx.spanId` is the caller's span, or `""` for a new trace with
 * no sampling decision.
 *
 * @example
 * ```ts
 * import { decodeTraceContext } from "./trace_ctx.ts";
 * import { Ctx } from "../../router/core/ctx.ts";
 * const ctx = new Ctx({
 *   url: new URL("http://a/"), router: "r", signal: new AbortController().signal,
 *   startMs: 0, host: "a", target: "/",
 * });
 * decodeTraceContext(new Headers({ "l5d-sample": "1" }), ctx, { sampleRate: 0, random: Math.random });
 * ctx.sampled; // true
 * ```
 */
export function decodeTraceContext(h: HeaderGet, ctx: Ctx, opts: TraceDecodeOptions): void {
  const inbound = readInboundTrace(h, opts.propagator);
  const headerRate = parseSampleHeader(h.get(T.l5dSample));
  const transparent = opts.sampleRate === undefined;
  // With io.l5d.zipkin and no tracer, B3 carries the request's own span as Linkerd's
  // ZipkinTracePropagator writes it: Finagle's client span, a child of the server span (the
  // caller's span, or the new trace's root, whose id is the trace id).
  const zipkin = opts.propagator === "io.l5d.zipkin";
  ctx.zipkinPropagator = zipkin;
  const passThrough = transparent && !zipkin;
  if (inbound?.traceId) {
    ctx.traceId = inbound.traceId;
    ctx.parentSpanId = passThrough ? "" : inbound.spanId;
    ctx.spanId = passThrough ? inbound.spanId : newId64(opts.random);
  } else {
    ctx.traceId = newId64(opts.random);
    ctx.parentSpanId = transparent && zipkin ? ctx.traceId : "";
    const deferred = passThrough && headerRate === undefined && inbound?.sampled === undefined;
    ctx.spanId = deferred ? "" : newId64(opts.random);
  }
  // Linkerd's TraceInitializer.ServerFilter sets `_sampled` from `l5d-sample` whatever the
  // inbound id says (Headers.Sample: "At 1.0, the trace is marked as sampled on all downstream
  // requests"); only Debug, which Finagle reads as sampled before `_sampled`, outranks it.
  ctx.traceDebug = inbound?.debug === true;
  // Without a tracer nothing here samples (Finagle's NullTracer.sampleTrace is None and Linkerd's
  // TraceInitializer.ServerFilter samples only by l5d-sample): a caller's undecided trace stays
  // undecided upstream (L1 TraceInitializerTest "does not set sampled on trace when sampler is
  // not present").
  ctx.sampleDeferred = transparent && !ctx.traceDebug && headerRate === undefined &&
    inbound?.sampled === undefined && opts.propagator !== "io.l5d.zipkin";
  ctx.sampled = ctx.traceDebug ||
    (headerRate !== undefined
      ? sampledAtRate(ctx.traceId, headerRate)
      : inbound?.sampled ?? sampledAtRate(ctx.traceId, opts.sampleRate ?? 0));
  if (passThrough) {
    // Finagle's client TraceInitializerFilter gives every request a span of its own (Trace.nextId,
    // a child of the server span, which shares the caller's id), tracer or not: the next Linkerd
    // hop sees this hop as its parent. A decision nobody made stays unmade (NullTracer:
    // `ctx.sampleDeferred`).
    ctx.l5dSpanId = newId64(opts.random);
  }
}

/**
 * Write the trace headers for the span in `ctx` (`spanId`, child of `parentSpanId`) onto an
 * upstream request's headers, replacing any inbound ones.
 *
 * @example
 * ```ts
 * import { encodeTraceHeaders } from "./trace_ctx.ts";
 * import { Ctx } from "../../router/core/ctx.ts";
 * const ctx = new Ctx({
 *   url: new URL("http://a/"), router: "r", signal: new AbortController().signal,
 *   startMs: 0, host: "a", target: "/",
 * });
 * ctx.traceId = "a3ce929d0e0e4736";
 * ctx.spanId = "00f067aa0ba902b7";
 * const h = new Headers();
 * encodeTraceHeaders(h, ctx);
 * h.get("traceparent"); // "00-0000000000000000a3ce929d0e0e4736-00f067aa0ba902b7-00"
 * ```
 */
export function encodeTraceHeaders(h: HeaderSink, ctx: Ctx): void {
  const { traceId, spanId, parentSpanId, sampled, traceDebug: debug } = ctx;
  if (!traceId) return;
  h.set(T.l5dReqId, traceId);
  const l5dSpan = ctx.l5dSpanId;
  if (!spanId) {
    // No span here and no decision (no tracer): the request's own span, a child of the trace's
    // Finagle root (span = trace), sampling unknown.
    const root = traceId.length === 32 ? traceId.slice(16) : traceId;
    h.set(
      T.l5dCtxTrace,
      encodeL5dCtxTrace({
        traceId,
        spanId: l5dSpan || root,
        parentSpanId: l5dSpan ? root : "",
        sampled: undefined,
      }),
    );
    return;
  }
  const deferred = ctx.sampleDeferred;
  const flag = sampled || debug ? "1" : "0";
  const b3Flag = debug ? "d" : flag;
  h.set(T.traceparent, `00-${traceId32(traceId)}-${spanId}-0${flag}`);
  h.set(
    T.b3,
    parentSpanId
      ? `${traceId}-${spanId}-${b3Flag}-${parentSpanId}`
      : deferred
      ? `${traceId}-${spanId}`
      : `${traceId}-${spanId}-${b3Flag}`,
  );
  h.set(T.b3TraceId, traceId);
  h.set(T.b3SpanId, spanId);
  if (parentSpanId) h.set(T.b3ParentSpanId, parentSpanId);
  else h.delete(T.b3ParentSpanId);
  if (ctx.zipkinPropagator) {
    // Linkerd's ZipkinTrace.set (io.l5d.zipkin) writes both on every request: x-b3-sampled 1
    // when Finagle's TraceId.sampled is Some(true) (a debug id is), else 0; x-b3-flags its Flags
    // (Debug = 1).
    h.set(T.b3Sampled, flag);
    h.set(T.b3Flags, debug ? "1" : "0");
  } else if (debug) {
    // The B3 spec: debug is `x-b3-flags: 1`, without x-b3-sampled.
    h.set(T.b3Flags, "1");
    h.delete(T.b3Sampled);
  } else {
    if (deferred) h.delete(T.b3Sampled);
    else h.set(T.b3Sampled, flag);
    h.delete(T.b3Flags);
  }
  h.set(
    T.l5dCtxTrace,
    l5dSpan
      ? encodeL5dCtxTrace({
        traceId,
        spanId: l5dSpan,
        parentSpanId: spanId,
        sampled: deferred ? undefined : sampled,
        debug,
      })
      : encodeL5dCtxTrace({
        traceId,
        spanId,
        parentSpanId,
        sampled: deferred ? undefined : sampled,
        debug,
      }),
  );
}
