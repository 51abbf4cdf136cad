/**
 * The admin server (default 127.0.0.1:9990), a Hono app: `/admin/ping`, `/config.json`,
 * `/delegator.json`, `POST /admin/shutdown` (other methods answer 405 with `allow: POST`, as
 * twitter-server's), `/logging.json` (`logging_handler.ts`), `/help`, `/logging`,
 * `/admin/tracing` and `/admin/pprof/*` (`help_pages.ts`), `/admin` and `/admin/index.txt`
 * (twitter-server's index: every admin path, one per line), plus every handler contributed by
 * other folders.
 *
 * Methods: Linkerd's `HttpMuxer` routes by path only, so every read-only endpoint answers any
 * method (`HEAD` without a body). Only a handler declared `method: "POST"` is POST-specific; when
 * a path has both, POST goes to that one and every other method to the other.
 *
 * `admin.security` (`security.ts`): a refused path answers 404, as a missing one does.
 *
 * @module
 */
import { Hono } from "hono";
import { AdminBodyTooLarge, type AdminHandler, readAdminBody } from "./handler.ts";
import type { Logger } from "../log.ts";
import { loggingHandlers } from "./logging_handler.ts";
import { helpPages } from "./help_pages.ts";
import { type AdminSecurity, adminSecurity } from "./security.ts";
import { type DelegateNode, delegatorJson } from "../../router/dtab/delegate.ts";
import { splitDtabError } from "../../router/dtab/error_text.ts";

/** What the admin server needs from the running process. */
export interface AdminDeps {
  /** The active parsed config. */
  config(): unknown;
  /**
   * The delegation tree for `path` in router `namespace` (all routers' namers when absent),
   * with an optional extra dtab. Rejects with a typed 400 error on a bad path or dtab.
   */
  delegate(namespace: string | undefined, path: string, dtab: string | undefined): Promise<unknown>;
  /** Graceful shutdown of the whole process. */
  shutdown(): void;
  /** Extra routes. */
  readonly handlers: readonly AdminHandler[];
  /**
   * Linkerd's `admin.security`, read per request (a reload may change it): categories ui /
   * control / diagnostics, `pathWhitelist` re-enables, `pathBlacklist` blocks; refused → 404
   * (`security.ts`).
   */
  readonly security?: () => AdminSecurity | undefined;
  readonly log: Logger;
}

function errorStatus(e: unknown): number {
  const s = (e as { status?: unknown })?.status;
  return typeof s === "number" ? s : 500;
}

function plainError(message: string, status: number): Response {
  return new Response(message, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });
}

/**
 * Build the admin Hono app.
 *
 * @example
 * ```ts
 * import { adminApp } from "./server.ts";
 * import { createLogger } from "../log.ts";
 * const app = adminApp({
 *   config: () => ({}),
 *   delegate: () => Promise.resolve({}),
 *   shutdown: () => {},
 *   handlers: [],
 *   log: createLogger({ level: "off" }),
 * });
 * const rsp = await app.request("/admin/ping");
 * ```
 */
