/**
 * `serveRaw`: an HTTP/1.1 server on `Deno.listen` with a strict byte-level request parser, for
 * Switchyard's plaintext listeners. Same shape as `Deno.serve` (handler `(req, {remoteAddr})`,
 * `addr`, `shutdown()`, `finished`), at a fraction of its per-request cost, plus connection
 * events and error answers in the router's style (status + `l5d-err`).
 *
 * Behaviour (RFC 9110 / 9112; see `request_head.ts` for the parser's rules):
 * - `req.url` is `http://<Host><target>` for origin-form (`localhost:<port>` without a Host, as
 *   `Deno.serve` does), the target itself for absolute-form, `http://<target>` for CONNECT.
 *   CONNECT/TRACE/TRACK, which `new Request` refuses, are built as GET and carry the real
 *   method on an own `method` property (`fetch(req)` would send GET: do not fetch them).
 * - Body: `null` for a CONNECT tunnel (authority-form), and for any request without content (no Content-Length or 0, not
 *   chunked), so it is forwarded without a body (no `transfer-encoding: chunked`), as Linkerd
 *   (Netty) does; otherwise (a GET or HEAD with content included: a proxy forwards what it was
 *   sent) a pull-driven stream decoding Content-Length or chunked. A body that breaks (bad chunking, the client closing inside it)
 *   errors the stream with `BadRequest` (400, the client's fault).
 * - `req.signal` aborts when the client closes or resets while the handler or the response
 *   is in flight.
 * - Keep-alive per RFC 9112 §9.3, sequential pipelining; idle keep-alive connections close after
 *   `idleTimeoutMs`; a head must arrive within `headerTimeoutMs` (408).
 * - Rejections before the handler (parse errors, limits, timeouts) answer `onReject(status,
 *   message)` with `connection: close`, then close. A handler that throws gets a 500 the same way.
 * - `shutdown()` stops accepting, closes idle connections, lets in-flight requests finish.
 *
 * @module
 */
import {
  findRequestEnd,
  type HeadLimits,
  HttpReject,
  parseRequestHead,
  type RequestHead,
} from "./request_head.ts";
import { BUSY, type ByteCounts, HEAD, IDLE, ServerConn } from "./_conn.ts";
import { RequestBody } from "./_body.ts";
import { DateCache, UnsentResponse, writeResponse } from "./response_writer.ts";
import { type Takeover, takeovers } from "./tunnel.ts";
import { buildRequest, normaliseMethod } from "./build_request.ts";
import { defaultReject } from "./default_reject.ts";
import { listenMutualTls, type MutualTlsListener, type ServerTls } from "../node_tls.ts";
import { rebind, replaceableBind, reusePortAvailable } from "../tls_port.ts";

/** Options of {@link serveRaw}. */
export interface RawServeOptions {
  /** Address to listen on. */
  hostname: string;
  /** Port; 0 picks a free one. */
  port: number;
  /** Share the port with other listeners (SO_REUSEPORT). */
  reusePort?: boolean;
  /**
   * Terminate TLS (PEM certificate chain and key) with ALPN `http/1.1` only: clients that would
   * pick h2 speak HTTP/1.1 here. With `requireClientAuth`, node:tls terminates it and refuses
   * clients without a certificate that verifies against `ca` (`Deno.listenTls` cannot ask for
   * one); the handler's `info.clientCert` then describes the client's certificate.
   */
  tls?: ServerTls | undefined;
  /** Request line + header bytes limit → 431 (default 65536). */
  maxHeadBytes?: number;
  /** Request line limit → 414 (default 8192). */
  maxLineBytes?: number;
  /** Header field count limit → 431 (default 100). */
  maxHeaders?: number;
  /** The whole head must arrive within this many ms → 408 + close (default 30000). */
  headerTimeoutMs?: number;
  /** Close a keep-alive connection idle this long (default 60000). */
  idleTimeoutMs?: number;
  /**
   * Close a connection this long after it opened (default: never), as Finagle's ExpiringService
   * `lifeTime`: at once when idle, after the response in flight otherwise.
   */
  lifeTimeoutMs?: number;
  /**
   * `socketOptions.noDelay` (default true): TCP_NODELAY on accepted connections (TLS ones where the
   * runtime exposes it).
   */
  noDelay?: boolean;
  /** `socketOptions.keepAlive` (default false): SO_KEEPALIVE on accepted connections. */
  keepAlive?: boolean;
  /** Unread request body drained after the response before reuse; more → close (1 MiB). */
  maxDrainBytes?: number;
  /** Where every connection counts the bytes it reads and writes. */
  bytes?: ByteCounts | undefined;
  /** A client connected. */
  onConnect?(remote: Deno.NetAddr): void;
  /** A client connection closed (or was handed over with `takeConnection`). */
  onDisconnect?(remote: Deno.NetAddr): void;
  /** A keep-alive connection is being closed for idling `idleTimeoutMs` (Finagle's `idle`). */
  onIdleClose?(remote: Deno.NetAddr): void;
  /** A connection is being closed for reaching `lifeTimeoutMs` (Finagle's `lifetime`). */
  onLifetimeClose?(remote: Deno.NetAddr): void;
  /**
   * Build the error response for a request rejected before the handler.
   * Default: `status` + `l5d-err: <message>` + a text body.
   */
  onReject?(status: number, message: string): Response;
  /**
   * A request refused before the handler (parse error, limits, head timeout) was answered with
   * `status`: the listener counts it in its server stats. Handler failures (500) are not reported
   * here; the handler saw those requests.
   */
  onRejected?(status: number): void;
}

