/**
 * A small OpenTelemetry tracer: `@opentelemetry/api`'s `TracerProvider`, `Tracer` and `Span`
 * implemented here, handing each ended span to a sink (the batch processor, then the OTLP and
 * Zipkin exporters).
 *
 * Why not the OTel SDK or Deno's built-in OpenTelemetry:
 * - Deno's `OTEL_DENO=true` telemetry is process-global and configured by environment variables,
 *   so it cannot honour per-config endpoints and sample rates, nor keep two linkers in one
 *   process (hot reload, tests) apart. It also instruments `Deno.serve` and `fetch` on its own,
 *   which would double our server spans and miss our client spans (the transport is our
 *   HTTP/1.1 client, not `fetch`).
 * - `@opentelemetry/sdk-trace-base` plus `exporter-trace-otlp-http` pull in five packages
 *   (protobuf support included) for what is, here, ~300 lines: we already make the sampling
 *   decision (trace_ctx.ts), so the SDK's samplers, id generators and context managers would go
 *   unused, and we need spans to take the trace id the request decided (Linkerd's 64-bit ids).
 *
 * So spans are created through `@opentelemetry/api` (`tracer.startSpan(name, options, context)`),
 * against a provider owned by the Linker (never registered as the global provider), and the
 * exporters post OTLP/HTTP JSON and Zipkin v2 JSON themselves.
 *
 * Parent context: pass `childOf(traceId, spanId)` for a span whose parent is known, or
 * `rootIn(traceId)` for a root span of a trace whose id is already decided. Under an unsampled
 * parent the tracer returns a non-recording span (API semantics); the filters never get that far,
 * since unsampled requests skip the tracer entirely.
 *
 * @module
 */
