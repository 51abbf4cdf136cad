/**
 * A router listener: `Deno.serve` on one `servers[]` entry. Each request gets a Ctx from the
 * router snapshot current at arrival, runs the router, and any thrown error is rescued into a
 * status + `l5d-err` response. `Deno.serve` accepts absolute-form targets (http_proxy clients),
 * HTTP/1.1 and h2c prior knowledge on one port.
 *
 * @module
 */
import type { Router } from "../router.ts";
import type { Ctx } from "../core/ctx.ts";
import { rescue, unknownDstWithRequest } from "./rescue.ts";
import {
  BadRequest,
  findSwitchyardError,
  Overloaded,
  RequestTimeout,
  resetCodeOf,
  UnknownDestination,
} from "../core/errors.ts";
import { type RawLimits, type RawServer, serveRaw } from "./raw/raw_server.ts";
import { compressResponse } from "./compression.ts";
import { trailer, type TrailerBox, trailersOf, whenEnded } from "../core/trailers.ts";
import {
  type H2Server,
  type H2Settings,
  RefuseStream,
  ResetStream,
  serveH2,
} from "./h2/h2_server.ts";
import type { ByteCounts } from "./raw/_conn.ts";
import { ConcurrencyLimiter } from "../../resilience/concurrency_limit.ts";
import { callWithTimeout } from "../../resilience/_timeout.ts";
import { holdMono, restoreMono, systemClock } from "../core/clock.ts";
import type { Logger } from "../../telemetry/log.ts";
import type { AddForwardedHeaderConfig } from "../config/router_schema.ts";
import { type ConnInfo, serverHeaders } from "./forwarded.ts";
import { H } from "./headers.ts";
import { field } from "./response_fields.ts";
import type { ServerTls } from "./node_tls.ts";
import { rebind, replaceableBind } from "./tls_port.ts";

/**
 * Edge listeners hide router internals, as Linkerd's ClearMiscServerFilter does: a response
 * carrying `l5d-err` (ours or an upstream router's) loses its body (and, on h2 listeners, its
 * `content-type`, as Linkerd's h2 `LinkerdHeaders.ClearMiscServerFilter` removes it), and every
 * `l5d-*` response header is removed.
 */
function clearResponse(rsp: Response, h2: boolean): Response {
  const names: string[] = [];
  for (const name of rsp.headers.keys()) if (name.startsWith("l5d-")) names.push(name);
  if (names.length === 0) return rsp;
  if (rsp.headers.has(H.err) && rsp.status >= 200) {
    // The upstream's error text (dtabs, addresses) must not reach the client: an empty body.
    rsp.body?.cancel().catch(() => {});
    const headers: [string, string][] = [];
    for (const e of rsp.headers) {
      const name = e[0];
      if (name.startsWith("l5d-") || name === "content-length") continue;
      if (h2 && name === "content-type") continue;
      headers.push(e);
    }
    return new Response(null, { status: rsp.status, statusText: rsp.statusText, headers });
  }
  try {
    for (const name of names) rsp.headers.delete(name);
    return rsp;
  } catch {
    // immutable headers (not from our client): the same response with a filtered copy
    const headers = [...rsp.headers].filter((e) => !e[0].startsWith("l5d-"));
    return new Response(rsp.body, { status: rsp.status, statusText: rsp.statusText, headers });
  }
}

/** A response's class for the server stats: known, unknown (status decides), or at stream end. */
type Success = boolean | undefined | TrailerBox;

/** `l5d-success-class` as a success flag (Linkerd: any value > 0 is success). */
function successClass(v: string | null): boolean | undefined {
  return v === null ? undefined : Number(v) > 0;
}

/**
 * Whether `Deno.serve` reported a response body that failed mid-stream, not a handler failure:
 * the handler itself never rejects with these (it turns every error into a response).
 */
function bodyFailure(e: unknown): boolean {
  return (e instanceof DOMException && e.name === "AbortError") ||
    findSwitchyardError(e) !== undefined;
}

