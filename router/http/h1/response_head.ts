/**
 * Strict HTTP/1.1 response-head parser (RFC 9112 §4–§6) driven by byte tables: one validating
 * pass over the bytes, one Latin-1 decode of the whole head, then substrings for the kept fields.
 *
 * Decisions (each rejection is an `UpstreamError`):
 * - Lines end in CRLF. Bare LF and bare CR are rejected (RFC 9112 §2.2 allows a recipient to
 *   accept bare LF; a proxy that does so disagrees with stricter peers about where a message ends).
 * - Status line: `HTTP/1.x SP 3DIGIT [SP reason]`, status 100–599; a missing SP before an empty
 *   reason is tolerated. HTTP/1.0 and 1.1 get their own keep-alive defaults; 1.2–1.9 count as 1.1.
 * - Bytes are never decoded as UTF-8: the head is decoded as Latin-1, so the web `Headers` built
 *   from it carry each byte as one code unit and `Deno.serve` writes the same bytes back.
 * - Field names are tchar, then `:` with no whitespace before it; values are field-vchar / SP /
 *   HTAB / obs-text, OWS-trimmed; obs-text is kept byte-for-byte as Latin-1 code units.
 *   obs-fold, and any whitespace-led line, is rejected.
 * - Content-Length: 1*DIGIT, at most one field, no lists (`42, 42` is rejected too), ≤ 2^53.
 * - Transfer-Encoding: exactly one `chunked` coding, nothing else (`gzip, chunked` is rejected:
 *   the client decodes only chunked). TE with Content-Length, or in an HTTP/1.0 response, is
 *   rejected.
 * - Hop-by-hop fields are dropped from `headers`: Connection and every name it lists, Keep-Alive,
 *   Transfer-Encoding, TE, Trailer, Upgrade, Proxy-Connection, Proxy-Authenticate,
 *   Proxy-Authorization. Content-Length is kept.
 *
 * @module
 */
import { UpstreamError } from "../../core/errors.ts";
import {
  commonFieldName,
  eqLower,
  findBlankLine,
  FVAL,
  latin1,
  nextListElement,
  parseDigits,
  TCHAR,
  TOKEN,
} from "./_bytes.ts";

/** A parsed response head. */
export interface ResponseHead {
  /** Status code, 100–599. */
  status: number;
  /** Reason phrase as sent (Latin-1), possibly empty. */
  reason: string;
  /** HTTP/1.minor of the status line (0 or 1; higher minors are reported as 1). */
  minor: number;
  /** End-to-end fields in arrival order, as `[name, value]`, repeated names kept apart. */
  headers: [string, string][];
  /** Content-Length, or -1 when absent. */
  contentLength: number;
  /** Transfer-Encoding: chunked. */
  chunked: boolean;
  /** The connection may carry another exchange after this message (version + Connection). */
  keepAlive: boolean;
  /** `Keep-Alive: timeout=N` in ms, or -1 when absent. */
  keepAliveMs: number;
  /** Length of the status line in bytes, CRLF excluded. */
  lineBytes: number;
  /** Length of the header field lines in bytes, their CRLFs excluded (hop-by-hop ones counted). */
  fieldBytes: number;
}

/** Where an HTTP/1.0 response is marked: a symbol-keyed property (a 1.1 one has none). */
const HTTP10: unique symbol = Symbol("switchyard.http10Response");

type Marked = { [HTTP10]?: true };

/**
 * Mark `res` as an answer whose status line said HTTP/1.0, so the proxy's `Via` on it names that
 * version (Linkerd's ViaHeaderAppenderFilter appends `<response version> linkerd`).
 *
 * @param res the response built from the head
 * @returns `res`
 */
export function markHttp10Response(res: Response): Response {
  (res as Marked)[HTTP10] = true;
  return res;
}

/**
 * Whether an upstream's answer said HTTP/1.0 (see {@link markHttp10Response}).
 *
 * @param res a response from the HTTP/1 client
 * @returns true for an HTTP/1.0 status line
 */
export function isHttp10Response(res: Response): boolean {
  return (res as Marked)[HTTP10] === true;
}

