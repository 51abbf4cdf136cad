/**
 * `switchyard serve CONFIG --workers N`: N workers share every router port (SO_REUSEPORT), each
 * with its own router state; the main runs the admin server once, on a snapshot of the same config
 * (for `/config.json`, `/delegator.json`, namer state) that listens on no router port, and renders
 * the workers' metrics merged (`telemetry/metrics/merge.ts`), collected before each admin request.
 * Configs are validated once, by the main's loader (a `config-json` child: no process or worker
 * loads the parser; issue 6), and sent validated to every worker; so are reloads.
 *
 * @module
 */
import { keepServingOnStrayErrors } from "../core/stray_errors.ts";
import { formatIssue } from "../config/issues.ts";
import { type ConfigLoader, configLoader } from "../config/child_load.ts";
import { type Linker, startLinker } from "../linker.ts";
import {
  createReloader,
  reloadAdminHandlers,
  type Reloader,
  reloadMetrics,
} from "../config/reload.ts";
import { configDependencies } from "../snapshot.ts";
import type { AdminHandler } from "../../telemetry/admin/handler.ts";
import type { LogFormat, Logger, LogLevel } from "../../telemetry/log.ts";
import { createRegistry, startMallocTrimmer } from "../../telemetry/metrics/mod.ts";
import { createMergedRegistry } from "../../telemetry/metrics/merge.ts";
import { startWorkerPool, type WorkerPool } from "./pool.ts";
import { applyPorts, choosePorts } from "./ports.ts";
import { mergeNamerStates } from "./namer_state.ts";
import type { PortOverride } from "./protocol.ts";
import type { ClientState } from "../client_state.ts";
import type { Config } from "../config/schema.ts";
import { keepRecentTraces, type RecentRequest } from "../../telemetry/recent_requests.ts";

/** Options of {@link runServeWorkers}. */
export interface ServeWorkersOptions {
  /** Number of workers (≥ 1). */
  readonly workers: number;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
}

function workerRequests(
  snaps: readonly (readonly { key: string; kind: string; value?: number }[])[],
) {
  return snaps.map((snap, i) => {
    let requests = 0;
    for (const e of snap) {
      if (e.kind === "counter" && /^rt\/[^/]+\/server\/[^/]+\/[^/]+\/requests$/.test(e.key)) {
        requests += e.value ?? 0;
      }
    }
    return { worker: i + 1, serverRequests: requests };
  });
}

/**
 * The workers' `/client_state.json` as one: every client any worker has; a `bound` state (with
 * the most addresses) wins over Pending/Neg/Failed, as that worker routes on it.
 */
function mergeClientStates(
  all: readonly Record<string, ClientState>[],
): Record<string, ClientState> {
  const out: Record<string, ClientState> = {};
  for (const states of all) {
    for (const [id, s] of Object.entries(states)) {
      const had = out[id];
      const better = had === undefined ||
        (s.state === "bound" &&
          (had.state !== "bound" || s.addresses.length > had.addresses.length));
      if (better) out[id] = s;
    }
  }
  return out;
}

/**
 * The workers' recent-request samples as one: newest first, the requests of the telemeter's
 * `capacity` traces kept (Linkerd's store counts traces).
 */
function mergeRecent(all: readonly (readonly RecentRequest[])[], config?: Config): RecentRequest[] {
  const rr = config?.telemetry.find((t) => t.kind === "io.l5d.recentRequests") as
    | { capacity?: number }
    | undefined;
  const list = all.flat().sort((a, b) => b.timestamp.localeCompare(a.timestamp));
  return keepRecentTraces(list, rr?.capacity ?? list.length);
}

/**
 * Whether Deno's unstable `net` APIs are on (`--unstable-net`, deno.json's `unstable`, or baked
 * into the compiled binary): `Deno.listen({ reusePort })` needs them, and without them Deno ends
 * the whole process from inside a worker (exit 70). `Deno.listenDatagram` is one of those APIs.
 *
 * @returns Whether workers can share a port.
 */
export function reusePortAvailable(): boolean {
  return typeof (Deno as { listenDatagram?: unknown }).listenDatagram === "function";
}

/**
 * Runs `serve` with workers until SIGINT/SIGTERM or `POST /admin/shutdown`.
 *
 * @param loader Parses the config and every reload (default {@linkcode configLoader}).
 * @returns the process exit code
 */
