/**
 * A pooled HTTP/1.1 upstream client on `Deno.connect`: the proxy's plain-HTTP data path.
 *
 * It sends exactly the request it is given (plus framing, and `host` if missing) and returns
 * exactly what the upstream sent, minus hop-by-hop framing: no decompression, no added headers,
 * any port. It costs about half of `fetch`'s CPU per request (REF `fast-client.md`). TLS and h2
 * upstreams stay on `fetch`. It sits at the bottom of the endpoint stack, under request timeout
 * and ctx encoding (STYLE §a.2); the timeout reaches it through `signal`.
 *
 * Supported: keep-alive pooling (LIFO per `host:port`, idle expiry, upstream `Keep-Alive:
 * timeout` hints, idle connections evicted as soon as the upstream closes them), a per-endpoint
 * connection cap with a FIFO queue, one replay of a replayable request on a fresh connection
 * when a reused one turns out dead, content-length / chunked / close-delimited responses with
 * strict parsing (`response_head.ts`, `chunked.ts`), 1xx skipping (or handing to `onInterim`), streamed request and response
 * bodies with backpressure, cancellation by `AbortSignal`, chunked trailers (a response's in
 * `bodyTrailers` under its body stream once it ends; a request body registered there ends with
 * its own).
 * Not supported: TLS, HTTP/2, pipelining, CONNECT tunnels (an origin-form CONNECT is sent as any
 * request) and upgrades (a 101 is an error), transfer
 * codings other than chunked, waiting for `100 Continue` (the
 * body is sent at once, which RFC 9110 §10.1.1 allows), no response head or idle-read timeout
 * of its own (use `signal`).
 *
 * Callers must read or cancel every response body: until then the connection stays checked out.
 * Pass fields as `[name, value][]` on the hot path: iterating a `Headers` costs a few µs more.
 *
 * @module
 */
import { type Clock, systemClock } from "../../core/clock.ts";
import { BadRequest } from "../../core/errors.ts";
import { Conn } from "./_conn.ts";
import { Exchange, type ExchangeLimits, StaleConnection } from "./_exchange.ts";
import { type Dial, Pool } from "./_pool.ts";
import { type PreparedRequest, prepareRequest } from "./_request.ts";
import type { ResponseHeadLimits } from "./response_head.ts";
import type { TrailerBox } from "../../core/trailers.ts";

/** Client settings; every field is optional. */
export interface H1ClientOptions {
  /** Idle connections kept per endpoint (default 64). */
  maxIdlePerEndpoint?: number;
  /** Idle connections close after this many ms (default 30000, below common upstream keep-alives). */
  idleTimeoutMs?: number;
  /** Connect timeout in ms (default 3000). */
  connectTimeoutMs?: number;
  /** Largest response head, and trailer section, accepted (default 64 KiB). */
  maxResponseHeadBytes?: number;
  /** Open connections per endpoint, idle included (default unbounded); requests over it queue. */
  maxConnectionsPerEndpoint?: number;
  /** Content-length bodies up to this size are read whole, returned as bytes (default 64 KiB). */
  smallBodyBytes?: number;
  /** Opens connections (default `Deno.connect` with TCP_NODELAY); for tests and unix sockets. */
  dial?: Dial;
  /** Monotonic time and timers for idle expiry, connect timeouts, close grace (default: real). */
  clock?: Pick<Clock, "mono" | "setTimer">;
}

