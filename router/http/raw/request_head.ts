/**
 * Strict HTTP/1.1 request-head parser (RFC 9112 §2–§7, RFC 9110 §5, §7.2) on bytes, driven by
 * lookup tables. This is the security boundary of the raw listener: it rejects rather than
 * normalises, so the message framing Switchyard sees is the only possible reading of the bytes.
 *
 * Decisions (each violation is a {@link HttpReject} carrying the status to answer with):
 * - Request line: `method SP request-target SP HTTP/1.1|HTTP/1.0 CRLF`, single spaces, method a
 *   token, target visible ASCII only (414 past `maxLineBytes`). Target forms: origin (`/…`),
 *   absolute (`http://…`, `https://…`), asterisk (`*`, OPTIONS only), authority (`host:port`,
 *   CONNECT only: a tunnel). A CONNECT with an origin-form target (`CONNECT / HTTP/1.1`, what
 *   `curl -X CONNECT` sends) is a request like any other, routed by its Host, as in Linkerd
 *   (HttpEndToEndTest's retry tests send one).
 * - Lines end in CRLF; bare LF or bare CR anywhere → 400. obs-fold, any whitespace-led line and
 *   whitespace before the colon (`Host :`) → 400. Names are tchar, values field-vchar / SP /
 *   HTAB / obs-text (kept byte-for-byte as Latin-1 code units), OWS-trimmed.
 * - More than `maxHeaders` fields → 431.
 * - Host: at most one (two → 400); none is accepted on HTTP/1.1 too, as Linkerd (Netty) does, and
 *   left to the identifier ("Host header is absent"); its value must be
 *   a uri-host[:port] (no `/`, `?`, `#`, `@`, whitespace).
 * - Content-Length: 1*DIGIT ≤ 2^53, one field only (a duplicate, even equal, or a list → 400).
 *   Transfer-Encoding: the codings of all fields must end in `chunked`, else 400; `chunked`
 *   twice → 400; another coding before it → 501 (not implemented). TE + CL → 400; TE on an
 *   HTTP/1.0 request → 400.
 * - Expect: `100-continue` is noted; any other expectation → 417.
 *
 * @module
 */
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
} from "../h1/_bytes.ts";

/** A request rejected before the handler runs: answer `status` (with `message`) and close. */
export class HttpReject extends Error {
  /** The status to answer with (400, 408, 414, 417, 431, 501, …). */
  readonly status: number;
  /**
   * @param status status code to answer with
   * @param message why, for the `l5d-err` header
   */
  constructor(status: number, message: string) {
    super(message);
    this.name = "HttpReject";
    this.status = status;
  }
}

/** Request-target form (RFC 9112 §3.2). */
export type TargetForm = "origin" | "absolute" | "asterisk" | "authority";

/** A parsed, validated request head. */
export interface RequestHead {
  /** Method token, case preserved. */
  method: string;
  /** Request-target as sent. */
  target: string;
  /** Which form the target has. */
  form: TargetForm;
  /** HTTP/1.minor: 0 or 1. */
  minor: number;
  /** Every field in arrival order, `[name, value]` (name case as sent, value OWS-trimmed). */
  headers: [string, string][];
  /** The Host field value, or null when there is none. */
  host: string | null;
  /** Content-Length, or -1 when absent. */
  contentLength: number;
  /** Transfer-Encoding: chunked. */
  chunked: boolean;
  /** The client may send another request on this connection (version + Connection). */
  keepAlive: boolean;
  /** `Expect: 100-continue` was sent. */
  expectContinue: boolean;
  /** An `Upgrade` field is present (with `Connection: upgrade`). */
  upgrade: boolean;
}

/** Limits for {@link parseRequestHead}. */
export interface HeadLimits {
  /** Request line limit in bytes (414 past it). */
  maxLineBytes: number;
  /** Field count limit (431 past it). */
  maxHeaders: number;
}

const ID_HOST = 1, ID_CL = 2, ID_TE = 3, ID_CONN = 4, ID_EXPECT = 5, ID_UPGRADE = 6;

/** Request-target bytes: VCHAR (0x21–0x7E). */
const TARGET: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let c = 0x21; c <= 0x7e; c++) t[c] = 1;
  return t;
})();

