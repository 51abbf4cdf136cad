/**
 * Zipkin v2 JSON exporter (`io.l5d.zipkin`, `io.l5d.zipkinHttp`): POSTs a JSON array of v2
 * spans to `http://host:port/api/v2/spans`. Linkerd 1.x's `io.l5d.zipkin` sent Thrift over Scribe
 * to `host:port` (default `localhost:9410`); Scribe is gone from current Zipkin, so the same
 * `host`/`port` keys now name a Zipkin HTTP collector, and `io.l5d.zipkinHttp` takes a full
 * `url`. Trace ids keep their 64-bit spelling when the high half is zero; attributes become
 * string tags; an ERROR status adds the `error` tag Zipkin UIs highlight. Sent with `fetch`, which
 * refuses WHATWG "bad ports" (e.g. 6000, 10080).
 *
 * What a Zipkin UI shows is what Linkerd 1.x's Finagle tracer recorded ({@link linkerdServiceName},
 * {@link linkerdSpanName}): a span's service is the Finagle stack's label, the server's
 * `<ip>/<port>` (L1 `ProtocolInitializer.configureServer`) or the client id without its leading
 * `/` (L1 `StackRouter.mkClientLabel`), and its name is the last `Rpc` annotation
 * (finagle-zipkin's `MutableSpan.setName`): on a server span L1 `DstTracing.Path`'s
 * `"<router label> <service>"`, recorded after the request's method, and on a client span the
 * method (L1 `router/http/TracingFilter`). A debug trace's spans (`x-b3-flags: 1`) carry
 * `"debug": true`, as Finagle's Debug flag does.
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
  /** A debug trace's span: the collector keeps it whatever its sampling. */
  debug?: true;
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
 * The service a Linkerd 1.x span is filed under: the server label `<ip>/<port>` for a server span,
 * the client id without its leading `/` (`#/io.l5d.fs/hello`) for a client span, else the router
 * label.
 *
 * @example
 * ```ts
 * import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
 * import { linkerdServiceName } from "./zipkin_exporter.ts";
 * linkerdServiceName({
 *   traceId: "a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", parentSpanId: "", name: "GET",
 *   kind: SpanKind.CLIENT, startMs: 1000, endMs: 1002, status: { code: SpanStatusCode.UNSET },
 *   attributes: { "switchyard.client": "/#/io.l5d.fs/hello" }, events: [], scope: "switchyard",
 * }); // "#/io.l5d.fs/hello"
 * ```
 */
export function linkerdServiceName(s: FinishedSpan): string {
  const a = s.attributes;
  if (s.kind === SpanKind.SERVER && typeof a["switchyard.server"] === "string") {
    return a["switchyard.server"];
  }
  if (s.kind === SpanKind.CLIENT && typeof a["switchyard.client"] === "string") {
    return a["switchyard.client"].replace(/^\//, "");
  }
  return String(a["switchyard.router"] ?? "switchyard");
}

/**
 * The name a Linkerd 1.x span has in Zipkin (before Zipkin lower-cases it): a server span with a
 * logical name `"<router label> <service>"`, otherwise the request's method; the span's own name
 * when it has neither.
 *
 * @example
 * ```ts
 * import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
 * import { linkerdSpanName } from "./zipkin_exporter.ts";
 * linkerdSpanName({
 *   traceId: "a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", parentSpanId: "",
 *   name: "GET /svc/hello", kind: SpanKind.SERVER, startMs: 1000, endMs: 1002,
 *   attributes: { "router.label": "outgoing", service: "/svc/hello", "http.req.method": "GET" },
 *   status: { code: SpanStatusCode.UNSET }, events: [], scope: "switchyard",
 * }); // "outgoing /svc/hello"
 * ```
 */
export function linkerdSpanName(s: FinishedSpan): string {
  const a = s.attributes;
  if (s.kind === SpanKind.SERVER && a["service"] !== undefined && a["router.label"] !== undefined) {
    return `${a["router.label"]} ${a["service"]}`;
  }
  const method = a["http.req.method"] ?? a["http.request.method"];
  return method === undefined ? s.name : String(method);
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
    if (k === "switchyard.debug") continue; // Zipkin's `debug` field
    const v = s.attributes[k];
    tags[k] = Array.isArray(v) ? v.join(",") : String(v);
  }
  if (s.status.code === SpanStatusCode.ERROR) tags.error = s.status.message || "true";
  const start = Math.round(s.startMs * 1000);
  const z: ZipkinSpan = {
    traceId: normalizeTraceId(s.traceId) || s.traceId,
    id: s.spanId,
    name: linkerdSpanName(s).toLowerCase(),
    timestamp: start,
    duration: Math.max(1, Math.round(s.endMs * 1000) - start),
    localEndpoint: { serviceName },
    tags,
  };
  if (s.parentSpanId) z.parentId = s.parentSpanId;
  if (s.attributes["switchyard.debug"] === true) z.debug = true;
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