/** One request. */
export interface H1Request {
  /** Method token; CONNECT only with an origin-form target (sent as any request). */
  method: string;
  /** Request target as sent, normally origin-form `/path?q`. */
  target: string;
  /** Fields as sent; the caller removed hop-by-hop fields. Framing fields are the client's. */
  headers: Headers | [string, string][];
  /** Body: a stream (chunked, or the caller's content-length), bytes, or null. */
  body: ReadableStream<Uint8Array> | Uint8Array | null;
  /**
   * Aborts connect, send and receive: the connection is closed, and the promise or the body
   * stream rejects with the signal's reason.
   */
  signal?: AbortSignal;
  /**
   * Send an HTTP/1.0 request line (with `connection: keep-alive`), as Linkerd forwards an
   * HTTP/1.0 request; the response's own version and `Connection` decide reuse, and a 1.0
   * response without length is read to the close. A streamed body of unknown length is sent as
   * HTTP/1.1 chunked all the same.
   */
  http10?: boolean;
  /** Called when this request opens a new connection (Finagle's client `connects` counter). */
  onConnect?: (() => void) | undefined;
  /**
   * The response goes to a front end that writes a small body from its registered bytes and
   * then gives their buffer back (the raw engine, `raw/response_writer.ts`): a small body is
   * read into a buffer of the small-body pool (`raw/chunk_pool.ts` `smallBodies`) and is the
   * response's lazy body (`makeViewResponse`). Otherwise (`Deno.serve`, h2, any other caller) it
   * is a copy of its own, as a static body.
   */
  pooledBody?: boolean | undefined;
  /**
   * Refuse a response whose status line or header section is over these (a router's
   * `maxInitialLineKB`/`maxHeadersKB`) with an `UpstreamError`; the connection is closed.
   */
  headLimits?: ResponseHeadLimits | undefined;
  /**
   * The request's trailers (an HTTP/2 request stream's), sent after the body by the h2 client;
   * the HTTP/1.1 client does not send them.
   */
  trailers?: TrailerBox | undefined;
  /**
   * Called with each interim response other than `100 Continue` (e.g. `103 Early Hints`) that
   * arrives before the final one, its hop-by-hop fields removed; without it they are skipped.
   */
  onInterim?: ((status: number, headers: [string, string][]) => void) | undefined;
  /**
   * h2 client: how long to wait for the response stream to end before returning it, and how much
   * of it to buffer meanwhile (the service's `classificationTimeoutMs`,
   * `retryBufferSize.responseBytes`); the client's own when absent. The HTTP/1.1 client ignores
   * them.
   */
  classificationTimeoutMs?: number | undefined;
  /** See {@linkcode H1Request.classificationTimeoutMs}. */
  responseBufferBytes?: number | undefined;
  /**
   * h2 client: the service's classification of the response head, and its counters (Linkerd's
   * ClassifiedRetryFilter); without it every response waits for its stream's end.
   */
  classification?: ClassificationHold | undefined;
}

/**
 * How an h2 client's wait for a response stream's end goes, per service (Linkerd's h2
 * ClassifiedRetryFilter): a response its head classifies is returned at once ("early
 * classification"); otherwise the wait ends with the stream, its timeout
 * (`retries/classification_timeout`) or a full buffer (`retries/response_stream_too_long`).
 */
export interface ClassificationHold {
  /** Whether the classifier decides on this head (no wait for the stream). */
  classifiesHead(status: number, fields: readonly [string, string][]): boolean;
  /** The stream did not end within `classificationTimeoutMs`. */
  onTimeout(): void;
  /** The stream outgrew the response buffer before its end. */
  onTooLong(): void;
}

/** Pool counters. */
export interface H1ClientStats {
  /** Connections open now (idle included). */
  open: number;
  /** Idle connections now. */
  idle: number;
  /** Connections opened so far. */
  connects: number;
  /** Requests that went out on a previously used connection. */
  reused: number;
}

/** A pooled HTTP/1.1 client. */
export interface H1Client {
  /**
   * Send `req` to `host:port`; resolves when the response head arrived.
   *
   * @throws {ConnectFailed} connect refused, timed out, DNS failure, or client closed (retryable)
   * @throws {UpstreamError} the exchange failed after the request was (maybe) sent
   * @throws {BadRequest} invalid method, target, field or framing (nothing was sent)
   * @throws {TypeError} invalid endpoint host or port
   */
  request(host: string, port: number, req: H1Request): Promise<Response>;
  /**
   * Close the client. New requests and queued ones fail with `ConnectFailed`; idle connections
   * close at once. In-flight exchanges may finish within `graceMs` (default 0) and their
   * connections then close; those still running after it fail with `UpstreamError`. Resolves
   * once every connection is closed.
   */
  close(graceMs?: number): Promise<void>;
  /** Pool counters. */
  stats(): H1ClientStats;
  /** Connections open (or opening) to one endpoint now, idle included. */
  connectionsTo(host: string, port: number): number;
  /**
   * Close connections to one endpoint once idle `ms` (a client's `clientSession.idleTimeMs`)
   * instead of the client's `idleTimeoutMs`; the shortest asked for wins.
   */
  setIdleTimeout?(host: string, port: number, ms: number): void;
  /**
   * SO_KEEPALIVE on the connections to `host:port` opened from now on (`socketOptions.keepAlive`
   * of a client; on when any client sharing the endpoint asks).
   */
  setKeepAlive?(host: string, port: number): void;
  /**
   * Close connections to one endpoint once they are `ms` old (a client's
   * `clientSession.lifeTimeMs`), after the exchange in flight; the shortest asked for wins.
   */
  setLifeTime?(host: string, port: number, ms: number): void;
  /**
   * `hostConnectionPool` `idleTimeMs` / `minSize` of one endpoint: idle connections beyond
   * `minSize` close once idle `ms`; the shortest asked for wins.
   */
  setPoolIdleTime?(host: string, port: number, ms: number, minSize: number): void;
}

