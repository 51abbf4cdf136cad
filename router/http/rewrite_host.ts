/**
 * Host rewriting for names whose addresses carry an authority (Linkerd's `RewriteHostHeader`,
 * L1 `linkerd/protocol/http/.../RewriteHostHeader.scala`, fed by the `io.l5d.consul` namer's
 * `setHost: true`): the request goes upstream with `Host: <authority>`, and a `Location` or
 * `Refresh` response header naming the authority gets the client's Host back (they must hold
 * absolute URLs, which a service that trusts its Host header builds from the rewritten one).
 *
 * Position: an endpoint filter (the authority is the endpoint's address metadata), below retries
 * so every attempt is rewritten, and restoring `ctx.host` once the response head is back so the
 * next attempt and the access log see the client's Host.
 *
 * @module
 */
import type { Ctx } from "../core/ctx.ts";
import type { Filter, Service } from "../core/service.ts";
import { H } from "./headers.ts";

/**
 * The filter for `authority`.
 *
 * @param authority The Host to send, e.g. `web.service.dc1.consul`.
 * @returns The filter.
 * @example
 * ```ts
 * import { rewriteHost } from "./rewrite_host.ts";
 * const f = rewriteHost("web.service.dc1.consul");
 * ```
 */
export function rewriteHost(authority: string): Filter {
  return async function rewriteHostHeader(req: Request, ctx: Ctx, next: Service) {
    const original = ctx.host;
    ctx.host = authority;
    let rsp: Response;
    try {
      rsp = await next(req, ctx);
    } finally {
      ctx.host = original;
    }
    if (original === "") return rsp;
    let fixed: [string, string][] | undefined;
    for (const name of [H.location, H.refresh]) {
      const value = rsp.headers.get(name);
      if (value !== null && value.includes(authority)) {
        (fixed ??= []).push([name, value.replaceAll(authority, original)]);
      }
    }
    if (!fixed) return rsp;
    try {
      for (const [name, value] of fixed) rsp.headers.set(name, value);
      return rsp;
    } catch {
      // immutable headers (a fetch Response): copy the head
      const headers = new Headers(rsp.headers);
      for (const [name, value] of fixed) headers.set(name, value);
      return new Response(rsp.body, { status: rsp.status, statusText: rsp.statusText, headers });
    }
  };
}
