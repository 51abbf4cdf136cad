/**
 * Tracing for one Linker, built from the top-level `telemetry` list: the tracing telemeters
 * (`io.l5d.otlp`, `io.l5d.zipkin`, `io.l5d.zipkinHttp`, `io.l5d.tracelog`) each become an
 * exporter behind one batch processor and one tracer provider (owned here, never the global one,
 * so two Linkers in one process stay apart). The sample rate for new traces is the largest
 * `sampleRate` among the exporting ones (Linkerd's default 0.001; the tracelog's counts only on
 * its own, see {@link tracingSampleRate}); with no tracing telemeter nothing is exported and the
 * router only propagates trace headers (decoding and encoding do not depend on this object).
 *
 * @module
 */
import type { Tracer } from "@opentelemetry/api";
import type { Filter } from "../../router/core/service.ts";
import type { Clock } from "../../router/core/clock.ts";
import type { Logger } from "../log.ts";
import { createTracerProvider } from "./tracer.ts";
import { type BatchProcessor, createBatchProcessor, type SpanExporter } from "./batch_processor.ts";
import { otlpExporter } from "./otlp_exporter.ts";
import { linkerdServiceName, zipkinExporter } from "./zipkin_exporter.ts";
import { clientSpan, type ClientSpanTarget, serverSpan } from "./tracing_filter.ts";

/** The telemeter kinds that export spans. */
export const TRACING_KINDS: readonly string[] = [
  "io.l5d.tracelog",
  "io.l5d.otlp",
  "io.l5d.zipkin",
  "io.l5d.zipkinHttp",
];

