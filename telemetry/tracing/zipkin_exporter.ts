/**
 * Zipkin v2 JSON exporter (`io.l5d.zipkin`, `io.l5d.zipkinHttp`): POSTs a JSON array of v2
 * spans to `http://host:port/api/v2/spans`. Linkerd 1.x's `io.l5d.zipkin` sent Thrift over Scribe
 * to `host:port` (default `localhost:9410`); Scribe is gone from current Zipkin, so the same
 * `host`/`port` keys now name a Zipkin HTTP collector, and `io.l5d.zipkinHttp` takes a full
 * `url`. Trace ids keep their 64-bit spelling when the high half is zero; attributes become
 * string tags; an ERROR status adds the `error` tag Zipkin UIs highlight. Sent with `fetch`, which
 * refuses WHATWG "bad ports" (e.g. 6000, 10080).
 *
 * @module
 */
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { FinishedSpan } from "./tracer.ts";
import type { SpanExporter } from "./batch_processor.ts";
import { normalizeTraceId } from "./ids.ts";

/** A Zipkin v2 endpoint. */
export interface ZipkinEndpoint {
  serviceName?: string;
  ipv4?: string;
  ipv6?: string;
  port?: number;
}

/** A Zipkin v2 span (the fields we send). */
export interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name: string;
  kind?: "SERVER" | "CLIENT" | "PRODUCER" | "CONSUMER";
  /** Epoch µs. */
  timestamp: number;
  /** µs, at least 1. */
  duration: number;
  localEndpoint: ZipkinEndpoint;
  remoteEndpoint?: ZipkinEndpoint;
  annotations?: { timestamp: number; value: string }[];
  tags: Record<string, string>;
}

const KIND: Partial<Record<SpanKind, ZipkinSpan["kind"]>> = {
  [SpanKind.SERVER]: "SERVER",
  [SpanKind.CLIENT]: "CLIENT",
  [SpanKind.PRODUCER]: "PRODUCER",
  [SpanKind.CONSUMER]: "CONSUMER",
};

function endpoint(address: unknown, port: unknown): ZipkinEndpoint | undefined {
  if (typeof address !== "string" || address === "") return undefined;
  const ep: ZipkinEndpoint = {};
  const bare = address.startsWith("[") ? address.slice(1, -1) : address;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(bare)) ep.ipv4 = bare;
  else if (bare.includes(":")) ep.ipv6 = bare;
  else ep.serviceName = bare;
  if (typeof port === "number" && port > 0) ep.port = port;
  return ep;
}

/**
 * Convert one finished span to Zipkin v2.
 *
 * @param serviceName the `localEndpoint.serviceName`
 * @example
 * ```ts
 * import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
 * import { toZipkinSpan } from "./zipkin_exporter.ts";
 * toZipkinSpan({
 *   traceId: "0000000000000000a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", parentSpanId: "",
 *   name: "GET /svc/hello", kind: SpanKind.SERVER, startMs: 1000, endMs: 1002.5,
 *   attributes: {}, status: { code: SpanStatusCode.UNSET }, events: [], scope: "switchyard",
 * }, "outgoing").duration; // 2500
 * ```
 */
export function toZipkinSpan(s: FinishedSpan, serviceName: string): ZipkinSpan {
  const tags: Record<string, string> = {};
  for (const k in s.attributes) {
    const v = s.attributes[k];
    tags[k] = Array.isArray(v) ? v.join(",") : String(v);
  }
  if (s.status.code === SpanStatusCode.ERROR) tags.error = s.status.message || "true";
  const start = Math.round(s.startMs * 1000);
  const z: ZipkinSpan = {
    traceId: normalizeTraceId(s.traceId) || s.traceId,
    id: s.spanId,
    name: s.name.toLowerCase(),
    timestamp: start,
    duration: Math.max(1, Math.round(s.endMs * 1000) - start),
    localEndpoint: { serviceName },
    tags,
  };
  if (s.parentSpanId) z.parentId = s.parentSpanId;
  const kind = KIND[s.kind];
  if (kind) z.kind = kind;
  const remote = s.kind === SpanKind.CLIENT
    ? endpoint(s.attributes["server.address"], s.attributes["server.port"])
    : endpoint(s.attributes["client.address"], undefined);
  if (remote) z.remoteEndpoint = remote;
  if (s.events.length > 0) {
    z.annotations = s.events.map((e) => ({
      timestamp: Math.round(e.timeMs * 1000),
      value: e.name,
    }));
  }
  return z;
}

/** Options of {@link zipkinExporter}. */
export interface ZipkinExporterOptions {
  /** Full URL, e.g. `http://127.0.0.1:9411/api/v2/spans`. */
  readonly url: string;
  /** `localEndpoint.serviceName` of a span. */
  readonly serviceName: (span: FinishedSpan) => string;
}

/**
 * An exporter that POSTs Zipkin v2 JSON.
 *
 * @throws (the returned `export`) Error when the collector answers non-2xx or cannot be reached.
 * @example
 * ```ts
 * import { zipkinExporter } from "./zipkin_exporter.ts";
 * const e = zipkinExporter({
 *   url: "http://127.0.0.1:9411/api/v2/spans",
 *   serviceName: () => "switchyard",
 * });
 * ```
 */
export function zipkinExporter(opts: ZipkinExporterOptions): SpanExporter {
  return {
    name: `zipkin ${opts.url}`,
    async export(spans, signal) {
      const rsp = await fetch(opts.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(spans.map((s) => toZipkinSpan(s, opts.serviceName(s)))),
        signal,
      });
      await rsp.body?.cancel();
      if (!rsp.ok) throw new Error(`Zipkin collector answered ${rsp.status}`);
    },
  };
}
