/**
 * The HTTP/2 server of `protocol: h2` routers, on `node:http2` (the HTTP/2 stack Deno ships):
 * h2c on plain ports (prior knowledge, or an HTTP/1.1 `Upgrade: h2c`: `h2c_front.ts`), h2 by
 * ALPN with `tls`. Each stream becomes a web
 * `Request` (`:authority` as `Host`, `:path` as the URL) for the router; the router's `Response`
 * is written back with backpressure, and the trailers of a response from an h2 upstream (gRPC's
 * `grpc-status`) follow its body.
 *
 * The port is bound once synchronously with `Deno.listen` first, so a taken port fails the
 * listener's start as the other engines do, and a port-0 listener knows its port at once.
 *
 * @example
 * ```ts ignore
 * const server = serveH2({ hostname: "127.0.0.1", port: 4142 }, (req) => router(req));
 * console.log(server.addr.port);
 * ```
 *
 * @module
 */
import type * as http2 from "node:http2";
import { http2Module, netModule } from "./node_http2.ts";
import { acceptH2c } from "./h2c_front.ts";
import { CONNECTION_FIELDS } from "./_fields.ts";
import type * as tls from "node:tls";
import { peerCertHeader, secureContextOptions, type ServerTls } from "../node_tls.ts";
import { pipeBody } from "./_pipe.ts";
import { requestWithMethod } from "../../core/request_method.ts";
import { requestParts } from "../raw/request_parts.ts";
import { endTrailers, type TrailerBox, trailersOf } from "../../core/trailers.ts";
import { resetCodeOf } from "../../core/errors.ts";
import { INTERNAL_ERROR, passedResetCode } from "./_reset.ts";

/** HTTP/2 SETTINGS a server sends (node:http2's names). */
export type H2Settings = http2.Settings;

/** Options of {@link serveH2}. */
export interface H2ServeOptions {
  readonly hostname: string;
  readonly port: number;
  /** TLS termination: PEM chain and key; ALPN offers `h2` only. */
  readonly tls?: ServerTls | undefined;
  /** HTTP/2 SETTINGS (Linkerd's server `maxConcurrentStreamsPerConnection`, …). */
  readonly settings?: http2.Settings;
  /** Share the port with other listeners (SO_REUSEPORT; `--workers`). */
  readonly reusePort?: boolean;
  /** A client connection (session) opened / closed. */
  readonly onConnect?: () => void;
  readonly onDisconnect?: () => void;
  /**
   * `serverSession.idleTimeMs`: a connection with no stream open for this long is closed
   * (GOAWAY), as Finagle's server ExpiringService; `onIdleClose` counts it.
   */
  readonly idleTimeoutMs?: number;
  readonly onIdleClose?: () => void;
  /**
   * `serverSession.lifeTimeMs`: a connection this old is closed (GOAWAY: its open streams
   * finish); `onLifetimeClose` counts it.
   */
  readonly lifeTimeoutMs?: number;
  readonly onLifetimeClose?: () => void;
  /** A response for a stream that cannot become a request (e.g. CONNECT). */
  readonly onReject: (status: number, message: string) => Response;
}

/** A running h2 server. */
export interface H2Server {
  readonly addr: Deno.NetAddr;
  /** Settles once the port is listening (node:http2 binds asynchronously). */
  readonly ready: Promise<void>;
  /** Stop accepting, close sessions gracefully (GOAWAY) once their streams are done. */
  shutdown(): Promise<void>;
  readonly finished: Promise<void>;
  /**
   * Serve another certificate and key (and CA) to the sessions opened from now on (node:tls's
   * `setSecureContext`); open sessions keep theirs. Check the pair first (`checkServerTls`).
   *
   * @throws Error on a plaintext (h2c) listener.
   */
  reloadTls(tls: ServerTls): void;
  /**
   * Stop accepting (a config reload opened another server on the port): open sessions go on
   * until they close (the client, `serverSession`, `shutdown`).
   */
  retire(): void;
  /** Close sessions opened from now on at other `serverSession` times (a config reload). */
  retune(times: { idleTimeoutMs?: number; lifeTimeoutMs?: number }): void;
}

