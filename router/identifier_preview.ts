/**
 * `admin.httpIdentifierPort` (Linkerd's identifier debug listener): a request sent to `/…` on
 * that port is not routed; the answer says, for every http router, which name its identifiers
 * give it (with the request's local dtab), or why none does. Send the request exactly as the
 * client would send it to the router: same method, path, `Host` and `l5d-*` headers.
 *
 * The shape is Linkerd's `HttpIdentifierHandler` (an `IdResult` per router, serialized with
 * Jackson's `NON_EMPTY`; `dtab` is the name's `dst.dtab`: the router's `dtab` followed by the
 * request's local dtab, left out when both are empty; an unidentified request's `error` is the
 * identifier's reason, without the 400's "Unknown destination: "):
 *
 * ```json
 * { "outgoing": { "path": "/svc/hello", "dtab": "/svc=>/#/io.l5d.fs" },
 *   "debug":    { "path": "/svc/hello", "dtab": "/svc=>/#/io.l5d.fs;/svc/hello=>/#/io.l5d.fs/b" },
 *   "edge":     { "error": "Host header is absent" } }
 * ```
 *
 * @module
 */
import type { Router } from "./router.ts";
import { composeIdentifiers } from "./identify/identifier.ts";
import { httpVersion } from "./http/raw/request_parts.ts";
import { showPath } from "./dtab/path.ts";
import { showDtab } from "./dtab/dtab.ts";

/** One router's answer. */
export type IdentifierPreview =
  | { readonly path: string; readonly dtab?: string }
  | { readonly error: string };

const UNKNOWN = "Unknown destination: ";

/**
 * Identify `req` with every router, without routing it.
 *
 * @param routers the current routers by label
 * @param req the request as a client would send it
 * @param remoteAddr the client address
 * @returns label → preview
 * @example
 * ```ts ignore
 * const previews = previewIdentification(snap.routers, req, "127.0.0.1");
 * ```
 */
export function previewIdentification(
  routers: ReadonlyMap<string, Router>,
  req: Request,
  remoteAddr: string,
): Record<string, IdentifierPreview> {
  const out: Record<string, IdentifierPreview> = {};
  for (const [label, r] of routers) {
    try {
      const ctx = r.newCtx(req, remoteAddr, req.signal);
      const id = composeIdentifiers(r.spec.identifiers)({
        req,
        url: ctx.url,
        host: ctx.host,
        version: httpVersion(req),
      });
      if (!id.ok) throw new Error(id.reason);
      // Linkerd: `dst.dtab.show`, the router's dtab (`BaseDtab`) followed by the local dtab.
      const base = r.spec.baseDtab ?? r.spec.dtab;
      const dtab = showDtab(ctx.dtabLocal.length > 0 ? [...base, ...ctx.dtabLocal] : base);
      out[label] = dtab === "" ? { path: showPath(id.dst) } : { path: showPath(id.dst), dtab };
    } catch (e: unknown) {
      const msg = e instanceof Error ? e.message : String(e);
      out[label] = { error: msg.startsWith(UNKNOWN) ? msg.slice(UNKNOWN.length) : msg };
    }
  }
  return out;
}

/**
 * The listener's handler: any method and path, answered with the previews as JSON.
 *
 * @param routers the current routers (read per request, so reloads show)
 * @returns a `Deno.serve` handler
 */
export function identifierPreviewHandler(
  routers: () => ReadonlyMap<string, Router>,
): (req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => Response {
  return (req, info) =>
    Response.json(previewIdentification(routers(), req, info.remoteAddr.hostname));
}
