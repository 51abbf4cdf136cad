/**
 * The admin server (default 127.0.0.1:9990), a Hono app: `/admin/ping`, `/config.json`,
 * `/delegator.json`, `POST /admin/shutdown` (`GET` answers 405 with `allow: POST`, as
 * twitter-server's), `/logging.json` (`logging_handler.ts`), `/help`, `/logging`,
 * `/admin/tracing` and `/admin/pprof/*` (`help_pages.ts`), plus every handler contributed by
 * other folders.
 *
 * `admin.security` (`security.ts`): a refused path answers 404, as a missing one does.
 *
 * @module
 */
import { Hono } from "hono";
import type { AdminHandler } from "./handler.ts";
import type { Logger } from "../log.ts";
import { loggingHandlers } from "./logging_handler.ts";
import { helpPages } from "./help_pages.ts";
import { type AdminSecurity, adminSecurity } from "./security.ts";

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
  app.get("/admin/ping", (c) => c.text("pong"));
  app.get("/config.json", (c) => c.json(deps.config() as object));
  async function delegator(namespace: string | undefined, path: string | undefined, dtab?: string) {
    if (!path) {
      return new Response(JSON.stringify({ error: "path is required" }), {
        status: 400,
        headers: { "content-type": "application/json" },
      });
    }
    try {
      const tree = await deps.delegate(namespace || undefined, path, dtab || undefined);
      return Response.json(tree);
    } catch (e: unknown) {
      const status = errorStatus(e);
      return Response.json({ error: (e as Error).message ?? String(e) }, {
        status: status === 500 ? 503 : status,
      });
    }
  }
  app.get(
    "/delegator.json",
    (c) =>
      delegator(
        c.req.query("namespace") ?? c.req.query("router"),
        c.req.query("path"),
        c.req.query("dtab"),
      ),
  );
  app.post("/delegator.json", async (c) => {
    let body: Record<string, string | undefined>;
    try {
      body = await c.req.json();
    } catch {
      return c.json({ error: "body must be JSON {namespace, dtab, path}" }, 400);
    }
    return delegator(body.namespace, body.path, body.dtab);
  });
  const shutdown = (c: { text: (s: string) => Response }) => {
    deps.log.info("shutdown requested via admin");
    setTimeout(() => deps.shutdown(), 10);
    return c.text("shutting down\n");
  };
  app.post("/admin/shutdown", shutdown);
  app.get(
    "/admin/shutdown",
    (c) => c.text("use POST to shut down\n", 405, { allow: "POST" }),
  );
  const own = [...loggingHandlers(deps.log), ...deps.handlers];
  const gets = [
    "/admin/ping",
    "/config.json",
    "/delegator.json",
    ...own.filter((h) => h.method !== "POST").map((h) => h.path),
  ];
  const pages = helpPages({ log: deps.log, paths: () => gets });
  for (const h of [...own, ...pages]) {
    if (h.method === "POST") app.post(h.path, (c) => h.handler(c.req.raw));
    else app.get(h.path, (c) => h.handler(c.req.raw));
  }
  app.notFound((c) => c.text(`not found: ${c.req.path}\n`, 404));
  return app;
}
