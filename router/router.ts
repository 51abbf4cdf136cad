/**
 * A Router: one immutable snapshot of a router config (identifiers, base dtab, stacks, caches).
 * `serve()` runs one request through the server stack: limits and loop check, context decode,
 * identify → path stack (cached per name + local dtab) → bind → client stack (cached per bound
 * name) → balancer → endpoint stack → transport. A hot reload builds a new Router and swaps
 * one reference; in-flight requests finish on the snapshot they started on.
 *
 * @module
 */
import { Ctx } from "./core/ctx.ts";
import { type Filter, type Service, stack } from "./core/service.ts";
import { BadRequest, DeadlineExceeded, MaxCallDepth, NoHostsAvailable } from "./core/errors.ts";
import type { Clock } from "./core/clock.ts";
import type { Dtab, NameTree, Path } from "./dtab/types.ts";
import {
  chooseLeaf,
  createBindingCache,
  l5dDtabFromHeaders,
  showDtab,
  showPath,
} from "./dtab/mod.ts";
import type { Bound, NamerLookup } from "../discovery/types.ts";
import type { Var } from "./core/var.ts";
import { composeIdentifiers, type Identifier } from "./identify/identifier.ts";
import { H, viaCount } from "./http/headers.ts";
import { isTunnelableConnect } from "./http/connect.ts";
import { httpVersion, requestParts } from "./http/raw/request_parts.ts";
import { contextView, isContextHeader, NO_CONTEXT_HEADERS } from "./http/context_headers.ts";
import type { StackFactory } from "./stacks.ts";
import { type CachedClient, createClientCache } from "./client_cache.ts";
import { type CacheSlot, LruCache } from "./core/cache.ts";
import { nsToMs, parseGrpcTimeout, parseL5dDeadlineNs } from "../resilience/deadline.ts";
import { decodeTraceContext, type TracePropagatorKind } from "../telemetry/tracing/mod.ts"; // issue 4

/** A router's resolved settings (built from its config by `router/config_adapter.ts`). */
export interface RouterSpec {
  readonly label: string;
  /** The dtab names are bound with: an `io.l5d.fs` interpreter's file, then `baseDtab`. */
  readonly dtab: Dtab;
  /**
   * A live dtab bound with before `dtab` (an `io.l5d.k8s.configMap` interpreter's ConfigMap key):
   * Linkerd's ConfiguredDtabNamer binds with `configuredDtab ++ dtab`. `undefined` while it has
   * not loaded: names wait for it, up to `bindingTimeoutMs` (Linkerd's Activity is Pending).
   */
  readonly interpreterDtab?: Var<Dtab | undefined> | undefined;
  /**
   * The router's own dtab (its `dtab`, then compiled `services:`), shown as `Dtab.base` in
   * "No hosts are available" texts as Linkerd shows its router `dtab` there (not the
   * interpreter's file); default `dtab`.
   */
  readonly baseDtab?: Dtab;
  readonly dstPrefix: Path;
  readonly identifiers: readonly Identifier[];
  readonly maxCallDepth: number;
  readonly maxHeadersKB: number;
  readonly maxInitialLineKB: number;
  readonly bindingTimeoutMs: number;
  /**
   * routers.md "Binding Cache" sizes: `paths` (services per logical name), `trees` (bindings per
   * dtab and name), `clients` (client stacks per bound name).
   */
  readonly bindingCache: {
    readonly paths: number;
    readonly trees: number;
    readonly clients: number;
    /** Services and clients unused this long (s) are expired (Linkerd's `idleTtlSecs`). */
    readonly idleTtlSecs: number;
  };
}

/** What a router is built with. */
export interface RouterDeps {
  readonly lookup: NamerLookup;
  readonly stacks: StackFactory;
  readonly clock: Clock;
  /** Issue 4: sample rate for new traces; undefined = no tracing telemeter (propagate only). */
  readonly traceSampleRate?: number | undefined;
  /** `tracePropagator.kind` (default `io.l5d.default`); `io.l5d.zipkin` always writes B3. */
  readonly tracePropagator?: TracePropagatorKind | undefined;
  /** Issue 4: server-level filters around identify + route (access log, server span), top first. */
  readonly serverFilters?: readonly (Filter | null)[];
}

/** The listener's settings that shape a request's context (`routers[].servers[]` keys). */
export interface NewCtxOptions {
  /** `clearContext`: ignore inbound l5d context (edge listeners). Default false. */
  readonly clearContext?: boolean | undefined;
  /** The server's `maxCallDepth`; when set it wins over the router's. */
  readonly maxCallDepth?: number | undefined;
}

