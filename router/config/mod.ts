/**
 * Switchyard's config: the Linkerd 1.x schema (same keys, same defaults) plus Switchyard's
 * extensions, loaded from YAML or JSON with every problem reported at `file:line:column` and its
 * key path. Parse once into an immutable {@linkcode Config}; modules get their slice.
 *
 * - {@linkcode parseConfig} / {@linkcode loadConfigFile}: text or file → `{ok, config, warnings}`
 *   or `{ok: false, errors}`; {@linkcode formatIssue} prints one issue.
 * - {@linkcode checkCommand}: `switchyard check CONFIG`; {@linkcode lintConfig}: warnings.
 * - {@linkcode resolveServiceParams} / {@linkcode resolveClientParams}: effective `service` /
 *   `client` params for one name under `io.l5d.global` or `io.l5d.static`.
 * - {@linkcode configHash}: the config version for reloads; {@linkcode demoConfigYaml}: the demo.
 * - {@linkcode configLoader}: parse in a `config-json` child process (what `serve`, `demo` and
 *   reloads use, so the serving process never loads zod and yaml; issue 6), with
 *   {@linkcode encodeConfigJson} / {@linkcode decodeConfigJson} carrying the config exactly.
 * - {@linkcode defaults}, {@linkcode supportedKinds}, {@linkcode unsupportedKinds}: the tables.
 *
 * @example
 * ```ts
 * import { formatIssue, parseConfig, resolveClientParams } from "./mod.ts";
 *
 * const r = parseConfig(
 *   `
 * namers:
 * - kind: io.l5d.fs
 *   rootDir: disco
 * routers:
 * - protocol: http
 *   label: outgoing
 *   dtab: /svc => /#/io.l5d.fs;
 *   servers: [{port: 4140}]
 * `,
 *   "linkerd.yaml",
 * );
 * if (r.ok) {
 *   const router = r.config.routers[0]!;
 *   router.identifier[0]?.kind; // "io.l5d.header.token"
 *   resolveClientParams(router.client, "/#/io.l5d.fs/hello").loadBalancer.kind; // "p2c"
 * } else {
 *   r.errors.map(formatIssue);
 * }
 * ```
 *
 * @module
 */
export { type Config, configSchema, supportedKinds } from "./schema.ts";
export {
  type ConfigErr,
  type ConfigOk,
  loadConfigFile,
  type LoadResult,
  parseConfig,
  type ParseResult,
} from "./load.ts";
export { type ConfigIssue, formatIssue, formatPath } from "./issues.ts";
export { checkCommand, summarizeConfig } from "./check.ts";
export { lintConfig, type LintWarning } from "./lint.ts";
export { configHash } from "./config_hash.ts";
export {
  type ConfigLoader,
  configLoader,
  type ConfigLoaderOptions,
  INPROCESS_ENV,
} from "./child_load.ts";
export { decodeConfigJson, encodeConfigJson } from "./config_json.ts";
export { type DemoConfigOptions, demoConfigYaml } from "./demo_config.ts";
export { defaults } from "./defaults.ts";
export { type PluginArea, unsupportedKinds } from "./kinds.ts";
export { matchPrefix, resolveClientParams, resolveServiceParams } from "./prefix_params.ts";
export type { AdminConfig } from "./admin_schema.ts";
export type {
  AddForwardedHeaderConfig,
  BindingCacheConfig,
  InterpreterConfig,
  RouterConfig,
  ServerConfig,
} from "./router_schema.ts";
export type { IdentifierConfig } from "./identifier_schema.ts";
export type { RouteConfig, RouteMatchConfig } from "./routes_schema.ts";
export type { NamerConfig } from "./namer_schema.ts";
export type { TelemeterConfig, UsageConfig } from "./telemeter_schema.ts";
export type {
  ResponseClassifierConfig,
  RetriesConfig,
  ServiceConfig,
  ServiceParams,
  ServicePrefixConfig,
} from "./service_schema.ts";
export type {
  ClientConfig,
  ClientParams,
  ClientPrefixConfig,
  FailureAccrualConfig,
  HostConnectionPoolConfig,
  LoadBalancerConfig,
} from "./client_schema.ts";
export type { ClientTlsConfig, ServerTlsConfig } from "./tls_schema.ts";
export type { BackoffConfig, BudgetConfig, SessionConfig, SocketOptions } from "./common_schema.ts";
export type { ServiceDefConfig, ServiceVersionConfig } from "./services_schema.ts";
