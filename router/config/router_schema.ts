/**
 * One entry of `routers` (L1 `linkerd/docs/routers.md`, `protocol-http.md`, `protocol-h2.md`;
 * REF `linkerd1.md` §0, §2, §7). `protocol: http` and `protocol: h2` are supported; `thrift`,
 * `mux` and `thriftmux` routers are rejected as unsupported and a router without a protocol
 * (linkerd-tcp) is rejected too. `servers` is required and not empty (Linkerd refuses such a router:
 * `router 'http' has no servers`); a server's `port` defaults to 4140 (h2: 4142), its `ip` to
 * `127.0.0.1`.
 *
 * Defaults: `label` = the protocol, `dtab` empty,
 * `dstPrefix` `/svc`, `identifier` `io.l5d.header.token` on `Host`, `interpreter` `default`,
 * `bindingTimeoutMs` 10000, `bindingCache` 1000 each with `idleTtlSecs` 600, `originator` false,
 * `maxCallDepth` 1000, `maxHeadersKB` 8, `maxInitialLineKB` 4, `maxErrResponseKB` 5120,
 * `streamAfterContentLengthKB` 5 (absent from the parsed config when unset; refused together with
 * `streamingEnabled: false`, as Linkerd's HttpConfig), `streamingEnabled` true, `compressionLevel` -1, no access log
 * (`httpAccessLogFormat` `common`), `tracePropagator` `io.l5d.default`.
 *
 * `maxCallDepth` is a *server* key in Linkerd 1.7; Switchyard also accepts it on the router (the
 * default for its servers; a server's own value wins). `httpAccessLogFormat` (`common` | `json`) is Switchyard's.
 *
 * @example
 * ```ts
 * import { routerSchema } from "./router_schema.ts";
 * const r = routerSchema.parse({ protocol: "http", servers: [{}] });
 * console.log(r.label, r.servers[0]); // http { ip: "127.0.0.1", port: 4140, clearContext: false, announce: [] }
 * ```
 *
 * @module
 */
import { z } from "zod";
import { defaults } from "./defaults.ts";
import {
  backoffSchema,
  h2SettingsKeys,
  host,
  pathString,
  port,
  sessionSchema,
  socketOptionsSchema,
  timeoutMs,
} from "./common_schema.ts";
import { serverTlsOption } from "./tls_schema.ts";
import { h2IdentifierListSchema, identifierListSchema } from "./identifier_schema.ts";
import { serviceBlockSchema } from "./service_schema.ts";
import { clientBlockSchema } from "./client_schema.ts";
import { transformersSchema } from "./namer_schema.ts";
import { consulTlsConfig } from "../../discovery/consul/namer_schema.ts";
import { dtabSchema } from "./dtab_text.ts";
import { defaultKind, kindOnly, noPluginSupported, pluginUnion } from "./plugin.ts";

const http = defaults.http;

/**
 * A log roll policy as twitter-util's `Policy.parse` reads it (L1 `protocol-http.md`
 * `httpAccessLogRollPolicy`: "Never, Hourly, Daily, Weekly(n) (where n is a day of the week),
 * util-style data size strings (e.g. 3.megabytes, 1.gigabyte)"); anything else is refused, as
 * Linkerd fails with "Invalid log roll policy".
 */
export const rollPolicySchema = z.string().regex(
  /^(?:never|hourly|daily|sighup|weekly\([1-7]\)|-?\d+\.(?:byte|kilobyte|megabyte|gigabyte|terabyte|petabyte|exabyte)s?)$/i,
  {
    error:
      "invalid log roll policy: expected never, hourly, daily, weekly(n) or a size such as 3.megabytes",
  },
);
const kb = z.number().int().min(1);

/** An RFC 7239 `Forwarded` labeler (L1 `protocol-http.md` "Endpoint labelers"). */
export const forwardedLabelerSchema = pluginUnion("forwardedLabeler", [
  kindOnly("ip"),
  kindOnly("ip:port"),
  kindOnly("connectionRandom"),
  kindOnly("requestRandom"),
  kindOnly("router"),
  z.strictObject({
    kind: z.literal("static"),
    label: z.string().regex(/^[A-Za-z0-9._-]+$/, {
      error: "label must be letters, digits, '.', '_' or '-'",
    }),
  }),
]);