/**
 * A handler's rejection that resets the stream with `code` (an HTTP/2 error code), as Linkerd's
 * h2 server dispatcher resets a stream whose service failed with a `Reset`. Any other rejection
 * resets with `INTERNAL_ERROR`.
 */
export class ResetStream extends Error {
  /** The HTTP/2 error code of the RST_STREAM. */
  readonly code: number;
  constructor(message: string, code: number) {
    super(message);
    this.name = "ResetStream";
    this.code = passedResetCode(code);
  }
}

/**
 * A handler's rejection that resets the stream with `REFUSED_STREAM` (the request was not
 * processed; a client may retry it elsewhere).
 */
export class RefuseStream extends ResetStream {
  constructor(message: string) {
    super(message, 7);
    this.name = "RefuseStream";
  }
}

/** The handler: a request and the client's address. */
export type H2Handler = (
  req: Request,
  info: { remoteAddr: Deno.NetAddr; clientCert?: string | undefined },
) => Promise<Response>;

/** Marks a plaintext connection with the router (its `serveH2` call) whose front accepted it. */
const OWNER = Symbol("h2 router of a socket");

/** The process's plaintext `Http2Server`s, one per set of server SETTINGS. */
const sharedPlain = new Map<string, http2.Http2Server>();

/**
 * The plaintext `Http2Server` of every h2 router with these SETTINGS: each router's `node:net`
 * front hands it its connections, marked with {@link OWNER}, and each router takes only its own
 * sessions and streams. Deno 2.9's `node:http2` aborted the process (nghttp2's
 * `find_stream_on_goaway_func` assertion, denoland/deno#36788) right after the first request in
 * 3–7 of 30 fresh processes with two h2 routers (4 of 30 with the second one idle), in none of 30
 * with one; with one server shared by both, in none of 60. TLS routers keep a server each (it
 * listens itself, with the router's certificate).
 */
function sharedPlainServer(settings: http2.Settings | undefined): http2.Http2Server {
  const key = JSON.stringify(settings ?? {});
  let sv = sharedPlain.get(key);
  if (sv === undefined) {
    sv = http2Module().createServer(settings ? { settings } : {});
    sv.setMaxListeners(0);
    sharedPlain.set(key, sv);
  }
  return sv;
}

/**
 * Serve HTTP/2 on `hostname:port`.
 *
 * @throws Deno.errors.AddrInUse (and friends) when the port cannot be bound
 */
