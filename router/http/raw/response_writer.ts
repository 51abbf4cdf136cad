/**
 * Serialise a web `Response` onto a raw HTTP/1.1 connection (RFC 9112 §4, §6, §7).
 *
 * - Status line `HTTP/1.1 <status> <reason>`, the reason from a table. Fields from
 *   `response.headers` (each `set-cookie` kept apart); `connection`, `keep-alive` and
 *   `transfer-encoding` set by the handler are replaced by the engine's own framing; `date` is
 *   added when absent (cached per second).
 * - No body for HEAD, 1xx, 204 and 304 (the handler's body is cancelled, its `content-length`
 *   kept). Otherwise the framing is, in order: bytes registered in {@link responseBytes}
 *   (content-length); the handler's `content-length` (the stream is held to exactly that many
 *   bytes, else the connection is closed); a body that ends after its first chunk
 *   (content-length); else chunked for HTTP/1.1 clients and close-delimited (`connection:
 *   close`) for HTTP/1.0 clients. A body that ended with trailer fields (a chunked upstream's,
 *   `bodyTrailers`) goes chunked to an HTTP/1.1 client, its last chunk followed by them, as
 *   Finagle writes `Chunk.last(trailers)`; an HTTP/1.0 client gets the body without them.
 * - The head and the first body bytes go out in one write. Each later write is awaited before
 *   the next read from the body stream (backpressure). When the client goes away the body
 *   stream is cancelled.
 *
 * @module
 */
import { encodeLatin1, latin1Bytes, putBytes, putField } from "../h1/_bytes.ts";
import type { ServerConn } from "./_conn.ts";
import { responseBytes } from "./response_bytes.ts";
import { type ChunkPool, recyclableBodies, smallBodies } from "./chunk_pool.ts";
import { reasonPhrase } from "./reason_phrase.ts";
import { peekResponse, utf8 } from "./_response_internals.ts";
import { type BodyTrailers, bodyTrailers } from "../../core/trailers.ts";

/** What the writer needs to know about the request being answered. */
export interface WriteTarget {
  /** The request was HEAD. */
  head: boolean;
  /** HTTP/1.minor of the request (0 or 1). */
  minor: number;
  /** The connection should stay open after this response if the framing allows it. */
  keepAlive: boolean;
  /** Current `date` value (from {@link DateCache}). */
  date: string;
}

/** The IMF-fixdate string for the current second, recomputed at most once a second. */
export class DateCache {
  #sec = -1;
  #value = "";

  /** @returns the `date` header value for now */
  value(): string {
    const now = Date.now();
    const sec = Math.floor(now / 1000);
    if (sec !== this.#sec) {
      this.#sec = sec;
      this.#value = new Date(now).toUTCString();
    }
    return this.#value;
  }
}

const NOT_YET = Promise.resolve(null);
const F_OTHER = 0, F_CONNECTION = 1, F_HOP = 2, F_LENGTH = 3, F_DATE = 4;

/** Which of the fields the writer handles itself `name` is (any case). */
function fieldId(name: string): number {
  switch (name.length) {
    case 4:
      return name.toLowerCase() === "date" ? F_DATE : F_OTHER;
    case 10: {
      const n = name.toLowerCase();
      return n === "connection" ? F_CONNECTION : n === "keep-alive" ? F_HOP : F_OTHER;
    }
    case 14:
      return name.toLowerCase() === "content-length" ? F_LENGTH : F_OTHER;
    case 17:
      return name.toLowerCase() === "transfer-encoding" ? F_HOP : F_OTHER;
    default:
      return F_OTHER;
  }
}
const LAST_CHUNK = new TextEncoder().encode("0\r\n\r\n");
const EMPTY = new Uint8Array(0);
const COPY_LIMIT = 256 * 1024;

/**
 * Write `rsp` as the answer to one request.
 *
 * The head is encoded field by field straight into the connection's write scratch (no head
 * string is built: issue 6, ~1 KB less garbage per response).
 *
 * @param c the client connection
 * @param rsp the handler's response
 * @param t request facts and the date
 * @returns true when the connection may carry another request afterwards
 * @throws when the socket write fails (the client went away); the body stream is cancelled first
 * @throws {UnsentResponse} when a streamed body failed before anything was written
 * @example
 * ```ts ignore
 * const keep = await writeResponse(conn, new Response("hi"), { head: false, minor: 1, keepAlive: true, date });
 * ```
 */