/** A running raw server. */
export interface RawServer {
  /** The bound address. */
  readonly addr: Deno.NetAddr;
  /** Settles when the listener accepts connections (a mutual-TLS listener binds asynchronously). */
  readonly ready: Promise<void>;
  /** Stop accepting, close idle connections, let in-flight requests finish; resolves when done. */
  shutdown(): Promise<void>;
  /** Resolves when the server stopped and every connection is closed. */
  readonly finished: Promise<void>;
  /** Client connections currently open. */
  connections(): number;
  /**
   * Serve another certificate and key (and CA) to the connections accepted from now on; open
   * connections keep theirs. node:tls swaps its context; a `Deno.listenTls` listener is replaced
   * by a new one on the same port (SO_REUSEPORT), then closed.
   *
   * @throws Error when the listener has no TLS, or the new listener cannot be opened (the old
   *   one keeps serving).
   */
  reloadTls(tls: ServerTls): void;
  /**
   * Stop accepting (a config reload opened another server on the port): open connections go on,
   * idle keep-alive ones too, until they close (the client, `idleTimeoutMs`, `shutdown`); then the
   * server is finished.
   */
  retire(): void;
  /**
   * Apply other head limits and connection timeouts (a config reload): heads read from now on,
   * connections idle from now on, connections accepted from now on (`lifeTimeoutMs`).
   */
  retune(limits: RawLimits): void;
}

/** What {@linkcode RawServer.retune} changes on a running server. */
export type RawLimits = Pick<
  RawServeOptions,
  "maxHeadBytes" | "maxLineBytes" | "idleTimeoutMs" | "lifeTimeoutMs" | "noDelay" | "keepAlive"
>;

/** The request handler: same shape as `Deno.ServeHandler`. */
export type RawHandler = (
  req: Request,
  info: RawConnInfo,
) => Response | Promise<Response>;

/** What the handler learns of the connection (one object per connection). */
export interface RawConnInfo {
  readonly remoteAddr: Deno.NetAddr;
  /**
   * On a `requireClientAuth` listener: the client certificate as Linkerd's
   * `x-forwarded-client-cert` value (`Hash=…;SAN=…;DNS=…;Subject="…"`).
   */
  readonly clientCert?: string | undefined;
}

/** Graceful close: how long / how much unread input to discard after our FIN. */
const LINGER_MS = 2000, LINGER_BYTES = 1024 * 1024;
/** `#scanHead`: the buffer does not hold a whole head yet. */
const MORE = -1;

/**
 * Serve HTTP/1.1 on a raw TCP listener.
 *
 * @param opts address, limits, timeouts, connection hooks
 * @param handler called once per request
 * @returns the running server
 * @throws {Deno.errors.AddrInUse} when the port is taken
 * @example
 * ```ts
 * import { serveRaw } from "./raw_server.ts";
 * const srv = serveRaw({ hostname: "127.0.0.1", port: 0 }, () => new Response("hi\n"));
 * const rsp = await fetch(`http://127.0.0.1:${srv.addr.port}/`);
 * console.log(await rsp.text()); // hi
 * await srv.shutdown();
 * ```
 */
