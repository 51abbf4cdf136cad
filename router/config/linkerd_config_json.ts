/**
 * The `/config.json` body as Linkerd 1.x serves it: the config *as written*, re-serialized, not
 * the config with every default filled in (L1 `admin/.../ConfigHandler.scala` writes the parsed
 * `LinkerConfig` with a mapper that leaves absent values out, `config/.../Parser.scala`
 * `Include.NON_ABSENT`; `linkerd/docs/config.md`: "current Linkerd configuration, this should
 * match your config file"; `ConfigHandlerTest` "reserializes config").
 *
 * What Linkerd's re-serialization changes, and this does too:
 * - every router has `servers` (`[]` when not given);
 * - a router's `client` and `service` without a `kind` get `io.l5d.global` (their Jackson
 *   `defaultImpl`, whose `kind` is that);
 * - a single `identifier` object becomes a list (Linkerd reads it as a one-element list);
 * - a `dtab` is written as Finagle's `Dtab.show` (`/svc=>/#/io.l5d.fs;/a=>/b`).
 *
 * The document is the one the loader read (quoted numbers already read as numbers); a config
 * built without one (the demo, tests) is served as it is.
 *
 * @module
 */
import { parseDtab, showDtab } from "../dtab/dtab.ts";

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function withGlobalKind(v: unknown): unknown {
  return isObj(v) && v.kind === undefined ? { ...v, kind: "io.l5d.global" } : v;
}

function dtabShown(v: unknown): unknown {
  if (typeof v !== "string") return v;
  try {
    return showDtab(parseDtab(v));
  } catch {
    return v; // the loader accepted it; keep the text rather than fail the page
  }
}

function router(r: unknown): unknown {
  if (!isObj(r)) return r;
  const out: Obj = { ...r, servers: r.servers ?? [] };
  if (r.client !== undefined) out.client = withGlobalKind(r.client);
  if (r.service !== undefined) out.service = withGlobalKind(r.service);
  if (isObj(r.identifier)) out.identifier = [r.identifier];
  if (r.dtab !== undefined) out.dtab = dtabShown(r.dtab);
  return out;
}

/**
 * The `/config.json` body of a loaded config.
 *
 * @param config The config now serving; its `source` is the document as written.
 * @returns Linkerd's re-serialization of the document, or `config` itself without a `source`.
 * @example
 * ```ts
 * import { linkerdConfigJson } from "./linkerd_config_json.ts";
 * const source = { routers: [{ protocol: "http", client: { failFast: true } }] };
 * linkerdConfigJson({ source });
 * // { routers: [{ protocol: "http", client: { failFast: true, kind: "io.l5d.global" }, servers: [] }] }
 * ```
 */
export function linkerdConfigJson(config: { readonly source?: unknown }): unknown {
  const doc = config.source;
  if (!isObj(doc)) return config;
  return Array.isArray(doc.routers) ? { ...doc, routers: doc.routers.map(router) } : doc;
}
