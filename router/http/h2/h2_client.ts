/**
 * The HTTP/2 upstream client of `protocol: h2` routers (Linkerd's h2 client): one multiplexed
 * session per endpoint (prior-knowledge h2c, or TLS with ALPN `h2`), built on `node:http2` (the
 * HTTP/2 stack Deno ships; no hand-rolled framing). It has the HTTP/1.1 client's interface
 * (`H1Client`), so the endpoint stacks do not know which protocol they drive.
 *
 * Responses stream with backpressure, and their trailers travel in a {@link TrailerBox} beside
 * the `Response`. Linkerd's `classificationTimeoutMs`: after the response head, the client waits
 * up to that long (default 100 ms) for the stream to end, buffering up to `responseBufferBytes`
 * (Linkerd's `retryBufferSize.responseBytes`, 16383), or the request's own values (its service's:
 * `H1Request.classificationTimeoutMs`); a stream that ends in time is returned
 * whole, with its trailers known, so gRPC classifiers see `grpc-status` and retries can act on
 * it. A longer stream is returned as it flows (its trailers are sent on, but it is classified on
 * its head). A head the service's classifier decides on (`H1Request.classification`: a 5XX for
 * the status classifiers) is returned at once, as Linkerd's ClassifiedRetryFilter does.
 *
 * Errors: a session that never connected is `ConnectFailed` (never delivered, retryable); a
 * stream the server refused (`REFUSED_STREAM`) is `StreamRefused` (not processed: requeued); a
 * stream the server reset, or lost with its connection (`CANCEL`), is `StreamReset` with the
 * code, before the response head or in its body, which the h2 server passes on to its client as
 * Linkerd does; a request that is cancelled resets its upstream stream with the client's code
 * (`CANCEL` unless the client's reset said otherwise).
 *
 * @example
 * ```ts ignore
 * const client = createH2Client({});
 * const rsp = await client.request("127.0.0.1", 50051, {
 *   method: "POST", target: "/hello.Greeter/Say", headers: [["host", "hello"]], body: bytes,
 * });
 * ```
 *
 * @module
 */
import type * as http2 from "node:http2";
import { http2Module, loadHttp2 } from "./node_http2.ts";
import { pipeBody } from "./_pipe.ts";
import type { H1Client, H1ClientStats, H1Request } from "../h1/mod.ts";
import type { ClientTls } from "../tls_dial.ts";
import {
  BadRequest,
  ConnectFailed,
  isLocalResourceLimit,
  LocalResourceExhausted,
  StreamRefused,
  StreamReset,
  UpstreamError,
} from "../../core/errors.ts";
import { abortResetCode } from "./_reset.ts";
import { attachTrailers, endTrailers, type TrailerBox, whenEnded } from "../../core/trailers.ts";

/** Options of {@link createH2Client}. */
/** The END_STREAM flag of a HEADERS frame. */
const END_STREAM = 0x1;

export interface H2ClientOptions {
  /** TLS origination (`client.tls`); plaintext prior-knowledge h2c when absent. */
  readonly tls?: ClientTls | undefined;
  /** Wait this long for a response stream to end before returning it (default 100). */
  readonly classificationTimeoutMs?: number;
  /** Buffer at most this many response bytes while waiting (default 16383). */
  readonly responseBufferBytes?: number;
  /** Connect timeout (default 3000 ms). */
  readonly connectTimeoutMs?: number;
  /** HTTP/2 SETTINGS sent to upstreams (Linkerd's client `initialStreamWindowBytes`, …). */
  readonly settings?: http2.Settings;
}

/** Fields HTTP/2 forbids (RFC 9113 §8.2.2) or carries as pseudo-headers. */
const NOT_FORWARDED = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "host",
  "http2-settings",
]);

interface Session {
  readonly s: http2.ClientHttp2Session;
  connected: boolean;
  failure: unknown;
  /** Streams open now, and requests waiting for one to close (the peer's stream limit). */
  active: number;
  readonly waiting: (() => void)[];
  /** `clientSession.idleTimeMs` of the endpoint (0: none), and its timer while no stream is open. */
  idleMs: number;
  idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** `clientSession.lifeTimeMs` of the endpoint: once that old, the session is retired. */
  lifeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Past its life time: takes no new stream, and closes once its streams are done. */
  expired: boolean;
  /** When it was opened (`performance.now()`). */
  readonly born: number;
}

