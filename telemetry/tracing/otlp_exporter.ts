/**
 * OTLP/HTTP JSON trace exporter (`io.l5d.otlp`): POSTs `ExportTraceServiceRequest` as JSON to
 * the configured endpoint (default `http://127.0.0.1:4318/v1/traces`), per the OTLP spec's JSON
 * mapping: `resourceSpans[].scopeSpans[].spans[]`, trace and span ids as hex strings, 64-bit
 * integers (`*UnixNano`, `intValue`) as decimal strings, enums as numbers. Sent with `fetch`,
 * which refuses WHATWG "bad ports" (e.g. 6000, 10080): put collectors elsewhere.
 *
 * @module
 */
import { type AttributeValue, SpanKind } from "@opentelemetry/api";
import type { FinishedSpan } from "./tracer.ts";
import type { SpanExporter } from "./batch_processor.ts";

/** An OTLP `AnyValue` in JSON form. */
export type OtlpAnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: OtlpAnyValue[] } };

/** An OTLP `KeyValue`. */
export interface OtlpKeyValue {
  key: string;
  value: OtlpAnyValue;
}

function anyValue(v: unknown): OtlpAnyValue {
  if (typeof v === "string") return { stringValue: v };
  if (typeof v === "boolean") return { boolValue: v };
  if (typeof v === "number") {
    return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  }
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyValue) } };
  return { stringValue: String(v) };
}

function keyValues(attrs: Readonly<Record<string, AttributeValue>>): OtlpKeyValue[] {
  const out: OtlpKeyValue[] = [];
  for (const key in attrs) out.push({ key, value: anyValue(attrs[key]) });
  return out;
}

/** Epoch ms (µs precision) → OTLP nanoseconds as a decimal string. */
function nanos(ms: number): string {
  return `${Math.round(ms * 1000)}000`;
}

/** OTLP `Span.SpanKind`: the API's enum shifted by one (0 is UNSPECIFIED in OTLP). */
function otlpKind(kind: SpanKind): number {
  return kind + 1;
}

/** Resource of the exported spans. */
export interface OtlpResource {
  /** `service.name` (the telemeter's `serviceName`, default `switchyard`). */
  readonly serviceName: string;
  /** More resource attributes. */
  readonly attributes?: Readonly<Record<string, AttributeValue>>;
}

/**
 * Build the OTLP JSON request body for a batch of spans.
 *
 * @example
 * ```ts
 * import { otlpTraceRequest } from "./otlp_exporter.ts";
 * const body = otlpTraceRequest([], { serviceName: "switchyard" });
 * body.resourceSpans.length; // 1
 * ```
 */
export function otlpTraceRequest(
  spans: readonly FinishedSpan[],
  resource: OtlpResource,
): { resourceSpans: Record<string, unknown>[] } {
  const byScope = new Map<string, Record<string, unknown>[]>();
  for (const s of spans) {
    let list = byScope.get(s.scope);
    if (!list) byScope.set(s.scope, list = []);
    const span: Record<string, unknown> = {
      traceId: s.traceId,
      spanId: s.spanId,
      name: s.name,
      kind: otlpKind(s.kind),
      startTimeUnixNano: nanos(s.startMs),
      endTimeUnixNano: nanos(s.endMs),
      attributes: keyValues(s.attributes),
      status: s.status.message === undefined
        ? { code: s.status.code }
        : { code: s.status.code, message: s.status.message },
    };
    if (s.parentSpanId) span.parentSpanId = s.parentSpanId;
    if (s.events.length > 0) {
      span.events = s.events.map((e) => ({ timeUnixNano: nanos(e.timeMs), name: e.name }));
    }
    list.push(span);
  }
  return {
    resourceSpans: [{
      resource: {
        attributes: keyValues({ "service.name": resource.serviceName, ...resource.attributes }),
      },
      scopeSpans: [...byScope].map(([name, list]) => ({ scope: { name }, spans: list })),
    }],
  };
}

/** Options of {@link otlpExporter}. */
export interface OtlpExporterOptions {
  /** Full URL, e.g. `http://127.0.0.1:4318/v1/traces`. */
  readonly endpoint: string;
  readonly resource: OtlpResource;
  /** Extra request headers (auth). */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * An exporter that POSTs OTLP/HTTP JSON.
 *
 * @throws (the returned `export`) Error when the collector answers non-2xx or cannot be reached.
 * @example
 * ```ts
 * import { otlpExporter } from "./otlp_exporter.ts";
 * const e = otlpExporter({
 *   endpoint: "http://127.0.0.1:4318/v1/traces",
 *   resource: { serviceName: "switchyard" },
 * });
 * ```
 */
export function otlpExporter(opts: OtlpExporterOptions): SpanExporter {
  const headers = { "content-type": "application/json", ...opts.headers };
  return {
    name: `otlp ${opts.endpoint}`,
    async export(spans, signal) {
      const rsp = await fetch(opts.endpoint, {
        method: "POST",
        headers,
        body: JSON.stringify(otlpTraceRequest(spans, opts.resource)),
        signal,
      });
      await rsp.body?.cancel();
      if (!rsp.ok) throw new Error(`OTLP collector answered ${rsp.status}`);
    },
  };
}