export function writeResponse(
  c: ServerConn,
  rsp: Response,
  t: WriteTarget,
): Promise<boolean> {
  const status = rsp.status;
  let keep = t.keepAlive;
  let o = putBytes(c, 0, statusLine(status));
  let cl = -1, hasDate = false;
  const parts = peekResponse(rsp);
  let bytes = responseBytes.get(rsp);
  let noBody = false;
  if (bytes === undefined && parts !== null && parts.body !== undefined) {
    if (parts.body === null) noBody = true;
    else bytes = typeof parts.body === "string" ? utf8(parts.body) : parts.body;
  }
  const fields = parts !== null ? parts.headers : [...rsp.headers];
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const k = f[0], v = f[1];
    switch (fieldId(k)) {
      case F_CONNECTION:
        if (/(^|[\s,])close($|[\s,])/i.test(v)) keep = false;
        continue;
      case F_HOP:
        continue;
      case F_LENGTH:
        if (bytes !== undefined && !t.head) continue;
        if (status < 200 || status === 204) continue; // never sent with these (RFC 9110 §8.6)
        cl = /^\d{1,15}$/.test(v) ? Number(v) : -1;
        if (cl < 0) continue;
        break;
      case F_DATE:
        hasDate = true;
        break;
    }
    o = putField(c, o, k, v);
  }
  if (!hasDate) o = putField(c, o, "date", t.date);

  if (t.head || status < 200 || status === 204 || status === 304) {
    const body = bytes !== undefined || noBody ? null : rsp.body;
    if (body !== null) body.cancel().catch(() => {});
    if (status < 200) keep = false; // a 1xx as a final answer: nothing sane can follow
    else if (t.head && cl === -1 && bytes !== undefined) {
      o = putField(c, o, "content-length", String(bytes.length)); // as Deno.serve does for HEAD
    }
    return written(c.write(endHead(c, o, keep, t.minor, 0, null)), keep);
  }

  if (bytes !== undefined) {
    o = putField(c, o, "content-length", String(bytes.length));
    const out = endHead(c, o, keep, t.minor, bytes.length, bytes);
    // Copied into the scratch with the head: the upstream client's pooled buffer goes back now
    // (`give` ignores any other buffer).
    if (bytes.length <= COPY_LIMIT) smallBodies.give(bytes);
    return written(c.write(out), keep);
  }
  const body = noBody ? null : rsp.body;
  if (body === null) {
    if (cl === -1) o = putField(c, o, "content-length", "0");
    else if (cl !== 0) keep = false;
    return written(c.write(endHead(c, o, keep, t.minor, 0, null)), keep);
  }
  return writeStreamBody(c, body, o, cl, keep, t.minor);
}

const KEEP = (): boolean => true;
const CLOSE = (): boolean => false;

/** `keep` once `write` is done (no closure, no async frame: the common case, issue 6). */
function written(write: Promise<void>, keep: boolean): Promise<boolean> {
  return write.then(keep ? KEEP : CLOSE);
}

/**
 * The response body failed before any byte of the response was written (e.g. the upstream's
 * chunked framing was invalid from the start): the caller can still answer with an error.
 */