/** A running router snapshot. */
export interface Router {
  readonly spec: RouterSpec;
  /** Route one request. Rejects with typed errors; the server rescues them. */
  serve(req: Request, ctx: Ctx): Promise<Response>;
  /**
   * Build the per-request context (limits, loop check, l5d context headers). With
   * `clearContext` (edge listeners) the inbound `l5d-ctx-*`, `l5d-dtab`, `l5d-sample` and trace
   * context are ignored, as Linkerd's ClearContext filter does.
   */
  newCtx(req: Request, remoteAddr: string, signal: AbortSignal, opts?: NewCtxOptions): Ctx;
  /**
   * The dtab names bind with now: the interpreter's live dtab (when it has one), then
   * `spec.dtab`; `undefined` while that live dtab has not loaded.
   */
  dtab(): Dtab | undefined;
  /** The bound names of the clients currently cached (id and live Addr), for admin. */
  clients(): readonly Bound[];
  /** Requests being routed right now (the listener counts them; hot reload drains on it). */
  inflight: number;
  /** Close the router's clients (`graceMs`: as `ClientStack.close`). */
  close(graceMs?: number): Promise<void>;
}

function effectiveHost(url: URL, hostHeader: string | null): string {
  // No Host header (HTTP/1.0): Deno.serve fills the URL with `localhost:<port>` for an
  // origin-form target, which names nothing; only an absolute-form target names a host.
  // An empty Host (`Host:`) names nothing either: "Host header is absent", as in Linkerd.
  if (hostHeader === null || hostHeader === "") {
    return url.hostname === "localhost" ? "" : url.host;
  }
  const lower = hostHeader.toLowerCase();
  if (lower === url.host || lower === url.host + ":80") return hostHeader;
  return url.host; // absolute-form target whose authority differs: the URI wins (RFC 9112 §3.2.2)
}

/**
 * Build a router snapshot.
 *
 * @throws BadDtab never: the config loader has already validated the dtab.
 */
