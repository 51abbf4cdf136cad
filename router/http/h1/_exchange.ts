/**
 * One request/response exchange on one connection. Folder-private.
 *
 * The exchange owns the connection until both directions end. It goes back to the pool only
 * when the request body was fully sent, the response body fully read, nothing extra arrived
 * and the response allows keep-alive; otherwise it is closed. If the response ends while a
 * streamed request body is still being sent, the upload is cancelled and the connection closed.
 * An abort of `signal`, a cancel of the response body, a failing request body or `close()` of
 * the client closes the connection. The exchange is its stream's underlying source and its
 * signal's abort listener, so a streamed response costs no closures.
 *
 * @module
 */
import { responseBytes } from "../raw/response_bytes.ts";
import { recyclableBodies, smallBodies, streamChunks } from "../raw/chunk_pool.ts";
import { BadRequest, findSwitchyardError, UpstreamError } from "../../core/errors.ts";
import { offAbort, onAbort } from "../../core/abort.ts";
import { ChunkedDecoder } from "./chunked.ts";
import { bodyTrailers } from "../../core/trailers.ts";
import type { Conn } from "./_conn.ts";
import type { Pool } from "./_pool.ts";
import {
  bodyAfterHead,
  type PreparedRequest,
  SendError,
  writeBytesBody,
  writeHead,
  writeStreamBody,
} from "./_request.ts";
import { type BodyReader, EofReader, LengthReader } from "./_response_body.ts";
import { makeResponse, makeViewResponse } from "./_response_internals.ts";
import {
  findHeadEnd,
  markHttp10Response,
  parseResponseHead,
  type ResponseHead,
  type ResponseHeadLimits,
  responseHeadTooLong,
} from "./response_head.ts";

/** Limits an exchange enforces. */
export interface ExchangeLimits {
  maxHead: number;
  smallBody: number;
}

/**
 * A reused connection died before any response byte: the caller may replay on a fresh one when
 * `replayable` (the body can be sent again, and either the method is idempotent or the head never
 * left: RFC 9112 §9.3.1 forbids retrying a non-idempotent request the upstream may have read).
 */
export class StaleConnection extends Error {
  constructor(readonly replayable: boolean, readonly error: UpstreamError) {
    super(error.message, { cause: error });
    this.name = "StaleConnection";
  }
}

/** The upstream closed before sending a single byte. */
class PeerClosed extends UpstreamError {}

const MAX_INTERIM = 32;

/** Runs one exchange; create one per attempt. */
export class Exchange implements UnderlyingDefaultSource<Uint8Array> {
  readonly #c: Conn;
  readonly #pool: Pool;
  readonly #key: string;
  readonly #limits: ExchangeLimits;
  readonly #headLimits: ResponseHeadLimits | undefined;
  readonly #maxHead: number;
  readonly #signal: AbortSignal | undefined;
  readonly #received0: number;
  readonly #interim: ((status: number, headers: [string, string][]) => void) | undefined;
  /** A small body goes into the small-body pool (`H1Request.pooledBody`). */
  readonly #pooled: boolean;
  #settled = false;
  #failed = false;
  #error: unknown = undefined;
  #reqDone = true;
  #resDone = false;
  #keepAlive = false;
  #keepAliveMs = -1;
  #touched = false;
  #headDone = false;
  /** The request may be sent again after a stale connection even once written (idempotent). */
  #replaySafe = true;
  /** The head's write resolved: the upstream may have read the request. */
  #sent = false;
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  #ctrl: ReadableStreamDefaultController<Uint8Array> | null = null;
  #body: BodyReader | null = null;

  constructor(
    c: Conn,
    pool: Pool,
    key: string,
    limits: ExchangeLimits,
    signal: AbortSignal | undefined,
    headLimits?: ResponseHeadLimits | undefined,
    interim?: ((status: number, headers: [string, string][]) => void) | undefined,
    pooled = false,
  ) {
    this.#interim = interim;
    this.#pooled = pooled;
    this.#c = c;
    this.#pool = pool;
    this.#key = key;
    this.#limits = limits;
    this.#headLimits = headLimits;
    // A head within `headLimits` is never cut short by the client's own cap (a field line costs
    // at least as many bytes as its CRLF).
    this.#maxHead = headLimits === undefined
      ? limits.maxHead
      : Math.max(limits.maxHead, 2 * (headLimits.maxLineBytes + headLimits.maxFieldBytes) + 4);
    this.#signal = signal;
    this.#received0 = c.received;
  }

