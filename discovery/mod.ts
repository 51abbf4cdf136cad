/**
 * Service discovery: turning client names (`/#/<prefix>/...`, `/$/<name>/...`) into changing
 * endpoint sets. Linkerd 1.x semantics (REF `linkerd1.md` §0, §3).
 *
 * - `createNamers(config.namers)` builds the configured namers (`io.l5d.fs`, `io.l5d.rewrite`;
 *   factories are open for more kinds) with their `/#/` prefixes; `closeAll` stops them.
 * - `createNamerLookup(namers)` is the `default` interpreter's global lookup that the dtab
 *   evaluator calls: longest `/#/` prefix, plus the `/$/` built-ins (`inet`, `io.buoyant.rinet`,
 *   `fail`, `nil` and the `io.buoyant.*` rewriting namers). Bound ids come back fully qualified.
 * - Every result is a `Var`: subscribers see endpoint and tree changes without rebinding.
 *
 * @example
 * ```ts
 * import { closeAll, createNamerLookup, createNamers } from "./mod.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/hello`, "127.0.0.1 8080\n127.0.0.1 8081 * 2\n");
 * const namers = createNamers([{ kind: "io.l5d.fs", rootDir: dir }]);
 * const lookup = createNamerLookup(namers);
 * lookup(["#", "io.l5d.fs", "hello", "world"])?.get();
 * // pending at first; after the scan: leaf bound /#/io.l5d.fs/hello, residual /world
 * await lookup.close();
 * await closeAll(namers);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */
export type { Activity, Addr, Address, Bound, Name, Namer, NamerLookup } from "./types.ts";
export {
  addrEquals,
  address,
  addressEquals,
  addrVar,
  boundAddr,
  keepLastGood,
  showAddress,
} from "./addr.ts";
export { parseAddrFile } from "./addr_file.ts";
export { makeBound } from "./bound.ts";
export { allBoundNames } from "./bound_names.ts";
export { type BuiltinNamers, createBuiltinNamers } from "./builtins.ts";
export { type DirWatch, type DirWatchOptions, watchDir } from "./dir_watch.ts";
export { createFailNamer } from "./fail.ts";
export { createFsNamer, type FsDirState, type FsNamer, type FsNamerOptions } from "./fs.ts";
export { type FsDirEvents, renderFsState } from "./fs_state.ts";
export { type DirScan, scanDir, type ScannedFile } from "./fs_scan.ts";
export {
  createInetNamer,
  type HostResolver,
  type InetNamer,
  type InetNamerOptions,
  resolveHost,
} from "./inet.ts";
export {
  type ConfiguredNamer,
  createNamerLookup,
  type InterpreterLookup,
  type NamerLookupOptions,
} from "./interpreter.ts";
export { parseIpLiteral } from "./ip_literal.ts";
export {
  closeAll,
  createNamers,
  type CreateNamersOptions,
  defaultNamerFactories,
  defineNamerFactory,
  type NamerConfig,
  NamerConfigError,
  type NamerFactory,
  type NamerFactoryContext,
  type ParsedConfig,
} from "./namer_registry.ts";
export { createNilNamer } from "./nil.ts";
export { compilePathMatcher, type PathMatcher, substituteVars } from "./path_matcher.ts";
export { createRewriteNamer, type RewriteNamerOptions } from "./rewrite.ts";
export {
  createRewritingNamer,
  type PathRewrite,
  rewritingFunctions,
  rewritingNamers,
} from "./rewriting.ts";
export { createRinetNamer } from "./rinet.ts";
