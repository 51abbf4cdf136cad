/**
 * The Linker: a whole running process built from one config — the current config snapshot
 * (namers, routers), the listeners, the metrics registry, the HTTP/1.1 transport and the admin
 * server (Linkerd's `Linker`). `reload()` swaps in a new snapshot atomically: listeners are kept,
 * started or drained by `ip:port`; in-flight requests finish on the snapshot they started on,
 * which is closed once idle (or after `drainMaxMs`). Linkerd 1.x could not do this.
 *
 * @module
 */
import type { Config } from "./config/mod.ts";
import type { Router } from "./router.ts";
import { listen, type Listener, type ListenerSpec } from "./http/server.ts";
import { h2Settings, prepareH2 } from "./http/h2/config.ts";
import { isX509v1, loadNodeTls, type ServerTls, tlsVersionRange } from "./http/node_tls.ts";
import { rebind, replaceableBind } from "./http/tls_port.ts";
import { type TlsReload, watchServerTls } from "./tls_reload.ts";
import { createH1Client, type H1Client } from "./http/h1/mod.ts";
import { closeTunnels } from "./http/raw/tunnel.ts";
import {
  delegate,
  type Dtab,
  parseDtab,
  parsePath,
  showPath,
  showPrefix,
  showTree,
} from "./dtab/mod.ts";
import { settledDelegation } from "./dtab/settled.ts";
import { type Clock, systemClock } from "./core/clock.ts";
import { BadRequest } from "./core/errors.ts";
import {
  type Counter,
  createRegistry,
  type Histogram,
  linkerdPrometheusResponse,
  metricsJsonResponse,
  type MetricsRegistry,
  nativePrometheusResponse,
  type RequestStats,
  scopeStats,
  serverScope,
} from "../telemetry/metrics/mod.ts";
import { adminApp } from "../telemetry/admin/server.ts";
// The dashboard's assets and code load on its first request (issue 6: idle RSS).
import { lazyDashboardHandlers } from "../telemetry/admin/dashboard/lazy.ts";
import { type RecentRequest, recentRequestsPage } from "../telemetry/recent_requests.ts";
import type { AdminHandler } from "../telemetry/admin/handler.ts";
import { infoHandlers } from "../telemetry/admin/info_handlers.ts";
import { usageHandler } from "../telemetry/admin/usage_handler.ts";
import { linkerdConfigJson } from "./config/linkerd_config_json.ts";
import { configHandlers, type LintFinding } from "../telemetry/admin/config_handlers.ts";
import { VERSION } from "../version.ts";
import type { Logger } from "../telemetry/log.ts";
import type { StatsdTelemeter } from "../telemetry/statsd.ts";
import { buildSnapshot, type Snapshot } from "./snapshot.ts";
import { interpreterWatches } from "./interpreter_watches.ts";
import { allBoundNames } from "../discovery/mod.ts";
import { identifierPreviewHandler } from "./identifier_preview.ts";
import { type ClientState, clientStateJson } from "./client_state.ts";
import { SYNTHETIC_FAILURE } from "../telemetry/failure_names.ts";

/** One running listener of a router. */
export interface RunningListener {
  readonly label: string;
  readonly listener: Listener;
}

/** A running process. */
export interface Linker {
  /** The config now serving. */
  config(): Config;
  /** The router now serving a label. */
  router(label: string): Router | undefined;
  /** Listeners now open, in config order. */
  listeners(): readonly RunningListener[];
  readonly registry: MetricsRegistry;
  readonly admin: { readonly ip: string; readonly port: number };
  /**
   * Swap in a validated config. Rejects (and keeps the old config serving) when it cannot be
   * built, e.g. a port that cannot be bound.
   */
  reload(config: Config): Promise<void>;
  /** Requests the router listeners have accepted so far (a cheap activity signal). */
  accepted(): number;
  /** `/client_state.json` of this process's routers (what a `--workers` worker reports). */
  clientState(): Record<string, ClientState>;
  /** The `io.l5d.recentRequests` sample, newest first (empty without the telemeter). */
  recentRequests(): RecentRequest[];
  /**
   * `/namer_state/<prefix>.json` of this process's namer (what a `--workers` worker reports);
   * undefined when no namer has that prefix.
   */
  namerState(prefix: string): unknown;
  /** `/bound-names.json` of this process's namers (what a `--workers` worker reports). */
  boundNames(): Promise<string[]>;
  /** Resolves when the process has shut down. */
  readonly finished: Promise<void>;
  /** Graceful: stop listening, let in-flight requests finish, release everything. */
  shutdown(): Promise<void>;
}