/** One listener's settings (`routers[].servers[]`). */
export interface ListenerSpec {
  readonly ip: string;
  readonly port: number;
  readonly clearContext: boolean;
  /** `servers[].maxCallDepth`: wins over the router's for requests on this listener. */
  readonly maxCallDepth?: number | undefined;
  readonly maxErrResponseKB?: number;
  /**
   * TLS termination (`servers[].tls`): PEM certificate chain and PKCS#8 key, already read; with
   * `requireClientAuth`, clients must present a certificate that verifies against `ca`.
   */
  readonly tls?: ServerTls | undefined;
  /** Shed (503 + l5d-err) past this many requests in flight; unlimited when absent. */
  readonly maxConcurrentRequests?: number | undefined;
  /**
   * `servers[].timeoutMs` (Linkerd's server TimeoutFilter): a request not answered this long after
   * it arrived fails with 503 + `l5d-err`, and its upstream call is cancelled. Unbounded when
   * absent (and then costs nothing).
   */
  readonly timeoutMs?: number | undefined;
  /**
   * Share the port with other listeners that set it too (SO_REUSEPORT, Linux): the kernel spreads
   * connections over them. Used by `--workers`.
   */
  readonly reusePort?: boolean;
  /**
   * `socketOptions.noDelay` (default true) and `keepAlive` (default false) of the raw engine's
   * accepted connections (`Deno.serve` and h2 listeners keep the runtime's).
   */
  readonly noDelay?: boolean | undefined;
  readonly keepAlive?: boolean | undefined;
  /**
   * `raw` (default without TLS), `serve` (`Deno.serve`; the default with TLS), or `h2` (an h2
   * router's listener: `node:http2`, h2c prior knowledge or h2 by ALPN; load it first).
   */
  readonly engine?: "raw" | "serve" | "h2" | undefined;
  /**
   * Linkerd's `compressionLevel`: -1 (default) gzips textual responses for clients that accept
   * it, 1–9 every response, 0 none (router/http/compression.ts). h2 listeners never compress.
   */
  readonly compressionLevel?: number | undefined;
  /** HTTP/2 SETTINGS of an `h2` listener. */
  readonly h2Settings?: H2Settings | undefined;
  /** The router's head limits (the router checks them; the raw engine's sit just above). */
  readonly maxHeadersKB?: number;
  readonly maxInitialLineKB?: number;
  /** `serverSession.idleTimeMs`: close connections idle this long (raw and h2 engines). */
  readonly idleTimeMs?: number | undefined;
  /** `serverSession.lifeTimeMs`: close connections this old (raw and h2 engines). */
  readonly lifeTimeMs?: number | undefined;
  /** Router label (the `router` Forwarded labeler); defaults to the router's own. */
  readonly router?: string | undefined;
  /** Append an RFC 7239 `Forwarded` element to every request (router/http/forwarded.ts). */
  readonly addForwardedHeader?: AddForwardedHeaderConfig | undefined;
  /** Send the request's arrival time (epoch ms) upstream in this header. */
  readonly timestampHeader?: string | undefined;
}

/** Hooks the telemetry layer attaches to a listener. */
export interface ListenerObserver {
  /** A request arrived (server `requests` / `pending`). */
  start?(): void;
  /**
   * The observer's monotonic clock (the metrics registry's). When given, the listener times
   * requests with it and shares its readings with the router's stats levels through the
   * request's `Ctx` (`startMono`, `endedAt`): fewer clock reads per request (issue 6).
   */
  mono?(): number;
  /**
   * A response (or error response) was produced after `ms`, at monotonic time `at`. `success` is
   * the `l5d-success-class` the router's classifier gave it; absent: the status decides (5xx).
   */
  end?(status: number, ms: number, error: unknown, at: number, success?: boolean): void;
  /**
   * The router had the request in hand for `us` microseconds before it went on its way (the
   * synchronous part of serving it: Finagle's `handletime_us`), at monotonic time `at` (ms).
   */
  handled?(us: number, at: number): void;
  /** A client connection opened (raw engine only: `Deno.serve` has no connection events). */
  connect?(): void;
  /** A client connection closed or was handed over to a tunnel. */
  disconnect?(): void;
  /** A keep-alive connection was closed for idling `idleTimeMs` (raw engine only). */
  idleClosed?(): void;
  /** A connection was closed for reaching `lifeTimeMs` (raw engine only). */
  lifetimeClosed?(): void;
  /** Counters of the bytes read from and written to clients (raw engine only). */
  bytes?: ByteCounts;
}

