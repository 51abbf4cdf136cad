/**
 * A config snapshot: the namers, tracing, access logs and routers one config version describes.
 * A hot reload builds a new snapshot, swaps it in, and retires the old one once its in-flight
 * requests are done (bounded by a max age). The HTTP/1.1 transport and the metrics registry
 * outlive snapshots, so streams in flight and counters continue across reloads.
 *
 * @module
 */
import { delegationTo } from "./http/diagnostic_tracer.ts";
import { delegate } from "./dtab/delegate.ts";
import type { Config, RouterConfig } from "./config/mod.ts";
import { createRouter, type Router, type RouterSpec } from "./router.ts";
import { createStacks } from "./stacks.ts";
import type { H1Client } from "./http/h1/mod.ts";
import { createH2Client } from "./http/h2/h2_client.ts";
import { type H2EndpointKeys, h2EndpointSettings } from "./http/h2/config.ts";
import type { ClientTls } from "./http/tls_dial.ts";
import { defaults } from "./config/defaults.ts";
import { closeIdentifiers, identifiersFromConfig } from "./identify/mod.ts";
import { parseDtab, parsePath, showDtab } from "./dtab/mod.ts";
import { dtabFileError } from "./dtab/error_text.ts";
import type { Dtab } from "./dtab/types.ts";
import { closeAll, createNamerLookup, createNamers } from "../discovery/mod.ts";
import type {
  ConfiguredNamer,
  InterpreterLookup,
  NamerConfig,
  NamerLookup,
} from "../discovery/mod.ts";
import type { Clock } from "./core/clock.ts";
import type { MetricsRegistry } from "../telemetry/metrics/mod.ts";
import { type RouterExtensions, routerExtensions } from "./routes/mod.ts"; // issue 5
import type { Logger } from "../telemetry/log.ts";
import { createTracing, type Tracing, tracingSampleRate } from "../telemetry/tracing/mod.ts"; // issue 4
import { type AccessLog, openAccessLog } from "../telemetry/access_log.ts"; // issue 4
import { parseRollPolicy } from "../telemetry/log_roll.ts";
import { createRecentRequests, type RecentRequests } from "../telemetry/recent_requests.ts";
import {
  closeTransformers,
  createTransformers,
  type NameTreeTransformer,
  transformLookup,
} from "../discovery/k8s/mod.ts"; // k8s
import {
  type InterpreterWatch,
  type InterpreterWatches,
  interpreterWatches,
} from "./interpreter_watches.ts";

/** Namers plus the lookup over them, shared by every router of a snapshot. */
export interface Discovery {
  /** JSON of the `namers` config they were built from (reused when a reload keeps it). */
  readonly key: string;
  readonly namers: ConfiguredNamer[];
  readonly lookup: InterpreterLookup;
  /** Snapshots using this discovery. */
  users: number;
}

/** One config version, running. */
export interface Snapshot {
  readonly config: Config;
  readonly routers: Map<string, Router>;
  /**
   * Each router's view of the namers (label → lookup): `discovery.lookup` wrapped by its
   * `interpreter.transformers`, the very lookup its traffic binds with. The delegator uses it, as
   * Linkerd's `DelegatingNameTreeTransformer.delegatingWrap` does.
   */
  readonly lookups: ReadonlyMap<string, NamerLookup>;
  readonly discovery: Discovery;
  /**
   * The `io.l5d.k8s.configMap` and `io.l5d.consul.interpreter` dtab watches by router label (for
   * `/<label>/interpreter_state/<kind>.json` and the dashboard's delegator).
   */
  readonly interpreters: ReadonlyMap<string, InterpreterWatch>;
  /** Requests currently being routed by this snapshot's routers. */
  inflight(): number;
  /** `io.l5d.recentRequests`, when configured. */
  readonly recent: RecentRequests | null;
  /**
   * Release routers, tracing, access logs (and the namers when no snapshot uses them). Upstream
   * h2 sessions get `graceMs` (default 30 s) for the streams in flight on them; a process whose
   * shutdown grace is over passes 0.
   */
  close(graceMs?: number): Promise<void>;
}

