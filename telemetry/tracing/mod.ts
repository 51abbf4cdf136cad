/**
 * Distributed tracing: trace-context codecs (W3C, B3, `l5d-ctx-trace`), sampling, an
 * `@opentelemetry/api` tracer whose spans go out as OTLP/HTTP JSON and Zipkin v2 JSON, and the
 * server/client span filters.
 *
 * Wiring (done by router/): `decodeTraceContext` when a request's Ctx is made,
 * `encodeTraceHeaders` on each upstream request, `createTracing(config.telemetry)` per Linker,
 * its `serverFilter` at the server level and `clientFilter` at the top of each endpoint stack.
 *
 * @example
 * ```ts
 * import { parseTraceparent } from "./mod.ts";
 * parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")?.traceId;
 * // "4bf92f3577b34da6a3ce929d0e0e4736"
 * ```
 *
 * @module
 */
export * from "./ids.ts";
export * from "./sampler.ts";
export * from "./l5d_ctx_trace.ts";
export * from "./trace_ctx.ts";
export * from "./tracer.ts";
export * from "./batch_processor.ts";
export * from "./otlp_exporter.ts";
export * from "./zipkin_exporter.ts";
export * from "./tracing_filter.ts";
export * from "./tracing.ts";