/** A running listener. */
export interface Listener {
  readonly ip: string;
  readonly port: number;
  /** Stop accepting, let in-flight requests finish. */
  shutdown(): Promise<void>;
  /** Which engine serves it (an `update` may change it). */
  readonly engine: "raw" | "serve" | "h2";
  /**
   * Settles once the listener accepts connections (h2 binds asynchronously; others at once). After
   * an `update` that opened a new socket, the new one's.
   */
  readonly ready: Promise<void>;
  readonly finished: Promise<void>;
  /**
   * Serve another certificate and key (`servers[].tls` files changed) to new connections, as
   * Linkerd, which reads them for each connection. Open connections keep theirs on the raw and h2
   * engines; `engine: serve` is replaced by a new `Deno.serve` on the same port (SO_REUSEPORT)
   * and the old one shuts down gracefully (its requests in flight finish, its idle keep-alive
   * connections close). Check the pair first (`checkServerTls`).
   *
   * @throws Error when the new certificate cannot be served; the old one keeps serving.
   */
  reloadTls(tls: ServerTls): void;
  /**
   * Serve with a reloaded config's settings of this listener (same address). What a request
   * reads (`clearContext`, `timeoutMs`, `maxConcurrentRequests`, `timestampHeader`, …) applies
   * to the next request on every connection, open ones included; the raw engine's head limits
   * and `serverSession` times apply in place. A change the socket decides (`engine`, adding or
   * removing `tls`, TLS `protocols` or `requireClientAuth`, h2 SETTINGS) opens a new server on
   * the same port (SO_REUSEPORT) and retires the old one once the new one listens: it stops
   * accepting, its open connections go on (`engine: serve`: its idle keep-alive connections
   * close).
   *
   * @throws Error when the new socket cannot be opened; the old settings keep serving.
   */
  update(spec: ListenerSpec): void;
}

/** One engine's server under a listener (a settings `update` may replace it). */
interface EngineServer {
  readonly addr: Deno.NetAddr;
  readonly ready: Promise<void>;
  shutdown(): Promise<void>;
  readonly finished: Promise<void>;
  reloadTls(tls: ServerTls): void;
  /** Stop accepting; open connections go on until they close (then it is finished). */
  retire(): void;
}

/** The engine a spec is served by. */
function engineOf(spec: ListenerSpec): "raw" | "serve" | "h2" {
  if (spec.engine === "h2") return "h2";
  // TLS listeners default to Deno.serve (ALPN h2); `engine: raw` gives them HTTP/1.1 only, as
  // do requireClientAuth, `protocols` and an X.509 v1 certificate (node:tls checks the client
  // certificates, limits the versions and serves v1; Deno.serve cannot).
  const mutual = spec.tls?.requireClientAuth === true || spec.tls?.versions !== undefined ||
    spec.tls?.legacyCert === true;
  return spec.engine === "raw" || (spec.engine === undefined && (!spec.tls || mutual))
    ? "raw"
    : "serve";
}

/**
 * What of a spec its socket decides: two specs with the same key are served by one server (the
 * rest is read per request). Certificate files are not in it (`reloadTls` serves those).
 */
function socketKey(spec: ListenerSpec): string {
  const engine = engineOf(spec);
  const t = spec.tls;
  return JSON.stringify([
    engine,
    t ? [t.requireClientAuth === true, t.versions ?? null, t.legacyCert === true] : null,
    engine === "h2" ? spec.h2Settings ?? null : null,
  ]);
}

/** The raw engine's head limits and connection times of a spec (`serveRaw`, `retune`). */
function rawLimits(sp: ListenerSpec): RawLimits {
  return {
    maxHeadBytes: ((sp.maxHeadersKB ?? 8) + (sp.maxInitialLineKB ?? 4)) * 1024 + 1024,
    maxLineBytes: (sp.maxInitialLineKB ?? 4) * 1024 + 1024,
    ...(sp.idleTimeMs ? { idleTimeoutMs: sp.idleTimeMs } : {}),
    ...(sp.lifeTimeMs ? { lifeTimeoutMs: sp.lifeTimeMs } : {}),
    ...(sp.noDelay === false ? { noDelay: false } : {}),
    ...(sp.keepAlive ? { keepAlive: true } : {}),
  };
}