/** Options. */
export interface LinkerOptions {
  readonly log: Logger;
  readonly clock?: Clock;
  /** Extra admin routes (e.g. `/admin/reload`, which needs the reloader). */
  readonly adminHandlers?: readonly AdminHandler[];
  /** Longest a retired snapshot waits for its in-flight requests (default 60 s). */
  readonly drainMaxMs?: number;
  /** Open router listeners with SO_REUSEPORT (a `--workers` worker). Default false. */
  readonly reusePort?: boolean;
  /** Start the admin server (default true; a worker does not, its metrics go to the main). */
  readonly admin?: boolean;
  /**
   * Open router listeners (default true). The main of `--workers` builds the snapshot (for
   * `/config.json`, `/delegator.json`) but the workers serve.
   */
  readonly listenRouters?: boolean;
  /** Use this registry instead of a new one (e.g. the merged registry of `--workers`). */
  readonly registry?: MetricsRegistry;
  /** Awaited before every admin request (e.g. to collect the workers' metrics). */
  readonly beforeAdmin?: (req: Request) => Promise<void>;
  /**
   * Where `/client_state.json` and `/requests(.json)` read (the `--workers` main: its workers',
   * collected by `beforeAdmin`), instead of this process's routers.
   */
  readonly views?: {
    clientState(): Record<string, ClientState>;
    recentRequests(): RecentRequest[];
    /**
     * `/namer_state/<prefix>.json` from `own`, this process's state of that namer (the
     * `--workers` main adds what its workers' namers looked up).
     */
    namerState?(prefix: string, own: unknown): Promise<unknown>;
    /** `/bound-names.json` from `own`, this process's list (the `--workers` main adds its workers'). */
    boundNames?(own: string[]): Promise<string[]>;
  };
}

/**
 * Read a server's TLS files (Linkerd `servers[].tls`). With `requireClientAuth`, clients must
 * present a certificate that verifies against `caCertPath` (served by node:tls, see
 * `http/node_tls.ts`); the admin server (`Deno.serve`) refuses it rather than ignore it.
 *
 * @throws Error naming the unsupported key, or the unreadable file.
 */
function serverTls(
  tls: ServerTlsConfig,
  where: "router" | "admin" = "router",
): ServerTls {
  if (tls.requireClientAuth && where === "admin") {
    throw new Error("admin.tls.requireClientAuth: client certificate checks are not supported");
  }
  let cert = Deno.readTextFileSync(tls.certPath);
  if (tls.intermediateCertsPath) cert += "\n" + Deno.readTextFileSync(tls.intermediateCertsPath);
  const key = Deno.readTextFileSync(tls.keyPath);
  // `protocols` (routers.md "Server TLS"): the TLS versions a router listener negotiates
  const versions = where === "router" ? tlsVersionRange(tls.protocols) : undefined;
  // An X.509 v1 certificate (linkerd-examples' k8s-daemonset demo certificates) is served by
  // node:tls: rustls refuses it.
  const legacyCert = where === "router" && isX509v1(cert);
  const base = {
    cert,
    key,
    ...(versions ? { versions } : {}),
    ...(legacyCert ? { legacyCert } : {}),
  };
  if (!tls.requireClientAuth) return base;
  // Without caCertPath, client certificates verify against the runtime's roots.
  const ca = tls.caCertPath ? Deno.readTextFileSync(tls.caCertPath) : undefined;
  return { ...base, ...(ca ? { ca } : {}), requireClientAuth: true };
}

/** A listener's `tls` block (`servers[].tls`, `admin.tls`). */
type ServerTlsConfig = NonNullable<Config["routers"][number]["servers"][number]["tls"]>;

/** The files {@linkcode serverTls} reads for `tls` (what a certificate watch watches). */
function tlsPaths(tls: ServerTlsConfig): string[] {
  return [
    tls.certPath,
    tls.keyPath,
    ...(tls.intermediateCertsPath ? [tls.intermediateCertsPath] : []),
    ...(tls.requireClientAuth && tls.caCertPath ? [tls.caCertPath] : []),
  ];
}

type RouterConfig = Config["routers"][number];
type ServerConfig = RouterConfig["servers"][number];

/**
 * The listener settings of a server (`routers[].servers[]`, with its router's). `tls`: its files,
 * already read.
 */
function listenerSpec(
  rc: RouterConfig,
  s: ServerConfig,
  tls: ServerTls | undefined,
  reusePort: boolean | undefined,
): ListenerSpec {
  return {
    ip: s.ip,
    port: s.port,
    clearContext: s.clearContext,
    compressionLevel: rc.protocol === "http" ? rc.compressionLevel : 0,
    maxCallDepth: s.maxCallDepth,
    maxErrResponseKB: rc.maxErrResponseKB,
    maxConcurrentRequests: s.maxConcurrentRequests,
    timeoutMs: s.timeoutMs,
    engine: rc.protocol === "h2" ? "h2" : "engine" in s ? s.engine : undefined,
    h2Settings: "maxConcurrentStreamsPerConnection" in s ? h2Settings(s) : undefined,
    maxHeadersKB: rc.maxHeadersKB,
    maxInitialLineKB: rc.maxInitialLineKB,
    idleTimeMs: s.serverSession?.idleTimeMs,
    lifeTimeMs: s.serverSession?.lifeTimeMs,
    router: rc.label,
    addForwardedHeader: s.addForwardedHeader,
    timestampHeader: s.timestampHeader,
    noDelay: s.socketOptions?.noDelay,
    keepAlive: s.socketOptions?.keepAlive,
    // `socketOptions.reusePort`: SO_REUSEPORT, as `--workers` binds every listener
    ...(reusePort || s.socketOptions?.reusePort ? { reusePort: true } : {}),
    ...(tls ? { tls } : {}),
  };
}