/**
 * Streams a session may open: the peer's SETTINGS_MAX_CONCURRENT_STREAMS once known, else 100
 * (RFC 9113's recommended minimum) until the peer's SETTINGS arrive; more would be refused.
 */
function streamLimit(sess: Session): number {
  const n = sess.connected ? sess.s.remoteSettings?.maxConcurrentStreams : undefined;
  return typeof n === "number" && n > 0 ? n : 100;
}

/** Whether `sess` can open streams (no GOAWAY, not closed, lost or failed). */
function usable(sess: Session): boolean {
  return !sess.s.closed && !sess.s.destroyed && sess.failure === undefined && !sess.expired;
}

/**
 * `node:http2`'s refusals to open a stream on a session that went away (GOAWAY received, closed,
 * destroyed): the request was never sent.
 */
const SESSION_GONE = new Set(["ERR_HTTP2_GOAWAY_SESSION", "ERR_HTTP2_INVALID_SESSION"]);

/** How often one request moves to a new session because its session went away before it left. */
const MAX_REDISPATCH = 5;

/** A stream of `sess` closed: let the next waiting request open one. */
function release(sess: Session): void {
  sess.active--;
  sess.waiting.shift()?.();
  if (sess.active === 0 && sess.expired) closeWhenQuiet(sess);
  else if (sess.active === 0 && sess.idleMs > 0) armIdle(sess);
}

/**
 * Close a retired session (`clientSession.lifeTimeMs`) once its last stream is done, a moment
 * after (not from inside the stream's close): Deno 2.9's nghttp2 binding can abort the process on
 * a GOAWAY sent while a stream is still closing (`find_stream_on_goaway_func`,
 * denoland/deno#36788; seen 2 in 12 runs when the GOAWAY went out with a stream in flight).
 */
function closeWhenQuiet(sess: Session): void {
  const t = setTimeout(() => {
    if (sess.active === 0 && !sess.s.closed && !sess.s.destroyed) sess.s.close();
  }, 20);
  Deno.unrefTimer(t as unknown as number);
}

/** Close `sess` once no stream has been open on it for its `idleMs` (Finagle's ExpiringService). */
function armIdle(sess: Session): void {
  clearTimeout(sess.idleTimer);
  sess.idleTimer = setTimeout(() => {
    sess.idleTimer = undefined;
    if (sess.active === 0 && !sess.s.closed && !sess.s.destroyed) sess.s.close();
  }, sess.idleMs);
  Deno.unrefTimer(sess.idleTimer as unknown as number);
}