/** Process-lifetime dependencies. */
export interface SnapshotDeps {
  readonly registry: MetricsRegistry;
  readonly transport: H1Client;
  readonly clock: Clock;
  readonly log: Logger;
  /**
   * The `io.l5d.k8s.configMap` / `io.l5d.consul.interpreter` watches shared across reloads;
   * default a set of this snapshot's own.
   */
  readonly interpreterWatches?: InterpreterWatches;
}

/**
 * The dentries of an `io.l5d.fs` interpreter's `dtabFile` (none for the `default` interpreter).
 * Linkerd's ConfiguredDtabNamer binds with `fileDtab ++ (routerDtab ++ localDtab)`: the file
 * comes first, so the router's own `dtab` (and `l5d-dtab`) entries win over it.
 */
function interpreterDtab(rc: RouterConfig, where: string): Dtab {
  if (rc.interpreter.kind !== "io.l5d.fs") return [];
  const file = rc.interpreter.dtabFile;
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (e: unknown) {
    // Linkerd's config type `File` requires a regular file: `<path> is not a file`.
    const why = e instanceof Deno.errors.NotFound || e instanceof Deno.errors.IsADirectory
      ? "is not a file"
      : `cannot be read: ${e instanceof Error ? e.message : String(e)}`;
    throw new Error(`${where}.interpreter.dtabFile: ${file} ${why}`, { cause: e });
  }
  try {
    return parseDtab(text);
  } catch (e: unknown) {
    // The dtab file's own line:column (the config file is not where the error is).
    throw new Error(dtabFileError(file, text, e), { cause: e });
  }
}

function routerSpec(rc: RouterConfig, ext: RouterExtensions, where: string): RouterSpec {
  const dstPrefix = parsePath(rc.dstPrefix);
  const base = [...parseDtab(rc.dtab), ...ext.dentries]; // issue 5: compiled `services:` win (later)
  const fileDtab = interpreterDtab(rc, where);
  return {
    label: rc.label,
    dtab: fileDtab.length > 0 ? [...fileDtab, ...base] : base,
    baseDtab: base, // Linkerd's Dst.Path baseDtab: the router's dtab, not the interpreter's file
    dstPrefix,
    identifiers: identifiersFromConfig(rc.identifier, dstPrefix, parsePath, ext.identifier),
    maxCallDepth: rc.maxCallDepth,
    maxHeadersKB: rc.maxHeadersKB,
    maxInitialLineKB: rc.maxInitialLineKB,
    bindingTimeoutMs: rc.bindingTimeoutMs,
    bindingCache: rc.bindingCache,
  };
}

/** The files a snapshot reads besides the config (watched for reloads). */
export function configDependencies(config: Config): string[] {
  const out: string[] = [];
  for (const rc of config.routers) {
    if (rc.interpreter.kind === "io.l5d.fs") out.push(rc.interpreter.dtabFile);
    for (const id of [rc.identifier].flat()) { // issue 5: route files
      const file = (id as { routesFile?: unknown }).routesFile;
      if (typeof file === "string") out.push(file);
    }
  }
  return out;
}

/**
 * Build a snapshot. Reuses `previous` discovery when the `namers` config is unchanged.
 *
 * @throws NamerConfigError, BadDtab, I/O errors: nothing built so far is left running.
 */
/**
 * An h2 router's upstream clients: one per set of client SETTINGS (`initialStreamWindowBytes`,
 * `maxFrameBytes`, `headerTableBytes`, `maxHeaderListBytes` of the params a client id resolves
 * to, `io.l5d.static` entries included, as Linkerd's `H2PrefixConfig` mixes `H2ClientConfig` into
 * each entry), made on first use and shared by the clients that send the same SETTINGS (and
 * closed with the snapshot: pushed to `owned`), and one of its own per TLS client. The
 * service's `classificationTimeoutMs`/`retryBufferSize.responseBytes` come with each request
 * (the path stack's, per service).
 */