export function serveRaw(opts: RawServeOptions, handler: RawHandler): RawServer {
  const common = {
    hostname: opts.hostname,
    port: opts.port,
    transport: "tcp" as const,
    ...(opts.reusePort ? { reusePort: true } : {}),
  };
  if (opts.tls?.requireClientAuth || opts.tls?.versions || opts.tls?.legacyCert) {
    // node:tls: client certificates, TLS `protocols` or an X.509 v1 certificate (Deno.listenTls
    // has neither)
    const mutual = listenMutualTls({
      ...common,
      ...opts.tls,
      requireClientAuth: opts.tls.requireClientAuth === true,
      alpnProtocols: ["http/1.1"],
    });
    return new Engine(mutual, opts, handler, mutual.ready);
  }
  if (opts.tls) {
    // Bound with SO_REUSEPORT when it can be, so that a certificate reload can open the new
    // listener beside it (`reloadTls`).
    const bind = replaceableBind(opts.hostname, opts.port, opts.reusePort);
    return new Engine(listenTls({ hostname: opts.hostname, ...bind }, opts.tls), opts, handler);
  }
  return new Engine(Deno.listen(common), opts, handler);
}

function listenTls(
  at: { hostname: string; port: number; reusePort?: boolean },
  tls: ServerTls,
): Deno.Listener {
  return Deno.listenTls({
    hostname: at.hostname,
    port: at.port,
    transport: "tcp",
    ...(at.reusePort ? { reusePort: true } : {}),
    cert: tls.cert,
    key: tls.key,
    alpnProtocols: ["http/1.1"],
  });
}

class Engine implements RawServer {
  readonly addr: Deno.NetAddr;
  readonly finished: Promise<void>;
  readonly ready: Promise<void>;
  #listener: Deno.Listener;
  readonly #reusePort: boolean;
  readonly #handler: RawHandler;
  readonly #opts: RawServeOptions;
  readonly #conns = new Set<ServerConn>();
  readonly #date = new DateCache();
  #limits: { maxLineBytes: number; maxHeaders: number };
  #maxHead: number;
  readonly #headerMs: number;
  #noDelay: boolean;
  #keepAlive: boolean;
  #idleMs: number;
  #lifeMs: number;
  readonly #drain: number;
  readonly #reject: (status: number, message: string) => Response;
  readonly #rejected: ((status: number) => void) | undefined;
  #sweep: ReturnType<typeof setInterval>;
  readonly #hostDefault: string;
  #stopping = false;
  /** Stopped accepting (`retire`); connections go on. */
  #retired = false;
  /** Coarse clock (ms), advanced by the sweeper: deadlines need no per-request clock read. */
  #now = performance.now();
  #accepting: Promise<void>;
  #resolveFinished!: () => void;