/** `servers[].addForwardedHeader` (off when absent; both labelers default to `requestRandom`). */
export const addForwardedHeaderSchema = z.strictObject({
  by: forwardedLabelerSchema.prefault({ kind: "requestRandom" }),
  for: forwardedLabelerSchema.prefault({ kind: "requestRandom" }),
});

/** One `servers[]` entry of an http router. */
export const serverSchema = z.strictObject({
  ip: host.default(http.ip),
  port: port.default(http.port),
  tls: serverTlsOption,
  maxConcurrentRequests: z.number().int().min(1).optional(),
  /**
   * Linkerd's server `timeoutMs` (`ServerConfig`: Finagle's server TimeoutFilter): a request
   * unanswered after this long fails with 503 + `l5d-err`, and its upstream call is cancelled.
   * Unbounded when absent.
   */
  timeoutMs: timeoutMs.optional(),
  /**
   * HTTP engine (Switchyard): `raw` (default for plain HTTP: our own HTTP/1.1 server on
   * `Deno.listen`, connection stats, upgrade and CONNECT tunnels; with `tls`, HTTP/1.1 only) or
   * `serve` (`Deno.serve`: h2c; the default with `tls`, where it offers h2 by ALPN).
   */
  engine: z.enum(["raw", "serve"]).optional(),
  /**
   * Strip `l5d-ctx-*`, `l5d-dtab`, `l5d-sample` inbound and `l5d-*` outbound, and empty the body of
   * `l5d-err` responses (edge listeners).
   */
  clearContext: z.boolean().default(defaults.server.clearContext),
  addForwardedHeader: addForwardedHeaderSchema.optional(),
  /**
   * Header that receives the request's arrival time (ms since epoch). An empty mapping is no
   * header, as the docs' "Example: default" writes it (`timestampHeader: {}`, L1
   * `protocol-http.md` "HTTP Servers"; default null).
   */
  timestampHeader: z.union([
    z.string().min(1),
    z.strictObject({}).transform(() => undefined),
  ]).optional(),
  /** Overrides the router's `maxCallDepth` for this server (Linkerd 1.7 keeps it here). */
  maxCallDepth: z.number().int().min(1).optional(),
  /** Concrete names to announce; needs `announcers`, none of which is supported yet. */
  announce: z.array(pathString).default([]),
  socketOptions: socketOptionsSchema.optional(),
  serverSession: sessionSchema.optional(),
});

/**
 * The interpreter kinds: `default` (configured namers + `/$/` built-ins), `io.l5d.fs`,
 * `io.l5d.k8s.configMap` (a dtab read from a watched ConfigMap key), `io.l5d.consul.interpreter`
 * (a dtab read from a Consul KV key with blocking queries). All take
 * `transformers` (k8s: `io.l5d.k8s.daemonset`, `io.l5d.k8s.localnode`; `namer_schema.ts`),
 * applied to every name the router binds.
 */