function h2Transports(rc: Config["routers"][number], owned: H1Client[]): {
  transport: H1Client;
  transportFor: (params: H2EndpointKeys) => H1Client;
  tls: (tls: ClientTls, params: H2EndpointKeys) => H1Client;
} {
  const bySettings = new Map<string, H1Client>();
  const transportFor = (params: H2EndpointKeys): H1Client => {
    const settings = h2EndpointSettings(params);
    const key = JSON.stringify(settings);
    let t = bySettings.get(key);
    if (t === undefined) {
      t = createH2Client({ settings });
      bySettings.set(key, t);
      owned.push(t);
    }
    return t;
  };
  return {
    transport: transportFor(rc.client.kind === "io.l5d.global" ? rc.client : {}),
    transportFor,
    tls: (tls, params) => createH2Client({ tls, settings: h2EndpointSettings(params) }),
  };
}

export function buildSnapshot(
  config: Config,
  deps: SnapshotDeps,
  previous?: Discovery,
): Snapshot {
  const { registry, transport, clock, log } = deps;
  const key = JSON.stringify(config.namers);
  let discovery: Discovery;
  if (previous && previous.key === key) {
    discovery = previous;
  } else {
    // a namer's io.l5d.replace / io.l5d.const bind through the namers' own lookup, made next
    const made: { lookup?: NamerLookup } = {};
    const bind: NamerLookup = (path) => made.lookup?.(path);
    const namers = createNamers(config.namers as unknown as NamerConfig[], { clock, log, bind }); // k8s: log
    const lookup = createNamerLookup(namers);
    made.lookup = lookup;
    discovery = { key, namers, lookup, users: 0 };
  }
  discovery.users++;
  const tracing: Tracing | null = createTracing(config.telemetry, { clock, log }); // issue 4
  const accessLogs: AccessLog[] = []; // issue 4
  const rr = config.telemetry.find((t) => t.kind === "io.l5d.recentRequests") as
    | { sampleRate: number; capacity: number }
    | undefined;
  const recent = rr ? createRecentRequests(rr) : null;
  const transformers: NameTreeTransformer[] = []; // k8s
  const routers = new Map<string, Router>();
  const owned: H1Client[] = []; // transports this snapshot made (h2 routers')
  const lookups = new Map<string, NamerLookup>();
  const interpreters = new Map<string, InterpreterWatch>();
  const cmShare = deps.interpreterWatches ?? interpreterWatches();
  try {
    for (const rc of config.routers) {
      const where = `routers[${config.routers.indexOf(rc)}]`;
      // k8s: `interpreter.transformers` wrap this router's view of the namers
      const own = createTransformers(rc.interpreter.transformers, {
        path: `${where}.interpreter.transformers`,
        clock,
        log,
        bind: discovery.lookup, // io.l5d.replace / io.l5d.const bind their path with no dtab
      });
      transformers.push(...own);
      const ext = routerExtensions(rc, config.services, clock); // issue 5: services, routes
      const cm = cmShare.acquire(rc, { clock, log });
      if (cm) interpreters.set(rc.label, cm);
      const spec = { ...routerSpec(rc, ext, where), interpreterDtab: cm?.dtab };
      // issue 4: the router's access log (off unless `httpAccessLog` is set)
      const logSpec = rc.protocol === "h2"
        ? {
          path: rc.h2AccessLog,
          // `common` is Linkerd's h2 layout (`+0000`, `HTTP/2`, no byte count)
          format: rc.h2AccessLogFormat === "json" ? "json" as const : "h2" as const,
          append: rc.h2AccessLogAppend,
          rollPolicy: rc.h2AccessLogRollPolicy,
          rotateCount: rc.h2AccessLogRotateCount,
        }
        : {
          path: rc.httpAccessLog,
          format: rc.httpAccessLogFormat,
          append: rc.httpAccessLogAppend,
          rollPolicy: rc.httpAccessLogRollPolicy,
          rotateCount: rc.httpAccessLogRotateCount,
        };
      const accessLog = logSpec.path === undefined ? null : openAccessLog({
        path: logSpec.path,
        format: logSpec.format,
        append: logSpec.append ?? true,
        rollPolicy: parseRollPolicy(logSpec.rollPolicy),
        rotateCount: logSpec.rotateCount ?? -1,
        router: rc.label,
        log,
      });
      if (accessLog) accessLogs.push(accessLog);
      const lookup = transformLookup(discovery.lookup, own); // k8s
      // An h2 router speaks HTTP/2 upstream: its own client, closed with this snapshot.
      const h2 = rc.protocol === "h2" ? h2Transports(rc, owned) : undefined;
      lookups.set(rc.label, lookup);
      const stacks = createStacks({
        registry,
        clock,
        transport: h2?.transport ?? transport,
        transportFor: h2?.transportFor,
        tlsTransport: h2?.tls,
        retryBufferBytes: h2 ? defaults.h2.retryBufferBytes : undefined,
        classifiedRetries: h2 !== undefined,
        h2: h2 !== undefined,
        // Linkerd's NonRetryableChunked: what Finagle would stream is never retried (http only).
        chunkedAfterBytes: rc.protocol === "http" && rc.streamingEnabled
          ? (rc.streamAfterContentLengthKB ?? defaults.http.streamAfterContentLengthKB) * 1024
          : undefined,
        // Linkerd's clients get the router's maxInitialLineKB/maxHeadersKB: a response head over
        // them fails (502).
        responseHeadLimits: rc.protocol === "http"
          ? { maxLineBytes: rc.maxInitialLineKB * 1024, maxFieldBytes: rc.maxHeadersKB * 1024 }
          : undefined,
        bufferBodies: rc.protocol === "http" && !rc.streamingEnabled,
        service: ext.service, // issue 5: rc.service + per-route classifiers
        client: rc.client,
        log,
        tracing, // issue 4
        // Linkerd's diagnostic tracing: how this request's name delegated to its client.
        delegation: (ctx) =>
          ctx.dst && ctx.bound
            ? delegationTo(
              delegate([...cm?.dtab.get() ?? [], ...spec.dtab, ...ctx.dtabLocal], ctx.dst, lookup),
              ctx.bound.idStr,
            )
            : [],
      });
      const router = ext.wrap(createRouter(spec, { // issue 5: route overrides
        lookup,
        stacks,
        clock,
        traceSampleRate: tracingSampleRate(config.telemetry), // issue 4
        tracePropagator: rc.tracePropagator.kind,
        serverFilters: [
          recent?.filter(rc.label) ?? null,
          accessLog?.filter ?? null,
          tracing?.serverFilter(rc.label, showDtab(spec.baseDtab ?? spec.dtab)) ?? null,
        ],
      }));
      routers.set(rc.label, router);
      // routers.md `originator`: "reflects that in the router's stats", as Linkerd's router
      // module provides the gauge `rt/<label>/originator` = 1 (EchoEndToEndTest).
      if (rc.originator) registry.gauge(["rt", rc.label], "originator", () => 1);
      else registry.remove(["rt", rc.label, "originator"]);
    }
  } catch (e: unknown) {
    void closeParts();
    throw e;
  }

  async function closeParts(graceMs = 30_000): Promise<void> {
    await Promise.allSettled([...routers.values()].map((r) => r.close(graceMs)));
    await Promise.allSettled(owned.map((t) => t.close(graceMs)));
    // Identifiers with state (io.l5d.ingress: a k8s watch) stop with their router.
    await Promise.allSettled(
      [...routers.values()].map((r) => closeIdentifiers(r.spec.identifiers)),
    );
    await Promise.allSettled(accessLogs.map((a) => a.close())); // issue 4: write the rest
    await tracing?.shutdown(); // issue 4: flush queued spans
    await closeTransformers(transformers); // k8s
    await Promise.allSettled([...interpreters.values()].map((c) => cmShare.release(c)));
    discovery.users--;
    if (discovery.users === 0) {
      await discovery.lookup.close();
      await closeAll(discovery.namers);
    }
  }

  let closing: Promise<void> | undefined;
  return {
    config,
    routers,
    lookups,
    discovery,
    interpreters,
    recent,
    inflight: () => [...routers.values()].reduce((n, r) => n + r.inflight, 0),
    close: (graceMs) => (closing ??= closeParts(graceMs)),
  };
}