/**
 * Limits on a response head, as a Finagle client's `MaxInitialLineSize` and `MaxHeaderSize` (a
 * Linkerd router's `maxInitialLineKB` and `maxHeadersKB`, which its clients get too).
 */
export interface ResponseHeadLimits {
  /** Longest status line, in bytes without CRLF. */
  readonly maxLineBytes: number;
  /** Largest header section, in bytes: the field lines without their CRLFs. */
  readonly maxFieldBytes: number;
}

/**
 * The error for a head over `limits`, with Netty's text as Finagle's client passes it on
 * (`TooLongMessageException`: "… at remote address: /host:port"); null when within them. As
 * Netty's decoder counts, a line's CR is counted before it is dropped, so a line or section of
 * exactly the limit is refused too.
 *
 * @param h the parsed head
 * @param limits the router's limits
 * @param remote the endpoint, `host:port`
 * @returns the error, or null
 * @example
 * ```ts
 * import { parseResponseHead, responseHeadTooLong } from "./response_head.ts";
 * const b = new TextEncoder().encode("HTTP/1.1 200 OK\r\nX-Big: " + "a".repeat(99) + "\r\n\r\n");
 * const h = parseResponseHead(b, 0, b.length);
 * responseHeadTooLong(h, { maxLineBytes: 4096, maxFieldBytes: 64 }, "10.0.0.1:80")?.message;
 * // "HTTP header is larger than 64 bytes. at remote address: /10.0.0.1:80"
 * ```
 */
export function responseHeadTooLong(
  h: ResponseHead,
  limits: ResponseHeadLimits,
  remote: string,
): UpstreamError | null {
  if (h.lineBytes >= limits.maxLineBytes) {
    return new UpstreamError(
      `An HTTP line is larger than ${limits.maxLineBytes} bytes. at remote address: /${remote}`,
    );
  }
  if (h.fieldBytes >= limits.maxFieldBytes) {
    return new UpstreamError(
      `HTTP header is larger than ${limits.maxFieldBytes} bytes. at remote address: /${remote}`,
    );
  }
  return null;
}

const ID_CL = 1, ID_TE = 2, ID_CONN = 3, ID_KA = 4, ID_HOP = 5;

let scratch = new Int32Array(5 * 64); // ns, ne, vs, ve, id per field; synchronous use only

/**
 * Find the end of a head in `b[from, to)`: the index just past the blank line, or -1 if more
 * bytes are needed. A line feed followed by CRLF or LF ends the head (bare LFs are then rejected
 * by the parser, so a bare-LF peer fails fast instead of running into the size limit). To resume
 * after more bytes arrive, call again with `from = max(start, to - 3)`.
 */
export function findHeadEnd(b: Uint8Array, from: number, to: number): number {
  return findBlankLine(b, from, to);
}

/**
 * Parse and validate the response head `b[s, end)`, where `end` came from {@link findHeadEnd}.
 *
 * @param b buffer holding the head
 * @param s index of the first byte of the status line
 * @param end index just past the blank line
 * @returns the parsed head, hop-by-hop fields removed
 * @throws {UpstreamError} on any violation listed in the module doc
 * @example
 * ```ts
 * import { parseResponseHead } from "./response_head.ts";
 * const b = new TextEncoder().encode("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n");
 * const h = parseResponseHead(b, 0, b.length);
 * console.log(h.status, h.contentLength); // 200 2
 * ```
 */
