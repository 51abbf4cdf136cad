/**
 * Top-level `namers` (L1 `linkerd/docs/namer.md`; REF `linkerd1.md` §3). Each namer serves
 * `/#/<prefix>`; `prefix` defaults to `/<kind>`. Supported:
 *
 * | kind | keys (defaults) |
 * |---|---|
 * | `io.l5d.fs` | `rootDir` (required), `prefix` (`/io.l5d.fs`) |
 * | `io.l5d.rewrite` | `pattern`, `name` (required; `{var}` captures), `prefix` (required: no default) |
 * | `io.l5d.k8s` | `host`, `port` (`localhost:8001`), `labelSelector`, `useServiceAccount`, `prefix` (`/io.l5d.k8s`) |
 * | `io.l5d.k8s.ns` | as `io.l5d.k8s` plus `envVar` (`POD_NAMESPACE`), `prefix` (`/io.l5d.k8s.ns`) |
 * | `io.l5d.dnssrv` | `experimental: true` (required), `refreshIntervalSeconds` (5), `domain` (`.`), `dnsHosts`, `prefix` (`/io.l5d.dnssrv`) |
 * | `io.l5d.consul` | `host` (`localhost`), `port` (8500), `includeTag` (false), `useHealthCheck` (false), `healthStatuses` (`[passing]`), `token`, `setHost` (false), `consistencyMode` (`default`), `failFast`, `preferServiceAddress` (true), `weights`, `fixedLengthStreamedAfterKB`, `tls`, `transferMetadata`, `prefix` (`/io.l5d.consul`) |
 * | `io.l5d.marathon` | `host` (`marathon.mesos`), `port` (80), `dst` (`/$/inet/<host>/<port>`), `uriPrefix` (none), `ttlMs` (5000), `jitterMs` (50), `useHealthCheck` (false), `tls` (client TLS), `prefix` (`/io.l5d.marathon`) |
 *
 * All take `experimental` and `transformers` (kinds `io.l5d.k8s.daemonset`: `namespace`,
 * `service`, `port` required, `k8sHost`, `k8sPort`, `useServiceAccount`, `hostNetwork`, `prefix`;
 * `io.l5d.k8s.localnode`: `hostNetwork`, `prefix`; and the others). `host`/`port` of the k8s namer have no
 * config-level default: leaving both out lets Switchyard use the service account when it runs
 * in a pod (`discovery/k8s/api.ts`). ZooKeeper, Rancher, Istio… namers are rejected as
 * unsupported (table in `kinds.ts`).
 *
 * @example
 * ```ts
 * import { namerSchema } from "./namer_schema.ts";
 * console.log(namerSchema.parse({ kind: "io.l5d.fs", rootDir: "disco" }).prefix); // "/io.l5d.fs"
 * ```
 *
 * @module
 */
import { z } from "zod";
import { defaults } from "./defaults.ts";
import { host, pathPattern, pathString } from "./common_schema.ts";
import { pluginUnion } from "./plugin.ts";
import { consulNamerConfig } from "../../discovery/consul/namer_schema.ts";
import { clientTlsSchema } from "./tls_schema.ts";
import { marathonDst, refuseDisableValidation } from "../../discovery/marathon/schema.ts";

// k8s: the transformer kinds (discovery/k8s/transformer_registry.ts builds them)
const transformerPrefix = pathString.optional();