function view(b: Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function fieldList(headers: http2.IncomingHttpHeaders): [string, string][] {
  const out: [string, string][] = [];
  for (const k in headers) {
    if (k.charCodeAt(0) === 58) continue; // ':' pseudo-header
    const v = headers[k];
    if (Array.isArray(v)) { for (const x of v) out.push([k, x]); }
    else if (v !== undefined) out.push([k, String(v)]);
  }
  return out;
}

function authorityOf(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

const NULL_BODY = new Set([204, 205, 304]);

/** Chunks a streamed response body holds before the upstream stream is paused. */
const BODY_QUEUE = 4;

/**
 * Create an HTTP/2 upstream client.
 *
 * @param opts TLS, classification wait and SETTINGS
 * @returns a client with the `H1Client` interface
 */
export function createH2Client(opts: H2ClientOptions = {}): H1Client {
  const sessions = new Map<string, Session>();
  /** Per-endpoint `clientSession.idleTimeMs` (the shortest asked for), by authority. */
  const idleLimits = new Map<string, number>();
  /** Per-endpoint `clientSession.lifeTimeMs` (the shortest asked for), by authority. */
  const lifeLimits = new Map<string, number>();
  const waitMs = opts.classificationTimeoutMs ?? 100;
  const bufferLimit = opts.responseBufferBytes ?? 16383;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 3000;
  const tls = opts.tls;
  let closed = false;
  let connects = 0;
  let reused = 0;

  function session(host: string, port: number, onConnect?: () => void): Session {
    const key = authorityOf(host, port);
    const have = sessions.get(key);
    if (have && usable(have)) {
      reused++;
      return have;
    }
    connects++;
    onConnect?.();
    const url = `${tls ? "https" : "http"}://${key}`;
    const s = http2Module().connect(url, {
      ...(opts.settings ? { settings: opts.settings } : {}),
      ...(tls
        ? {
          servername: tls.commonName ?? (/^[\d.]+$|:/.test(host) ? undefined : host),
          ...(tls.caCerts.length > 0 ? { ca: [...tls.caCerts] } : {}),
          ALPNProtocols: ["h2"],
          // `disableValidation` trusts any certificate, as Linkerd's insecure trust manager does.
          ...(tls.disableValidation ? { rejectUnauthorized: false } : {}),
          // `clientAuth`: present a client certificate (mTLS origination).
          ...(tls.clientAuth ? { cert: tls.clientAuth.cert, key: tls.clientAuth.key } : {}),
          // `protocols`: the TLS versions offered.
          ...(tls.versions ?? {}),
        }
        : {}),
    } as http2.SecureClientSessionOptions);
    const entry: Session = {
      s,
      connected: false,
      failure: undefined,
      active: 0,
      waiting: [],
      idleMs: idleLimits.get(key) ?? 0,
      idleTimer: undefined,
      lifeTimer: undefined,
      expired: false,
      born: performance.now(),
    };
    sessions.set(key, entry);
    const lifeMs = lifeLimits.get(key);
    if (lifeMs !== undefined) armLife(entry, key, lifeMs);
    const timer = setTimeout(() => {
      if (!entry.connected) s.destroy(new Error(`connect timeout after ${connectTimeoutMs} ms`));
    }, connectTimeoutMs);
    Deno.unrefTimer(timer as unknown as number);
    s.on("connect", () => {
      entry.connected = true;
      clearTimeout(timer);
    });
    s.on("error", (e: unknown) => {
      entry.failure = e;
      clearTimeout(timer);
    });
    // Requests waiting for one of its streams move on to a new session at once: streams still
    // open on this one may run long after its GOAWAY.
    const flush = () => {
      for (const w of entry.waiting.splice(0)) w();
    };
    s.on("goaway", () => {
      if (sessions.get(key) === entry) sessions.delete(key);
      flush();
    });
    s.on("close", () => {
      clearTimeout(timer);
      clearTimeout(entry.idleTimer);
      clearTimeout(entry.lifeTimer);
      if (sessions.get(key) === entry) sessions.delete(key);
      flush();
    });
    return entry;
  }

  /**
   * Retire `sess` once it is `ms` old (Finagle's client ExpiringService life time, Linkerd's
   * `clientSession.lifeTimeMs`): later requests open a new session, and this one closes
   * gracefully (GOAWAY) once the streams open on it are done.
   */
  function armLife(sess: Session, key: string, ms: number): void {
    clearTimeout(sess.lifeTimer);
    const left = Math.max(0, ms - (performance.now() - sess.born));
    sess.lifeTimer = setTimeout(() => {
      sess.lifeTimer = undefined;
      sess.expired = true;
      if (sessions.get(key) === sess) sessions.delete(key);
      // Requests waiting for one of its streams go to the next session.
      for (const w of sess.waiting.splice(0)) w();
      // Its GOAWAY waits for its streams (release() closes it when the last one is done).
      if (sess.active === 0) closeWhenQuiet(sess);
    }, left);
    Deno.unrefTimer(sess.lifeTimer as unknown as number);
  }

  let ready = false;
  /** Requests sent again on a new session (see {@link redispatch}), and how often. */
  const redispatched = new WeakMap<H1Request, number>();

  /**
   * Send `req` on a new session: its session went away (GOAWAY, lost) before the request's
   * stream opened, so nothing of it was sent (RFC 9113 §6.8: such a request may be retried on a
   * new connection), and it is neither a failure of the endpoint nor the client's error.
   */
  function redispatch(host: string, port: number, req: H1Request): Promise<Response> {
    const n = (redispatched.get(req) ?? 0) + 1;
    if (n > MAX_REDISPATCH) {
      return Promise.reject(
        new StreamRefused(`h2 sessions to ${authorityOf(host, port)} kept going away`),
      );
    }
    redispatched.set(req, n);
    return request(host, port, req);
  }

  function request(host: string, port: number, req: H1Request): Promise<Response> {
    if (!ready) {
      return loadHttp2().then(() => {
        ready = true;
        return request(host, port, req);
      });
    }
    if (closed) return Promise.reject(new ConnectFailed("the h2 client is closed"));
    const signal = req.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    let sess: Session;
    try {
      sess = session(host, port, req.onConnect);
    } catch (e: unknown) {
      return Promise.reject(new ConnectFailed(`h2 connect to ${authorityOf(host, port)}: ${e}`));
    }
    const list = req.headers instanceof Headers ? [...req.headers] : req.headers;
    const head: http2.OutgoingHttpHeaders = {
      ":method": req.method,
      ":path": req.target,
      ":scheme": tls ? "https" : "http",
    };
    let grpc = false;
    for (const [rawName, value] of list) {
      const name = rawName.toLowerCase();
      if (name === "host") {
        head[":authority"] = value;
        continue;
      }
      if (name === "te") {
        // Only `te: trailers` may go on an HTTP/2 request (RFC 9113 §8.2.2).
        if (value.trim().toLowerCase() === "trailers") grpc = true;
        continue;
      }
      if (NOT_FORWARDED.has(name)) continue;
      if (name === "content-type" && value.startsWith("application/grpc")) grpc = true;
      const seen = head[name];
      if (seen === undefined) head[name] = value;
      else head[name] = Array.isArray(seen) ? [...seen, value] : [String(seen), value];
    }
    head[":authority"] ??= authorityOf(host, port);
    // The client's `te: trailers`; gRPC servers require it. HTTP/2 allows only this value.
    if (grpc) head["te"] = "trailers";
    if (sess.active >= streamLimit(sess)) {
      // The peer would refuse the stream (REFUSED_STREAM): wait for one of ours to close. A
      // request cancelled meanwhile (the client's RST_STREAM, its deadline) leaves the queue at
      // once: it was never sent, and must not stay pending until a stream frees.
      return new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
        const onAbort = () => {
          const i = sess.waiting.indexOf(wake);
          if (i >= 0) sess.waiting.splice(i, 1);
          reject(signal!.reason);
        };
        sess.waiting.push(wake);
        signal?.addEventListener("abort", onAbort, { once: true });
      }).then(() => {
        if (signal?.aborted) {
          sess.waiting.shift()?.(); // pass the slot on
          throw signal.reason;
        }
        if (!usable(sess)) return redispatch(host, port, req);
        return send(sess, host, port, req, head);
      });
    }
    return send(sess, host, port, req, head);
  }

  function send(
    sess: Session,
    host: string,
    port: number,
    req: H1Request,
    head: http2.OutgoingHttpHeaders,
  ): Promise<Response> {
    const signal = req.signal;
    sess.active++;
    if (sess.idleTimer !== undefined) {
      clearTimeout(sess.idleTimer);
      sess.idleTimer = undefined;
    }
    let released = false;
    const done = () => {
      if (released) return;
      released = true;
      release(sess);
    };
    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      let headed = false;
      let stream: http2.ClientHttp2Stream | undefined;
      const where = authorityOf(host, port);
      const fail = (e: unknown): void => {
        if (settled) return;
        settled = true;
        reject(e);
      };
      /** The stream was reset (RST_STREAM, or its connection was lost: `CANCEL`). */
      const reset = (when: string): unknown => {
        if (signal?.aborted) return signal.reason;
        const code = stream?.rstCode ?? 8;
        if (code === 7) {
          // Not processed by the peer (over its stream limit): requeued, and not the endpoint's
          // failure for accrual.
          return new StreamRefused(`h2 stream to ${where} was refused (REFUSED_STREAM)`);
        }
        if (!sess.connected) return new ConnectFailed(`h2 connect to ${where} failed`);
        return new StreamReset(`h2 stream to ${where} was reset ${when} (code ${code})`, code);
      };
      const classify = (e: unknown): unknown => {
        if (signal?.aborted) return signal.reason;
        const code = (e as { code?: string })?.code;
        if (code === "ERR_HTTP2_STREAM_ERROR" && stream?.rstCode !== undefined) {
          return reset(headed ? "mid-body" : "before a response");
        }
        const msg = e instanceof Error ? e.message : String(e);
        if (!sess.connected) {
          if (isLocalResourceLimit(e)) {
            return new LocalResourceExhausted(
              `h2 connect to ${where} failed: ${msg} (a limit of this proxy, not the endpoint's failure)`,
              { cause: e },
            );
          }
          return new ConnectFailed(`h2 connect to ${where} failed: ${msg}`, { cause: e });
        }
        return new UpstreamError(`h2 stream to ${where} failed: ${msg}`, { cause: e });
      };
      try {
        // A request with a body may end with trailers (an h2 client's): wait for the body's
        // end to send them, or an empty end when it had none.
        const trailers = req.body === null ? undefined : req.trailers;
        stream = sess.s.request(head, {
          endStream: req.body === null,
          ...(trailers ? { waitForTrailers: true } : {}),
        });
        stream.once("close", done);
        if (trailers) sendTrailersOf(stream, trailers);
      } catch (e: unknown) {
        done();
        const code = (e as { code?: string })?.code ?? "";
        if (SESSION_GONE.has(code)) {
          resolve(redispatch(host, port, req));
          return;
        }
        if (/HEADER|PSEUDO|INVALID/.test(code)) {
          reject(new BadRequest(`cannot send this request over HTTP/2: ${e}`));
        } else reject(classify(e));
        return;
      }
      const onAbort = () => {
        // Linkerd passes the client's reset on (CANCEL for any other cancellation).
        stream.close(abortResetCode(signal!.reason));
        fail(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const box: TrailerBox = { fields: undefined, ended: false };
      stream.on("trailers", (t: http2.IncomingHttpHeaders) => {
        box.fields = fieldList(t);
      });
      // Set once the response is handed out as a stream.
      let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
      let chunks: Uint8Array[] = [];
      let size = 0;
      let status = 0;
      let fields: [string, string][] = [];
      let timer: ReturnType<typeof setTimeout> | undefined;
      /** The error the body ends with once the chunks queued before it are read. */
      let failure: unknown;
      const noBody = () => req.method === "HEAD" || NULL_BODY.has(status);
      // The service's classification wait and buffer (Linkerd's per-service params).
      const wait = req.classificationTimeoutMs ?? waitMs;
      const limit = req.responseBufferBytes ?? bufferLimit;
      const hold = req.classification;
      /** The response outgrew the buffer while held: it goes on as a stream. */
      const tooLong = (): void => {
        if (settled) return;
        hold?.onTooLong();
        deliverStreaming();
      };

      const build = (body: BodyInit | null): Response => {
        const rsp = new Response(noBody() ? null : body, { status, headers: fields });
        attachTrailers(rsp, box); // filled as the stream goes on
        return rsp;
      };
      const deliverWhole = (): void => {
        if (settled) return;
        clearTimeout(timer);
        settled = true;
        signal?.removeEventListener("abort", onAbort);
        resolve(build(size === 0 ? null : concat(chunks, size) as Uint8Array<ArrayBuffer>));
        chunks = [];
      };
      const deliverStreaming = (): void => {
        if (settled) return;
        clearTimeout(timer);
        settled = true;
        const buffered = chunks;
        chunks = [];
        const body = new ReadableStream<Uint8Array>({
          start(c) {
            controller = c;
            for (const b of buffered) c.enqueue(b);
          },
          pull(c) {
            if (failure !== undefined && (c.desiredSize ?? 0) >= BODY_QUEUE) c.error(failure);
            else stream.resume();
          },
          cancel(reason: unknown) {
            signal?.removeEventListener("abort", onAbort);
            stream.close(abortResetCode(reason));
          },
        }, { highWaterMark: BODY_QUEUE });
        resolve(build(body));
      };
      /**
       * The stream broke. Before the response head the request fails; after it, the body fails
       * once what came before the break is read (a head held for classification goes out first,
       * as Linkerd's ClassifiedRetryFilter returns the response whose stream then fails).
       */
      const broken = (err: unknown): void => {
        clearTimeout(timer);
        if (!settled) {
          if (!headed) return fail(err);
          deliverStreaming();
        }
        if (!controller || failure !== undefined) return;
        failure = err;
        if ((controller.desiredSize ?? 0) < BODY_QUEUE) return; // chunks still queued: in pull
        try {
          controller.error(err);
        } catch {
          // already closed or cancelled
        }
      };
      stream.on("response", (h: http2.IncomingHttpHeaders, flags?: number) => {
        status = Number(h[":status"]);
        fields = fieldList(h);
        headed = true;
        // A head with END_STREAM (gRPC's trailers-only answer): its end follows at once.
        const ends = ((flags ?? 0) & END_STREAM) !== 0;
        // Body bytes and the end may be reported before the head (node:http2 in Deno).
        if (box.ended) deliverWhole();
        // Early classification: a head the classifier decides on is not held (Linkerd's
        // ClassifiedRetryFilter classifies the head first, and waits only when it cannot).
        else if (wait <= 0 || (!ends && hold?.classifiesHead(status, fields))) deliverStreaming();
        else if (size > limit) tooLong();
        else {
          timer = setTimeout(() => {
            hold?.onTimeout();
            deliverStreaming();
          }, wait);
        }
      });
      stream.on("data", (b: Uint8Array) => {
        const v = view(b);
        if (controller) {
          controller.enqueue(v);
          if ((controller.desiredSize ?? 1) <= 0) stream.pause();
          return;
        }
        chunks.push(v);
        size += v.length;
        if (size > limit && headed) tooLong();
      });
      stream.on("end", () => {
        signal?.removeEventListener("abort", onAbort);
        if (stream.rstCode) {
          // Not END_STREAM: the stream was reset, or the connection was lost, mid-body. The
          // body fails (the server resets its stream) instead of ending as if complete.
          endTrailers(box);
          broken(reset(headed ? "mid-body" : "before a response"));
          return;
        }
        endTrailers(box);
        if (!settled && headed) deliverWhole();
        else if (controller) {
          try {
            controller.close();
          } catch {
            // cancelled by the reader
          }
        }
      });
      stream.on("error", (e: unknown) => broken(classify(e)));
      stream.on("close", () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        const broke = !box.ended;
        endTrailers(box); // a reset stream has ended too: whoever waits classifies it now
        if (!settled || broke) broken(reset(headed ? "mid-body" : "before a response"));
      });
      const body = req.body;
      if (body instanceof Uint8Array) stream.end(body);
      else if (body !== null) void pump(body, stream, fail);
    });
  }

  return {
    request,
    async close(graceMs = 0) {
      closed = true;
      const all = [...sessions.values()];
      sessions.clear();
      await Promise.all(all.map((e) =>
        new Promise<void>((done) => {
          if (e.s.closed || e.s.destroyed) return done();
          const t = setTimeout(() => e.s.destroy(), graceMs);
          e.s.close(() => {
            clearTimeout(t);
            done();
          });
          e.s.once("close", () => {
            clearTimeout(t);
            done();
          });
        })
      ));
    },
    stats(): H1ClientStats {
      return { open: sessions.size, idle: 0, connects, reused };
    },
    connectionsTo(host, port) {
      const e = sessions.get(authorityOf(host, port));
      return e && !e.s.closed && !e.s.destroyed ? 1 : 0;
    },
    setLifeTime(host, port, ms) {
      const key = authorityOf(host, port);
      const was = lifeLimits.get(key);
      if (was !== undefined && was <= ms) return;
      lifeLimits.set(key, ms);
      // A session already open (another client's, to the same endpoint) gets it too.
      const e = sessions.get(key);
      if (e !== undefined) armLife(e, key, ms);
    },
    setIdleTimeout(host, port, ms) {
      const key = authorityOf(host, port);
      const was = idleLimits.get(key);
      if (was !== undefined && was <= ms) return;
      idleLimits.set(key, ms);
      const e = sessions.get(key);
      if (e !== undefined) {
        e.idleMs = ms;
        if (e.active === 0) armIdle(e);
      }
    },
  };
}