  /**
   * Send `p` and resolve with the response once its head arrived.
   *
   * @param onStale what answers instead when a reused connection died before any response byte
   *   (the client's retry on a fresh connection); called here, so the common path needs no
   *   promise reaction of its own (issue 6)
   * @throws {StaleConnection} when a reused connection died before any response byte, without
   *   `onStale`
   * @throws {UpstreamError} for any other failure; the signal's reason on abort
   */
  async run(
    p: PreparedRequest,
    onStale?: (e: StaleConnection) => Promise<Response>,
  ): Promise<Response> {
    const signal = this.#signal;
    if (signal !== undefined) {
      if (signal.aborted) {
        this.#fail(signal.reason);
        throw signal.reason;
      }
      onAbort(signal, this.#onAbort);
    }
    this.#replaySafe = p.idempotent;
    try {
      await writeHead(this.#c, p);
      this.#sent = true;
      if (bodyAfterHead(p)) this.#upload(writeBytesBody(this.#c, p.bytes as Uint8Array));
      else if (p.stream !== null) {
        const reader = p.stream.getReader();
        this.#reader = reader;
        this.#touched = true; // from here on the stream cannot be replayed
        const pool = recyclableBodies.get(p.stream);
        const trailers = bodyTrailers.get(p.stream);
        this.#upload(writeStreamBody(this.#c, reader, p.streamLength, pool, trailers));
      }
      // The head is read here, not in an async helper of its own (one async frame less per
      // request, issue 6): `#head()` parses what the buffer holds, `fill()` reads more. 1xx
      // heads are skipped, up to MAX_INTERIM of them.
      let h: ResponseHead | null;
      for (let interim = 0;; interim++) {
        h = this.#head(0);
        while (h === null) {
          const from = Math.max(0, this.#c.e - this.#c.s - 3); // resume the scan after a read
          if (!await this.#c.fill()) throw this.#closedInHead();
          h = this.#head(from);
        }
        if (this.#headLimits !== undefined) {
          const tooLong = responseHeadTooLong(h, this.#headLimits, this.#key);
          if (tooLong !== null) throw tooLong;
        }
        if (h.status >= 200) break;
        if (h.status === 101) {
          throw new UpstreamError(`${this.#key} answered 101: upgrades are not supported`);
        }
        if (h.status !== 100 && this.#interim !== undefined) this.#interim(h.status, h.headers);
        if (interim === MAX_INTERIM) {
          throw new UpstreamError(`${this.#key} sent over ${MAX_INTERIM} 1xx responses`);
        }
      }
      this.#headDone = true;
      // A bodyless or already-buffered response is returned as is: `return await` of a plain
      // value still costs a promise and a microtask turn (issue 6).
      const r = this.#respond(h, p.isHead, p.isConnect);
      const res = r instanceof Promise ? await r : r;
      return h.minor === 0 ? markHttp10Response(res) : res;
    } catch (e: unknown) {
      const err = this.#failWith(e);
      if (onStale !== undefined && err instanceof StaleConnection) return onStale(err);
      throw err;
    }
  }

  /** Abort hook (`../../core/abort.ts`): the caller's signal fired. */
  readonly #onAbort = (): void => {
    this.#fail((this.#signal as AbortSignal).reason);
  };

  start(ctrl: ReadableStreamDefaultController<Uint8Array>): void {
    this.#ctrl = ctrl;
  }

  async pull(ctrl: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    try {
      const chunk = await (this.#body as BodyReader).next();
      if (this.#failed) return;
      if (chunk !== null) return ctrl.enqueue(chunk);
      ctrl.close();
      this.#responseDone(this.#keepAlive);
    } catch (e: unknown) {
      this.#failWith(e); // errors the stream
    }
  }

  cancel(reason: unknown): void {
    this.#ctrl = null;
    this.#fail(reason ?? new UpstreamError("response body cancelled"));
  }

  /**
   * The response head the buffer holds, parsed and consumed, or null when it is not complete yet
   * (scan from `from`, relative to the unread start).
   *
   * @throws {UpstreamError} when the head is over the limit
   */
  #head(from: number): ResponseHead | null {
    const c = this.#c, max = this.#maxHead;
    const end = findHeadEnd(c.buf, c.s + from, c.e);
    if (end >= 0) {
      if (end - c.s > max) {
        throw new UpstreamError(`${this.#key} sent a response head over ${max} bytes`);
      }
      const h = parseResponseHead(c.buf, c.s, end);
      c.s = end;
      return h;
    }
    if (c.e - c.s >= max) {
      throw new UpstreamError(`${this.#key} sent a response head over ${max} bytes`);
    }
    return null;
  }

  /** The error for a connection that ended before a whole head arrived. */
  #closedInHead(): Error {
    if (this.#c.received === this.#received0) {
      return new PeerClosed(`${this.#key} closed the connection without responding`);
    }
    return new UpstreamError(`${this.#key} closed the connection inside a response head`);
  }

  /** The response for head `h`: at once when its body is absent, streamed or already buffered. */
  #respond(h: ResponseHead, isHead: boolean, isConnect: boolean): Response | Promise<Response> {
    const c = this.#c, st = h.status, cl = h.contentLength;
    this.#keepAliveMs = h.keepAliveMs;
    if (isConnect && st >= 200 && st < 300) {
      // A 2xx to CONNECT starts a tunnel (RFC 9110 §9.3.6): no body, and nothing else can follow
      // on this connection, which the h1 client does not tunnel.
      const res = makeResponse(st, h.reason, h.headers, null);
      this.#responseDone(false);
      return res;
    }
    if (isHead || st === 204 || st === 304 || st === 205) {
      // 205 must not have content; unless it says so with content-length: 0, do not reuse.
      const res = makeResponse(st, h.reason, h.headers, null);
      this.#responseDone(h.keepAlive && (st !== 205 || cl === 0));
      return res;
    }
    if (cl >= 0 && cl <= this.#limits.smallBody) {
      c.reserve(cl);
      // Usually the body came with the head: no async step (issue 6).
      return c.e - c.s < cl ? this.#fillSmall(h, cl) : this.#small(h, cl);
    }
    const chunked = h.chunked ? new ChunkedDecoder(c, this.#limits.maxHead) : null;
    this.#body = chunked ?? (cl >= 0 ? new LengthReader(c, cl) : new EofReader(c));
    this.#keepAlive = h.keepAlive && (h.chunked || cl >= 0);
    const stream = new ReadableStream<Uint8Array>(this, { highWaterMark: 0 });
    recyclableBodies.set(stream, streamChunks); // its chunks come from there, untouched
    // Its trailer fields, known when the stream closes, for the server to send on.
    if (chunked !== null) bodyTrailers.set(stream, chunked);
    return makeResponse(st, h.reason, h.headers, stream);
  }

  /** Read the rest of a small body into the buffer, then answer as {@link #small}. */
  async #fillSmall(h: ResponseHead, cl: number): Promise<Response> {
    const c = this.#c;
    while (c.e - c.s < cl) {
      if (!await c.fill()) {
        throw new UpstreamError(
          `${this.#key} closed the connection mid-body (${c.e - c.s} of ${cl} bytes)`,
        );
      }
    }
    return this.#small(h, cl);
  }

  /** A response whose `cl`-byte body is in the buffer. */
  #small(h: ResponseHead, cl: number): Response {
    const c = this.#c;
    // The raw front end writes registered bytes straight to the client (no body stream). A
    // copy out of the connection buffer, which is free for the next exchange: for the raw
    // engine into a pooled buffer it gives back once it has copied the bytes out
    // (`smallBodies`), the response's own body made from them only if something reads it
    // (`makeViewResponse`); for anyone else a buffer of its own that the response takes as its
    // static body as is (the fallback `new Response` copies it once more). `Deno.serve` sends a
    // lazy body through a stream: 16 KiB bodies cost it ~50% more CPU (measured), so it gets
    // the static one.
    let res: Response;
    if (cl === 0) res = makeResponse(h.status, h.reason, h.headers, null);
    else {
      let bytes: Uint8Array<ArrayBuffer>;
      if (this.#pooled) {
        bytes = smallBodies.take(cl);
        bytes.set(c.buf.subarray(c.s, c.s + cl));
        res = makeViewResponse(h.status, h.reason, h.headers, bytes);
      } else {
        bytes = c.buf.slice(c.s, c.s + cl);
        res = makeResponse(h.status, h.reason, h.headers, bytes);
      }
      responseBytes.set(res, bytes);
    }
    c.s += cl;
    this.#responseDone(h.keepAlive);
    return res;
  }

  /**
   * Track the body upload running beside the response read. When the socket refuses a write the
   * upstream may already have answered (e.g. an early 413 before a lingering close), so reading
   * goes on and only the connection's reuse is lost; any other upload failure (the body stream
   * errored, or broke its content-length) ends the exchange: with the client's `BadRequest` when
   * the inbound body was at fault, else `UpstreamError`.
   */
  #upload(task: Promise<void>): void {
    this.#reqDone = false;
    task.then(
      () => {
        this.#reqDone = true;
        if (this.#resDone) this.#finish();
      },
      (e: unknown) => {
        if (e instanceof SendError) {
          this.#reader?.cancel(e.cause).catch(() => {});
          return;
        }
        // The client's own body broke (bad chunking, a close mid-upload): its fault, a 400, and
        // nothing to hold against the endpoint.
        const bad = findSwitchyardError(e);
        if (bad instanceof BadRequest) return this.#fail(bad);
        const msg = e instanceof Error ? e.message : String(e);
        this.#fail(
          new UpstreamError(`sending the request body to ${this.#key} failed: ${msg}`, {
            cause: e,
          }),
        );
      },
    );
  }

  #responseDone(keepAlive: boolean): void {
    this.#resDone = true;
    this.#keepAlive = keepAlive;
    if (this.#reqDone) return this.#finish();
    // The upstream answered before taking the whole body; drop the connection, then stop the
    // upload (closing first, so a cancelled stream can never be framed as a complete body).
    this.#settle();
    this.#c.close();
    this.#reader?.cancel().catch(() => {});
  }

  #finish(): void {
    if (this.#settled) return;
    this.#settle();
    const c = this.#c;
    c.uses++;
    if (this.#keepAlive && c.s === c.e && !c.closed) this.#pool.release(c, this.#keepAliveMs);
    else c.close();
  }

  #settle(): void {
    this.#settled = true;
    if (this.#signal !== undefined) offAbort(this.#signal, this.#onAbort);
  }

  /** End the exchange with `err`: close the connection, stop the upload, error the body stream. */
  #fail(err: unknown): void {
    if (this.#settled) return;
    this.#settle();
    this.#failed = true;
    this.#error = err;
    this.#c.close();
    this.#reader?.cancel(err).catch(() => {});
    try {
      this.#ctrl?.error(err);
    } catch { /* stream already closed */ }
  }

  /** Map a thrown value to what the caller sees, failing the exchange if it is still running. */
  #failWith(e: unknown): unknown {
    if (this.#failed) return this.#error;
    const c = this.#c;
    const stale = !this.#headDone && c.uses > 0 && c.received === this.#received0 && peerGone(e);
    let err: unknown = e;
    if (this.#pool.forced) {
      err = new UpstreamError(`h1 client closed during the exchange with ${this.#key}`, {
        cause: e,
      });
    } else if (!(e instanceof UpstreamError)) {
      const msg = e instanceof Error ? e.message : String(e);
      err = new UpstreamError(`${this.#key}: ${msg}`, { cause: e });
    }
    this.#fail(err);
    return stale && !this.#pool.closed
      ? new StaleConnection(
        !this.#touched && (this.#replaySafe || !this.#sent),
        err as UpstreamError,
      )
      : err;
  }
}

function peerGone(e: unknown): boolean {
  return e instanceof PeerClosed || e instanceof Deno.errors.ConnectionReset ||
    e instanceof Deno.errors.BrokenPipe || e instanceof Deno.errors.ConnectionAborted ||
    e instanceof Deno.errors.UnexpectedEof;
}