/** One transformer (Linkerd's `TransformerConfig`; each takes an optional `prefix`). */
export const transformerSchema = pluginUnion("transformer", [
  z.strictObject({
    kind: z.literal("io.l5d.k8s.daemonset"),
    /** The daemonset's Service: namespace, name and port *name* (e.g. `incoming`). */
    namespace: z.string().min(1),
    service: z.string().min(1),
    port: z.union([z.string().min(1), z.number().int().min(1).max(65535)]),
    /** The k8s API for the gateway lookup (default `localhost:8001`). */
    k8sHost: host.optional(),
    k8sPort: z.number().int().min(1).max(65535).optional(),
    useServiceAccount: z.boolean().optional(),
    /** Match gateways by node name instead of /24 (pods on the host network). */
    hostNetwork: z.boolean().optional(),
    prefix: transformerPrefix,
  }),
  z.strictObject({
    kind: z.literal("io.l5d.k8s.localnode"),
    /** Keep endpoints on node `NODE_NAME` instead of the /24 of `POD_IP`. */
    hostNetwork: z.boolean().optional(),
    prefix: transformerPrefix,
  }),
  /** Every endpoint's port becomes `port`. */
  z.strictObject({
    kind: z.literal("io.l5d.port"),
    port: z.number().int().min(1).max(65535),
    prefix: transformerPrefix,
  }),
  /** Keep endpoints on this host. */
  z.strictObject({ kind: z.literal("io.l5d.localhost"), prefix: transformerPrefix }),
  /** Keep endpoints with this IP. */
  z.strictObject({
    kind: z.literal("io.l5d.specificHost"),
    host: z.string().min(1),
    prefix: transformerPrefix,
  }),
  /** Bound names become what `path` binds to (a negative name stays negative). */
  z.strictObject({
    kind: z.literal("io.l5d.replace"),
    path: pathString,
    prefix: transformerPrefix,
  }),
  /** Every name becomes what `path` binds to. */
  z.strictObject({ kind: z.literal("io.l5d.const"), path: pathString, prefix: transformerPrefix }),
]);

/** `transformers` on an interpreter, applied in order. */
export const transformersSchema = z.array(transformerSchema).default([]);

/**
 * `transformers` on a namer (namer.md: "A list of transformers to apply to the resolved
 * addresses"), applied to the namer's results; every kind, `io.l5d.replace` / `io.l5d.const`
 * included (they bind their path through the namers with no dtab, as Linkerd's
 * `NameInterpreter.global`).
 */
export const namerTransformersSchema = transformersSchema;

/** One transformer config. */
export type TransformerConfig = z.infer<typeof transformerSchema>;

const k8sKeys = {
  /** API host; unset with `port` unset = in-cluster service account when in a pod. */
  host: host.optional(),
  port: z.number().int().min(1).max(65535).optional(),
  /** A label key: names get a `/<label-value>` segment selecting `<key>=<value>`. */
  labelSelector: z.string().min(1).optional(),
  /** Switchyard: HTTPS with the pod's service account instead of a kubectl proxy. */
  useServiceAccount: z.boolean().optional(),
  experimental: z.boolean().optional(),
};

const k8sNamer = z.strictObject({
  kind: z.literal("io.l5d.k8s"),
  prefix: pathString.default("/io.l5d.k8s"),
  ...k8sKeys,
  transformers: namerTransformersSchema,
});

const k8sNsNamer = z.strictObject({
  kind: z.literal("io.l5d.k8s.ns"),
  prefix: pathString.default("/io.l5d.k8s.ns"),
  ...k8sKeys,
  /** The environment variable holding the namespace. */
  envVar: z.string().min(1).optional(),
  transformers: namerTransformersSchema,
});

/** `io.l5d.k8s.external` (experimental in Linkerd): the io.l5d.k8s keys, `experimental: true`. */
const k8sExternalNamer = z.strictObject({
  kind: z.literal("io.l5d.k8s.external"),
  prefix: pathString.default("/io.l5d.k8s.external"),
  ...k8sKeys,
  experimental: z.literal(true, {
    error: "io.l5d.k8s.external is experimental; set experimental: true",
  }),
  transformers: namerTransformersSchema,
});

const dnsSrvNamer = z.strictObject({
  kind: z.literal("io.l5d.dnssrv"),
  prefix: pathString.default("/io.l5d.dnssrv"),
  /** Must be true: the namer is experimental in Linkerd. */
  experimental: z.literal(true, { error: "io.l5d.dnssrv is experimental; set experimental: true" }),
  refreshIntervalSeconds: z.number().int().min(1).optional(),
  /** Origin for relative record names (not ending in `.`); default `.` (all absolute). */
  domain: z.string().min(1).optional(),
  /** Name servers (`ip`, `ip:port`, or a host name); default the system resolver. */
  dnsHosts: z.array(z.string().min(1)).optional(),
  transformers: namerTransformersSchema,
});