/** An h2 server's `serverSession` times of a spec. */
function sessionTimes(sp: ListenerSpec): { idleTimeoutMs?: number; lifeTimeoutMs?: number } {
  return {
    ...(sp.idleTimeMs ? { idleTimeoutMs: sp.idleTimeMs } : {}),
    ...(sp.lifeTimeMs ? { lifeTimeoutMs: sp.lifeTimeMs } : {}),
  };
}

/** What a request reads of its listener's settings; `update` swaps the whole object. */
interface LiveSettings {
  readonly spec: ListenerSpec;
  readonly rescueOpts: {
    readonly clearContext: boolean;
    readonly h2: boolean;
    readonly maxBodyBytes: number;
    readonly maxHeaderBytes: number;
  };
  readonly ctxOpts: { readonly clearContext: boolean; readonly maxCallDepth: number | undefined };
  readonly limiter: ConcurrencyLimiter | null;
  readonly timeoutMs: number | undefined;
  readonly timedOut: () => RequestTimeout;
  readonly compression: number;
  /** Set once the server is bound (`by` labels its real address); null = neither option set. */
  addHeaders: ((ctx: Ctx, info: ConnInfo) => void) | null;
}

function liveSettings(spec: ListenerSpec, previous?: LiveSettings): LiveSettings {
  const h2 = spec.engine === "h2";
  const max = spec.maxConcurrentRequests;
  // An unchanged limit keeps its limiter (and the requests it counts).
  const limiter = max === undefined
    ? null
    : previous?.limiter && previous.spec.maxConcurrentRequests === max
    ? previous.limiter
    : new ConcurrencyLimiter({
      maxConcurrent: max,
      name: `maxConcurrentRequests of ${spec.ip}:${spec.port}`,
    });
  const timeoutMs = spec.timeoutMs;
  return {
    spec,
    rescueOpts: {
      clearContext: spec.clearContext,
      h2,
      maxBodyBytes: (spec.maxErrResponseKB ?? 5120) * 1024,
      maxHeaderBytes: (spec.maxHeadersKB ?? 8) * 1024,
    },
    ctxOpts: { clearContext: spec.clearContext, maxCallDepth: spec.maxCallDepth },
    limiter,
    timeoutMs,
    // Finagle's server TimeoutFilter raises an IndividualRequestTimeoutException, a
    // TimeoutException, which Linkerd's ErrorResponder answers with 503.
    timedOut: () =>
      new RequestTimeout(
        `exceeded ${timeoutMs} ms server timeout (servers[].timeoutMs) on ${spec.ip}:${spec.port}`,
      ),
    compression: h2 ? 0 : spec.compressionLevel ?? -1,
    addHeaders: null,
  };
}

/**
 * Start a listener that routes with whatever router `current()` returns at each request.
 *
 * @throws Deno.errors.AddrInUse when the port is taken.
 */