export function createRouter(spec: RouterSpec, deps: RouterDeps): Router {
  const identify = composeIdentifiers(spec.identifiers);
  const bindDtabStr = showDtab(spec.dtab);
  const baseDtabStr = spec.baseDtab ? showDtab(spec.baseDtab) : bindDtabStr;
  const bindings = createBindingCache({
    lookup: deps.lookup,
    maxEntries: spec.bindingCache.trees,
    bindingTimeoutMs: spec.bindingTimeoutMs,
    bindOptions: { failover: true },
    clock: deps.clock,
  });
  const clients = createClientCache(spec.label, deps.stacks, spec.bindingCache.clients);
  // A path stack per (name, local dtab); a name's metrics go when its last one leaves the cache
  // (evicted or idle), not when the router closes (a reload's next router keeps writing them).
  const pathNames = new Map<string, string>(); // cache key → name
  const pathsPerName = new Map<string, number>();
  let closing = false;
  const paths = new LruCache<string, Service>(spec.bindingCache.paths, (key) => {
    const name = pathNames.get(key);
    pathNames.delete(key);
    if (name === undefined) return;
    const left = (pathsPerName.get(name) ?? 1) - 1;
    if (left > 0) return void pathsPerName.set(name, left);
    pathsPerName.delete(name);
    if (!closing) deps.stacks.forgetPath?.(spec.label, name);
  });
  // routers.md "Binding Cache" `idleTtlSecs`: services and clients idle that long expire.
  const ttlMs = spec.bindingCache.idleTtlSecs * 1000;
  let stopSweeping = () => {};
  const sweep = () => {
    paths.sweep();
    clients.sweep();
    stopSweeping = deps.clock.setTimer(ttlMs, sweep);
  };
  if (ttlMs > 0 && Number.isFinite(ttlMs)) stopSweeping = deps.clock.setTimer(ttlMs, sweep);
  const maxHeaderBytes = spec.maxHeadersKB * 1024;
  const maxLineBytes = spec.maxInitialLineKB * 1024;
  const random = deps.clock.random;
  const traceOpts = { sampleRate: deps.traceSampleRate, random, propagator: deps.tracePropagator };
  const live = spec.interpreterDtab;
  // The live dtab composed with the router's, recomputed when the live one changes.
  let composedFrom: Dtab | undefined;
  let composed: { dtab: Dtab; key: string } = { dtab: spec.dtab, key: bindDtabStr };

  /** The bind dtab and its cache key now; `undefined` while the live dtab is pending. */
  function current(): { dtab: Dtab; key: string } | undefined {
    if (!live) return composed;
    const d = live.get();
    if (d === undefined) return undefined;
    if (d !== composedFrom) {
      composedFrom = d;
      composed = d.length === 0
        ? { dtab: spec.dtab, key: bindDtabStr }
        : { dtab: [...d, ...spec.dtab], key: `${showDtab(d)};${bindDtabStr}` };
    }
    return composed;
  }

  /** Wait for the live dtab's first value, as a binding waits for a pending namer. */
  function loaded(dstStr: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (err?: Error) => {
        off();
        cancel();
        signal.removeEventListener("abort", onAbort);
        if (err) reject(err);
        else resolve();
      };
      const off = live!.subscribe((d) => d !== undefined && done());
      const ms = spec.bindingTimeoutMs;
      const cancel = deps.clock.setTimer(ms, () => {
        done(new DeadlineExceeded(`binding timed out after ${ms} ms for ${dstStr}`));
      });
      const onAbort = () =>
        done(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
      signal.addEventListener("abort", onAbort);
      if (live!.get() !== undefined) done();
    });
  }

  function pathService(ctx: Ctx): Service {
    const dst = ctx.dst!;
    const local = ctx.dtabLocal;
    const localStr = local.length > 0 ? showDtab(local) : "";
    const key = localStr ? `${ctx.dstStr} ${localStr}` : ctx.dstStr;
    let svc = paths.get(key);
    if (svc) return svc;
    const dstStr = ctx.dstStr;
    const noHosts = `No hosts are available for ${dstStr}, Dtab.base=[${baseDtabStr}], ` +
      `Dtab.local=[${localStr}]. Remote Info: Not Available`;
    // The client this name was last sent to, held while it stays cached: a request to the same
    // bound name skips the client cache's lookup (issue 6: with 1000 services, the per-request
    // hash lookups missed the CPU's caches).
    let heldBound: Bound | undefined;
    let held: CacheSlot<CachedClient> | undefined;
    let heldValue: CachedClient | undefined;
    let heldService: Service | undefined;
    /** The held client's stats of this name (`ctx.clientService`), made with the hold. */
    let heldStats: unknown;
    const routeTo = (tree: NameTree<Bound>, req: Request, c: Ctx): Promise<Response> => {
      let bound: Bound;
      if (tree.type === "leaf") bound = tree.value;
      else {
        const picked = chooseLeaf(tree, random, clients.usable);
        // Neg, `!` (`/$/fail`) and `$` (`/$/nil`) alike: Finagle's NameTreeFactory answers each
        // with NoBrokersAvailableException, which Linkerd shows as "No hosts are available for …"
        // (502).
        if (picked.type !== "leaf") throw new NoHostsAvailable(noHosts);
        bound = picked.bound;
      }
      c.bound = bound;
      c.noHosts = noHosts;
      const slot = held;
      if (bound === heldBound && slot !== undefined && slot.live && slot.value === heldValue) {
        slot.used = true;
        c.clientService = heldStats;
        return heldService!(req, c);
      }
      const next = held = clients.slot(bound);
      heldBound = bound;
      heldValue = next.value;
      heldService = heldValue.stack.service;
      heldStats = heldValue.stack.serviceStats?.(dstStr);
      c.clientService = heldStats;
      return heldService(req, c);
    };
    // Not async: a cached binding is answered synchronously, so most requests pass this level
    // without a promise of their own (issue 6). Errors still come out as rejections.
    // The bind dtab with the local one, recomputed only when the live dtab changes.
    let from: { dtab: Dtab; key: string } | undefined;
    let bindNow: () => Promise<NameTree<Bound>> | NameTree<Bound> = () => {
      throw new Error("unreachable: bound before the dtab");
    };
    const bindLeaf: Service = function bind(req, c) {
      try {
        const now = current();
        if (now === undefined) return loaded(dstStr, c.signal).then(() => bindLeaf(req, c));
        if (now !== from) {
          from = now;
          const dtab = local.length > 0 ? [...now.dtab, ...local] : now.dtab;
          const dtabKey = localStr ? `${now.key};${localStr}` : now.key;
          bindNow = bindings.binder(dtab, dtabKey, dst, dstStr);
        }
        const t = bindNow();
        return t instanceof Promise ? t.then((tree) => routeTo(tree, req, c)) : routeTo(t, req, c);
      } catch (e: unknown) {
        return Promise.reject(e);
      }
    };
    svc = deps.stacks.path(spec.label, dst, dstStr, bindLeaf);
    paths.set(key, svc);
    pathNames.set(key, dstStr);
    pathsPerName.set(dstStr, (pathsPerName.get(dstStr) ?? 0) + 1);
    return svc;
  }

  const route: Service = function route(req, ctx) {
    const id = identify({ req, url: ctx.url, host: ctx.host, version: httpVersion(req) });
    if (!id.ok) throw new Error("unreachable: composeIdentifiers throws");
    ctx.dst = id.dst;
    ctx.dstStr = showPath(id.dst);
    if (id.target !== undefined) ctx.target = id.target;
    return pathService(ctx)(req, ctx);
  };
  const serve = stack(deps.serverFilters ?? [], route); // issue 4: access log, server span

  return {
    spec,
    newCtx(req, remoteAddr, signal, opts) {
      const clearContext = opts?.clearContext ?? false;
      const maxCallDepth = opts?.maxCallDepth ?? spec.maxCallDepth;
      // The raw engine hands over what it parsed (URL, wire-order header list); else parse.
      const parts = requestParts.get(req);
      // A raw-engine CONNECT that is not a tunnel had an origin-form target (`CONNECT /`): it is
      // routed as any request, as Linkerd does.
      if (
        req.method === "CONNECT" && !isTunnelableConnect(req) &&
        (parts === undefined || parts.major === 2)
      ) {
        throw new BadRequest(
          "CONNECT tunnelling (https_proxy) is not supported on this listener (engine: serve)",
          501,
        );
      }
      const url = parts?.url ?? urlOf(req);
      // `OPTIONS *` goes on as such (its URL's path reads `/*`), as Finagle keeps the uri.
      const target = parts?.asterisk ? "*" : url.pathname + url.search;
      if (target.length + req.method.length + 10 > maxLineBytes) {
        throw new BadRequest(
          `Request line exceeds maxInitialLineKB (${spec.maxInitialLineKB} KB)`,
          414,
        );
      }
      const headerList = parts?.headers ?? [...req.headers];
      let headerBytes = 0;
      let host: string | null = null;
      let context: Map<string, string> | undefined;
      for (const e of headerList) {
        const name = e[0];
        headerBytes += name.length + e[1].length + 4;
        if (name === H.host) host ??= e[1];
        else if (isContextHeader(name)) {
          // Repeats combine, as `Headers` would: "a, b".
          const seen = (context ??= new Map()).get(name);
          context.set(name, seen === undefined ? e[1] : `${seen}, ${e[1]}`);
        }
      }
      if (headerBytes > maxHeaderBytes) {
        throw new BadRequest(`Request headers exceed maxHeadersKB (${spec.maxHeadersKB} KB)`, 431);
      }
      const h = context ? contextView(context) : NO_CONTEXT_HEADERS;
      const via = viaCount(h.get(H.via));
      if (via > maxCallDepth) throw new MaxCallDepth(maxCallDepth);
      const ctx = new Ctx({
        url,
        router: spec.label,
        signal,
        startMs: deps.clock.now(),
        remoteAddr,
        host: effectiveHost(url, host),
        target,
      });
      ctx.headerList = headerList;
      ctx.headerSource = req;
      if (clearContext) {
        // Untrusted edge: no inbound dtab, deadline or trace context; a fresh trace; and no
        // inbound `l5d-*` header goes upstream (Linkerd's ClearMiscServerFilter).
        if (context) ctx.headerList = headerList.filter((e) => !e[0].startsWith("l5d-"));
        decodeTraceContext(NO_CONTEXT_HEADERS, ctx, traceOpts);
        return ctx;
      }
      if (!context) {
        decodeTraceContext(NO_CONTEXT_HEADERS, ctx, traceOpts); // the common case: a new trace
        return ctx;
      }
      ctx.dtabLocal = l5dDtabFromHeaders(h); // not Dtab-Local/X-Dtab, as Linkerd
      // Deadlines only shrink: an inbound l5d-ctx-deadline and gRPC's grpc-timeout both count.
      const dl = h.get(H.ctxDeadline);
      if (dl !== null) {
        const d = parseL5dDeadlineNs(dl);
        if (d) {
          ctx.inboundDeadline = d;
          const ms = nsToMs(d.deadlineNs);
          if (ms < ctx.deadline) {
            ctx.deadline = ms;
            ctx.deadlineBy = "l5d-ctx-deadline";
          }
        }
      }
      const gt = h.get(H.grpcTimeout);
      if (gt !== null) {
        const ms = parseGrpcTimeout(gt);
        if (ms !== undefined && ctx.startMs + ms < ctx.deadline) {
          ctx.deadline = ctx.startMs + ms;
          ctx.deadlineBy = "grpc-timeout";
        }
      }
      decodeTraceContext(h, ctx, traceOpts); // issue 4: traceparent/b3/l5d-ctx-trace
      return ctx;
    },
    serve,
    dtab: () => current()?.dtab,
    clients: () => clients.bounds(),
    inflight: 0,
    async close(graceMs?: number) {
      stopSweeping();
      closing = true;
      paths.clear();
      await clients.close(graceMs);
      bindings.close();
    },
  };
}

/**
 * The URL of a request the raw engine did not parse (`Deno.serve`, h2): hyper passes a Host it
 * cannot make a URL of (`a:99999`, `a b`), which is the client's fault, a 400, not a 502.
 */
function urlOf(req: Request): URL {
  try {
    return new URL(req.url);
  } catch (e: unknown) {
    throw new BadRequest(`invalid request: ${e instanceof Error ? e.message : e}`);
  }
}