/**
 * Load what a config needs beyond the defaults before building from it: `node:http2` for h2
 * routers, node:tls for listeners that require client certificates, limit TLS versions or serve
 * an X.509 v1 certificate.
 */
async function prepareModules(config: Config): Promise<void> {
  await prepareH2(config);
  const nodeTls = (t: Config["routers"][number]["servers"][number]["tls"]): boolean =>
    t !== undefined &&
    (t.requireClientAuth || tlsVersionRange(t.protocols) !== undefined || v1File(t.certPath));
  if (config.routers.some((r) => r.servers.some((s) => nodeTls(s.tls)))) {
    await loadNodeTls();
  }
}

/** Whether the certificate file is X.509 v1 (false when it cannot be read: reported later). */
function v1File(path: string): boolean {
  try {
    return isX509v1(Deno.readTextFileSync(path));
  } catch {
    return false;
  }
}

/**
 * A listener's identity: router, address and protocol (http → h2 on one port restarts it). Each
 * `port: 0` server is a listener of its own (an ephemeral port each, as Linkerd binds them), told
 * apart by its place among the router's servers.
 */
function listenerKey(
  label: string,
  ip: string,
  port: number,
  protocol = "http",
  index = 0,
): string {
  const where = port === 0 ? `0#${index}` : `${port}`;
  return `${label}@${ip}:${where}${protocol === "http" ? "" : `/${protocol}`}`;
}

/**
 * The warnings `switchyard check` prints (config lint and routing lint) for a loaded config. The
 * lint modules load on the first `/admin/lint` only: they are not part of the serving graph.
 */
async function lintLoaded(config: Config): Promise<LintFinding[]> {
  const [{ lintConfig }, { lintRouting, localFiles }] = await Promise.all([
    import("./config/lint.ts"),
    import("./cli/routing_lint.ts"),
  ]);
  return [...lintConfig(config), ...lintRouting(config, localFiles)];
}

type StatsdTelemeterConfig = Extract<Config["telemetry"][number], { kind: "io.l5d.statsd" }>;

/**
 * Starts `io.l5d.statsd` when configured. Its module loads only then (issue 6: idle RSS), and
 * without it the stacks record through the plain registry (no cost on the request path).
 */
async function startStatsdTelemeter(
  config: Config,
  registry: MetricsRegistry,
  log: Logger,
): Promise<StatsdTelemeter | undefined> {
  const c = config.telemetry.find((t): t is StatsdTelemeterConfig => t.kind === "io.l5d.statsd");
  if (c === undefined) return undefined;
  const { startStatsd } = await import("../telemetry/statsd.ts");
  log.info("statsd telemeter", { target: `${c.hostname}:${c.port}`, prefix: c.prefix });
  return startStatsd(registry, c, { log });
}

/** `/admin/metrics/influxdb` (`io.l5d.influxdb`); its module loads on the first scrape. */
async function influxDb(
  config: Config,
  registry: MetricsRegistry,
  req: Request,
): Promise<Response> {
  if (!config.telemetry.some((t) => t.kind === "io.l5d.influxdb")) {
    return new Response(`not found: ${new URL(req.url).pathname}\n`, { status: 404 });
  }
  const { influxDbResponse } = await import("../telemetry/influxdb.ts");
  return influxDbResponse(registry, req);
}

/** `/requests[.json]` without the `io.l5d.recentRequests` telemeter: 404, as in Linkerd. */
function noRecentRequests(): Response {
  return new Response(
    "the io.l5d.recentRequests telemeter is not configured " +
      "(telemetry: [{kind: io.l5d.recentRequests, sampleRate: 1.0}])\n",
    { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } },
  );
}

