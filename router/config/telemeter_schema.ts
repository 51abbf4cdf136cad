/**
 * Top-level `telemetry`: a list of telemeters (L1 `linkerd/docs/telemetry.md`; REF `linkerd1.md`
 * §6). Parsed and kept here; the telemetry work (issue 4) acts on them.
 *
 * | kind | keys (defaults) |
 * |---|---|
 * | `io.l5d.prometheus` | `path` (`/admin/metrics/prometheus`), `prefix` (none) |
 * | `io.l5d.zipkin` | `host` (`localhost`), `port` (9410), `sampleRate` (0.001) |
 * | `io.l5d.recentRequests` | `sampleRate` (required), `capacity` (10) |
 * | `io.l5d.tracelog` | `sampleRate` (1.0), `level` (`INFO`), `host` (accepted, no effect) |
 * | `io.l5d.otlp` (Switchyard) | `endpoint` (`http://127.0.0.1:4318/v1/traces`), `sampleRate` (0.001), `serviceName` (`switchyard`), `headers` |
 * | `io.l5d.zipkinHttp` (Switchyard) | Zipkin v2 JSON over HTTP: `url` (`http://127.0.0.1:9411/api/v2/spans`), `sampleRate` (0.001) |
 * | `io.l5d.influxdb` | none: serves `/admin/metrics/influxdb` (InfluxDB line protocol) |
 * | `io.l5d.statsd` | `experimental: true` (required), `prefix` (`linkerd`), `hostname` (`127.0.0.1`), `port` (8125), `gaugeIntervalMs` (10000), `sampleRate` (0.01) |
 *
 * Every telemeter also takes Linkerd's `experimental` flag. The linkerd-zipkin plugin kinds are
 * rejected as unsupported.
 *
 * @example
 * ```ts
 * import { telemeterSchema } from "./telemeter_schema.ts";
 * console.log(telemeterSchema.parse({ kind: "io.l5d.zipkin" })); // { kind: "io.l5d.zipkin", host: "localhost", port: 9410, sampleRate: 0.001 }
 * ```
 *
 * @module
 */
import { z } from "zod";
import { defaults } from "./defaults.ts";
import { host, port, sampleRate } from "./common_schema.ts";
import { pluginUnion } from "./plugin.ts";

const t = defaults.telemetry;
const experimental = z.boolean().optional();
const httpUrl = z.url({ protocol: /^https?$/, error: "expected an http(s) URL" });
/** `io.l5d.statsd` defaults (L1 `StatsDInitializer.scala` `StatsDConfig`). */
const statsd = {
  prefix: "linkerd",
  hostname: "127.0.0.1",
  port: 8125,
  gaugeIntervalMs: 10_000,
  sampleRate: 0.01,
} as const;

/** One telemeter. */
export const telemeterSchema = pluginUnion("telemeter", [
  z.strictObject({
    kind: z.literal("io.l5d.prometheus"),
    path: z.string().startsWith("/", { error: "path must start with /" }).default(
      t.prometheusPath,
    ),
    /**
     * Prepended to every metric name, any string: as Linkerd's PrometheusTelemeter, characters
     * outside `[a-zA-Z0-9:]` of the prefixed name are written as `_`.
     */
    prefix: z.string().optional(),
    experimental,
  }),
  z.strictObject({
    kind: z.literal("io.l5d.zipkin"),
    host: host.default(t.zipkinHost),
    port: port.default(t.zipkinPort),
    sampleRate: sampleRate.default(t.zipkinSampleRate),
    experimental,
  }),
  z.strictObject({
    kind: z.literal("io.l5d.recentRequests"),
    sampleRate,
    capacity: z.number().int().min(1).default(t.recentRequestsCapacity),
    experimental,
  }),
  z.strictObject({
    kind: z.literal("io.l5d.tracelog"),
    /**
     * telemetry.md's TraceLog table lists `host` (default `localhost`); the tracelog only logs,
     * so it is accepted and has no effect.
     */
    host: host.optional(),
    sampleRate: sampleRate.default(t.tracelogSampleRate),
    /** Any case (`trace`), as Linkerd's LogLevelDeserializer upper-cases it. */
    level: z.preprocess(
      (v) => typeof v === "string" ? v.toUpperCase() : v,
      z.enum(["ALL", "TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "FATAL", "OFF"]),
    ).default(t.tracelogLevel),
    experimental,
  }),
  z.strictObject({
    kind: z.literal("io.l5d.otlp"),
    endpoint: httpUrl.default(t.otlpEndpoint),
    sampleRate: sampleRate.default(t.zipkinSampleRate),
    serviceName: z.string().min(1).default(t.otlpServiceName),
    headers: z.record(z.string().min(1), z.string()).optional(),
    experimental,
  }),
  z.strictObject({
    kind: z.literal("io.l5d.zipkinHttp"),
    url: httpUrl.default(t.zipkinHttpUrl),
    sampleRate: sampleRate.default(t.zipkinSampleRate),
    experimental,
  }),
  z.strictObject({
    kind: z.literal("io.l5d.influxdb"),
    experimental,
  }),
  z.strictObject({
    kind: z.literal("io.l5d.statsd"),
    /** Must be true: the telemeter is experimental in Linkerd. */
    experimental: z.literal(true, {
      error: "io.l5d.statsd is experimental; set experimental: true",
    }),
    prefix: z.string().default(statsd.prefix),
    hostname: host.default(statsd.hostname),
    port: port.min(1).default(statsd.port),
    gaugeIntervalMs: z.number().int().min(1).default(statsd.gaugeIntervalMs),
    sampleRate: sampleRate.default(statsd.sampleRate),
  }),
]);

/** `usage`: Linkerd's anonymous usage reporting. Accepted for compatibility; Switchyard never reports. */
export const usageSchema = z.strictObject({
  enabled: z.boolean().default(defaults.usage.enabled),
  orgId: z.string().optional(),
  dryRun: z.boolean().optional(),
});

/** One telemeter config. */
export type TelemeterConfig = z.infer<typeof telemeterSchema>;
/** `usage`. */
export type UsageConfig = z.infer<typeof usageSchema>;