export function parseResponseHead(b: Uint8Array, s: number, end: number): ResponseHead {
  if (end - s < 16 || b[end - 1] !== 10) bad("truncated head", 0);
  // Status line: "HTTP/1." DIGIT SP 3DIGIT [SP reason] CRLF
  if (
    b[s] !== 72 || b[s + 1] !== 84 || b[s + 2] !== 84 || b[s + 3] !== 80 || b[s + 4] !== 47 ||
    b[s + 5] !== 49 || b[s + 6] !== 46
  ) bad("status line does not start with HTTP/1.", 0);
  const minorDigit = (b[s + 7] as number) - 48;
  if (minorDigit < 0 || minorDigit > 9 || b[s + 8] !== 32) bad("bad HTTP version", 7);
  const d1 = (b[s + 9] as number) - 48, d2 = (b[s + 10] as number) - 48;
  const d3 = (b[s + 11] as number) - 48;
  if (d1 < 1 || d1 > 5 || d2 < 0 || d2 > 9 || d3 < 0 || d3 > 9) bad("bad status code", 9);
  const status = d1 * 100 + d2 * 10 + d3;
  let i = s + 12, hi = 0, t = 0;
  if (b[i] === 32) i++;
  else if (b[i] !== 13) bad("bad status code", 9);
  const rs = i;
  while ((t = FVAL[b[i] as number] as number) !== 0) {
    hi |= t;
    i++;
  }
  const re = i;
  if (b[i] !== 13 || b[i + 1] !== 10) bad("bad byte in status line", i - s);
  i += 2;
  const fieldsStart = i;

  let nf = 0, cl = -1, chunked = false, close = false, ka = false, kaField = -1;
  let connNames: string[] | null = null;
  for (;;) {
    if (b[i] === 13) {
      if (b[i + 1] !== 10) bad("bare CR", i - s);
      i += 2;
      break;
    }
    const ns = i;
    while (TCHAR[b[i] as number] === 1) i++;
    if (i === ns) {
      bad(b[i] === 32 || b[i] === 9 ? "obs-fold or leading whitespace" : "bad field name", i - s);
    }
    if (b[i] !== 58) bad("bad byte in field name", i - s);
    const ne = i++;
    while (b[i] === 32 || b[i] === 9) i++;
    const vs = i;
    while ((t = FVAL[b[i] as number] as number) !== 0) {
      hi |= t;
      i++;
    }
    let ve = i;
    if (b[i] !== 13 || b[i + 1] !== 10) bad("bad byte in field value or bare LF", i - s);
    while (ve > vs && (b[ve - 1] === 32 || b[ve - 1] === 9)) ve--;
    i += 2;
    const id = nameId(b, ns, ne - ns);
    if (id === ID_CL) {
      if (cl !== -1) bad("duplicate content-length", ns - s);
      cl = parseLength(b, vs, ve, ns - s);
    } else if (id === ID_TE) {
      if (chunked) bad("transfer-encoding chunked twice", ns - s);
      chunked = parseTransferEncoding(b, vs, ve, ns - s);
    } else if (id === ID_CONN) {
      const r = scanConnection(b, vs, ve);
      close ||= (r & 1) !== 0;
      ka ||= (r & 2) !== 0;
      if ((r & 4) !== 0) (connNames ??= []).push(...connectionNames(b, vs, ve));
    } else if (id === ID_KA) kaField = nf;
    if (5 * nf + 5 > scratch.length) {
      const grown = new Int32Array(scratch.length * 2);
      grown.set(scratch);
      scratch = grown;
    }
    const f = 5 * nf++;
    scratch[f] = ns;
    scratch[f + 1] = ne;
    scratch[f + 2] = vs;
    scratch[f + 3] = ve;
    scratch[f + 4] = id;
  }
  if (i !== end) bad("malformed head end", i - s);
  if (chunked && cl !== -1) bad("both content-length and transfer-encoding", 0);
  if (chunked && minorDigit === 0) bad("transfer-encoding in an HTTP/1.0 response", 0);

  const str = latin1(b, s, end, (hi & 2) === 0);
  const headers: [string, string][] = [];
  let keepAliveMs = -1;
  for (let k = 0; k < nf; k++) {
    const f = 5 * k, id = scratch[f + 4] as number;
    if (id !== 0 && id !== ID_CL) {
      if (k === kaField) {
        keepAliveMs = keepAliveTimeout(str.slice(scratch[f + 2]! - s, scratch[f + 3]! - s));
      }
      continue;
    }
    const ns = scratch[f]!, ne = scratch[f + 1]!;
    const name = commonFieldName(b, ns, ne - ns) ?? str.slice(ns - s, ne - s);
    if (connNames !== null && isNamed(connNames, name)) continue;
    headers.push([name, str.slice(scratch[f + 2]! - s, scratch[f + 3]! - s)]);
  }
  return {
    status,
    reason: str.slice(rs - s, re - s),
    minor: minorDigit === 0 ? 0 : 1,
    headers,
    contentLength: cl,
    chunked,
    keepAlive: minorDigit === 0 ? ka && !close : !close,
    keepAliveMs,
    lineBytes: re - s,
    fieldBytes: end - fieldsStart - 2 - 2 * nf,
  };
}

