/**
 * Consul service discovery: the `io.l5d.consul` namer (L1 `namer/consul/`; `linkerd/docs/
 * namer.md`) over the Consul HTTP API's blocking queries (`api.ts`). The namer registry
 * (`../namer_registry.ts`) builds it with {@linkcode makeConsulNamer}.
 *
 * @example
 * ```ts
 * import { createConsulApi, createConsulNamer } from "./mod.ts";
 * const namer = createConsulNamer({ api: createConsulApi({ port: 1 }), ownsApi: true });
 * namer.lookup(["dc1", "web"]); // pending until the agent answers (here: Neg, it cannot)
 * await namer.close();
 * ```
 *
 * @module
 */
export {
  type AgentConfig,
  type ConsistencyMode,
  type ConsulApi,
  ConsulApiError,
  type ConsulApiOptions,
  type ConsulTls,
  createConsulApi,
  HEALTH_STATUSES,
  type HealthStatus,
  type Indexed,
  type KvQuery,
  type ServiceNode,
  type ServiceQuery,
} from "./api.ts";
export {
  type ConsulNamer,
  type ConsulNamerOptions,
  createConsulNamer,
  kind,
  makeConsulNamer,
  nodeAddresses,
} from "./namer.ts";
export {
  type ConsulDtab,
  type ConsulDtabLog,
  type ConsulDtabOptions,
  type ConsulDtabState,
  watchConsulDtab,
} from "./kv_dtab.ts";
export type { ConsulNamerConfig } from "./namer_schema.ts";