import {
  type Attributes,
  type AttributeValue,
  type Context,
  context as otelContext,
  type Exception,
  INVALID_SPANID,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  type SpanOptions,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
  trace,
  TraceFlags,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";
import { isValidHexId, newId64, traceId32 } from "./ids.ts";

/** An ended span, as exporters see it. Times are epoch milliseconds with µs precision. */
export interface FinishedSpan {
  /** 32 hex digits. */
  readonly traceId: string;
  readonly spanId: string;
  /** `""` for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: SpanKind;
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly status: SpanStatus;
  readonly events: readonly { readonly name: string; readonly timeMs: number }[];
  /** The instrumentation scope (tracer name). */
  readonly scope: string;
}

/** Receives every ended span. Must not block or throw. */
export type SpanSink = (span: FinishedSpan) => void;

/** Time and ids for the tracer (a `Clock` fits). */
export interface TracerClock {
  /** Epoch ms. */
  now(): number;
  /** Monotonic ms. */
  mono(): number;
  /** Uniform [0, 1). */
  random(): number;
}

function toMs(t: TimeInput): number {
  if (typeof t === "number") return t;
  if (t instanceof Date) return t.getTime();
  return t[0] * 1000 + t[1] / 1e6;
}

class RecordingSpan implements Span {
  readonly #ctx: SpanContext;
  readonly #parent: string;
  readonly #kind: SpanKind;
  readonly #scope: string;
  readonly #startMs: number;
  readonly #attributes: Record<string, AttributeValue> = {};
  readonly #events: { name: string; timeMs: number }[] = [];
  readonly #now: () => number;
  readonly #sink: SpanSink;
  #name: string;
  #status: SpanStatus = { code: SpanStatusCode.UNSET };
  #ended = false;

  constructor(
    name: string,
    ctx: SpanContext,
    parent: string,
    opts: SpanOptions,
    scope: string,
    now: () => number,
    sink: SpanSink,
  ) {
    this.#name = name;
    this.#ctx = ctx;
    this.#parent = parent;
    this.#kind = opts.kind ?? SpanKind.INTERNAL;
    this.#scope = scope;
    this.#now = now;
    this.#sink = sink;
    this.#startMs = opts.startTime === undefined ? now() : toMs(opts.startTime);
    if (opts.attributes) this.setAttributes(opts.attributes);
  }
  spanContext(): SpanContext {
    return this.#ctx;
  }
  setAttribute(key: string, value: AttributeValue): this {
    if (!this.#ended && value !== undefined && value !== null) this.#attributes[key] = value;
    return this;
  }
  setAttributes(attributes: Attributes): this {
    for (const k in attributes) this.setAttribute(k, attributes[k]);
    return this;
  }
  addEvent(name: string, attrsOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.#ended) return this;
    const t = time ?? (typeof attrsOrTime === "number" || attrsOrTime instanceof Date ||
        Array.isArray(attrsOrTime)
      ? attrsOrTime as TimeInput
      : undefined);
    this.#events.push({ name, timeMs: t === undefined ? this.#now() : toMs(t) });
    return this;
  }
  addLink(_link: Link): this {
    return this; // links are not exported
  }
  addLinks(_links: Link[]): this {
    return this;
  }
  setStatus(status: SpanStatus): this {
    if (!this.#ended) this.#status = status;
    return this;
  }
  updateName(name: string): this {
    if (!this.#ended) this.#name = name;
    return this;
  }
  isRecording(): boolean {
    return !this.#ended;
  }
  recordException(exception: Exception, time?: TimeInput): void {
    const e = typeof exception === "string" ? { message: exception } : exception;
    const name = "name" in e && e.name ? String(e.name) : "Error";
    this.setAttribute("exception.type", name);
    if (e.message) this.setAttribute("exception.message", e.message);
    this.addEvent("exception", time);
  }
  end(endTime?: TimeInput): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#sink({
      traceId: this.#ctx.traceId,
      spanId: this.#ctx.spanId,
      parentSpanId: this.#parent,
      name: this.#name,
      kind: this.#kind,
      startMs: this.#startMs,
      endMs: endTime === undefined ? this.#now() : toMs(endTime),
      attributes: this.#attributes,
      status: this.#status,
      events: this.#events,
      scope: this.#scope,
    });
  }
}

class SwitchyardTracer implements Tracer {
  readonly #scope: string;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #sink: SpanSink;

  constructor(scope: string, random: () => number, now: () => number, sink: SpanSink) {
    this.#scope = scope;
    this.#random = random;
    this.#now = now;
    this.#sink = sink;
  }

  startSpan(name: string, options: SpanOptions = {}, context?: Context): Span {
    const parent = options.root ? undefined : trace.getSpanContext(context ?? otelContext.active());
    const hasTrace = parent !== undefined && isValidHexId(parent.traceId, 32);
    if (hasTrace && (parent.traceFlags & TraceFlags.SAMPLED) === 0) {
      return trace.wrapSpanContext({ ...parent, spanId: newId64(this.#random), isRemote: false });
    }
    const traceId = hasTrace
      ? parent.traceId
      : traceId32(newId64(this.#random) + newId64(this.#random));
    const parentSpanId = hasTrace && isValidHexId(parent.spanId, 16) ? parent.spanId : "";
    const ctx: SpanContext = {
      traceId,
      spanId: newId64(this.#random),
      traceFlags: TraceFlags.SAMPLED,
      isRemote: false,
    };
    return new RecordingSpan(name, ctx, parentSpanId, options, this.#scope, this.#now, this.#sink);
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    context: Context,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    a?: SpanOptions | F,
    b?: Context | F,
    c?: F,
  ): ReturnType<F> {
    const fn = (c ?? (typeof b === "function" ? b : a)) as F;
    const options = typeof a === "object" ? a : {};
    const parent = typeof b === "object" ? b : otelContext.active();
    const span = this.startSpan(name, options, parent);
    const run = fn as (span: Span) => ReturnType<F>;
    return otelContext.with(trace.setSpan(parent, span), run, undefined, span);
  }
}

/** Options of {@link createTracerProvider}. */
export interface TracerProviderOptions {
  /** Where ended spans go. */
  readonly sink: SpanSink;
  /** Time and randomness (the router's `Clock`). */
  readonly clock: TracerClock;
}

/**
 * Make a tracer provider whose spans go to `sink`. Not registered globally.
 *
 * @example
 * ```ts
 * import { childOf, createTracerProvider, type FinishedSpan } from "./tracer.ts";
 * const spans: FinishedSpan[] = [];
 * const tracer = createTracerProvider({
 *   sink: (s) => spans.push(s),
 *   clock: { now: Date.now, mono: () => performance.now(), random: Math.random },
 * }).getTracer("switchyard");
 * tracer.startSpan("GET", {}, childOf("a3ce929d0e0e4736", "00f067aa0ba902b7")).end();
 * spans[0]?.parentSpanId; // "00f067aa0ba902b7"
 * ```
 */
export function createTracerProvider(opts: TracerProviderOptions): TracerProvider {
  const { clock, sink } = opts;
  // Epoch time with sub-ms precision: one wall-clock anchor plus the monotonic clock.
  const anchor = clock.now() - clock.mono();
  const now = () => anchor + clock.mono();
  const random = () => clock.random();
  const tracers = new Map<string, Tracer>();
  return {
    getTracer(name: string, version?: string): Tracer {
      const key = `${name}@${version ?? ""}`;
      let t = tracers.get(key);
      if (!t) tracers.set(key, t = new SwitchyardTracer(name, random, now, sink));
      return t;
    },
  };
}

function withSpanContext(traceId: string, spanId: string): Context {
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: traceId32(traceId),
    spanId,
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
}

/**
 * A context whose span is the (sampled) span `spanId` of trace `traceId`: spans started in it
 * are its children.
 *
 * @param traceId 16 or 32 hex digits
 * @param spanId 16 hex digits
 */
export function childOf(traceId: string, spanId: string): Context {
  return withSpanContext(traceId, spanId);
}

/**
 * A context that names a trace but no parent span: a span started in it is a root span of
 * `traceId` (the request's trace id was decided before the span started). This tracer's
 * convention; other tracers treat it as no parent.
 *
 * @param traceId 16 or 32 hex digits
 */
export function rootIn(traceId: string): Context {
  return withSpanContext(traceId, INVALID_SPANID);
}