export function listen(
  spec: ListenerSpec,
  current: () => Router,
  log: Logger,
  observer: ListenerObserver = {},
): Listener {
  // Swapped whole by `update`; each request reads it once, on arrival.
  let live = liveSettings(spec);
  const h2 = spec.engine === "h2";
  // The bound address, set once bound: each request's `serverIp`/`serverPort` (Linkerd's server
  // label `<ip>/<port>`, the recent-requests Server column).
  let boundIp = spec.ip;
  let boundPort = spec.port;
  const shared = observer.mono !== undefined;
  const mono = observer.mono ?? (() => performance.now());
  // Readings of the system clock (a registry on a test's fake clock passes another): held over
  // the synchronous part of routing each request (core/clock.ts holdMono).
  const holds = observer.mono === systemClock.mono;
  const handled = observer.handled === undefined ? (_t0: number) => {} : (t0: number) => {
    const at = mono();
    observer.handled!((at - t0) * 1000, at);
  };
  // Not an async function (issue 6): its suspended frame and the resumption after the router's
  // promise cost more than one reaction per outcome.
  const handler = (
    req: Request,
    info: { remoteAddr: Deno.NetAddr; clientCert?: string | undefined },
  ): Promise<Response> => {
    const t0 = mono();
    const s = live;
    observer.start?.();
    const limiter = s.limiter;
    if (limiter && !limiter.tryAcquire()) {
      const rsp = rescue(
        new Overloaded(
          `server ${s.spec.ip}:${boundPort} is at maxConcurrentRequests (${s.spec.maxConcurrentRequests})`,
        ),
        s.rescueOpts,
      );
      handled(t0);
      const at = mono();
      observer.end?.(rsp.status, at - t0, undefined, at);
      return Promise.resolve(rsp);
    }
    const router = current();
    router.inflight++;
    let ctx: Ctx | undefined;
    /** Once per request, whatever the outcome; `routed` is the response or error the router gave. */
    const done = (status: number, routed: unknown, err: unknown, success?: Success): void => {
      router.inflight--;
      limiter?.release();
      // The router's stats levels timed this outcome a few microtasks ago: reuse that reading.
      const at = shared && ctx !== undefined && routed !== undefined && ctx.endedWith === routed
        ? ctx.endedAt
        : mono();
      if (typeof success !== "object") observer.end?.(status, at - t0, err, at, success);
      else {
        // A stream still flowing (h2): counted when it ends, on the class in its trailers.
        const box = success;
        whenEnded(box, () => {
          observer.end?.(status, at - t0, err, at, successClass(trailer(box, H.successClass)));
        });
      }
    };
    const failed = (e: unknown): Response => {
      const typed = findSwitchyardError(e);
      if (typed instanceof UnknownDestination) {
        if (h2) {
          // Linkerd's h2 ErrorReseter: an unroutable request is refused (RST_STREAM
          // REFUSED_STREAM), which gRPC clients see as UNAVAILABLE, not an HTTP 400.
          done(400, e, e, false);
          throw new RefuseStream((e as Error).message);
        }
        // Linkerd's UnknownDst text names the request: `Request("GET /x", from /ip:port) / …`.
        const answer = unknownDstWithRequest(typed, req.method, ctx?.target, info.remoteAddr);
        const rsp = rescue(answer, s.rescueOpts);
        done(rsp.status, e, e);
        return rsp;
      }
      const resetCode = h2 ? resetCodeOf(e) : undefined;
      if (resetCode !== undefined) {
        // The upstream reset the stream: the client's stream is reset with the same code, as
        // Linkerd's h2 server dispatcher does (no response, no l5d-err).
        done(502, e, e, false);
        throw new ResetStream((e as Error).message, resetCode);
      }
      let rsp: Response;
      try {
        if (!typed && !req.signal.aborted) {
          log.warn("request failed", { url: req.url, error: e });
        }
        rsp = rescue(e, s.rescueOpts);
      } catch (e2: unknown) {
        done(500, e, e);
        throw e2;
      }
      done(rsp.status, e, e);
      return rsp;
    };
    let routed: Promise<Response>;
    // The arrival reading answers the clock over the synchronous part of routing (clock.ts).
    const prevMono = holds ? holdMono(t0) : NaN;
    try {
      ctx = router.newCtx(req, info.remoteAddr.hostname, req.signal, s.ctxOpts);
      ctx.remotePort = info.remoteAddr.port;
      ctx.serverIp = boundIp;
      ctx.serverPort = boundPort;
      if (shared) ctx.startMono = t0;
      if (s.addHeaders) s.addHeaders(ctx, info);
      if (info.clientCert !== undefined) ctx.clientCert = info.clientCert;
      routed = s.timeoutMs === undefined
        ? router.serve(req, ctx)
        : callWithTimeout(req, ctx, router.serve, s.timeoutMs, systemClock, s.timedOut);
    } catch (e: unknown) {
      if (holds) restoreMono(prevMono);
      handled(t0);
      try {
        return Promise.resolve(failed(e));
      } catch (e2: unknown) {
        return Promise.reject(e2);
      }
    }
    if (holds) restoreMono(prevMono);
    handled(t0);
    return routed.then((rsp) => {
      let out = rsp;
      // Linkerd's server classifier trusts the class the service's classifier gave (Linkerd's
      // `SuccessClassClassifier`), ahead of the 5xx rule; read before clearContext strips it.
      // A stream that has already ended (h2: a short body read in whole) may carry the class in
      // its trailers rather than its head, as Linkerd's h2 ClassifierFilter sends it for a
      // response its head does not classify (`allSuccessful` on a 500 with a body).
      const box = trailersOf(rsp);
      const success: Success = box !== undefined && !box.ended
        ? box
        : successClass(field(rsp, H.successClass)) ??
          successClass(trailer(box, H.successClass));
      if (s.rescueOpts.clearContext) {
        try {
          out = clearResponse(out, h2);
        } catch (e: unknown) {
          return failed(e);
        }
      }
      // Linkerd's compressionLevel (-1: textual responses, for clients that accept gzip)
      if (s.compression !== 0 && ctx?.headerList) {
        out = compressResponse(out, ctx.headerList, req.method, s.compression);
      }
      done(out.status, rsp, undefined, success);
      return out;
    }, failed);
  };
  const onReject = (status: number, message: string) =>
    rescue(new BadRequest(message, status), live.rescueOpts);
  /** Open the server of `sp` on `port`; `reusePort`: beside another one on it. */
  const open = (sp: ListenerSpec, port: number, reusePort: boolean): EngineServer => {
    if (sp.tls?.requireClientAuth === true && sp.engine === "serve") {
      throw new Error("tls.requireClientAuth needs engine: raw (the default), not engine: serve");
    }
    const engine = engineOf(sp);
    const at = { hostname: sp.ip, port, ...(reusePort ? { reusePort: true } : {}) };
    if (engine === "h2") {
      return serveH2({
        ...at,
        tls: sp.tls,
        ...(sp.h2Settings ? { settings: sp.h2Settings } : {}),
        ...(observer.connect ? { onConnect: () => observer.connect!() } : {}),
        ...(observer.disconnect ? { onDisconnect: () => observer.disconnect!() } : {}),
        ...sessionTimes(sp),
        ...(observer.idleClosed ? { onIdleClose: () => observer.idleClosed!() } : {}),
        ...(observer.lifetimeClosed ? { onLifetimeClose: () => observer.lifetimeClosed!() } : {}),
        onReject,
      }, handler);
    }
    if (engine === "raw") {
      return serveRaw({
        ...at,
        ...(sp.tls ? { tls: sp.tls } : {}),
        ...rawLimits(sp),
        ...(observer.connect ? { onConnect: () => observer.connect!() } : {}),
        ...(observer.disconnect ? { onDisconnect: () => observer.disconnect!() } : {}),
        ...(observer.idleClosed ? { onIdleClose: () => observer.idleClosed!() } : {}),
        ...(observer.lifetimeClosed ? { onLifetimeClose: () => observer.lifetimeClosed!() } : {}),
        ...(observer.bytes ? { bytes: observer.bytes } : {}),
        onReject,
        // A request the parser refused (no Host on HTTP/1.1, a bad head, limits) is still a
        // request this server answered: it counts in the server stats, as in Linkerd.
        onRejected: (status) => {
          observer.start?.();
          const at = mono();
          observer.end?.(status, 0, undefined, at);
        },
      }, handler);
    }
    return replaceableServe(sp.ip, at.port, reusePort, sp.tls, handler, (e) => {
      // Deno.serve also reports a response body that failed after its head went out: the
      // client went away (its request's AbortError) or the upstream body broke (a Switchyard
      // error, counted in the stats). Neither is the listener's fault, and the raw engine
      // logs neither; under churn they came as a stream of error lines.
      if (bodyFailure(e)) log.debug("response body failed", { port: boundPort, error: e });
      else log.error("listener error", { port: boundPort, error: e });
      return rescue(e, live.rescueOpts);
    });
  };
  /** `addHeaders` of `s` served by `engine` at the bound address. */
  const headersOf = (s: LiveSettings, engine: string, addr: Deno.NetAddr) => {
    if (!s.spec.addForwardedHeader && !s.spec.timestampHeader) return null;
    return serverHeaders({
      addForwardedHeader: s.spec.addForwardedHeader,
      timestampHeader: s.spec.timestampHeader,
      router: s.spec.router ?? current().spec.label,
      h2,
      local: addr,
      stableConnInfo: engine === "raw", // the raw engine passes one `info` object per connection
    });
  };
  // Bound with SO_REUSEPORT when it can be (after a plain bind checked the port is free), so that
  // an `update` or a certificate reload can open the next server on the port before the old one
  // stops accepting.
  const bind = replaceableBind(spec.ip, spec.port, spec.reusePort);
  let server = open(spec, bind.port, bind.reusePort);
  let engine = engineOf(spec);
  const addr = server.addr;
  boundIp = addr.hostname;
  boundPort = addr.port;
  live.addHeaders = headersOf(live, engine, addr);
  /** Servers an `update` replaced, until their connections are gone. */
  const retired = new Set<EngineServer>();
  let stopping: Promise<void> | undefined;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((r) => (resolveFinished = r));
  return {
    ip: addr.hostname,
    port: addr.port,
    get engine() {
      return engine;
    },
    get ready() {
      return server.ready;
    },
    shutdown() {
      stopping ??= Promise.all([server.shutdown(), ...[...retired].map((r) => r.shutdown())])
        .then(() => resolveFinished());
      return stopping;
    },
    finished,
    reloadTls: (tls) => server.reloadTls(tls),
    update(next) {
      if (stopping) return;
      const settings = liveSettings(next, live);
      if (socketKey(next) !== socketKey(live.spec)) {
        const old = server;
        const retire = () => {
          old.retire();
          retired.add(old);
          void old.finished.then(() => retired.delete(old));
        };
        if (bind.reusePort) {
          const opened = rebind(addr.port, () => open(next, addr.port, true));
          server = opened;
          // The old one stops accepting once the new one does (node binds asynchronously).
          opened.ready.then(retire, (e: unknown) => {
            log.error("listener: the new settings' server cannot listen; the old one serves", {
              port: addr.port,
              error: e,
            });
            if (server === opened) server = old;
          });
        } else {
          // Without SO_REUSEPORT the port is free only once the old server stops accepting.
          retire();
          try {
            server = open(next, addr.port, false);
          } catch (e: unknown) {
            // The old settings' server back on the port, if it can be.
            try {
              server = open(live.spec, addr.port, false);
            } catch (e2: unknown) {
              log.error("listener: the port cannot be bound again", { port: addr.port, error: e2 });
            }
            throw e;
          }
        }
        engine = engineOf(next);
      } else if (engine === "raw") {
        // Head limits and connection times change in place: no new socket.
        (server as RawServer).retune(rawLimits(next));
      } else if (engine === "h2") {
        (server as H2Server).retune(sessionTimes(next));
      }
      settings.addHeaders = headersOf(settings, engine, addr);
      live = settings;
    },
  };
}