export function serveH2(opts: H2ServeOptions, handler: H2Handler): H2Server {
  // Bind once synchronously: errors surface here, and port 0 becomes a real port.
  const reusePort = opts.reusePort === true;
  const probe = Deno.listen({ hostname: opts.hostname, port: opts.port, reusePort });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const scheme = opts.tls ? "https" : "http";
  const server = opts.tls
    ? http2Module().createSecureServer({
      cert: opts.tls.cert,
      key: opts.tls.key,
      allowHTTP1: false,
      // `requireClientAuth`: refuse clients without a certificate that verifies against `ca`.
      ...(opts.tls.requireClientAuth
        ? {
          requestCert: true,
          rejectUnauthorized: true,
          ...(opts.tls.ca ? { ca: opts.tls.ca } : {}),
        }
        : {}),
      // TLS `protocols`: the versions enabled (minVersion/maxVersion)
      ...(opts.tls.versions ?? {}),
      ...(opts.settings ? { settings: opts.settings } : {}),
    })
    : sharedPlainServer(opts.settings);
  // The shared plaintext server serves several routers: this one takes its own sockets' sessions
  // (and every session of its own TLS server).
  const owner = Symbol("h2 router");
  const mine = (x: { socket?: unknown } | undefined) =>
    opts.tls !== undefined || (x?.socket as Record<symbol, unknown> | undefined)?.[OWNER] === owner;
  const sessions = new Set<http2.Http2Session>();
  /** What new sessions expire by (`retune` changes it). */
  let session: H2ServeOptions = opts;
  // The client certificate of each mutual-TLS session, as `x-forwarded-client-cert` values.
  const clientCerts = new WeakMap<http2.Http2Session, string>();
  const onSession = (s: http2.Http2Session) => {
    if (!mine(s)) return;
    sessions.add(s);
    if (opts.tls?.requireClientAuth) {
      const xfcc = peerCertHeader(s.socket as tls.TLSSocket);
      if (xfcc !== undefined) clientCerts.set(s, xfcc);
    }
    opts.onConnect?.();
    s.on("error", () => {}); // a client's broken session must not reach the process
    const stopExpiry = expireSession(s, session);
    s.once("close", () => {
      stopExpiry();
      sessions.delete(s);
      opts.onDisconnect?.();
      detachIfDone();
    });
  };
  const onStream = (
    stream: http2.ServerHttp2Stream,
    headers: http2.IncomingHttpHeaders,
    _flags: number,
    rawHeaders?: string[],
  ) => {
    if (!mine(stream.session ?? undefined)) return;
    stream.on("error", () => {}); // resets by the client end the stream; nothing to report
    let req: Request;
    const ac = new AbortController();
    try {
      req = toRequest(stream, headers, rawHeaders, scheme, ac.signal);
    } catch (e: unknown) {
      const status = (e as { status?: number }).status ?? 400;
      void writeResponse(stream, opts.onReject(status, e instanceof Error ? e.message : String(e)));
      return;
    }
    stream.once("close", () => {
      // A stream the client reset (or lost with its connection) before its response was done.
      // Deno's node:http2 reports every closed stream `writableFinished`, reset or not (and
      // before any response); `aborted` tells a reset apart.
      if (stream.aborted || !stream.writableFinished) {
        // The client's reset code goes on to the upstream stream (Linkerd passes a `Reset` on).
        ac.abort(clientReset(stream));
      }
    });
    const sock = stream.session?.socket;
    const remoteAddr: Deno.NetAddr = {
      transport: "tcp",
      hostname: sock?.remoteAddress ?? "",
      port: sock?.remotePort ?? 0,
    };
    const clientCert = stream.session ? clientCerts.get(stream.session) : undefined;
    handler(req, clientCert === undefined ? { remoteAddr } : { remoteAddr, clientCert }).then(
      (rsp) => writeResponse(stream, rsp),
      (e: unknown) => stream.close(e instanceof ResetStream ? e.code : INTERNAL_ERROR),
    );
  };
  server.on("session", onSession);
  server.on("stream", onStream);
  // A shared server outlives this router: its handlers go once the listener closed and the
  // router's last session ended (a retired router's sessions finish on it).
  let listenerClosed = false;
  const detachIfDone = () => {
    if (!listenerClosed || sessions.size > 0 || opts.tls !== undefined) return;
    server.off("session", onSession);
    server.off("stream", onStream);
  };
  // TLS: node:http2 listens itself (ALPN h2). Plaintext: a node:net front takes each
  // connection first, for prior knowledge and `Upgrade: h2c` alike (h2c_front.ts).
  const listening = opts.tls ? server : netModule().createServer((sock) =>
    acceptH2c(sock, (s) => {
      (s as unknown as Record<symbol, unknown>)[OWNER] = owner;
      server.emit("connection", s);
    })
  );
  let resolveFinished!: () => void;
  const finished = new Promise<void>((r) => (resolveFinished = r));
  listening.once("close", () => {
    listenerClosed = true;
    detachIfDone();
    resolveFinished();
  });
  // node binds asynchronously: `ready` settles when it listens (or cannot).
  const ready = new Promise<void>((resolve, reject) => {
    listening.once("listening", () => resolve());
    listening.once("error", (e: unknown) => reject(e));
  });
  ready.catch(() => {}); // the linker awaits it; never an unhandled rejection
  listening.on("error", () => {});
  server.on("error", () => {});
  listening.listen({ port, host: opts.hostname, reusePort } as { port: number; host: string });
  return {
    addr: { transport: "tcp", hostname: opts.hostname, port },
    ready,
    shutdown() {
      listening.close();
      for (const s of sessions) s.close();
      return finished;
    },
    retire() {
      listening.close();
    },
    retune(t) {
      session = {
        ...opts,
        idleTimeoutMs: t.idleTimeoutMs ?? 0,
        lifeTimeoutMs: t.lifeTimeoutMs ?? 0,
      };
    },
    finished,
    reloadTls(tls: ServerTls): void {
      if (!opts.tls) throw new Error("not a TLS listener");
      const requireClientAuth = opts.tls.requireClientAuth === true;
      (server as http2.Http2SecureServer).setSecureContext(
        secureContextOptions({ ...tls, requireClientAuth }),
      );
    },
  };
}