function wrapAdmin(
  before: (req: Request) => Promise<void>,
  fetch: (req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => Response | Promise<Response>,
): (req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => Promise<Response> {
  return async (req, info) => {
    await before(req);
    return fetch(req, info);
  };
}

/** Whether `p` settles within `ms` (its outcome is not awaited past that). */
/** After the shutdown grace: how long the answers to the requests it cut may take to go out. */
const ANSWER_CUT_MS = 1000;

async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((r) => timer = setTimeout(() => r(false), ms));
  try {
    return await Promise.race([p.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
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
  const drainMaxMs = opts.drainMaxMs ?? 60_000;
  const base = opts.registry ?? createRegistry({ clock });
  // The `--workers` main serves no requests: its workers report to StatsD themselves.
  const statsd = opts.listenRouters === false
    ? undefined
    : await startStatsdTelemeter(config, base, log);
  const registry = statsd?.registry ?? base;
  const transport: H1Client = createH1Client();
  // Upstream connection pool (all endpoints): open, idle, dialled and reused connections.
  for (const k of ["open", "idle", "connects", "reused"] as const) {
    registry.gauge(["switchyard", "upstream_connections"], k, () => transport.stats()[k]);
  }
  // io.l5d.k8s.configMap / io.l5d.consul.interpreter watches outlive a reload that keeps them
  // (router/interpreter_watches.ts)
  const deps = { registry, transport, clock, log, interpreterWatches: interpreterWatches() };
  await prepareModules(config);
  let snap: Snapshot = buildSnapshot(config, deps);
  // TLS listeners' certificate watches (router/tls_reload.ts), and the `tls` config each reads.
  const tlsWatches = new Map<RunningListener, { cfg: ServerTlsConfig; watch: TlsReload }>();
  const stopTlsWatch = (l: RunningListener) => {
    tlsWatches.get(l)?.watch.close();
    tlsWatches.delete(l);
  };
  // Each listener's settings now, and how a reload changes them.
  const tuners = new Map<RunningListener, {
    spec: ListenerSpec;
    session: boolean;
    update(spec: ListenerSpec, session: boolean): void;
  }>();
  // Listener key → listener; a listener routes with whatever router its label has *now*.
  const listeners = new Map<string, RunningListener>();
  const retiring = new Set<Promise<void>>();
  let adminServer: Deno.HttpServer<Deno.NetAddr> | undefined;
  let adminTlsWatch: TlsReload | undefined;
  let identifierServer: Deno.HttpServer<Deno.NetAddr> | undefined;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((r) => (resolveFinished = r));
  let stopping: Promise<void> | undefined;
  const reloads = registry.counter(["switchyard"], "config_reloads");
  let accepted = 0;

  /** A counter that counts nothing, until a listener's scope is known. */
  const LATER: { incr(n: number): void } = { incr() {} };

  /** Run `fn`; a failure's message is prefixed with `what` (which address, which router). */
  function naming<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (e: unknown) {
      throw new Error(`${what}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }

  function startListeners(c: Config, current: () => Snapshot): RunningListener[] {
    const started: RunningListener[] = [];
    const startedKeys: string[] = [];
    const updates: { entry: RunningListener; spec: ListenerSpec; s: ServerConfig }[] = [];
    /** Kept listeners updated so far, with the settings to go back to. */
    const updated: { entry: RunningListener; spec: ListenerSpec; session: boolean }[] = [];
    if (opts.listenRouters === false) return started;
    try {
      for (const rc of c.routers) {
        for (const [j, s] of rc.servers.entries()) {
          const key = listenerKey(rc.label, s.ip, s.port, rc.protocol, j);
          const kept = listeners.get(key);
          if (kept) {
            // A kept listener serves with this config's settings (applied once every new
            // listener has started); its `tls` files are read now, so that one that cannot be
            // read rejects the reload.
            const tls = s.tls &&
              naming(`router ${rc.label} on ${s.ip}:${s.port}`, () => serverTls(s.tls!));
            updates.push({ entry: kept, spec: listenerSpec(rc, s, tls, opts.reusePort), s });
            continue;
          }
          const label = rc.label;
          // Server stats are scoped by the bound port (a port-0 listener gets its real one).
          const scoped: {
            stats?: RequestStats;
            connects?: Counter;
            idle?: Counter;
            lifetime?: Counter;
            handletime?: Histogram;
          } = {};
          // Finagle's server byte counters, filled in once the bound port names the scope.
          const bytes: { received: { incr(n: number): void }; sent: { incr(n: number): void } } = {
            received: LATER,
            sent: LATER,
          };
          let last: Router | undefined;
          let served: ServerTls | undefined;
          const listener = naming(
            `router ${label}: cannot listen on ${s.ip}:${s.port}`,
            () =>
              listen(
                listenerSpec(rc, s, served = s.tls && serverTls(s.tls), opts.reusePort),
                () => (last = current().routers.get(label) ?? last)!,
                log,
                {
                  start: () => {
                    accepted++;
                    scoped.stats?.enter();
                  },
                  connect: () => {
                    scoped.stats?.connections.incr();
                    scoped.connects?.incr();
                  },
                  disconnect: () => scoped.stats?.connections.decr(),
                  idleClosed: () => scoped.idle?.incr(),
                  lifetimeClosed: () => scoped.lifetime?.incr(),
                  handled: (us, at) => scoped.handletime?.add(us, at),
                  bytes, // its counters are swapped in below; connections read them per use
                  mono: registry.clock === systemClock
                    ? systemClock.mono
                    : () => registry.clock.mono(),
                  end: (status, ms, _err, at, success) => {
                    const stats = scoped.stats;
                    if (!stats) return;
                    stats.leave();
                    if (success ?? status < 500) stats.recordSuccess(ms, status, at);
                    // the router answered every error; Finagle counts a failure response as
                    // its synthetic exception
                    else stats.recordFailure(ms, status, SYNTHETIC_FAILURE, at);
                  },
                },
              ),
          );
          last = current().routers.get(label);
          const scope = serverScope(label, listener.ip, listener.port);
          scoped.stats = scopeStats(registry, scope);
          // Finagle's HandletimeFilter: time to hand the request on (the synchronous part), µs.
          scoped.handletime = registry.histogram(scope, "handletime_us");
          /** The counters the engine serving now reports (a reload may change the engine). */
          const engineCounters = (serverSession: boolean) => {
            const stats = scopeStats(registry, scope);
            // Linkerd's server `connects` / `connections` (raw engine: Deno.serve has no events)
            if (listener.engine !== "serve") {
              scoped.connects = registry.counter(scope, "connects");
              void stats.connections;
            }
            if (listener.engine === "raw" || (listener.engine === "h2" && serverSession)) {
              // Finagle's ExpiringService `idle`: connections closed for idling idleTimeMs.
              scoped.idle = registry.counter(scope, "idle");
              // ... and `lifetime`: connections closed at serverSession.lifeTimeMs.
              scoped.lifetime = registry.counter(scope, "lifetime");
            }
            if (listener.engine === "raw") {
              bytes.received = registry.counter(scope, "received_bytes");
              bytes.sent = registry.counter(scope, "sent_bytes");
            }
          };
          engineCounters(s.serverSession !== undefined);
          const entry = { label, listener };
          tuners.set(entry, {
            spec: listenerSpec(rc, s, served, opts.reusePort),
            session: s.serverSession !== undefined,
            update(spec, session) {
              listener.update(spec);
              this.spec = spec;
              this.session = session;
              engineCounters(session);
            },
          });
          if (s.tls && served) watchTls(entry, s.tls, served);
          started.push(entry);
          startedKeys.push(key);
          listeners.set(key, entry);
          log.info("router listening", { router: label, ip: listener.ip, port: listener.port });
        }
      }
      // Every new listener started: the kept ones take this config's settings.
      for (const u of updates) {
        const tuner = tuners.get(u.entry)!;
        const before = { spec: tuner.spec, session: tuner.session };
        naming(
          `router ${u.entry.label}: cannot apply the new settings of ${u.spec.ip}:${u.spec.port}`,
          () => tuner.update(u.spec, u.s.serverSession !== undefined),
        );
        updated.push({ entry: u.entry, ...before });
        // It reads the `tls` files this config names (they may have moved), or stops watching.
        const w = tlsWatches.get(u.entry);
        if (!u.s.tls) stopTlsWatch(u.entry);
        else if (!w) watchTls(u.entry, u.s.tls, u.spec.tls!);
        else {
          w.cfg = u.s.tls;
          void w.watch.check();
        }
      }
    } catch (e: unknown) {
      for (const k of startedKeys) listeners.delete(k);
      for (const l of started) stopTlsWatch(l);
      for (const l of started) tuners.delete(l);
      for (const l of started) void l.listener.shutdown();
      for (const u of updated.reverse()) {
        try {
          tuners.get(u.entry)!.update(u.spec, u.session);
        } catch (e2: unknown) {
          log.error("router listener: the old settings cannot be restored", { error: e2 });
        }
      }
      throw e;
    }
    return started;
  }

  /** Serve a TLS listener's rotated certificate files to new connections. */
  function watchTls(entry: RunningListener, cfg: ServerTlsConfig, served: ServerTls): void {
    const listener = entry.listener;
    // Linkerd reads the certificate files for each connection: a new pair is served to
    // new connections without a restart.
    const holder = { cfg };
    const watch = watchServerTls({
      paths: () => tlsPaths(holder.cfg),
      read: () => serverTls(holder.cfg),
      apply: (t) => listener.reloadTls(t),
      initial: served,
      log,
      where: { router: entry.label, ip: listener.ip, port: listener.port },
    });
    tlsWatches.set(entry, Object.assign(holder, { watch }));
  }

  /** Wait until new listeners accept connections (h2's bind is asynchronous). */
  async function listening(started: readonly RunningListener[]): Promise<void> {
    await Promise.all(started.map((l) => l.listener.ready));
  }

  function retire(old: Snapshot): void {
    const done = (async () => {
      const end = Date.now() + drainMaxMs;
      while (old.inflight() > 0 && Date.now() < end && !stopping) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await old.close();
    })();
    retiring.add(done);
    done.finally(() => retiring.delete(done));
  }

  async function reload(next: Config): Promise<void> {
    if (stopping) throw new Error("shutting down");
    await prepareModules(next);
    const built = buildSnapshot(next, deps, snap.discovery);
    const wanted = new Set<string>();
    for (const rc of next.routers) {
      for (const [j, s] of rc.servers.entries()) {
        wanted.add(listenerKey(rc.label, s.ip, s.port, rc.protocol, j));
      }
    }
    let started: RunningListener[];
    const previous = snap;
    try {
      // New listeners route on the current snapshot, like the others: `snap = built` follows
      // synchronously, before any request can arrive, and later reloads must reach them too
      // (a listener pinned to `built` kept its first snapshot's routing forever).
      started = startListeners(next, () => snap);
    } catch (e: unknown) {
      await built.close();
      throw e;
    }
    snap = built;
    for (const [key, l] of [...listeners]) {
      if (wanted.has(key) || started.includes(l)) continue;
      // Port-0 listeners are keyed by their configured port 0 and kept.
      listeners.delete(key);
      stopTlsWatch(l);
      tuners.delete(l);
      log.info("router listener draining", { router: l.label, port: l.listener.port });
      void l.listener.shutdown();
    }
    retire(previous);
    reloads.incr();
    // New listeners, and kept ones a change of engine or TLS gave a new socket.
    await listening([...listeners.values()]);
  }

  function shutdown(): Promise<void> {
    stopping ??= (async () => {
      log.info("shutting down");
      for (const l of [...tlsWatches.keys()]) stopTlsWatch(l);
      adminTlsWatch?.close();
      // Linkerd's `admin.shutdownGraceMs`: in-flight requests get that long. One waiting on an
      // upstream that never answers (no timeout configured) held the process after SIGTERM for
      // as long as the upstream did; closing the upstream connections below ends it.
      const graceMs = snap.config.admin.shutdownGraceMs;
      const drained = Promise.allSettled([
        ...[...listeners.values()].map((l) => l.listener.shutdown()),
        ...retiring,
      ]);
      const late = !await settlesWithin(drained, graceMs);
      if (late) {
        log.warn("shutdown grace period over: closing the requests still in flight", { graceMs });
      }
      const tunnels = closeTunnels();
      if (tunnels > 0) log.info("tunnels closed", { tunnels });
      // Past the grace, upstream h2 sessions close at once (they would wait 30 s for streams).
      await snap.close(late ? 0 : undefined);
      // The requests that closing cut short are answered (502 + l5d-err) on their way out: let
      // those answers reach their clients before the process goes (briefly: a client that does
      // not read its answer does not hold the exit).
      if (late) await settlesWithin(drained, ANSWER_CUT_MS);
      await transport.close();
      await statsd?.close();
      await identifierServer?.shutdown();
      await adminServer?.shutdown();
      resolveFinished();
    })();
    return stopping;
  }

  const ownClientState = () => clientStateJson([...snap.routers.values()].map((r) => r.clients()));
  const ownRecent = () => snap.recent?.list() ?? [];
  const ownNamerState = (prefix: string): unknown => {
    const n = snap.discovery.namers.find((x) => x.prefix.join("/") === prefix);
    return n ? n.namer.state?.() ?? {} : undefined;
  };
  const ownBoundNames = () => allBoundNames(snap.discovery.namers);
  const views = opts.views ?? { clientState: ownClientState, recentRequests: ownRecent };
  try {
    await listening(startListeners(config, () => snap));
    if (opts.admin === false) {
      return {
        config: () => snap.config,
        router: (label) => snap.routers.get(label),
        listeners: () => [...listeners.values()],
        registry,
        admin: { ip: config.admin.ip, port: 0 },
        reload,
        accepted: () => accepted,
        clientState: ownClientState,
        recentRequests: ownRecent,
        namerState: ownNamerState,
        boundNames: ownBoundNames,
        finished,
        shutdown,
      };
    }
    const promOf = () =>
      snap.config.telemetry.find((t) => t.kind === "io.l5d.prometheus") as
        | { path?: string; prefix?: string }
        | undefined;
    const prom = promOf();
    const handlers: AdminHandler[] = [
      {
        path: "/admin/metrics.json",
        handler: (req) => metricsJsonResponse(registry, new URL(req.url)),
      },
      {
        // Linkerd serves this only with the `io.l5d.prometheus` telemeter configured (checked per
        // request: a reload may add or remove it). `/metrics` is always there.
        path: prom?.path ?? "/admin/metrics/prometheus",
        handler: () => {
          const p = promOf();
          if (!p) {
            return new Response(
              "the io.l5d.prometheus telemeter is not configured " +
                "(telemetry: [{kind: io.l5d.prometheus}]); /metrics serves Switchyard's own " +
                "exposition\n",
              { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } },
            );
          }
          return linkerdPrometheusResponse(registry, p.prefix ? { prefix: p.prefix } : {});
        },
      },
      { path: "/metrics", handler: () => nativePrometheusResponse(registry) },
      { path: "/admin/metrics/influxdb", handler: (req) => influxDb(snap.config, registry, req) },
      // Linkerd serves these only with the `io.l5d.recentRequests` telemeter (its admin route).
      {
        path: "/requests.json",
        handler: () => snap.recent ? Response.json(views.recentRequests()) : noRecentRequests(),
      },
      {
        path: "/requests",
        handler: () =>
          snap.recent ? recentRequestsPage(views.recentRequests()) : noRecentRequests(),
      },
      {
        // Linkerd's BoundNamesHandler: what the enumerating namers (io.l5d.fs, io.l5d.k8s) list.
        path: "/bound-names.json",
        handler: async () => {
          const own = await ownBoundNames();
          return Response.json(views.boundNames ? await views.boundNames(own) : own);
        },
      },
      {
        path: "/client_state.json",
        // Linkerd's shape: client id → {state, addresses} (router/client_state.ts).
        handler: () => Response.json(views.clientState()),
      },
      {
        // The dtabs Linkerd's DelegateHandler puts in the delegator page (`dtab-data`: each
        // router's interpreter dtab, `dtab-base-data`: its own), for the dtab playground: the
        // live dtab of an io.l5d.fs file, ConfigMap or Consul KV interpreter (`null` while it
        // waits for its first answer), in Linkerd's dentry codec ({prefix, dst}).
        path: "/delegator/dtabs.json",
        handler: () => {
          const codec = (d: Dtab) =>
            d.map((e) => ({ prefix: showPrefix(e.prefix), dst: showTree(e.dst, showPath) }));
          const out: Record<string, unknown> = {};
          for (const rc of snap.config.routers) {
            const r = snap.routers.get(rc.label);
            if (!r) continue;
            const base = r.spec.baseDtab ?? r.spec.dtab;
            const live = snap.interpreters.get(rc.label);
            // io.l5d.fs: the file's dentries come before the router's own in spec.dtab.
            const own = live
              ? live.dtab.get()
              : r.spec.dtab.slice(0, r.spec.dtab.length - base.length);
            out[rc.label] = {
              interpreter: rc.interpreter.kind,
              dtab: own === undefined ? null : codec(own),
              dtabBase: codec(base),
            };
          }
          return Response.json(out);
        },
      },
      ...([
        // Linkerd's ConfigMapInterpreter handler, under its router's label (LinkerdAdmin
        // `extractInterpreterHandlers`): `{state, watch}` of the watched ConfigMap dtab.
        ["io.l5d.k8s.configMap", "io.l5d.k8s.configmap"],
        // ConsulInterpreterInitializer's `adminUri`: the KV dtab's var and poll state.
        ["io.l5d.consul.interpreter", "io.l5d.consul.interpreter"],
      ] as const).map(([kind, file]) => ({
        path: `/:label/interpreter_state/${file}.json`,
        handler: (req: Request) => {
          const label = decodeURIComponent(new URL(req.url).pathname.split("/")[1] ?? "");
          const w = snap.interpreters.get(label);
          return w?.kind === kind
            ? Response.json(w.state())
            : Response.json({ error: `no ${kind} interpreter on ${label}` }, { status: 404 });
        },
      })),
      {
        path: "/namer_state/*",
        handler: async (req) => {
          const want = new URL(req.url).pathname.slice("/namer_state/".length).replace(
            /\.json$/,
            "",
          );
          const own = ownNamerState(want);
          if (own === undefined) {
            return Response.json({ error: `no namer ${want}` }, { status: 404 });
          }
          return Response.json(views.namerState ? await views.namerState(want, own) : own);
        },
      },
      ...lazyDashboardHandlers({
        registry,
        version: VERSION,
        // The routers now serving, with the listeners now open as their server scopes name them
        // (the `--workers` main opens none: there, every listener with metrics is shown).
        routers: () =>
          snap.config.routers.map((r) => {
            const open = r.servers.map((s, j) =>
              listeners.get(listenerKey(r.label, s.ip, s.port, r.protocol, j))?.listener
            );
            if (open.some((l) => l === undefined)) return { label: r.label };
            return { label: r.label, servers: open.map((l) => `${l?.ip}/${l?.port}`) };
          }),
      }),
      ...infoHandlers({
        version: VERSION,
        startTime: performance.timeOrigin,
        now: () => clock.now(),
        servesRouters: opts.listenRouters !== false,
      }),
      usageHandler({
        config: () => snap.config,
        registry,
        version: VERSION,
        startTime: performance.timeOrigin,
      }),
      ...configHandlers({
        config: () => snap.config,
        // The `--workers` main opens none: every worker listens on the port its config names.
        bound: (label, protocol, ip, port, index) =>
          opts.listenRouters === false
            ? port
            : listeners.get(listenerKey(label, ip, port, protocol, index))?.listener.port,
        lint: () => lintLoaded(snap.config),
      }),
      ...(opts.adminHandlers ?? []),
    ];
    const app = adminApp({
      config: () => linkerdConfigJson(snap.config),
      delegate(namespace, pathText, dtabText) {
        // Without a namespace, Linkerd delegates with the configured namers only (no router's
        // dtab): just the `dtab` given. Checked in DelegateApiHandler's order and with its texts:
        // the namespace (an unknown label gets Finagle's global interpreter, which cannot show
        // delegations: 501), then the dtab, then the path (400 `Invalid dtab: …`/`Invalid path: …`).
        const r = namespace === undefined
          ? undefined
          : [...snap.routers.values()].find((x) => x.spec.label === namespace);
        if (namespace !== undefined && !r) {
          throw new BadRequest(`Name Interpreter for ${namespace} cannot show delegations`, 501);
        }
        let extra: Dtab = [];
        try {
          if (dtabText) extra = parseDtab(dtabText);
        } catch (e: unknown) {
          throw new BadRequest(`Invalid dtab: ${(e as Error).message}`);
        }
        let path;
        try {
          path = parsePath(pathText);
        } catch (e: unknown) {
          throw new BadRequest(`Invalid path: ${(e as Error).message}`);
        }
        // The router's own lookup: its `interpreter.transformers` apply, so the tree shows the
        // client ids and endpoints its traffic uses (Linkerd's `delegatingWrap`).
        const lookup = (r && snap.lookups.get(r.spec.label)) ?? snap.discovery.lookup;
        return settledDelegation(() => {
          // An io.l5d.k8s.configMap interpreter's dtab first (ConfiguredDtabNamer.delegate:
          // `confDtab ++ dtab`); until the API answers it is pending, as Linkerd waits for it.
          const base = r ? r.dtab() : [];
          if (base === undefined) return { type: "exception", message: "pending" };
          return delegate([...base, ...extra], path, lookup);
        });
      },
      shutdown: () => void shutdown(),
      security: () => snap.config.admin.security,
      handlers,
      log,
    });
    // `admin.tls` (Linkerd's): the admin server answers HTTPS only.
    const adminTls = config.admin.tls
      ? naming("admin.tls", () => serverTls(config.admin.tls!, "admin"))
      : undefined;
    const adminFetch = opts.beforeAdmin ? wrapAdmin(opts.beforeAdmin, app.fetch) : app.fetch;
    // With TLS, bound with SO_REUSEPORT (when available) so that a certificate reload can open
    // the next server on the port before the old one stops.
    let adminBind = { port: config.admin.port, reusePort: false };
    const serveAdmin = (port: number, tls: ServerTls | undefined) =>
      Deno.serve({
        hostname: config.admin.ip,
        port,
        onListen() {},
        ...(adminBind.reusePort ? { reusePort: true } : {}),
        ...(tls ? { cert: tls.cert, key: tls.key } : {}),
      }, adminFetch);
    adminServer = naming(
      `admin: cannot listen on ${config.admin.ip}:${config.admin.port}`,
      () => {
        if (adminTls) adminBind = replaceableBind(config.admin.ip, config.admin.port);
        return serveAdmin(adminBind.port, adminTls);
      },
    );
    if (config.admin.tls && adminTls) {
      const tlsConfig = config.admin.tls;
      adminTlsWatch = watchServerTls({
        paths: () => tlsPaths(tlsConfig),
        read: () => serverTls(tlsConfig, "admin"),
        apply: (t) => {
          const old = adminServer!;
          adminServer = rebind(old.addr.port, () => serveAdmin(old.addr.port, t));
          void old.shutdown();
        },
        initial: adminTls,
        log,
        where: { admin: true, ip: adminServer.addr.hostname, port: adminServer.addr.port },
      });
    }
    log.info("admin listening", {
      ip: adminServer.addr.hostname,
      port: adminServer.addr.port,
      tls: adminTls !== undefined,
    });
    if (config.admin.httpIdentifierPort !== undefined) {
      // Linkerd's identifier debug listener (router/identifier_preview.ts), on the admin address.
      identifierServer = Deno.serve({
        hostname: config.admin.ip,
        port: config.admin.httpIdentifierPort,
        onListen() {},
      }, identifierPreviewHandler(() => snap.routers));
      log.info("identifier preview listening", {
        ip: identifierServer.addr.hostname,
        port: identifierServer.addr.port,
      });
    }
  } catch (e: unknown) {
    await shutdown();
    throw e;
  }
  return {
    config: () => snap.config,
    router: (label) => snap.routers.get(label),
    listeners: () => [...listeners.values()],
    registry,
    admin: { ip: adminServer.addr.hostname, port: adminServer.addr.port },
    reload,
    accepted: () => accepted,
    clientState: ownClientState,
    recentRequests: ownRecent,
    namerState: ownNamerState,
    boundNames: ownBoundNames,
    finished,
    shutdown,
  };
}