/** `Deno.serve`, which a certificate reload replaces by another on the same port. */
interface ReplaceableServe extends EngineServer {
  /** Settled: `Deno.serve` binds synchronously. */
  readonly ready: Promise<void>;
}

/**
 * The `engine: serve` listener: `Deno.serve`, bound with SO_REUSEPORT when the API is there, so
 * that `reloadTls` can open the next one on the same port before the old one stops accepting.
 * `Deno.serve` cannot change its certificate, nor stop accepting without closing its idle
 * keep-alive connections: those close (clients reconnect, to the new certificate), the requests
 * in flight finish.
 */
function replaceableServe(
  hostname: string,
  port: number,
  reusePort: boolean,
  tls: ServerTls | undefined,
  handler: (req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => Promise<Response>,
  onError: (e: unknown) => Response,
): ReplaceableServe {
  const open = (port: number, tls: ServerTls | undefined) =>
    Deno.serve({
      hostname,
      port,
      ...(reusePort ? { reusePort: true } : {}),
      ...(tls ? { cert: tls.cert, key: tls.key } : {}),
      onListen() {},
      onError,
    }, handler);
  let current = open(port, tls);
  const addr = current.addr;
  const retired = new Set<Promise<void>>();
  let stopping: Promise<void> | undefined;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((r) => (resolveFinished = r));
  const shutdown = () => {
    stopping ??= Promise.all([current.shutdown(), ...retired]).then(() => resolveFinished());
    return stopping;
  };
  return {
    addr,
    ready: Promise.resolve(),
    finished,
    shutdown,
    retire: () => void shutdown(),
    reloadTls(next) {
      if (stopping) return;
      if (!tls) throw new Error("not a TLS listener");
      // AddrInUse when the listener was bound without SO_REUSEPORT: the old one keeps serving.
      const opened = rebind(addr.port, () => open(addr.port, next));
      const old = current;
      current = opened;
      const done = old.shutdown().catch(() => {});
      retired.add(done);
      void done.finally(() => retired.delete(done));
    },
  };
}