export async function runServeWorkers(
  path: string,
  log: Logger,
  opts: ServeWorkersOptions,
  loader: ConfigLoader = configLoader(),
): Promise<number> {
  if (!reusePortAvailable()) {
    log.error(
      "--workers needs SO_REUSEPORT (Deno.listen's reusePort), an unstable Deno API: run with " +
        "--unstable-net, e.g. deno run -A --unstable-net dist/switchyard.js serve --workers " +
        `${opts.workers} CONFIG (the repo's deno.json and the compiled binary turn it on)`,
    );
    return 1;
  }
  const loaded = await loader.load(path);
  if (!loaded.ok) {
    for (const issue of loaded.errors) log.error(formatIssue(issue));
    log.error(`config ${loaded.file} is invalid (${loaded.errors.length} error(s))`);
    return 1;
  }
  for (const w of loaded.warnings) log.warn(w);
  let overrides: PortOverride[] = choosePorts(loaded.config);
  let pool: WorkerPool;
  try {
    pool = await startWorkerPool({
      count: opts.workers,
      config: loaded.config,
      overrides,
      log,
      logLevel: opts.logLevel,
      logFormat: opts.logFormat,
    });
  } catch (e: unknown) {
    log.error("cannot start", { error: e });
    return 1;
  }
  log.info("workers started", { workers: pool.count });
  const merged = createMergedRegistry(createRegistry());
  const ref: { reloader?: Reloader } = {};
  let reloaderMade = () => {};
  const made = new Promise<void>((r) => reloaderMade = r);
  const handlers: AdminHandler[] = [
    {
      path: "/admin/workers.json",
      handler: async () => Response.json(workerRequests(await pool.metrics())),
    },
  ];
  if (path !== "-") handlers.push(...reloadAdminHandlers(() => ref.reloader, made));
  let hupEarly = false;
  const onHup = () => {
    if (ref.reloader) void ref.reloader.reload("SIGHUP");
    else hupEarly = true;
  };
  if (path !== "-") Deno.addSignalListener("SIGHUP", onHup);
  let linker: Linker;
  try {
    linker = await startLinker(applyPorts(loaded.config, overrides), {
      log,
      adminHandlers: handlers,
      registry: merged,
      listenRouters: false,
      beforeAdmin: async () => merged.update(await pool.metrics()),
      views: {
        clientState: () => mergeClientStates(pool.views().map((v) => v.clients)),
        recentRequests: () => mergeRecent(pool.views().map((v) => v.recent), linker?.config()),
        namerState: async (prefix, own) =>
          mergeNamerStates([own, ...await pool.namerStates(prefix)]),
        // What the workers' namers watch (io.l5d.k8s enumerates its lookups), sorted, once each.
        boundNames: async (own) => [...new Set([own, ...await pool.boundNames()].flat())].sort(),
      },
    });
  } catch (e: unknown) {
    log.error("cannot start", { error: e });
    if (path !== "-") Deno.removeSignalListener("SIGHUP", onHup);
    reloaderMade();
    await pool.shutdown();
    return 1;
  }
  const stop = () => {
    log.info("signal received, draining");
    void pool.shutdown().finally(() => linker.shutdown());
  };
  const sigs: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of sigs) Deno.addSignalListener(s, stop);
  if (path !== "-") {
    const onAttempt = reloadMetrics(linker.registry, () => ref.reloader);
    // `ref.reloader` is set before `made` settles: a POST /admin/reload waiting on `made` reads it
    // next (set by the assignment after the await, it could read it unset and answer 503).
    const reloader = await createReloader({
      path,
      text: loaded.text,
      log,
      parse: loader.parse,
      extraPaths: configDependencies(loaded.config),
      apply: async (config) => {
        const next = choosePorts(config, overrides);
        // Workers first: a port one cannot bind rejects the config (the main binds none).
        await pool.reload(config, next);
        overrides = next;
        await linker.reload(applyPorts(config, next));
        ref.reloader?.setExtraPaths(configDependencies(config));
      },
      onAttempt,
    }).then((r) => ref.reloader = r).finally(reloaderMade);
    void reloader.reload(hupEarly ? "SIGHUP" : "start");
  }
  const keep = keepServingOnStrayErrors(log);
  // glibc's free memory back to the OS (telemetry/metrics/malloc_trim.ts): one call covers every
  // worker thread's arena. The main does not see the workers' requests, so it counts every check
  // as busy: a trim every 10 s (0.1–0.4 ms each).
  let checks = 0;
  const mallocTrimmer = startMallocTrimmer({ activity: () => checks++ });
  linker.registry.gauge(["process"], "malloc_trims", () => mallocTrimmer.trims);
  await linker.finished;
  mallocTrimmer.stop();
  keep();
  // `POST /admin/shutdown` stops the main's linker: stop the workers too.
  await pool.shutdown();
  for (const s of sigs) Deno.removeSignalListener(s, stop);
  if (path !== "-") Deno.removeSignalListener("SIGHUP", onHup);
  ref.reloader?.close();
  return 0;
}