/**
 * Once `stream`'s body is sent, send the request's trailers (when its own stream has ended; none:
 * the stream ends without any, an empty DATA frame with END_STREAM).
 */
function sendTrailersOf(stream: http2.ClientHttp2Stream, box: TrailerBox): void {
  stream.once("wantTrailers", () =>
    whenEnded(box, () => {
      if (stream.destroyed || stream.closed) return;
      const t: http2.OutgoingHttpHeaders = {};
      for (const [k, v] of box.fields ?? []) {
        if (NOT_FORWARDED.has(k)) continue;
        const seen = t[k];
        t[k] = seen === undefined ? v : Array.isArray(seen) ? [...seen, v] : [String(seen), v];
      }
      try {
        stream.sendTrailers(t);
      } catch {
        stream.close(http2Module().constants.NGHTTP2_INTERNAL_ERROR);
      }
    }));
}

/** Copy a request body into the h2 stream; a client body that fails is a 400, not sent on. */
async function pump(
  body: ReadableStream<Uint8Array>,
  stream: http2.ClientHttp2Stream,
  fail: (e: unknown) => void,
): Promise<void> {
  try {
    await pipeBody(body, stream);
  } catch (e: unknown) {
    stream.close(http2Module().constants.NGHTTP2_CANCEL);
    fail(new BadRequest(`the request body failed: ${e instanceof Error ? e.message : e}`));
  }
}