export const interpreterUnion = pluginUnion("interpreter", [
  z.strictObject({
    kind: z.literal("default"),
    /** Linkerd's InterpreterConfig takes `experimental` on every interpreter. */
    experimental: z.boolean().optional(),
    transformers: transformersSchema,
  }),
  z.strictObject({
    kind: z.literal("io.l5d.fs"),
    /**
     * A watched file holding a dtab. Names bind with its dentries first, then the router's
     * `dtab` (which wins), as Linkerd's ConfiguredDtabNamer binds with `fileDtab ++ dtab`.
     */
    dtabFile: z.string().min(1),
    experimental: z.boolean().optional(),
    transformers: transformersSchema,
  }),
  z.strictObject({
    kind: z.literal("io.l5d.k8s.configMap"),
    /** Must be true: experimental in Linkerd (ConfigMapInterpreterConfig `experimentalRequired`). */
    experimental: z.literal(true, {
      error: "io.l5d.k8s.configMap is experimental; set experimental: true",
    }),
    /** The ConfigMap holding the dtab. */
    name: z.string().min(1, { error: "ConfigMap name is required!" }),
    /** The ConfigMap key holding the dtab. */
    filename: z.string().min(1, { error: "ConfigMap dtab filename is required!" }),
    /** The ConfigMap's namespace, default `default`. */
    namespace: z.string().min(1).default("default"),
    /** API host and port, default `localhost:8001` (a `kubectl proxy`), as the k8s namer. */
    host: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    /** Switchyard's, as on the k8s namer: the pod's service account (`discovery/k8s/api.ts`). */
    useServiceAccount: z.boolean().optional(),
    transformers: transformersSchema,
  }),
  z.strictObject({
    // L1 ConsulInterpreterInitializer `ConsulDtabInterpreterConfig`
    kind: z.literal("io.l5d.consul.interpreter"),
    experimental: z.boolean().optional(),
    /** The agent, default `localhost:8500`. */
    host: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    /** The dtab is the KV key `<pathPrefix>/<namespace>`, as namerd's consul storage keeps it. */
    pathPrefix: pathString.default("/namerd/dtabs"),
    namespace: z.string().min(1).default("default"),
    /** Sent as `X-Consul-Token`. */
    token: z.string().optional(),
    /** Default: the agent's. */
    datacenter: z.string().min(1).optional(),
    readConsistencyMode: z.enum(["default", "stale", "consistent"]).optional(),
    /** Accepted (the interpreter only reads). */
    writeConsistencyMode: z.enum(["default", "stale", "consistent"]).optional(),
    /** Accepted; the agent is always retried with backoff (Linkerd's default, `false`). */
    failFast: z.boolean().optional(),
    /** Retry backoff after a failed query; default jittered 1 ms .. 1 min (Linkerd's). */
    backoff: backoffSchema.optional(),
    tls: consulTlsConfig.optional(),
    transformers: transformersSchema,
  }),
]);

/** `interpreter` (absent, or without a kind = `default`). */
export const interpreterSchema = z.preprocess(defaultKind("default"), interpreterUnion).prefault({
  kind: "default",
});

/** `tracePropagator`: `io.l5d.default` (l5d-ctx-trace) or `io.l5d.zipkin` (B3 headers). */
export const tracePropagatorSchema = pluginUnion("tracePropagator", [
  kindOnly("io.l5d.default"),
  kindOnly("io.l5d.zipkin"),
]);

const bc = defaults.router.bindingCache;
const cacheSize = z.number().int().min(1);

/** `bindingCache` sizes and idle TTL. */
export const bindingCacheSchema = z.strictObject({
  paths: cacheSize.default(bc.paths),
  trees: cacheSize.default(bc.trees),
  bounds: cacheSize.default(bc.bounds),
  clients: cacheSize.default(bc.clients),
  idleTtlSecs: z.number().int().min(1).default(bc.idleTtlSecs),
});

/**
 * `servers`: required and not empty. Linkerd's RouterConfig defaults `servers` to `Nil` and
 * ProtocolRouter.initialize (`linkerd/core/.../ProtocolInitializer.scala`) refuses an empty list
 * with `router '<label>' has no servers`, so a router without the key does not start either.
 */
function serversSchema<T extends z.ZodType>(server: T) {
  return z.array(server, {
    error: (iss) =>
      iss.input === undefined
        ? "required key is missing: a router has no servers (give it at least one, e.g. " +
          "`servers: [{ port: 4140 }]`)"
        : undefined,
  }).min(1, { error: "a router has no servers: at least one server is required" });
}