/**
 * Close `s` gracefully once it has had no open stream for `idleTimeoutMs`, or once it is
 * `lifeTimeoutMs` old (Linkerd's `serverSession`, Finagle's ExpiringService on the server).
 *
 * @returns stops the timers (the session closed)
 */
function expireSession(s: http2.Http2Session, opts: H2ServeOptions): () => void {
  const idleMs = opts.idleTimeoutMs ?? 0;
  const lifeMs = opts.lifeTimeoutMs ?? 0;
  if (idleMs <= 0 && lifeMs <= 0) return () => {};
  let open = 0;
  let idle: ReturnType<typeof setTimeout> | undefined;
  const expire = (count: (() => void) | undefined) => {
    if (s.closed || s.destroyed) return;
    count?.();
    s.close();
  };
  const armIdle = () => {
    if (idleMs > 0) idle = setTimeout(() => expire(opts.onIdleClose), idleMs);
  };
  if (idleMs > 0) {
    s.on("stream", (stream: http2.Http2Stream) => {
      open++;
      clearTimeout(idle);
      stream.once("close", () => {
        if (--open === 0) armIdle();
      });
    });
    armIdle();
  }
  const life = lifeMs > 0 ? setTimeout(() => expire(opts.onLifetimeClose), lifeMs) : undefined;
  return () => {
    clearTimeout(idle);
    clearTimeout(life);
  };
}

class StreamRejected extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

function toRequest(
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  rawHeaders: string[] | undefined,
  scheme: string,
  signal: AbortSignal,
): Request {
  const method = String(headers[":method"] ?? "GET");
  if (method === "CONNECT") {
    throw new StreamRejected("CONNECT is not supported on h2 routers", 501);
  }
  const authority = headers[":authority"] ?? headers["host"];
  const path = String(headers[":path"] ?? "/");
  // Fields in wire order, repeats apart (the headers object joins them): `rawHeaders` when the
  // runtime gives them, else the joined object.
  const fields: [string, string][] = [];
  if (authority !== undefined) fields.push(["host", String(authority)]);
  if (rawHeaders) {
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const k = rawHeaders[i]!.toLowerCase();
      if (k.charCodeAt(0) === 58 || k === "host") continue; // pseudo-headers; host is set above
      fields.push([k, rawHeaders[i + 1]!]);
    }
  } else {
    for (const k in headers) {
      if (k.charCodeAt(0) === 58 || k === "host") continue;
      const v = headers[k];
      if (Array.isArray(v)) { for (const x of v) fields.push([k, x]); }
      else if (v !== undefined) fields.push([k, String(v)]);
    }
  }
  let url: URL;
  try {
    url = new URL(path, `${scheme}://${authority ?? "localhost"}`);
  } catch {
    throw new StreamRejected(`invalid :path or :authority (${path}, ${authority})`, 400);
  }
  const ended = stream.readableEnded || (stream as { endAfterHeaders?: boolean }).endAfterHeaders;
  // A stream with a body may end with trailers (a HEADERS frame): they go on with the request,
  // as Linkerd's h2 streams carry `Frame.Trailers` both ways. Listened for before the body, so
  // they are known when the body ends.
  const trailers = ended ? undefined : requestTrailers(stream);
  const body = ended ? null : bodyStream(stream);
  const req = requestWithMethod(
    url.href,
    {
      method,
      headers: fields,
      body,
      signal,
      ...(body ? { duplex: "half" } : {}),
    } as RequestInit & { method: string },
  );
  // The router reads the parsed URL and the wire-order fields from here, as the raw engine's.
  requestParts.set(
    req,
    trailers ? { url, headers: fields, major: 2, trailers } : { url, headers: fields, major: 2 },
  );
  return req;
}