  constructor(
    listener: Deno.Listener,
    opts: RawServeOptions,
    handler: RawHandler,
    ready: Promise<void> = Promise.resolve(),
  ) {
    this.#listener = listener;
    this.#reusePort = opts.reusePort === true || (opts.tls !== undefined && reusePortAvailable());
    this.ready = ready;
    this.addr = listener.addr as Deno.NetAddr;
    this.#handler = handler;
    this.#opts = opts;
    this.#limits = { maxLineBytes: opts.maxLineBytes ?? 8192, maxHeaders: opts.maxHeaders ?? 100 };
    this.#maxHead = opts.maxHeadBytes ?? 65536;
    this.#headerMs = opts.headerTimeoutMs ?? 30_000;
    this.#idleMs = opts.idleTimeoutMs ?? 60_000;
    this.#lifeMs = opts.lifeTimeoutMs ?? Infinity;
    this.#noDelay = opts.noDelay ?? true;
    this.#keepAlive = opts.keepAlive ?? false;
    this.#drain = opts.maxDrainBytes ?? 1024 * 1024;
    this.#reject = opts.onReject ?? defaultReject;
    this.#rejected = opts.onRejected;
    this.#hostDefault = `localhost:${this.addr.port}`;
    this.#sweep = this.#sweeper();
    this.finished = new Promise((r) => this.#resolveFinished = r);
    this.#accepting = this.#accept(listener);
  }

  #sweeper(): ReturnType<typeof setInterval> {
    const tick = Math.max(
      10,
      Math.min(1000, Math.min(this.#headerMs, this.#idleMs, this.#lifeMs) / 10),
    );
    return setInterval(() => this.#sweepTimeouts(), tick);
  }

  retune(limits: RawLimits): void {
    if (this.#stopping || this.#retired) return;
    this.#limits = {
      maxLineBytes: limits.maxLineBytes ?? 8192,
      maxHeaders: this.#limits.maxHeaders,
    };
    this.#maxHead = limits.maxHeadBytes ?? 65536;
    this.#idleMs = limits.idleTimeoutMs ?? 60_000;
    this.#lifeMs = limits.lifeTimeoutMs ?? Infinity;
    this.#noDelay = limits.noDelay ?? true;
    this.#keepAlive = limits.keepAlive ?? false;
    clearInterval(this.#sweep);
    this.#sweep = this.#sweeper();
  }

  connections(): number {
    return this.#conns.size;
  }

  reloadTls(tls: ServerTls): void {
    if (this.#stopping) return;
    const old = this.#listener;
    if ("setTls" in old) {
      (old as MutualTlsListener).setTls(tls);
      return;
    }
    if (!this.#opts.tls) throw new Error("not a TLS listener");
    // Fails (AddrInUse) when the old listener was bound without SO_REUSEPORT: it keeps serving.
    const next = rebind(this.addr.port, () =>
      listenTls(
        { hostname: this.addr.hostname, port: this.addr.port, reusePort: this.#reusePort },
        tls,
      ));
    this.#listener = next;
    const accepting = this.#accepting;
    const more = this.#accept(next);
    this.#accepting = Promise.all([accepting, more]).then(() => {});
    try {
      old.close(); // its accept loop ends; its connections go on
    } catch { /* already closed */ }
  }

  retire(): void {
    if (this.#stopping || this.#retired) return;
    this.#retired = true;
    try {
      this.#listener.close(); // its accept loop ends; its connections go on
    } catch { /* already closed */ }
    this.#maybeFinished();
  }

  async shutdown(): Promise<void> {
    if (!this.#stopping) {
      this.#stopping = true;
      try {
        this.#listener.close();
      } catch { /* already closed */ }
      for (const c of this.#conns) {
        c.closeAfter = true;
        if (c.phase !== BUSY) c.close();
      }
      this.#maybeFinished();
    }
    await this.finished;
  }

  async #accept(listener: Deno.Listener): Promise<void> {
    for (;;) {
      let tcp: Deno.Conn;
      try {
        tcp = await listener.accept();
      } catch {
        // stopped, or replaced by a certificate reload
        if (this.#stopping || this.#retired || listener !== this.#listener) break;
        // e.g. EMFILE: keep serving the connections we have, retry accepting a bit later
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      if (this.#stopping || this.#retired) {
        tcp.close();
        break;
      }
      try {
        const sock = tcp as Partial<Deno.TcpConn>; // TLS connections: may not expose these
        sock.setNoDelay?.(this.#noDelay);
        if (this.#keepAlive) sock.setKeepAlive?.(true);
      } catch { /* closed already */ }
      const c = new ServerConn(tcp, this.#opts.bytes);
      c.deadline = this.#now + this.#headerMs;
      c.expires = this.#now + this.#lifeMs;
      this.#conns.add(c);
      this.#hook(this.#opts.onConnect, c.remote);
      this.#serve(c).catch(() => {}).then(() => c.linger(LINGER_MS, LINGER_BYTES)).finally(() =>
        this.#done(c)
      );
    }
  }

  #done(c: ServerConn): void {
    if (!this.#conns.delete(c)) return;
    c.close();
    this.#hook(this.#opts.onDisconnect, c.remote);
    this.#maybeFinished();
  }

  /** Run a connection hook; a throwing hook must not take the accept loop down. */
  #hook(f: ((remote: Deno.NetAddr) => void) | undefined, remote: Deno.NetAddr): void {
    try {
      f?.(remote);
    } catch { /* the hook's problem */ }
  }

  #maybeFinished(): void {
    if ((this.#stopping || this.#retired) && this.#conns.size === 0) {
      clearInterval(this.#sweep);
      this.#accepting.then(() => this.#resolveFinished());
    }
  }

  #sweepTimeouts(): void {
    const now = this.#now = performance.now();
    for (const c of this.#conns) {
      if (c.expires <= now) {
        c.expires = Infinity;
        this.#hook(this.#opts.onLifetimeClose, c.remote);
        if (c.phase === BUSY) c.closeAfter = true; // after the response in flight
        else {
          c.deadline = Infinity;
          c.close();
          continue;
        }
      }
      if (c.deadline > now) continue;
      c.deadline = Infinity;
      if (c.phase === IDLE) {
        this.#hook(this.#opts.onIdleClose, c.remote);
        c.close();
      } else if (c.phase === HEAD) {
        this.#rejectAndClose(c, new HttpReject(408, "request head not received in time"))
          .then(() => c.linger(LINGER_MS, LINGER_BYTES));
      }
    }
  }

  /** Serve requests on one connection until it must close. */
  async #serve(c: ServerConn): Promise<void> {
    for (;;) {
      // The head is awaited here, not in an async helper of its own: one async frame and
      // promise less per request (issue 6). `#scanHead` looks at what the buffer holds.
      let from = c.s, lineChecked = false;
      let end: number | Error;
      for (;;) {
        end = this.#scanHead(c, from, lineChecked);
        if (end !== MORE) break;
        if (!lineChecked && c.e > c.s) {
          const lf = c.buf.indexOf(10, c.s);
          lineChecked = lf !== -1 && lf < c.e; // whole, and valid (else it was refused)
        }
        from = Math.max(c.s, c.e - 3);
        if (c.closed || c.rejected) return;
        if (!await c.fill() || c.rejected) return;
        if (c.phase === IDLE) {
          c.phase = HEAD;
          c.deadline = this.#now + this.#headerMs;
        }
      }
      if (end instanceof Error) return await this.#rejectAndClose(c, end);
      let h: RequestHead;
      try {
        h = parseRequestHead(c.buf, c.s, end, this.#limits);
      } catch (e: unknown) {
        return await this.#rejectAndClose(c, e);
      }
      c.s = end;
      c.phase = BUSY;
      c.deadline = Infinity;
      if (!await this.#exchange(c, h)) return;
      if (this.#stopping || c.closeAfter) return;
      c.phase = IDLE;
      c.deadline = this.#now + (c.e > c.s ? this.#headerMs : this.#idleMs);
    }
  }

  /**
   * What the buffer holds of the next head: the index past its blank line, {@link MORE} when more
   * bytes are needed, or the error to reject it with. Leading empty lines are skipped (RFC 9112
   * §2.2). `lineChecked`: the request line was already found whole and valid.
   */
  #scanHead(c: ServerConn, from: number, lineChecked: boolean): number | Error {
    const b = c.buf;
    while (c.e - c.s >= 2 && b[c.s] === 13 && b[c.s + 1] === 10) {
      c.s += 2;
      if (from < c.s) from = c.s;
    }
    const end = c.e > c.s ? findRequestEnd(b, from, c.e) : -1;
    if (end >= 0) {
      return end - c.s > this.#maxHead ? tooBig(b, c.s, c.e, this.#limits.maxLineBytes) : end;
    }
    const have = c.e - c.s;
    if (have >= this.#maxHead) return tooBig(b, c.s, c.e, this.#limits.maxLineBytes);
    if (have > this.#limits.maxLineBytes && b.indexOf(10, c.s) === -1) {
      return new HttpReject(414, "request line too long");
    }
    // A head that came in pieces: once its request line is whole, a bad one (HTTP/0.9's
    // `GET /`, which waits for an answer without sending a blank line) is answered at once,
    // as Netty's decoder does, not at the header timeout.
    if (!lineChecked && have > 0) {
      const lf = b.indexOf(10, c.s);
      if (lf !== -1 && lf < c.e) {
        const err = badRequestLine(b, c.s, lf, this.#limits);
        if (err !== null) return err instanceof Error ? err : new HttpReject(400, String(err));
      }
    }
    return MORE;
  }

  async #rejectAndClose(c: ServerConn, e: unknown): Promise<void> {
    if (c.rejected) return;
    c.rejected = true;
    c.phase = BUSY;
    c.deadline = Infinity;
    const status = e instanceof HttpReject ? e.status : 400;
    const msg = e instanceof Error ? e.message : String(e);
    try {
      const rsp = this.#reject(status, msg);
      this.#rejected?.(rsp.status);
      await writeResponse(c, rsp, {
        head: false,
        minor: 1,
        keepAlive: false,
        date: this.#date.value(),
      });
    } catch {
      c.close(); // the client is gone
    }
  }

  /** One request/response; returns true when the connection can carry another request. */
  async #exchange(c: ServerConn, h: RequestHead): Promise<boolean> {
    const method = normaliseMethod(h.method);
    const hasBody = h.chunked || h.contentLength > 0;
    // Content is forwarded whatever the method (a GET or HEAD's too), as Linkerd (Netty) does;
    // without content there is no body at all (an empty stream would go upstream as chunked),
    // and a CONNECT tunnel's is never a request body.
    const tunnel = h.form === "authority"; // CONNECT host:port
    const bodyless = tunnel || !hasBody;
    const body = hasBody
      ? new RequestBody(c, h.chunked ? -1 : h.contentLength, h.expectContinue)
      : null;
    const ac = new AbortController();
    let req: Request;
    try {
      req = buildRequest(
        h,
        body !== null && !bodyless ? body.stream() : null,
        ac.signal,
        this.#hostDefault,
        c.interim,
      );
    } catch (e: unknown) {
      await this.#rejectAndClose(c, new HttpReject(400, `invalid request: ${String(e)}`));
      return false;
    }
    const takeable = tunnel || h.upgrade;
    let takeover: Takeover | null = null;
    if (takeable) {
      takeover = { take: () => this.#handOver(c), response: null };
      takeovers.set(req, takeover);
    } else if (body === null || body.done) {
      c.ac = ac;
      c.watch();
    }
    // An HTTP/1.0 client must not get 1xx responses (RFC 9110 §15.2), nor an upgrade's client.
    c.interimOpen = h.minor === 1 && !takeable;
    let rsp: Response;
    try {
      rsp = await this.#handler(req, c.info);
    } catch (e: unknown) {
      rsp = this.#reject(500, `handler failed: ${e instanceof Error ? e.message : String(e)}`);
      c.closeAfter = true;
    }
    if (takeover !== null && takeover.response !== null) {
      if (rsp === takeover.response) return false; // the caller owns the socket now
      c.closeAfter = true; // taken but not returned: nothing sane can follow
    }
    c.interimOpen = false;
    if (c.interimWrites !== null) {
      await c.interimWrites; // the final response follows the interim ones already sent
      c.interimWrites = null;
    }
    if (c.closed) return false;
    if (body !== null) body.responded = true;
    let keep = h.keepAlive && !c.closeAfter && !this.#stopping && !tunnel;
    if (body !== null && body.awaitingContinue) keep = false;
    try {
      keep = await writeResponse(c, rsp, {
        head: method === "HEAD",
        minor: h.minor,
        keepAlive: keep,
        date: this.#date.value(),
      });
    } catch (e: unknown) {
      c.ac = null;
      if (e instanceof UnsentResponse && !c.closed) {
        // The upstream's body broke before a byte went out: still a proper 502 + l5d-err.
        await this.#rejectAndClose(c, new HttpReject(502, e.message));
        c.close();
        return false;
      }
      ac.abort(new DOMException("the client went away during the response", "AbortError"));
      return false;
    }
    c.ac = null;
    if (body !== null && !await body.finish(this.#drain)) return false;
    return keep && !c.eof;
  }

  #handOver(c: ServerConn): { conn: Deno.Conn; buffered: Uint8Array } {
    const buffered = c.buf.slice(c.s, c.e);
    c.s = c.e;
    c.closed = true; // the engine no longer closes it
    c.ac = null;
    if (this.#conns.delete(c)) {
      this.#hook(this.#opts.onDisconnect, c.remote);
      this.#maybeFinished();
    }
    return { conn: c.tcp, buffered };
  }
}

/** The reject for the request line `b[s, lf]` (LF included) alone, or null when it is valid. */
function badRequestLine(b: Uint8Array, s: number, lf: number, limits: HeadLimits): unknown {
  const line = new Uint8Array(lf - s + 3); // the line and a blank line: a head without fields
  line.set(b.subarray(s, lf + 1));
  line[lf - s + 1] = 13;
  line[lf - s + 2] = 10;
  try {
    parseRequestHead(line, 0, line.length, limits);
    return null;
  } catch (e: unknown) {
    return e;
  }
}

function tooBig(b: Uint8Array, s: number, e: number, maxLine: number): HttpReject {
  const lf = b.indexOf(10, s);
  if ((lf === -1 || lf >= e ? e : lf) - s > maxLine) {
    return new HttpReject(414, "request line too long");
  }
  return new HttpReject(431, "request header fields too large");
}