const realClock: Pick<Clock, "mono" | "setTimer"> = {
  mono: systemClock.mono, // a listener's held reading (core/clock.ts holdMono) included
  setTimer(ms, fn) {
    const id = setTimeout(fn, ms);
    Deno.unrefTimer(id);
    return () => clearTimeout(id);
  },
};

async function dialTcp(hostname: string, port: number, signal: AbortSignal): Promise<Deno.Conn> {
  const conn = await Deno.connect({ hostname, port, transport: "tcp", signal });
  conn.setNoDelay(true);
  return conn;
}

/**
 * Create a pooled HTTP/1.1 client.
 *
 * @param opts pool sizes, limits and timeouts
 * @returns the client; call `close()` when done
 * @example
 * ```ts
 * import { createH1Client } from "./h1_client.ts";
 * const upstream = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("hi"));
 * const client = createH1Client({ idleTimeoutMs: 10_000 });
 * const res = await client.request("127.0.0.1", upstream.addr.port, {
 *   method: "GET", target: "/hello", headers: [["host", "hello.svc"]], body: null,
 * });
 * console.log(res.status, await res.text()); // 200 hi
 * await client.close();
 * await upstream.shutdown();
 * ```
 */
export function createH1Client(opts: H1ClientOptions = {}): H1Client {
  const pool = new Pool({
    maxIdle: opts.maxIdlePerEndpoint ?? 64,
    idleTimeoutMs: opts.idleTimeoutMs ?? 30_000,
    connectTimeoutMs: opts.connectTimeoutMs ?? 3_000,
    maxConns: opts.maxConnectionsPerEndpoint ?? Infinity,
    dial: opts.dial ?? dialTcp,
    clock: opts.clock ?? realClock,
  });
  const limits: ExchangeLimits = {
    maxHead: opts.maxResponseHeadBytes ?? 64 * 1024,
    smallBody: opts.smallBodyBytes ?? 64 * 1024,
  };

  // Not async (issue 6): the common path is the exchange's own promise plus one reaction that
  // only does something when a reused connection turned out stale.
  function request(host: string, port: number, req: H1Request): Promise<Response> {
    let p: PreparedRequest;
    let got: Conn | Promise<Conn>;
    const signal = req.signal;
    const key = host + ":" + port; // one string for the pool and the exchange
    try {
      try {
        p = prepareRequest(
          host,
          port,
          req.method,
          req.target,
          req.headers,
          req.body,
          req.http10 === true,
        );
      } catch (e: unknown) {
        // Nothing was sent. A request that cannot be written is the caller's fault (a 400); a bad
        // endpoint address (from the namer) is not, and stays a TypeError (a 502).
        throw e instanceof TypeError && !/^invalid (host|port)\b/.test(e.message)
          ? new BadRequest(`cannot forward the request: ${e.message}`)
          : e;
      }
      signal?.throwIfAborted();
      got = pool.acquire(host, port, signal, false, req.onConnect, key);
    } catch (e: unknown) {
      return Promise.reject(e);
    }
    const onStale = (e: StaleConnection) => retryStale(e, host, port, key, p, req);
    if (!(got instanceof Conn)) return got.then((c) => exchangeOn(c, key, req).run(p, onStale));
    return exchangeOn(got, key, req).run(p, onStale);
  }

  /** The exchange of `req` on `c` (`key`: its `host:port`). */
  function exchangeOn(c: Conn, key: string, req: H1Request): Exchange {
    const pooled = req.pooledBody === true;
    return new Exchange(c, pool, key, limits, req.signal, req.headLimits, req.onInterim, pooled);
  }

  /** A reused connection died before answering: once more on a fresh one, when replayable. */
  async function retryStale(
    e: StaleConnection,
    host: string,
    port: number,
    key: string,
    p: PreparedRequest,
    req: H1Request,
  ): Promise<Response> {
    if (!e.replayable) throw e.error;
    const fresh = await pool.acquire(host, port, req.signal, true, req.onConnect, key);
    try {
      return await exchangeOn(fresh, key, req).run(p);
    } catch (e2: unknown) {
      throw e2 instanceof StaleConnection ? e2.error : e2;
    }
  }

  return {
    request,
    close: (graceMs = 0) => pool.close(graceMs),
    stats: () => pool.stats(),
    connectionsTo: (host, port) => pool.openTo(host + ":" + port),
    setIdleTimeout: (host, port, ms) => pool.setIdleTimeout(host + ":" + port, ms),
    setKeepAlive: (host, port) => pool.setKeepAlive(host + ":" + port),
    setLifeTime: (host, port, ms) => pool.setLifeTime(host + ":" + port, ms),
    setPoolIdleTime: (host, port, ms, minSize) =>
      pool.setPoolIdleTime(host + ":" + port, ms, minSize),
  };
}