/** The trailer box of a request stream: filled when its trailers arrive, ended with it. */
function requestTrailers(stream: http2.ServerHttp2Stream): TrailerBox {
  const box: TrailerBox = { fields: undefined, ended: false };
  stream.once("trailers", (t: http2.IncomingHttpHeaders) => {
    const fields: [string, string][] = [];
    for (const k in t) {
      if (k.charCodeAt(0) === 58 || CONNECTION_FIELDS.has(k)) continue; // no pseudo/connection
      const v = t[k];
      if (Array.isArray(v)) { for (const x of v) fields.push([k, x]); }
      else if (v !== undefined) fields.push([k, String(v)]);
    }
    box.fields = fields;
  });
  stream.once("end", () => endTrailers(box));
  stream.once("close", () => endTrailers(box));
  return box;
}

function bodyStream(stream: http2.ServerHttp2Stream): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(c) {
      stream.on("data", (b: Uint8Array) => {
        c.enqueue(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
        if ((c.desiredSize ?? 1) <= 0) stream.pause();
      });
      stream.once("end", () => {
        try {
          c.close();
        } catch {
          // cancelled
        }
      });
      stream.once("close", () => {
        if (!stream.readableEnded) {
          try {
            c.error(new Error("the client reset the stream"));
          } catch {
            // closed or cancelled
          }
        }
      });
    },
    pull() {
      stream.resume();
    },
    cancel() {
      // The router no longer wants the body: leave the stream for the response.
      stream.resume();
    },
  }, { highWaterMark: 4 });
}

/** The abort reason of a stream the client reset: carries the code to reset the upstream with. */
function clientReset(stream: http2.Http2Stream): DOMException {
  const reason = new DOMException("client reset the stream", "AbortError");
  return Object.assign(reason, { resetCode: passedResetCode(stream.rstCode) });
}

async function writeResponse(stream: http2.ServerHttp2Stream, rsp: Response): Promise<void> {
  if (stream.destroyed || stream.closed) {
    await rsp.body?.cancel().catch(() => {});
    return;
  }
  const head: http2.OutgoingHttpHeaders = { ":status": rsp.status };
  for (const [name, value] of rsp.headers) {
    if (CONNECTION_FIELDS.has(name) || name === "set-cookie") continue;
    head[name] = value;
  }
  const cookies = rsp.headers.getSetCookie();
  if (cookies.length > 0) head["set-cookie"] = cookies;
  // A stream that already ended without trailers (a gRPC "trailers-only" reply carries its
  // status in the head) ends with its head, as it came.
  const seen = trailersOf(rsp);
  const box = seen && !(seen.ended && seen.fields === undefined) ? seen : undefined;
  const body = rsp.body;
  try {
    if (box) {
      stream.once("wantTrailers", () => {
        const t: http2.OutgoingHttpHeaders = {};
        for (const [k, v] of box.fields ?? []) {
          const seen = t[k];
          t[k] = seen === undefined ? v : Array.isArray(seen) ? [...seen, v] : [String(seen), v];
        }
        try {
          stream.sendTrailers(t);
        } catch {
          stream.close();
        }
      });
    }
    stream.respond(head, {
      endStream: body === null && !box,
      ...(box ? { waitForTrailers: true } : {}),
    });
  } catch {
    stream.close(http2Module().constants.NGHTTP2_INTERNAL_ERROR);
    await body?.cancel().catch(() => {});
    return;
  }
  if (body === null) {
    if (box) stream.end();
    return;
  }
  try {
    await pipeBody(body, stream, clientReset);
  } catch (e: unknown) {
    // The upstream body broke mid-stream: reset, so the client does not take it as complete;
    // an upstream reset goes on with its code (Linkerd's server dispatcher). Deno's node:http2
    // ends a responding stream cleanly on `close(code)` unless it waits for trailers, so a
    // stream without them is destroyed (RST_STREAM INTERNAL_ERROR).
    if (box) stream.close(passedResetCode(resetCodeOf(e) ?? INTERNAL_ERROR));
    else stream.destroy(e instanceof Error ? e : new Error(String(e)));
  }
}