/** The fields of a `telemetry[]` entry tracing reads (a parsed `TelemeterConfig` fits). */
export interface TracingTelemeter {
  readonly kind: string;
  readonly sampleRate?: number | undefined;
  /** `io.l5d.zipkin`. */
  readonly host?: string | undefined;
  /** `io.l5d.zipkin`. */
  readonly port?: number | undefined;
  /** `io.l5d.zipkinHttp`. */
  readonly url?: string | undefined;
  /** `io.l5d.otlp`. */
  readonly endpoint?: string | undefined;
  /** `io.l5d.otlp`. */
  readonly serviceName?: string | undefined;
  /** `io.l5d.tracelog`: the log level spans are written at (Linkerd's `level`, e.g. `INFO`). */
  readonly level?: string | undefined;
  /** `io.l5d.otlp`. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/** Tracing of one Linker. */
export interface Tracing {
  /** Sample rate for new traces ({@link tracingSampleRate}). */
  readonly sampleRate: number;
  /** The `@opentelemetry/api` tracer spans are made with. */
  readonly tracer: Tracer;
  /** The server span filter of a router (`baseDtab`: its dtab as shown, `namer.dtab.base`). */
  serverFilter(router: string, baseDtab?: string): Filter;
  /** The client span filter of an endpoint. */
  clientFilter(target: ClientSpanTarget): Filter;
  /** Export what is queued now. */
  flush(): Promise<void>;
  /** Flush and stop. */
  shutdown(): Promise<void>;
}

/** Options of {@link createTracing}. */
export interface TracingOptions {
  readonly clock: Clock;
  readonly log?: Logger;
  /** Batch delay (default 1000 ms). */
  readonly delayMs?: number;
}

/**
 * The sample rate for new traces: the largest `sampleRate` of the span-exporting telemeters
 * (`io.l5d.zipkin`, `io.l5d.zipkinHttp`, `io.l5d.otlp`), or `undefined` when there is no tracing
 * telemeter (then the router only propagates, see `decodeTraceContext`). `io.l5d.tracelog`'s own
 * rate decides only when it is the only one: Linkerd's TracelogTracer answers `sampleTrace` with
 * `None` ("doesn't influence downstream tracing") and logs what the other tracers sampled, so a
 * tracelog at its default 1.0 beside a Zipkin tracer at 0.001 logs and exports 0.1% of traces
 * (L1 `telemetry/tracelog/.../TracelogInitializer.scala`).
 *
 * @example
 * ```ts
 * import { tracingSampleRate } from "./tracing.ts";
 * tracingSampleRate([{ kind: "io.l5d.zipkin", sampleRate: 0.5 }, { kind: "io.l5d.prometheus" }]);
 * // 0.5
 * tracingSampleRate([{ kind: "io.l5d.tracelog", sampleRate: 1 }, { kind: "io.l5d.zipkin" }]);
 * // 0.001
 * ```
 */
export function tracingSampleRate(telemeters: readonly TracingTelemeter[]): number | undefined {
  let rate: number | undefined = undefined;
  let tracelog: number | undefined = undefined;
  for (const t of telemeters) {
    if (!TRACING_KINDS.includes(t.kind)) continue;
    if (t.kind === "io.l5d.tracelog") tracelog = Math.max(tracelog ?? 0, t.sampleRate ?? 1);
    else rate = Math.max(rate ?? 0, t.sampleRate ?? 0.001);
  }
  return rate ?? tracelog;
}

function zipkinUrl(t: TracingTelemeter): string {
  if (t.kind === "io.l5d.zipkinHttp") return t.url ?? "http://127.0.0.1:9411/api/v2/spans";
  const host = t.host ?? "localhost";
  const h = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return `http://${h}:${t.port ?? 9410}/api/v2/spans`;
}

/** `io.l5d.tracelog`: every finished span as one log line (Linkerd's trace log telemeter). */
function tracelogExporter(level: string, log: Logger | undefined): SpanExporter {
  const l = level.toLowerCase();
  // `OFF` (a level Linkerd's LogLevelDeserializer takes) logs nothing.
  const write = l === "off"
    ? undefined
    : l === "debug" || l === "trace" || l === "all"
    ? log?.debug
    : l === "warning" || l === "warn"
    ? log?.warn
    : l === "error" || l === "fatal" || l === "critical"
    ? log?.error
    : log?.info;
  return {
    name: "tracelog",
    export(spans) {
      for (const s of spans) {
        write?.("span", {
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId,
          name: s.name,
          kind: s.kind,
          durationMs: Math.round((s.endMs - s.startMs) * 1000) / 1000,
          ...s.attributes,
        });
      }
      return Promise.resolve();
    },
  };
}

function exporterOf(t: TracingTelemeter, log?: Logger): SpanExporter | undefined {
  if (t.kind === "io.l5d.tracelog") return tracelogExporter(t.level ?? "INFO", log);
  if (t.kind === "io.l5d.otlp") {
    return otlpExporter({
      endpoint: t.endpoint ?? "http://127.0.0.1:4318/v1/traces",
      resource: { serviceName: t.serviceName ?? "switchyard" },
      ...(t.headers ? { headers: t.headers } : {}),
    });
  }
  if (t.kind === "io.l5d.zipkin" || t.kind === "io.l5d.zipkinHttp") {
    return zipkinExporter({
      url: zipkinUrl(t),
      // Linkerd's Finagle stack labels: `<ip>/<port>` for a server span, the client id for a
      // client span.
      serviceName: linkerdServiceName,
    });
  }
  return undefined;
}

/**
 * Build tracing from the telemeters, or `null` when none exports spans.
 *
 * @example
 * ```ts
 * import { createTracing } from "./tracing.ts";
 * import { systemClock } from "../../router/core/clock.ts";
 * const tracing = createTracing(
 *   [{ kind: "io.l5d.otlp", endpoint: "http://127.0.0.1:4318/v1/traces", sampleRate: 1 }],
 *   { clock: systemClock },
 * );
 * await tracing?.shutdown();
 * ```
 */
export function createTracing(
  telemeters: readonly TracingTelemeter[],
  opts: TracingOptions,
): Tracing | null {
  const exporters = telemeters.map((t) => exporterOf(t, opts.log)).filter((
    e,
  ): e is SpanExporter => e !== undefined);
  if (exporters.length === 0) return null;
  const log = opts.log;
  const processor: BatchProcessor = createBatchProcessor({
    exporters,
    clock: opts.clock,
    ...(opts.delayMs !== undefined ? { delayMs: opts.delayMs } : {}),
    onHealth(name, error) {
      if (error === undefined) log?.info("trace exporter recovered", { exporter: name });
      else log?.warn("trace exporter failing; spans are dropped", { exporter: name, error });
    },
  });
  const tracer = createTracerProvider({ sink: processor.onEnd, clock: opts.clock })
    .getTracer("switchyard");
  for (const e of exporters) log?.info("tracing", { exporter: e.name });
  return {
    sampleRate: tracingSampleRate(telemeters) ?? 0,
    tracer,
    serverFilter: (router, baseDtab) => serverSpan(tracer, router, baseDtab),
    clientFilter: (target) => clientSpan(tracer, target),
    flush: () => processor.flush(),
    shutdown: () => processor.shutdown(),
  };
}