const httpRouter = z.strictObject({
  protocol: z.literal("http"),
  /** Stats scope and UI name; must be unique. Defaults to the protocol. */
  label: z.string().min(1).default("http"),
  /** Linkerd < 1.0 required it on new protocols; accepted and ignored. */
  experimental: z.boolean().optional(),
  servers: serversSchema(serverSchema),
  dtab: dtabSchema.default(""),
  dstPrefix: pathString.default(http.dstPrefix),
  identifier: identifierListSchema,
  interpreter: interpreterSchema,
  bindingTimeoutMs: timeoutMs.default(defaults.router.bindingTimeoutMs),
  bindingCache: bindingCacheSchema.prefault({}),
  originator: z.boolean().default(defaults.router.originator),
  announcers: z.array(noPluginSupported("announcer")).default([]),
  maxCallDepth: z.number().int().min(1).default(http.maxCallDepth),
  maxHeadersKB: kb.default(http.maxHeadersKB),
  maxInitialLineKB: kb.default(http.maxInitialLineKB),
  maxErrResponseKB: kb.default(http.maxErrResponseKB),
  /**
   * Default 5 (`defaults.http.streamAfterContentLengthKB`); left unset here so that setting it
   * with `streamingEnabled: false` can be refused, as Linkerd's ConflictingStreamingOptions.
   * 0 is allowed: Finagle's FixedLengthMessageAggregator takes any size >= 0, and 0 streams
   * every message with a body.
   */
  streamAfterContentLengthKB: z.number().int().min(0).optional(),
  streamingEnabled: z.boolean().default(http.streamingEnabled),
  compressionLevel: z.number().int().min(-1).max(9).default(http.compressionLevel),
  /** Access log file; no access log when absent. */
  httpAccessLog: z.string().min(1).optional(),
  /** Switchyard: `common` (NCSA common log format) or `json` (one object per line). */
  httpAccessLogFormat: z.enum(["common", "json"]).default(http.httpAccessLogFormat),
  /**
   * Linkerd roll policies (twitter-util's `Policy.parse`, case-insensitive): `never`, `hourly`,
   * `daily`, `sighup`, `weekly(n)`, or a size such as `3.megabytes` (the access log rolls so).
   */
  httpAccessLogRollPolicy: rollPolicySchema.optional(),
  httpAccessLogAppend: z.boolean().optional(),
  httpAccessLogRotateCount: z.number().int().min(-1).optional(),
  tracePropagator: tracePropagatorSchema.prefault({ kind: "io.l5d.default" }),
  service: serviceBlockSchema,
  client: clientBlockSchema,
});

const h2 = defaults.h2;
/** One `servers[]` entry of an h2 router: the http server keys (but `engine`), h2 SETTINGS. */
export const h2ServerSchema = serverSchema.omit({ engine: true }).extend({
  port: port.default(h2.port),
  maxConcurrentStreamsPerConnection: z.number().int().min(1).default(
    h2.maxConcurrentStreamsPerConnection,
  ),
  ...h2SettingsKeys,
});

/**
 * An HTTP/2 router (L1 `linkerd/docs/protocol-h2.md`): h2c prior knowledge, or h2 by ALPN with
 * `tls`; identifiers on `:authority` (default) or `:path`; the same dtab, namers, service and
 * client blocks as http, plus `classificationTimeoutMs` / `retryBufferSize` and gRPC
 * classifiers. `maxCallDepth` defaults to 10.
 */
const h2Router = httpRouter.omit({
  httpAccessLog: true,
  httpAccessLogFormat: true,
  httpAccessLogRollPolicy: true,
  httpAccessLogAppend: true,
  httpAccessLogRotateCount: true,
  streamingEnabled: true,
  compressionLevel: true,
  streamAfterContentLengthKB: true,
}).extend({
  protocol: z.literal("h2"),
  label: z.string().min(1).default("h2"),
  servers: serversSchema(h2ServerSchema),
  identifier: h2IdentifierListSchema,
  maxCallDepth: z.number().int().min(1).default(h2.maxCallDepth),
  h2AccessLog: z.string().min(1).optional(),
  /**
   * Switchyard: `common` (Linkerd's h2 access-log layout: NCSA common log format with `+0000`,
   * `HTTP/2` and no byte count) or `json` (one object per line).
   */
  h2AccessLogFormat: z.enum(["common", "json"]).default(http.httpAccessLogFormat),
  h2AccessLogRollPolicy: rollPolicySchema.optional(),
  h2AccessLogAppend: z.boolean().optional(),
  h2AccessLogRotateCount: z.number().int().min(-1).optional(),
});

/** One router; discriminated by `protocol`. */
export const routerSchema = pluginUnion("protocol", [httpRouter, h2Router], "protocol");

/** One router config. */
export type RouterConfig = z.infer<typeof routerSchema>;
/** One server of an h2 router. */
export type H2ServerConfig = z.infer<typeof h2ServerSchema>;
/** One server of a router (an h2 router's servers add HTTP/2 SETTINGS). */
export type ServerConfig = z.infer<typeof serverSchema> | z.infer<typeof h2ServerSchema>;
/** A router's interpreter. */
export type InterpreterConfig = z.infer<typeof interpreterSchema>;
/** `bindingCache`. */
export type BindingCacheConfig = z.infer<typeof bindingCacheSchema>;
/** `servers[].addForwardedHeader`. */
export type AddForwardedHeaderConfig = z.infer<typeof addForwardedHeaderSchema>;
