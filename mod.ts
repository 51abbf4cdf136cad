/**
 * Switchyard's public API: start a router process from a config, or use its parts — the dtab
 * engine, the config loader, namers, resilience filters and the metrics registry — on their own.
 *
 * @example
 * ```ts
 * import { parseConfig, parseDtab, showDtab } from "./mod.ts";
 * const dtab = parseDtab("/svc => /#/io.l5d.fs; /svc/web => /svc/web-v1 | /svc/web-v0");
 * showDtab(dtab); // "/svc=>/#/io.l5d.fs;/svc/web=>/svc/web-v1 | /svc/web-v0"
 * const r = parseConfig("routers: [{protocol: http}]", "inline.yaml");
 * ```
 *
 * @module
 */
export { VERSION } from "./version.ts";
export type { Filter, Node, Service, Status } from "./router/core/service.ts";
export { andThen, stack } from "./router/core/service.ts";
export { Ctx } from "./router/core/ctx.ts";
export * from "./router/core/errors.ts";
export {
  bind,
  chooseLeaf,
  createBindingCache,
  delegate,
  dtabFromHeaders,
  lookup,
  parseDentry,
  parseDtab,
  parseNameTree,
  parsePath,
  showDtab,
  showPath,
  showTree,
} from "./router/dtab/mod.ts";
export type { Dentry, Dtab, NameTree, Path } from "./router/dtab/types.ts";
export {
  checkCommand,
  type Config,
  type ConfigIssue,
  formatIssue,
  loadConfigFile,
  parseConfig,
} from "./router/config/mod.ts";
export { type Linker, type LinkerOptions, startLinker } from "./router/linker.ts";
export { createLogger, type Logger } from "./telemetry/log.ts";
export { createNamerLookup, createNamers } from "./discovery/mod.ts";
export type { Addr, Address, Bound, Namer } from "./discovery/types.ts";
export { createRegistry, type MetricsRegistry } from "./telemetry/metrics/mod.ts";