export class UnsentResponse extends Error {
  /** @param cause the body stream's error */
  constructor(cause: unknown) {
    super(
      `the response body failed before it was sent: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
  }
}

/** Send a streamed body after the head fields in the scratch up to `o`. */
async function writeStreamBody(
  c: ServerConn,
  body: ReadableStream<Uint8Array>,
  o: number,
  cl: number,
  keep: boolean,
  minor: number,
): Promise<boolean> {
  const reader = body.getReader();
  // Chunks of an upstream body go back to their pool once written (chunk_pool.ts).
  const pool = recyclableBodies.get(body);
  try {
    let first: ReadableStreamReadResult<Uint8Array>;
    try {
      first = await reader.read();
      while (!first.done && first.value.length === 0) first = await reader.read();
    } catch (e: unknown) {
      throw new UnsentResponse(e); // nothing written yet: the server can still answer 502
    }
    if (cl !== -1) return await copyLength(c, reader, first, o, cl, keep, minor, pool);
    const trailers = bodyTrailers.get(body);
    if (first.done) {
      if (minor === 1 && trailers?.trailers) {
        return await copyChunked(c, reader, EMPTY, reader.read(), o, keep, pool, trailers);
      }
      o = putField(c, o, "content-length", "0");
      await c.write(endHead(c, o, keep, minor, 0, null));
      return keep;
    }
    const chunk = first.value;
    const second = reader.read();
    let settled: ReadableStreamReadResult<Uint8Array> | null;
    try {
      settled = await Promise.race([second, NOT_YET]);
    } catch (e: unknown) {
      pool?.give(chunk);
      throw new UnsentResponse(e);
    }
    if (settled !== null && settled.done && (minor === 0 || !trailers?.trailers)) {
      o = putField(c, o, "content-length", String(chunk.length));
      await c.write(endHead(c, o, keep, minor, chunk.length, chunk));
      if (chunk.length > COPY_LIMIT) await c.write(chunk);
      pool?.give(chunk);
      return keep;
    }
    if (minor === 0) return await copyClose(c, reader, chunk, second, o, pool);
    return await copyChunked(c, reader, chunk, second, o, keep, pool, trailers);
  } catch (e: unknown) {
    reader.cancel(e).catch(() => {});
    throw e;
  }
}

const STATUS_LINES = new Map<number, Uint8Array>();

/** `HTTP/1.1 <status> <reason>\r\n`, encoded once per status code. */
function statusLine(status: number): Uint8Array {
  let b = STATUS_LINES.get(status);
  if (b === undefined) {
    b = latin1Bytes(`HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n`);
    STATUS_LINES.set(status, b);
  }
  return b;
}

const CRLF = latin1Bytes("\r\n");
const CONN_CLOSE = latin1Bytes("connection: close\r\n\r\n");
const CONN_KEEP_ALIVE = latin1Bytes("connection: keep-alive\r\n\r\n");

/**
 * End the head at `o` in the scratch (`connection` field and the blank line), optionally with
 * the first `n` body bytes behind it.
 *
 * @returns the bytes to write: head (+ body)
 */
function endHead(
  c: ServerConn,
  o: number,
  keep: boolean,
  minor: number,
  n: number,
  body: Uint8Array | null,
): Uint8Array {
  o = putBytes(c, o, !keep ? CONN_CLOSE : minor === 0 ? CONN_KEEP_ALIVE : CRLF);
  if (body === null || n > COPY_LIMIT) return c.wbuf.subarray(0, o);
  const buf = c.scratch(o + n);
  buf.set(body, o);
  return buf.subarray(0, o + n);
}

async function copyLength(
  c: ServerConn,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  first: ReadableStreamReadResult<Uint8Array>,
  headEnd: number,
  cl: number,
  keep: boolean,
  minor: number,
  pool: ChunkPool | undefined,
): Promise<boolean> {
  let left = cl;
  let piece = first.done ? null : first.value;
  if (piece !== null && piece.length > left) piece = piece.subarray(0, left);
  const n = piece?.length ?? 0;
  const firstWrite = endHead(c, headEnd, keep, minor, n, piece);
  await c.write(firstWrite);
  if (piece !== null) {
    if (n > COPY_LIMIT) await c.write(piece);
    pool?.give(piece);
  }
  left -= n;
  while (left > 0) {
    if (c.eof) throw new Error("client went away");
    const r = await reader.read();
    if (r.done) return false; // short body: the client sees a truncated message
    const p = r.value.length > left ? r.value.subarray(0, left) : r.value;
    await c.write(p);
    pool?.give(p);
    left -= p.length;
  }
  const rest = await Promise.race([reader.read(), NOT_YET]);
  if (rest === null || !rest.done) {
    reader.cancel().catch(() => {});
    return rest === null ? keep : false; // longer than content-length: close
  }
  return keep;
}

async function copyChunked(
  c: ServerConn,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  chunk: Uint8Array,
  next: Promise<ReadableStreamReadResult<Uint8Array>>,
  headEnd: number,
  keep: boolean,
  pool: ChunkPool | undefined,
  trailers: BodyTrailers | undefined,
): Promise<boolean> {
  headEnd = putField(c, headEnd, "transfer-encoding", "chunked");
  const hb = endHead(c, headEnd, keep, 1, 0, null);
  const hl = hb.length;
  let piece: Uint8Array | null = chunk;
  let prefix = hl; // bytes of head already in scratch
  for (;;) {
    if (piece === null) {
      const fields = trailers?.trailers;
      if (fields) {
        // last-chunk, then the trailer section (RFC 9112 §7.1.2)
        let o = putBytes(c, prefix, LAST_CHUNK.subarray(0, 3));
        for (const f of fields) o = putField(c, o, f[0], f[1]);
        o = putBytes(c, o, CRLF);
        await c.write(c.wbuf.subarray(0, o));
        return keep;
      }
      if (prefix > 0) {
        const buf = c.scratch(prefix + LAST_CHUNK.length);
        buf.set(LAST_CHUNK, prefix);
        await c.write(buf.subarray(0, prefix + LAST_CHUNK.length));
      } else await c.write(LAST_CHUNK);
      return keep;
    }
    if (piece.length > 0) {
      const size = piece.length.toString(16);
      const n = piece.length;
      if (n <= COPY_LIMIT) {
        const buf = c.scratch(prefix + size.length + n + 4);
        let o = encodeLatin1(size, buf, prefix);
        buf[o++] = 13;
        buf[o++] = 10;
        buf.set(piece, o);
        o += n;
        buf[o++] = 13;
        buf[o++] = 10;
        await c.write(buf.subarray(0, o));
      } else {
        const buf = c.scratch(prefix + size.length + 2);
        let o = encodeLatin1(size, buf, prefix);
        buf[o++] = 13;
        buf[o++] = 10;
        await c.write(buf.subarray(0, o));
        await c.write(piece);
        await c.write(LAST_CHUNK.subarray(3));
      }
      pool?.give(piece);
      prefix = 0;
    }
    if (c.eof) throw new Error("client went away");
    const r = await next;
    if (r.done) piece = null;
    else {
      piece = r.value;
      next = reader.read();
    }
  }
}

async function copyClose(
  c: ServerConn,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  chunk: Uint8Array,
  next: Promise<ReadableStreamReadResult<Uint8Array>>,
  headEnd: number,
  pool: ChunkPool | undefined,
): Promise<boolean> {
  await c.write(endHead(c, headEnd, false, 0, chunk.length, chunk));
  if (chunk.length > COPY_LIMIT) await c.write(chunk);
  pool?.give(chunk);
  for (;;) {
    if (c.eof) throw new Error("client went away");
    const r = await next;
    if (r.done) return false;
    next = reader.read();
    if (r.value.length > 0) await c.write(r.value);
    pool?.give(r.value);
  }
}
