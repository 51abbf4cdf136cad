/**
 * Dtabs, the Finagle/Linkerd 1.x delegation tables: the path and name-tree grammar, `show` in
 * Finagle's exact format, `Dtab.lookup`, binding through namers with the DefaultInterpreter's
 * semantics, the per-request leaf choice, the binding cache, the delegator explanation tree and
 * the dtab request headers.
 *
 * A request's dtab is the router's base `dtab` (config key `routers[].dtab`, default empty)
 * followed by {@linkcode l5dDtabFromHeaders} (`l5d-ctx-dtab`, then `l5d-dtab`); later dentries
 * take precedence. The binder (path stack leaf) binds the logical name with the
 * {@linkcode createBindingCache} cache and picks a leaf per request with {@linkcode chooseLeaf}.
 *
 * @example
 * ```ts
 * import { bind, lookup, parseDtab, parsePath, showDtab, showPath, showTree } from "./mod.ts";
 *
 * const dtab = parseDtab(`
 *   /srv => /#/io.l5d.k8s/default/http;  # k8s services
 *   /svc => /srv;
 *   /svc/web => /srv/web-v2 | /srv/web-v1;
 * `);
 * showDtab(dtab);
 * // "/srv=>/#/io.l5d.k8s/default/http;/svc=>/srv;/svc/web=>/srv/web-v2 | /srv/web-v1"
 * showTree(lookup(dtab, parsePath("/svc/web")), showPath); // "(/srv/web-v2 | /srv/web-v1) | /srv/web"
 * bind(dtab, parsePath("/svc/web"), () => undefined).tree.type; // "neg": no namers here
 * ```
 *
 * @module
 */
export type { Dentry, Dtab, NameTree, Path, Prefix, PrefixElem, Weighted } from "./types.ts";
export { parsePath, showLabel, showPath } from "./path.ts";
export {
  alt,
  EMPTY,
  evalTree,
  FAIL,
  leaf,
  mapTree,
  NEG,
  showTree,
  simplify,
  union,
  weighted,
} from "./name_tree.ts";
export {
  dentryOffsets,
  lookup,
  parseDentry,
  parseDtab,
  parseNameTree,
  parsePrefix,
  prefixMatches,
  rewrite,
  showDentry,
  showDtab,
  showPrefix,
} from "./dtab.ts";
export { bind, type BindOptions, type BindResult, bindTree } from "./bind.ts";
export { type Choice, chooseLeaf } from "./choose.ts";
export {
  type BindingCache,
  type BindingCacheOptions,
  createBindingCache,
} from "./binding_cache.ts";
export {
  delegate,
  type DelegateAddr,
  type DelegateAddress,
  type DelegateBound,
  type DelegateDentry,
  type DelegateNode,
  type DelegateOptions,
  delegatorJson,
} from "./delegate.ts";
export { dtabFromHeaders, l5dDtabFromHeaders } from "./headers.ts";
