/**
 * Request side of an exchange: build the head once as one string, write it (with a small byte
 * body) in one `write`, and stream a body with backpressure. Folder-private.
 *
 * Framing is the client's: caller `content-length` / `transfer-encoding` fields are not copied.
 * Byte bodies get `content-length`; a stream gets the caller's `content-length` (verified while
 * sending) or `transfer-encoding: chunked`; a null body gets `content-length: 0` on POST, PUT and
 * PATCH and nothing otherwise. A missing `host` is filled in from the endpoint.
 *
 * @module
 */
import type { ChunkPool } from "../raw/chunk_pool.ts";
import type { BodyTrailers } from "../../core/trailers.ts";
import { BadRequest, findSwitchyardError } from "../../core/errors.ts";
import { encodeLatin1, FVAL, putField, putLatin1, TCHAR } from "./_bytes.ts";
import type { Conn } from "./_conn.ts";

/** `String.prototype.charCodeAt` for `charCodeAt.call(s, i)`: see `router/http/h1/_bytes.ts`. */
const charCodeAt = String.prototype.charCodeAt;

/**
 * A request ready to be written, possibly several times (stale-connection retry). The head is
 * kept as its parts and encoded straight into the connection's scratch on each write (no head
 * string: issue 6); {@link headText} gives it as text.
 */
export interface PreparedRequest {
  /** Request line, CRLF included. */
  line: string;
  /** The caller's fields to send as they are (framing fields already removed). */
  fields: readonly (readonly [string, string])[];
  /** Fields the client adds (host, framing) and the blank line. */
  tail: string;
  /** HEAD request: the response has no body whatever it says. */
  isHead: boolean;
  /**
   * An origin-form `CONNECT` (`CONNECT / HTTP/1.1`, sent as any request, as Linkerd does): a 2xx
   * answer has no body and ends the connection's use (RFC 9110 §9.3.6).
   */
  isConnect: boolean;
  /**
   * An idempotent method (RFC 9110 §9.2.2: GET, HEAD, OPTIONS, TRACE, PUT, DELETE): one the
   * client may send again after a reused connection died before answering (RFC 9112 §9.3.1).
   */
  idempotent: boolean;
  /** Byte body, or null. */
  bytes: Uint8Array | null;
  /** Streamed body, or null. */
  stream: ReadableStream<Uint8Array> | null;
  /** Declared length of `stream`, or -1 for chunked. */
  streamLength: number;
}

/**
 * The head of a prepared request as text (tests, logs).
 *
 * @returns request line, fields and blank line
 */
export function headText(p: PreparedRequest): string {
  let h = p.line;
  for (const [k, v] of p.fields) h += k + ": " + v + "\r\n";
  return h + p.tail;
}

// Per-request checks walk the parsers' byte tables instead of running a regular expression each
// (issue 6: ~16 tests a request; with header strings sliced from a parsed head, a prepareRequest
// call went from 0.63–0.67 to 0.53–0.56 µs).

/** A non-empty token (RFC 9110 §5.6.2): the `[!#$%&'*+\-.^_`|~0-9A-Za-z]+` of old. */
function isToken(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = charCodeAt.call(s, i);
    if (c > 0xff || TCHAR[c] !== 1) return false;
  }
  return true;
}

/** A field value: HTAB, SP, VCHAR and obs-text only (`[\t\x20-\x7e\x80-\xff]*`). */
function isFieldValue(s: string): boolean {
  const n = s.length; // read once: a load on a mixed-representation string is megamorphic
  for (let i = 0; i < n; i++) {
    const c = charCodeAt.call(s, i);
    if (c > 0xff || FVAL[c] === 0) return false;
  }
  return true;
}