function bad(what: string, at: number): never {
  throw new UpstreamError(`invalid response head: ${what} (byte ${at})`);
}

const eq = eqLower;

function nameId(b: Uint8Array, s: number, n: number): number {
  // Every `Proxy-*` field is hop-by-hop (RFC 9110 §7.6.1), not only the three named ones.
  if (n > 6 && (b[s]! | 0x20) === 112 && eq(b, s, "proxy-")) return ID_HOP;
  switch (n) {
    case 2:
      return eq(b, s, "te") ? ID_HOP : 0;
    case 7:
      return eq(b, s, "trailer") || eq(b, s, "upgrade") ? ID_HOP : 0;
    case 10:
      return eq(b, s, "connection") ? ID_CONN : eq(b, s, "keep-alive") ? ID_KA : 0;
    case 14:
      return eq(b, s, "content-length") ? ID_CL : 0;
    case 16:
      return eq(b, s, "proxy-connection") ? ID_HOP : 0;
    case 17:
      return eq(b, s, "transfer-encoding") ? ID_TE : 0;
    case 18:
      return eq(b, s, "proxy-authenticate") ? ID_HOP : 0;
    case 19:
      return eq(b, s, "proxy-authorization") ? ID_HOP : 0;
    default:
      return 0;
  }
}

function parseLength(b: Uint8Array, vs: number, ve: number, at: number): number {
  const v = parseDigits(b, vs, ve);
  if (v === -1) bad(vs === ve ? "empty content-length" : "content-length is not 1*DIGIT", at);
  if (v === -2) bad("content-length too large", at);
  return v;
}

/** Transfer-Encoding must list `chunked` exactly once and nothing else (empty elements allowed). */
function parseTransferEncoding(b: Uint8Array, vs: number, ve: number, at: number): boolean {
  let seen = false;
  for (let k = vs; k <= ve;) {
    k = nextListElement(b, k, ve);
    const ts = TOKEN.s, te = TOKEN.e;
    if (te === ts) continue;
    if (te - ts !== 7 || !eq(b, ts, "chunked") || seen) bad("unsupported transfer-encoding", at);
    seen = true;
  }
  if (!seen) bad("unsupported transfer-encoding", at);
  return true;
}

/** Bit 1: `close`, bit 2: `keep-alive`, bit 4: some other token (a field to drop). */
function scanConnection(b: Uint8Array, vs: number, ve: number): number {
  let r = 0;
  for (let k = vs; k <= ve;) {
    k = nextListElement(b, k, ve);
    const ts = TOKEN.s, n = TOKEN.e - ts;
    if (n === 0) continue;
    if (n === 5 && eq(b, ts, "close")) r |= 1;
    else if (n === 10 && eq(b, ts, "keep-alive")) r |= 2;
    else r |= 4;
  }
  return r;
}

/** The lower-cased tokens of a Connection value (non-ASCII bytes can match no field name). */
function connectionNames(b: Uint8Array, vs: number, ve: number): string[] {
  return latin1(b, vs, ve, true).toLowerCase().split(",").map((x) => x.trim()).filter((x) => x);
}

function isNamed(names: string[], name: string): boolean {
  for (const n of names) if (n.length === name.length && n === name.toLowerCase()) return true;
  return false;
}

/** `Keep-Alive: timeout=5, max=100` → 5000; -1 when there is no usable timeout parameter. */
function keepAliveTimeout(v: string): number {
  const m = /(?:^|[,;\s])timeout\s*=\s*"?(\d{1,9})/i.exec(v);
  return m ? Number(m[1]) * 1000 : -1;
}
