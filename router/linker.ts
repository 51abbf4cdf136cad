/**
 * The Linker: a whole running process built from one config — namers, routers and their
 * listeners, the metrics registry and the admin server (Linkerd's `Linker`). Everything it starts
 * is owned here and released by `shutdown()`.
 *
 * @module
 */
import type { Config, RouterConfig } from "./config/mod.ts";
import { createRouter, type Router, type RouterSpec } from "./router.ts";
import { createStacks } from "./stacks.ts";
import { listen, type Listener } from "./http/server.ts";
import { createH1Client, type H1Client } from "./http/h1/mod.ts";
import { identifiersFromConfig } from "./identify/mod.ts";
import { delegate, parseDtab, parsePath } from "./dtab/mod.ts";
import type { Dtab } from "./dtab/types.ts";
import { closeAll, createNamerLookup, createNamers } from "../discovery/mod.ts";
import type { ConfiguredNamer, InterpreterLookup, NamerConfig } from "../discovery/mod.ts";
import { type Clock, systemClock } from "./core/clock.ts";
import { BadRequest } from "./core/errors.ts";
import {
  createRegistry,
  linkerdPrometheusResponse,
  metricsJsonResponse,
  type MetricsRegistry,
  nativePrometheusResponse,
  scopeStats,
  serverScope,
} from "../telemetry/metrics/mod.ts";
import { adminApp } from "../telemetry/admin/server.ts";
import type { AdminHandler } from "../telemetry/admin/handler.ts";
import type { Logger } from "../telemetry/log.ts";

/** One running router and its listeners. */
export interface RunningRouter {
  readonly label: string;
  router: Router;
  readonly listeners: Listener[];
}

/** A running process. */
export interface Linker {
  readonly config: Config;
  readonly routers: readonly RunningRouter[];
  readonly registry: MetricsRegistry;
  readonly admin: { readonly ip: string; readonly port: number };
  /** Resolves when the process has shut down. */
  readonly finished: Promise<void>;
  /** Graceful: stop listening, let in-flight requests finish, release everything. */
  shutdown(): Promise<void>;
}

/** Options. */
export interface LinkerOptions {
  readonly log: Logger;
  readonly clock?: Clock;
  /** Extra admin routes (the demo adds none; telemetry adds dashboards). */
  readonly adminHandlers?: readonly AdminHandler[];
}

function routerDtab(rc: RouterConfig): Dtab {
  if (rc.interpreter.kind === "io.l5d.fs") {
    return parseDtab(Deno.readTextFileSync(rc.interpreter.dtabFile));
  }
  return parseDtab(rc.dtab);
}

function routerSpec(rc: RouterConfig): RouterSpec {
  const dstPrefix = parsePath(rc.dstPrefix);
  return {
    label: rc.label,
    dtab: routerDtab(rc),
    dstPrefix,
    identifiers: identifiersFromConfig(rc.identifier, dstPrefix, parsePath),
    maxCallDepth: rc.maxCallDepth,
    maxHeadersKB: rc.maxHeadersKB,
    maxInitialLineKB: rc.maxInitialLineKB,
    bindingTimeoutMs: rc.bindingTimeoutMs,
    bindingCacheSize: rc.bindingCache.paths,
  };
}

/**
 * Start everything a config describes.
 *
 * @throws Deno.errors.AddrInUse (and friends) when a port cannot be bound; whatever had
 *   started is shut down first.
 */