/** `io.l5d.consul` (`discovery/consul/namer.ts`): Linkerd's keys, defaults in the namer. */
const consulNamer = z.strictObject({
  kind: z.literal("io.l5d.consul"),
  prefix: pathString.default("/io.l5d.consul"),
  ...consulNamerConfig.shape,
  experimental: z.boolean().optional(),
  transformers: namerTransformersSchema,
});

/**
 * `io.l5d.marathon` (L1 `namer/marathon/.../MarathonInitializer.scala` `MarathonConfig`; not
 * experimental). Defaults are applied by `discovery/marathon/factory.ts`, so `/config.json` shows
 * the config as written.
 */
const marathonNamer = z.strictObject({
  kind: z.literal("io.l5d.marathon"),
  prefix: pathString.default("/io.l5d.marathon"),
  /** The Marathon master, and the `Host` header of API requests; default `marathon.mesos`. */
  host: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  /** The API's address as a path; default `/$/inet/<host>/<port>` (the only form supported). */
  dst: marathonDst.optional(),
  /** Path before `/v2`, e.g. `/marathon` on DC/OS. */
  uriPrefix: z.string().optional(),
  /** Poll period of the app list and of each app. */
  ttlMs: z.number().int().min(0).optional(),
  /** Each period is drawn from `ttlMs ± jitterMs`. */
  jitterMs: z.number().int().min(0).optional(),
  /** Keep only tasks passing their Marathon health checks. */
  useHealthCheck: z.boolean().optional(),
  /** HTTPS to the API (`clientAuth` is unused, as in Linkerd: DC/OS has no mutual TLS). */
  tls: clientTlsSchema.superRefine(refuseDisableValidation).optional(),
  experimental: z.boolean().optional(),
  transformers: namerTransformersSchema,
});

const fsNamer = z.strictObject({
  kind: z.literal("io.l5d.fs"),
  prefix: pathString.default(defaults.namers.fsPrefix),
  /** Directory with one file per service (`host port [* weight]` lines); watched. */
  rootDir: z.string().min(1),
  experimental: z.boolean().optional(),
  transformers: namerTransformersSchema,
});

const CAPTURE_RE = /\{([A-Za-z0-9.:_-]+)\}/g;

/** Linkerd's `RewritingNamerConfig.defaultPrefix` message: the rewrite namer has no default. */
const REWRITE_PREFIX_REQUIRED = "The 'prefix' property is required for the io.l5d.rewrite namer.";

const rewriteNamer = z.strictObject({
  kind: z.literal("io.l5d.rewrite"),
  /** Required: Linkerd's namer.md lists it as _required_ (no default prefix). */
  prefix: z.string({
    error: (iss) => iss.input === undefined ? REWRITE_PREFIX_REQUIRED : undefined,
  }).pipe(pathString),
  /** Matched against the residual after `/#/<prefix>`; `*` and `{var}` segments. */
  pattern: pathPattern,
  /** The rewritten name; may use the pattern's `{var}`s. */
  name: z.string().startsWith("/", { error: "name must be a path starting with /" }),
  experimental: z.boolean().optional(),
  transformers: namerTransformersSchema,
}).superRefine((n, ctx) => {
  const vars = new Set([...n.pattern.matchAll(CAPTURE_RE)].map((m) => m[1]));
  for (const m of n.name.matchAll(CAPTURE_RE)) {
    if (!vars.has(m[1])) {
      ctx.addIssue({
        code: "custom",
        input: n.name,
        path: ["name"],
        message: `{${m[1]}} is not captured by pattern ${n.pattern}`,
      });
    }
  }
});

/** One namer. */
export const namerSchema = pluginUnion("namer", [
  fsNamer,
  rewriteNamer,
  k8sNamer, // k8s
  k8sNsNamer, // k8s
  k8sExternalNamer, // k8s
  dnsSrvNamer, // k8s
  consulNamer,
  marathonNamer,
]);

/** One namer config. */
export type NamerConfig = z.infer<typeof namerSchema>;