/** Host value bytes: unreserved, sub-delims, ":", "[", "]", "%" (RFC 3986 authority minus "@"). */
const HOSTCHAR: Uint8Array = (() => {
  const t = new Uint8Array(256);
  const extra = "-._~!$&'()*+,;=:[]%";
  for (let c = 0; c < 256; c++) {
    if (
      (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
      extra.includes(String.fromCharCode(c))
    ) t[c] = 1;
  }
  return t;
})();

/**
 * Find the end of a head in `b[from, to)`: the index just past the blank line, or -1 if more
 * bytes are needed. A bare-LF blank line also ends it (the parser then rejects the bare LF, so a
 * bare-LF client fails fast instead of running into the size limit).
 *
 * @param b buffer
 * @param from where to resume scanning (back off 3 bytes from the previous end)
 * @param to end of the bytes received
 * @returns index past the blank line, or -1
 * @example
 * ```ts
 * import { findRequestEnd } from "./request_head.ts";
 * const b = new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
 * console.log(findRequestEnd(b, 0, b.length)); // 27
 * ```
 */
export function findRequestEnd(b: Uint8Array, from: number, to: number): number {
  return findBlankLine(b, from, to);
}

/**
 * Parse and validate the request head `b[s, end)`, where `end` came from {@link findRequestEnd}.
 *
 * @param b buffer holding the head
 * @param s index of the first byte of the request line
 * @param end index just past the blank line
 * @param limits line and field-count limits
 * @returns the parsed head
 * @throws {HttpReject} on any violation listed in the module doc
 * @example
 * ```ts
 * import { parseRequestHead } from "./request_head.ts";
 * const b = new TextEncoder().encode("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n");
 * const h = parseRequestHead(b, 0, b.length, { maxLineBytes: 8192, maxHeaders: 100 });
 * console.log(h.method, h.host, h.contentLength); // POST a 2
 * ```
 */
export function parseRequestHead(
  b: Uint8Array,
  s: number,
  end: number,
  limits: HeadLimits,
): RequestHead {
  // Request line.
  let i = s;
  while (TCHAR[b[i] as number] === 1) i++;
  const me = i;
  if (me === s || b[i] !== 32) bad(400, "malformed request line (method)");
  const ts = ++i;
  while (TARGET[b[i] as number] === 1) i++;
  const te = i;
  if (te === ts || b[i] !== 32) {
    if (te - s > limits.maxLineBytes) bad(414, "request line too long");
    bad(400, "malformed request line (target)");
  }
  i++;
  if (
    b[i] !== 72 || b[i + 1] !== 84 || b[i + 2] !== 84 || b[i + 3] !== 80 || b[i + 4] !== 47 ||
    b[i + 5] !== 49 || b[i + 6] !== 46 || (b[i + 7] !== 49 && b[i + 7] !== 48) ||
    b[i + 8] !== 13 || b[i + 9] !== 10
  ) {
    if (b[i + 8] === 10) bad(400, "bare LF after the request line");
    // 505 only for a well-formed version we do not speak (HTTP/2.0 on this port, HTTP/9.9);
    // anything else is a malformed line (RFC 9110 §15.6.6).
    const digit = (x: number | undefined) => x !== undefined && x >= 48 && x <= 57;
    const wellFormed = b[i] === 72 && b[i + 1] === 84 && b[i + 2] === 84 && b[i + 3] === 80 &&
      b[i + 4] === 47 && digit(b[i + 5]) && b[i + 6] === 46 && digit(b[i + 7]) &&
      b[i + 8] === 13 && b[i + 9] === 10;
    if (wellFormed) {
      bad(505, `HTTP version not supported: ${String.fromCharCode(b[i + 5]!, 46, b[i + 7]!)}`);
    }
    bad(400, "malformed request line (version)");
  }
  const minor = b[i + 7] === 49 ? 1 : 0;
  i += 10;
  if (i - s - 2 > limits.maxLineBytes) bad(414, "request line too long");

  // Fields.
  let hi = 0, t = 0, nf = 0, hostField = -1, hosts = 0, cl = -1, tes = -1;
  let close = false, ka = false, connUpgrade = false, expectContinue = false, upgrade = false;
  const spans: number[] = [];
  for (;;) {
    if (b[i] === 13) {
      if (b[i + 1] !== 10) bad(400, "bare CR");
      i += 2;
      break;
    }
    const ns = i;
    while (TCHAR[b[i] as number] === 1) i++;
    if (i === ns) {
      bad(400, b[i] === 32 || b[i] === 9 ? "obs-fold or leading whitespace" : "bad field name");
    }
    if (b[i] !== 58) bad(400, b[i] === 32 || b[i] === 9 ? "whitespace before colon" : "bad field");
    const ne = i++;
    while (b[i] === 32 || b[i] === 9) i++;
    const vs = i;
    while ((t = FVAL[b[i] as number] as number) !== 0) {
      hi |= t;
      i++;
    }
    let ve = i;
    if (b[i] !== 13 || b[i + 1] !== 10) bad(400, "bad byte in field value or bare LF");
    while (ve > vs && (b[ve - 1] === 32 || b[ve - 1] === 9)) ve--;
    i += 2;
    if (++nf > limits.maxHeaders) bad(431, "too many header fields");
    spans.push(ns, ne, vs, ve);
    switch (nameId(b, ns, ne - ns)) {
      case ID_HOST:
        hosts++;
        hostField = nf - 1;
        checkHost(b, vs, ve);
        break;
      case ID_CL:
        if (cl !== -1) bad(400, "duplicate content-length");
        cl = parseLength(b, vs, ve);
        break;
      case ID_TE:
        tes = transferCodings(b, vs, ve, tes);
        break;
      case ID_CONN: {
        const r = scanConnection(b, vs, ve);
        close ||= (r & 1) !== 0;
        ka ||= (r & 2) !== 0;
        connUpgrade ||= (r & 4) !== 0;
        break;
      }
      case ID_EXPECT:
        if (ve - vs === 12 && eq(b, vs, "100-continue")) expectContinue = true;
        else bad(417, "unsupported expectation");
        break;
      case ID_UPGRADE:
        upgrade = true;
        break;
    }
  }
  if (i !== end) bad(400, "malformed head end");
  if (tes === 0) bad(400, "transfer-encoding does not end in chunked");
  if (tes === 2) bad(501, "unsupported transfer-coding");
  const chunked = tes === 1;
  if (chunked && cl !== -1) bad(400, "both content-length and transfer-encoding");
  if (chunked && minor === 0) bad(400, "transfer-encoding in an HTTP/1.0 request");
  if (hosts > 1) bad(400, "more than one host field");
  // No Host on HTTP/1.1 is not refused here: as in Linkerd (Netty accepts it), the identifier
  // decides, so the default one answers 400 "Host header is absent" and io.l5d.path still routes.

  const str = latin1(b, s, end, (hi & 2) === 0);
  const method = knownMethod(b, s, me - s) ?? str.slice(0, me - s);
  const target = str.slice(ts - s, te - s);
  const form = targetForm(b, ts, te, method);
  const headers: [string, string][] = new Array(nf);
  for (let k = 0; k < nf; k++) {
    const f = 4 * k;
    const ns = spans[f]!, ne = spans[f + 1]!;
    headers[k] = [
      commonFieldName(b, ns, ne - ns) ?? str.slice(ns - s, ne - s),
      str.slice(spans[f + 2]! - s, spans[f + 3]! - s),
    ];
  }
  return {
    method,
    target,
    form,
    minor,
    headers,
    host: hostField === -1 ? null : headers[hostField]![1],
    contentLength: cl,
    chunked,
    keepAlive: minor === 1 ? !close : ka && !close,
    expectContinue: expectContinue && minor === 1,
    upgrade: upgrade && connUpgrade,
  };
}

/** The methods a request line names most: constants, so a request's method needs no copy. */
const METHODS: readonly string[] = [
  "GET",
  "PUT",
  "POST",
  "HEAD",
  "PATCH",
  "TRACE",
  "DELETE",
  "OPTIONS",
  "CONNECT",
];

/** The constant for the method `b[s, s + n)` when it is one of {@link METHODS} (exact case). */
function knownMethod(b: Uint8Array, s: number, n: number): string | undefined {
  for (let k = 0; k < METHODS.length; k++) {
    const m = METHODS[k]!;
    if (m.length !== n) continue;
    let i = 0;
    while (i < n && b[s + i] === m.charCodeAt(i)) i++;
    if (i === n) return m;
  }
  return undefined;
}

function bad(status: number, what: string): never {
  throw new HttpReject(status, `invalid request: ${what}`);
}

function targetForm(b: Uint8Array, ts: number, te: number, method: string): TargetForm {
  const c = b[ts];
  if (method === "CONNECT" && c !== 47) {
    // authority-form: host ":" port, nothing else (RFC 9112 §3.2.3)
    let k = te - 1;
    while (k > ts && (b[k] as number) >= 48 && (b[k] as number) <= 57) k--;
    if (b[k] !== 58 || k === te - 1 || k === ts) bad(400, "CONNECT needs host:port");
    checkHost(b, ts, k);
    return "authority";
  }
  if (c === 47) return "origin";
  if (c === 42 && te - ts === 1) {
    if (method !== "OPTIONS") bad(400, "asterisk-form is only for OPTIONS");
    return "asterisk";
  }
  if (te - ts > 7 && eq(b, ts, "http://")) return "absolute";
  if (te - ts > 8 && eq(b, ts, "https://")) return "absolute";
  bad(400, "unsupported request-target form");
}

function checkHost(b: Uint8Array, vs: number, ve: number): void {
  for (let k = vs; k < ve; k++) if (HOSTCHAR[b[k] as number] !== 1) bad(400, "invalid host");
}

const eq = eqLower;

function nameId(b: Uint8Array, s: number, n: number): number {
  switch (n) {
    case 4:
      return eq(b, s, "host") ? ID_HOST : 0;
    case 6:
      return eq(b, s, "expect") ? ID_EXPECT : 0;
    case 7:
      return eq(b, s, "upgrade") ? ID_UPGRADE : 0;
    case 10:
      return eq(b, s, "connection") ? ID_CONN : 0;
    case 14:
      return eq(b, s, "content-length") ? ID_CL : 0;
    case 17:
      return eq(b, s, "transfer-encoding") ? ID_TE : 0;
    default:
      return 0;
  }
}

function parseLength(b: Uint8Array, vs: number, ve: number): number {
  const v = parseDigits(b, vs, ve);
  if (v === -1) bad(400, vs === ve ? "empty content-length" : "content-length is not 1*DIGIT");
  if (v === -2) bad(400, "content-length too large");
  return v;
}

/**
 * Fold one Transfer-Encoding field into the state of the earlier ones. States: -1 no coding yet,
 * 0 the list does not end in chunked, 1 it is exactly `chunked`, 2 other codings then chunked.
 * A coding after chunked, or chunked twice, → 400 at once.
 */
function transferCodings(b: Uint8Array, vs: number, ve: number, prev: number): number {
  let state = prev, any = false;
  for (let k = vs; k <= ve;) {
    k = nextListElement(b, k, ve);
    const ts = TOKEN.s, te = TOKEN.e;
    if (te === ts) continue;
    any = true;
    if (state === 1 || state === 2) bad(400, "chunked is not the final transfer-coding");
    if (te - ts === 7 && eq(b, ts, "chunked")) state = state === -1 ? 1 : 2;
    else state = 0;
  }
  if (!any) bad(400, "empty transfer-encoding");
  return state;
}

/** Bit 1: `close`, bit 2: `keep-alive`, bit 4: `upgrade`. */
function scanConnection(b: Uint8Array, vs: number, ve: number): number {
  let r = 0;
  for (let k = vs; k <= ve;) {
    k = nextListElement(b, k, ve);
    const ts = TOKEN.s, n = TOKEN.e - ts;
    if (n === 5 && eq(b, ts, "close")) r |= 1;
    else if (n === 10 && eq(b, ts, "keep-alive")) r |= 2;
    else if (n === 7 && eq(b, ts, "upgrade")) r |= 4;
  }
  return r;
}
