/**
 * Linkerd 1.x defaults, in one table. The schemas read their defaults from here so a reviewer can
 * compare them with Linkerd's docs in one place (REF `linkerd1.md` §0–§6; L1
 * `linkerd/docs/routers.md`, `protocol-http.md`, `namer.md`, `telemetry.md`, `retries.md`,
 * `failure_accrual.md`, `load_balancer.md`). Values Linkerd leaves unbounded ("no timeout",
 * `Int.MaxValue`) have no entry: the key stays absent in the parsed config.
 *
 * @example
 * ```ts
 * import { defaults } from "./defaults.ts";
 * console.log(defaults.http.port); // 4140
 * ```
 *
 * @module
 */

/** Every default the config schemas fill in, grouped by area. */
export const defaults = {
  admin: { ip: "127.0.0.1", port: 9990, shutdownGraceMs: 10_000 },
  http: {
    /** Default server port of an http router (L1 `HttpConfig.scala` `defaultServerPort`). */
    port: 4140,
    ip: "127.0.0.1",
    dstPrefix: "/svc",
    maxCallDepth: 1000,
    maxHeadersKB: 8,
    maxInitialLineKB: 4,
    maxErrResponseKB: 5120,
    streamAfterContentLengthKB: 5,
    streamingEnabled: true,
    compressionLevel: -1,
    httpAccessLogFormat: "common",
  },
  h2: {
    /** Default server port of an h2 router (L1 `H2Config.scala` `defaultServerPort`). */
    port: 4142,
    /** L1 `protocol-h2.md`: h2 servers' `maxCallDepth` default. */
    maxCallDepth: 10,
    /** Since Linkerd 1.5.1 (CHANGES.md). */
    maxConcurrentStreamsPerConnection: 1000,
    /** `service.classificationTimeoutMs`: how long to wait for a stream's end to classify it. */
    classificationTimeoutMs: 100,
    /** `service.retryBufferSize` (L1 `ClassifiedRetryFilter.DefaultBufferSize`). */
    retryBufferBytes: 16383,
  },
  router: {
    bindingTimeoutMs: 10_000,
    bindingCache: { paths: 1000, trees: 1000, bounds: 1000, clients: 1000, idleTtlSecs: 600 },
    originator: false,
  },
  server: { clearContext: false },
  socketOptions: { noDelay: true, reuseAddr: true, reusePort: false, keepAlive: false },
  identifier: {
    headerToken: "Host",
    header: "l5d-name",
    pathSegments: 1,
    pathConsume: false,
    httpUriInDst: false,
  },
  retryBudget: { percentCanRetry: 0.2, minRetriesPerSec: 10, ttlSecs: 10 },
  /** Retries with no backoff configured are immediate (L1 `ClassifiedRetries.scala`). */
  retryBackoffMs: 0,
  responseClassifier: "io.l5d.http.nonRetryable5XX",
  failureAccrual: { failures: 5, backoffMinMs: 5_000, backoffMaxMs: 300_000 },
  loadBalancer: {
    maxEffort: 5,
    decayTimeMs: 10_000,
    smoothWindowMs: 5_000,
    lowLoad: 0.5,
    highLoad: 2.0,
    minAperture: 1,
    enableProbation: false,
  },
  hostConnectionPool: { minSize: 0 },
  client: { failFast: false },
  namers: { fsPrefix: "/io.l5d.fs" },
  telemetry: {
    prometheusPath: "/admin/metrics/prometheus",
    zipkinHost: "localhost",
    zipkinPort: 9410,
    zipkinSampleRate: 0.001,
    recentRequestsCapacity: 10,
    tracelogSampleRate: 1.0,
    tracelogLevel: "INFO",
    otlpEndpoint: "http://127.0.0.1:4318/v1/traces",
    otlpServiceName: "switchyard",
    zipkinHttpUrl: "http://127.0.0.1:9411/api/v2/spans",
  },
  usage: { enabled: true },
} as const;