/** Non-empty and visible ASCII only (`[\x21-\x7e]+`): a request target. */
function isVisible(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = charCodeAt.call(s, i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}
const DIGITS = /^[0-9]{1,15}$/;
const HOSTNAME = /^[\x21-\x7e]+$/;
/** Byte bodies up to this size are copied behind the head and sent in the same write. */
const INLINE_BODY = 16 * 1024;
/** Stream chunks up to this size are framed in the scratch buffer and sent in one write. */
const INLINE_CHUNK = 16 * 1024;
const enc = new TextEncoder();
const LAST_CHUNK = enc.encode("0\r\n\r\n");
const CRLF_LAST_CHUNK = enc.encode("\r\n0\r\n\r\n");

/**
 * Validate the request and build its head. With `http10` the request line says HTTP/1.0 and
 * `connection: keep-alive` asks to keep the connection (HTTP/1.0 closes by default); a streamed
 * body of unknown length needs chunked framing, which HTTP/1.0 lacks, so that request stays 1.1.
 *
 * @throws {TypeError} for a bad port, method, target or field, a CONNECT to anything but an
 *   origin-form target (tunnels are `connect.ts`'s), a locked body stream,
 *   or a content-length that contradicts a byte or null body
 */
export function prepareRequest(
  host: string,
  port: number,
  method: string,
  target: string,
  headers: Headers | [string, string][],
  body: ReadableStream<Uint8Array> | Uint8Array | null,
  http10 = false,
): PreparedRequest {
  if (!isToken(method)) throw new TypeError(`invalid method ${JSON.stringify(method)}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TypeError(`invalid port ${port}`);
  }
  if (method === "CONNECT" && target[0] !== "/") {
    throw new TypeError("the h1 client sends CONNECT with an origin-form target only");
  }
  if (!isVisible(target)) throw new TypeError(`invalid request target ${JSON.stringify(target)}`);
  let line = method + " " + target + " HTTP/1.1\r\n";
  let tail = "";
  let hasHost = false, declared: string | null = null, framing = false;
  const list: readonly (readonly [string, string])[] = headers instanceof Headers
    ? [...headers] // Headers already holds valid names and values
    : headers;
  const trusted = headers instanceof Headers;
  for (let i = 0; i < list.length; i++) {
    const f = list[i]!;
    const name = f[0], value = f[1];
    const n = name.length;
    if (!trusted && (!isToken(name) || !isFieldValue(value))) {
      throw new TypeError(`invalid request field ${JSON.stringify(name)}`);
    }
    if (n === 4 && !hasHost && name.toLowerCase() === "host") hasHost = true;
    else if (n === 14 && name.toLowerCase() === "content-length") {
      const v = value.trim();
      if (!DIGITS.test(v) || (declared !== null && declared !== v)) {
        throw new TypeError(`invalid content-length ${JSON.stringify(value)}`);
      }
      declared = v;
      framing = true;
    } else if (n === 17 && name.toLowerCase() === "transfer-encoding") framing = true;
  }
  // Framing is the client's: a copy without the caller's framing fields (rare: bodies only).
  const fields = framing ? list.filter(([k]) => !isFraming(k)) : list;
  if (!hasHost) {
    if (!HOSTNAME.test(host)) throw new TypeError(`invalid host ${JSON.stringify(host)}`);
    tail += "host: " + (host.includes(":") ? `[${host}]` : host) + ":" + port + "\r\n";
  }
  let stream: ReadableStream<Uint8Array> | null = null, bytes: Uint8Array | null = null;
  let streamLength = -1;
  if (body === null) {
    if (declared !== null && Number(declared) !== 0) {
      throw new TypeError("content-length given for a null body");
    }
    if (method === "POST" || method === "PUT" || method === "PATCH") {
      tail += "content-length: 0\r\n";
    }
  } else if (body instanceof Uint8Array) {
    if (declared !== null && Number(declared) !== body.length) {
      throw new TypeError(`content-length ${declared} does not match the ${body.length}-byte body`);
    }
    bytes = body;
    tail += "content-length: " + body.length + "\r\n";
  } else {
    if (body.locked) throw new TypeError("request body stream is locked");
    stream = body;
    if (declared !== null) {
      streamLength = Number(declared);
      tail += "content-length: " + streamLength + "\r\n";
    } else tail += "transfer-encoding: chunked\r\n";
  }
  if (http10 && (stream === null || streamLength >= 0)) {
    line = method + " " + target + " HTTP/1.0\r\n";
    tail += "connection: keep-alive\r\n";
  }
  return {
    line,
    fields,
    tail: tail + "\r\n",
    isHead: method === "HEAD",
    isConnect: method === "CONNECT",
    idempotent: isIdempotent(method),
    bytes,
    stream,
    streamLength,
  };
}

function isIdempotent(method: string): boolean {
  return method === "GET" || method === "HEAD" || method === "PUT" || method === "DELETE" ||
    method === "OPTIONS" || method === "TRACE";
}

function isFraming(name: string): boolean {
  const n = name.length;
  return (n === 14 && name.toLowerCase() === "content-length") ||
    (n === 17 && name.toLowerCase() === "transfer-encoding");
}

/** The socket refused a write: the upstream may still have sent a response worth reading. */
export class SendError extends Error {
  constructor(cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = "SendError";
  }
}

async function send(c: Conn, b: Uint8Array): Promise<void> {
  try {
    await c.write(b);
  } catch (e: unknown) {
    throw new SendError(e);
  }
}

/** Whether {@link writeHead} leaves a (larger) byte body to {@link writeBytesBody}. */
export function bodyAfterHead(p: PreparedRequest): boolean {
  const body = p.bytes;
  return body !== null && body.length > INLINE_BODY;
}

/**
 * Write the head, with a byte body of up to 16 KiB behind it, in one write. Not async: the
 * write's own promise is returned (issue 6).
 *
 * @returns the write; see {@link bodyAfterHead} for what is left
 */
export function writeHead(c: Conn, p: PreparedRequest): Promise<void> {
  const body = p.bytes;
  const inline = body !== null && body.length <= INLINE_BODY ? body.length : 0;
  let end = putLatin1(c, 0, p.line);
  const fields = p.fields;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    end = putField(c, end, f[0], f[1]);
  }
  end = putLatin1(c, end, p.tail);
  if (inline > 0) {
    c.scratch(end + inline).set(body as Uint8Array, end);
    end += inline;
  }
  return c.write(c.scratch(end).subarray(0, end));
}

/**
 * Send a large byte body; runs while the response is read, so an early answer is not blocked.
 *
 * @throws {SendError} when the socket refuses it
 */
export function writeBytesBody(c: Conn, body: Uint8Array): Promise<void> {
  return send(c, body);
}

/**
 * Send a streamed body: each chunk is awaited on the socket before the next is read, so a slow
 * upstream slows the producer. Reads through `reader`, which the caller may cancel. When the
 * stream's chunks come from `pool` (the raw engine's request bodies: `../raw/chunk_pool.ts`),
 * each goes back to it once written. A chunked body ends with `trailers`' fields when it has some.
 *
 * @throws {SendError} when the socket refuses a write
 * @throws {BadRequest} when reading the body fails (the client's stream broke: `Deno.serve`'s
 *   "Cannot read request body…" on a client that closed inside it), unless it failed with a
 *   router error (kept)
 * @throws {Error} on a chunk that is not a Uint8Array, or a length mismatch
 */
export async function writeStreamBody(
  c: Conn,
  reader: ReadableStreamDefaultReader<Uint8Array>,
  length: number,
  pool?: ChunkPool,
  trailers?: BodyTrailers,
): Promise<void> {
  let sent = 0, pendingCrlf = false;
  for (;;) {
    let r: ReadableStreamReadResult<Uint8Array>;
    try {
      r = await reader.read();
    } catch (e: unknown) {
      throw bodyReadFailed(e);
    }
    if (r.done) break;
    const chunk: unknown = r.value;
    if (!(chunk instanceof Uint8Array)) {
      throw new TypeError("request body chunk is not a Uint8Array");
    }
    const n = chunk.length;
    if (n === 0) continue;
    if (length >= 0) {
      if (sent + n > length) {
        throw new Error(`request body is longer than content-length ${length}`);
      }
      sent += n;
      await send(c, chunk);
    } else {
      const line = (pendingCrlf ? "\r\n" : "") + n.toString(16) + "\r\n";
      if (n <= INLINE_CHUNK) {
        const buf = c.scratch(line.length + n + 2);
        const o = encodeLatin1(line, buf, 0);
        buf.set(chunk, o);
        buf[o + n] = 13;
        buf[o + n + 1] = 10;
        await send(c, buf.subarray(0, o + n + 2));
        pendingCrlf = false;
      } else {
        const buf = c.scratch(line.length);
        await send(c, buf.subarray(0, encodeLatin1(line, buf, 0)));
        await send(c, chunk);
        pendingCrlf = true;
      }
    }
    pool?.give(chunk);
  }
  if (length >= 0) {
    if (sent !== length) throw new Error(`request body ended after ${sent} of ${length} bytes`);
  } else if (trailers?.trailers) {
    // The client's chunked body ended with trailer fields: they end this one too (Finagle
    // streams `Chunk.last(trailers)` on to the upstream).
    let tail = pendingCrlf ? "\r\n0\r\n" : "0\r\n";
    for (const f of trailers.trailers) tail += f[0] + ": " + f[1] + "\r\n";
    tail += "\r\n";
    const buf = c.scratch(tail.length);
    await send(c, buf.subarray(0, encodeLatin1(tail, buf, 0)));
  } else await send(c, pendingCrlf ? CRLF_LAST_CHUNK : LAST_CHUNK);
}

/** The client's body stream failed: its fault (400), nothing against the endpoint. */
function bodyReadFailed(e: unknown): unknown {
  if (findSwitchyardError(e) !== undefined) return e;
  return new BadRequest(`reading the request body failed: ${e instanceof Error ? e.message : e}`);
}
