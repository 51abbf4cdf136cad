/**
 * Process facts for the admin server, in twitter-server's shapes (L1 `/admin/server_info`,
 * `/admin/threads`): name, version, Deno build, start time and uptime, and the isolate this admin
 * server runs in with its memory. Everything is read from the running process when asked.
 *
 * Deno has no thread dump: `/admin/threads` lists the main isolate only. With `--workers N` the
 * serving isolates are separate workers that this admin server cannot inspect
 * (`/admin/workers.json` has their request counts); `servesRouters: false` says so.
 *
 * @module
 */
import type { AdminHandler } from "./handler.ts";

/** What the process-info handlers read. */
export interface InfoDeps {
  /** The program's version (e.g. `VERSION` of `version.ts`). */
  readonly version: string;
  /** Epoch ms the process started (e.g. `performance.timeOrigin`). */
  readonly startTime: number;
  /** Epoch ms now. */
  now(): number;
  /** True when this isolate's own listeners serve the routers (false for a `--workers` main). */
  readonly servesRouters: boolean;
}

/** `/admin/server_info`'s body. */
export interface ServerInfo {
  readonly name: "switchyard";
  readonly version: string;
  /** Deno's build target, e.g. `x86_64-unknown-linux-gnu`. */
  readonly build: string;
  /** ISO 8601. */
  readonly start_time: string;
  /** Milliseconds since start. */
  readonly uptime: number;
  readonly deno: string;
  readonly v8: string;
  readonly typescript: string;
  readonly pid: number;
}

/**
 * The `/admin/server_info` body now.
 *
 * @param deps Version and clock.
 * @returns Name, version, build, start time, uptime and runtime versions.
 * @example
 * ```ts
 * import { serverInfo } from "./info_handlers.ts";
 * const info = serverInfo({ version: "0.1.0", startTime: 0, now: () => 1000, servesRouters: true });
 * console.log(info.uptime); // 1000
 * ```
 */
export function serverInfo(deps: InfoDeps): ServerInfo {
  return {
    name: "switchyard",
    version: deps.version,
    build: Deno.build.target,
    start_time: new Date(deps.startTime).toISOString(),
    uptime: Math.max(0, Math.round(deps.now() - deps.startTime)),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    pid: Deno.pid,
  };
}

/**
 * The `/admin/threads` body now: the main isolate, its pid and `Deno.memoryUsage()`.
 *
 * @param deps Whether this isolate serves the routers.
 * @returns `{threads: {main: {...}}}`.
 * @example
 * ```ts
 * import { threads } from "./info_handlers.ts";
 * const t = threads({ version: "0.1.0", startTime: 0, now: Date.now, servesRouters: true });
 * console.log(t.threads.main.pid === Deno.pid); // true
 * ```
 */
export function threads(deps: InfoDeps): {
  threads: {
    main: {
      thread: "main";
      pid: number;
      servesRouters: boolean;
      memory: Deno.MemoryUsage;
    };
  };
} {
  return {
    threads: {
      main: {
        thread: "main",
        pid: Deno.pid,
        servesRouters: deps.servesRouters,
        memory: Deno.memoryUsage(),
      },
    },
  };
}

/** `/admin/contention`'s body: twitter-server's "Blocked:\n%s\n\nLock Owners:\n%s", both empty. */
export const CONTENTION = "Blocked:\n\n\nLock Owners:\n";

/**
 * `GET /admin/server_info`, `GET /admin/threads` and its twin `/admin/threads.json` (Linkerd
 * serves both; the JSON is the same), and `GET /admin/contention`.
 *
 * @param deps Version, clock and role of this isolate.
 * @returns The four admin handlers.
 * @example
 * ```ts
 * import { infoHandlers } from "./info_handlers.ts";
 * const hs = infoHandlers({ version: "0.1.0", startTime: 0, now: Date.now, servesRouters: true });
 * console.log(hs.map((h) => h.path)); // ["/admin/server_info", "/admin/threads", "/admin/threads.json", "/admin/contention"]
 * ```
 */
export function infoHandlers(deps: InfoDeps): AdminHandler[] {
  return [
    { path: "/admin/server_info", handler: () => Response.json(serverInfo(deps)) },
    { path: "/admin/threads", handler: () => Response.json(threads(deps)) },
    { path: "/admin/threads.json", handler: () => Response.json(threads(deps)) },
    // twitter-server's ContentionHandler (documented in L1 `linkerd/docs/config.md`): blocked
    // threads and lock owners. A JavaScript isolate has no thread that blocks on a monitor, so
    // both lists are empty; the text keeps the handler's layout.
    {
      path: "/admin/contention",
      handler: () =>
        new Response(CONTENTION, { headers: { "content-type": "text/plain; charset=utf-8" } }),
    },
  ];
}