export async function startLinker(config: Config, opts: LinkerOptions): Promise<Linker> {
  const log = opts.log;
  const clock = opts.clock ?? systemClock;
  const registry = createRegistry({ clock });
  let namers: ConfiguredNamer[] = [];
  let lookup: InterpreterLookup | undefined;
  let transport: H1Client | undefined;
  const running: RunningRouter[] = [];
  let adminServer: Deno.HttpServer<Deno.NetAddr> | undefined;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((r) => (resolveFinished = r));
  let stopping: Promise<void> | undefined;

  async function shutdown(): Promise<void> {
    stopping ??= (async () => {
      log.info("shutting down");
      await Promise.allSettled(running.flatMap((r) => r.listeners.map((l) => l.shutdown())));
      await Promise.allSettled(running.map((r) => r.router.close()));
      await transport?.close();
      await lookup?.close();
      await closeAll(namers);
      await adminServer?.shutdown();
      resolveFinished();
    })();
    return stopping;
  }

  try {
    namers = createNamers(config.namers as unknown as NamerConfig[], { clock });
    lookup = createNamerLookup(namers);
    transport = createH1Client();
    const stackLog = log;
    for (const rc of config.routers) {
      const spec = routerSpec(rc);
      const stacks = createStacks({
        registry,
        clock,
        transport,
        service: rc.service,
        client: rc.client,
        log: stackLog,
      });
      const entry: RunningRouter = {
        label: rc.label,
        router: createRouter(spec, { lookup, stacks, clock }),
        listeners: [],
      };
      running.push(entry);
      for (const s of rc.servers) {
        const stats = scopeStats(registry, serverScope(rc.label, s.ip, s.port));
        const listener = listen(
          {
            ip: s.ip,
            port: s.port,
            clearContext: s.clearContext,
            maxErrResponseKB: rc.maxErrResponseKB,
          },
          () => entry.router,
          log,
          {
            start: () => stats.pending.incr(),
            end: (status, ms) => {
              stats.pending.decr();
              if (status < 500) stats.recordSuccess(ms, status);
              else stats.recordFailure(ms, status);
            },
          },
        );
        entry.listeners.push(listener);
        log.info("router listening", { router: rc.label, ip: listener.ip, port: listener.port });
      }
    }

    const promPath = config.telemetry.find((t) => t.kind === "io.l5d.prometheus") as
      | { path?: string; prefix?: string }
      | undefined;
    const handlers: AdminHandler[] = [
      {
        path: "/admin/metrics.json",
        handler: (req) => metricsJsonResponse(registry, new URL(req.url)),
      },
      {
        path: promPath?.path ?? "/admin/metrics/prometheus",
        handler: () =>
          linkerdPrometheusResponse(registry, promPath?.prefix ? { prefix: promPath.prefix } : {}),
      },
      { path: "/metrics", handler: () => nativePrometheusResponse(registry) },
      {
        path: "/client_state.json",
        handler: () =>
          Response.json(Object.fromEntries(running.map((r) => [r.label, r.router.clients()]))),
      },
      ...namers.map((n): AdminHandler => ({
        path: `/namer_state/${n.prefix.join("/")}.json`,
        handler: () => Response.json(n.namer.state?.() ?? {}),
      })),
      ...(opts.adminHandlers ?? []),
    ];
    const activeLookup = lookup;
    const app = adminApp({
      config: () => config,
      delegate(namespace, pathText, dtabText) {
        let path;
        try {
          path = parsePath(pathText);
        } catch (e: unknown) {
          throw new BadRequest(`bad path: ${(e as Error).message}`);
        }
        const r = namespace === undefined ? running[0] : running.find((x) => x.label === namespace);
        if (namespace !== undefined && !r) throw new BadRequest(`no router named ${namespace}`);
        const base = r ? r.router.spec.dtab : [];
        const extra = dtabText ? parseDtab(dtabText) : [];
        return Promise.resolve(delegate([...base, ...extra], path, activeLookup));
      },
      shutdown: () => void shutdown(),
      handlers,
      log,
    });
    adminServer = Deno.serve({
      hostname: config.admin.ip,
      port: config.admin.port,
      onListen() {},
    }, app.fetch);
    log.info("admin listening", { ip: adminServer.addr.hostname, port: adminServer.addr.port });
  } catch (e: unknown) {
    await shutdown();
    throw e;
  }
  return {
    config,
    routers: running,
    registry,
    admin: { ip: adminServer.addr.hostname, port: adminServer.addr.port },
    finished,
    shutdown,
  };
}
