/**
 * The zod schema of the `io.l5d.consul` namer's own keys (L1 `namer/consul/.../
 * ConsulInitializer.scala` `ConsulConfig`; `linkerd/docs/namer.md`), used by the config loader
 * (`router/config/namer_schema.ts`) and by `../namer_registry_schema.ts`. Kept out of
 * `namer.ts` so the serving process, which gets configs already validated, never loads zod
 * (issue 6).
 *
 * @module
 */
import { z } from "zod";
import { HEALTH_STATUSES } from "./api.ts";

const file = z.string().min(1);

/** `tls` (Linkerd's `TlsClientConfig`). */
export const consulTlsConfig = z.strictObject({
  /** A Deno TLS client always verifies the chain: `true` is refused rather than ignored. */
  disableValidation: z.boolean().optional().refine((v) => v !== true, {
    message:
      "disableValidation: true is not supported (the Consul certificate is always verified; " +
      "give its CA in trustCertsBundle)",
  }),
  commonName: z.string().min(1).optional(),
  trustCerts: z.array(file).optional(),
  trustCertsBundle: file.optional(),
  clientAuth: z.strictObject({ certPath: file, keyPath: file }).optional(),
});

/** The kind-specific config keys, with Linkerd's names; defaults are applied by the namer. */
export const consulNamerConfig = z.object({
  /** Default `localhost`. */
  host: z.string().min(1).optional(),
  /** Default 8500. */
  port: z.number().int().min(1).max(65535).optional(),
  /** Names are `/<dc>/<tag>/<service>` (default false: `/<dc>/<service>`). */
  includeTag: z.boolean().optional(),
  /** Read `/v1/health/service` and keep instances in `healthStatuses` (default false). */
  useHealthCheck: z.boolean().optional(),
  /** Default `[passing]`; only with `useHealthCheck: true`. */
  healthStatuses: z.array(z.enum(HEALTH_STATUSES)).min(1).optional(),
  /** Sent as `X-Consul-Token`. */
  token: z.string().optional(),
  /** Rewrite Host to `[<tag>.]<service>.service.<dc>.<domain>` (default false). */
  setHost: z.boolean().optional(),
  consistencyMode: z.enum(["default", "stale", "consistent"]).optional(),
  /** Accepted; the agent is always retried with backoff (Linkerd's default, `false`). */
  failFast: z.boolean().optional(),
  /** Default true: the service address when set, else the node's. */
  preferServiceAddress: z.boolean().optional(),
  /** A node gets the largest weight among its tags, else 1. */
  weights: z.array(z.strictObject({ tag: z.string(), weight: z.number().min(0) })).optional(),
  /** Accepted (a Finagle buffering threshold, default 5120). */
  fixedLengthStreamedAfterKB: z.number().int().min(0).optional(),
  tls: consulTlsConfig.optional(),
  /** Accepted (namerd's metadata transfer; no effect in a linker). */
  transferMetadata: z.boolean().optional(),
});

/** A parsed `io.l5d.consul` config. */
export type ConsulNamerConfig = z.infer<typeof consulNamerConfig>;