export function adminApp(deps: AdminDeps): Hono {
  const app = new Hono();
  let secFor: AdminSecurity | undefined;
  let allowed: (path: string) => boolean = () => true;
  app.use("*", async (c, next) => {
    const sec = deps.security?.();
    if (sec !== secFor) {
      secFor = sec;
      allowed = sec ? adminSecurity(sec) : () => true;
    }
    if (!allowed(c.req.path)) return c.text(`not found: ${c.req.path}\n`, 404);
    await next();
  });
  // Linkerd's DelegateApiHandler: the tree as JSON (its mapper omits absent values, so the root's
  // missing dentry is left out rather than `null`); an error is a plain-text body, e.g.
  // 400 `Invalid dtab: …`, 400 `Invalid path: …`, 501 for a namespace that cannot delegate.
  async function delegator(namespace: string | undefined, path: string | undefined, dtab?: string) {
    if (!path) return plainError("Invalid path: no path given", 400);
    try {
      const tree = await deps.delegate(namespace || undefined, path, dtab || undefined);
      return new Response(delegatorJson(tree as DelegateNode), {
        headers: { "content-type": "application/json" },
      });
    } catch (e: unknown) {
      const status = errorStatus(e);
      // Linkerd's text ends at Finagle's excerpt: `Invalid path: '/' expected but 'i' found at
      // '[i]nvalid-param'`, without the offset Switchyard's parser adds
      const text = splitDtabError((e as Error).message ?? String(e)).text;
      return plainError(text, status === 500 ? 503 : status);
    }
  }
  // Linkerd's DelegateApiHandler (admin/names/.../DelegateApiHandler.scala): GET reads the query;
  // POST takes only a JSON body (`application/json`, else 415) with `dtab` and `path` strings
  // (else 400 `Malformed delegation request: <body>`); other methods get 405.
  async function delegatorRequest(req: Request): Promise<Response> {
    if (req.method === "GET" || req.method === "HEAD") {
      const q = new URL(req.url).searchParams;
      return delegator(
        q.get("namespace") ?? q.get("router") ?? undefined,
        q.get("path") ?? undefined,
        q.get("dtab") ?? undefined,
      );
    }
    if (req.method !== "POST") {
      return new Response(null, { status: 405, headers: { allow: "GET, POST" } });
    }
    const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== "application/json") return new Response(null, { status: 415 });
    const text = await readAdminBody(req);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const b = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
    const ns = b.namespace;
    if (
      typeof b.dtab !== "string" || typeof b.path !== "string" ||
      (ns !== undefined && ns !== null && typeof ns !== "string")
    ) {
      return plainError(`Malformed delegation request: ${text}`, 400);
    }
    return delegator(typeof ns === "string" ? ns : undefined, b.path, b.dtab);
  }
  const shutdown = (): Response => {
    deps.log.info("shutdown requested via admin");
    setTimeout(() => deps.shutdown(), 10);
    return new Response("shutting down\n");
  };
  const own: AdminHandler[] = [
    { path: "/admin/ping", handler: () => new Response("pong") },
    { path: "/config.json", handler: () => Response.json(deps.config()) },
    {
      path: "/delegator.json",
      async handler(req) {
        try {
          return await delegatorRequest(req);
        } catch (e: unknown) {
          if (e instanceof AdminBodyTooLarge) return plainError(e.message, e.status);
          throw e;
        }
      },
    },
    { path: "/admin/shutdown", method: "POST", handler: shutdown },
    {
      path: "/admin/shutdown",
      handler: () =>
        new Response("use POST to shut down\n", { status: 405, headers: { allow: "POST" } }),
    },
    ...loggingHandlers(deps.log),
    ...deps.handlers,
  ];
  // A route with a parameter (`/:label/interpreter_state/…`) names no one path: not listed.
  const listed = own.filter((h) => !h.path.includes("/:"));
  const gets = listed.filter((h) => h.method !== "POST").map((h) => h.path);
  const pages = helpPages({ log: deps.log, paths: () => gets });
  const all = [...own, ...pages];
  // twitter-server's IndexTxtHandler: every admin path, sorted, one per line (a prefix route
  // `/files/*` shows as `/files/`, as the muxer's prefixes do).
  const indexText = [
    ...new Set([
      ...[...listed, ...pages].map((h) => h.path.replace(/\/\*$/, "/")),
      "/admin",
      "/admin/index.txt",
    ]),
  ].sort().join("\n") + "\n";
  const index = () =>
    new Response(indexText, { headers: { "content-type": "text/plain; charset=utf-8" } });
  all.push({ path: "/admin", handler: index }, { path: "/admin/index.txt", handler: index });
  // POST-specific handlers first: Hono answers with the first matching route.
  for (const h of all) if (h.method === "POST") app.post(h.path, (c) => h.handler(c.req.raw));
  for (const h of all) if (h.method !== "POST") app.all(h.path, (c) => h.handler(c.req.raw));
  app.notFound((c) => c.text(`not found: ${c.req.path}\n`, 404));
  return app;
}
