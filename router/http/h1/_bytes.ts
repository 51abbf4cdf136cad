/**
 * Byte tables, Latin-1 codecs and head-scanning primitives shared by the HTTP/1.1 parsers (the
 * client's response heads, the raw server's request heads), the chunked decoder and the request
 * writer. Private to `router/http/`.
 *
 * Header bytes are Latin-1: every byte 0x00–0xFF maps to the UTF-16 code unit of the same value,
 * so obs-text (0x80–0xFF) survives a round trip byte-for-byte. `TextDecoder("latin1")` is
 * windows-1252 per WHATWG and would change 0x80–0x9F, so it is never used here.
 *
 * @module
 */

import { coreFn } from "../_runtime_core.ts";

/**
 * `String.prototype.charCodeAt`, called as `charCodeAt.call(s, i)` by the per-request loops
 * (issue 6). Header strings come in several representations (sequential, sliced, cons,
 * internalized), so a `s.charCodeAt(i)` site sees more than four string maps and goes
 * megamorphic: each character then pays a megamorphic method lookup and a generic call. Called
 * through a module-local constant, the optimizing compiler knows the target and inlines it
 * (mixed strings, 40 characters: ~240 ns → ~75 ns). Each module keeps its own constant: an
 * imported one is not folded (~215 ns).
 */
const charCodeAt = String.prototype.charCodeAt;

/** tchar (RFC 9110 §5.6.2): `!#$%&'*+-.^_`|~`, DIGIT, ALPHA → 1, else 0. */
export const TCHAR: Uint8Array = makeTable((c) =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
  "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c))
);

/**
 * Field-value and reason-phrase bytes (RFC 9110 §5.5, RFC 9112 §4): HTAB, SP, VCHAR → 1,
 * obs-text (0x80–0xFF) → 2, anything else (CTLs, DEL, CR, LF) → 0. OR-ing the values over a
 * scan tells whether a Latin-1 decode is needed.
 */
export const FVAL: Uint8Array = (() => {
  const t = makeTable((c) => c === 0x09 || (c >= 0x20 && c <= 0x7e));
  for (let c = 0x80; c <= 0xff; c++) t[c] = 2;
  return t;
})();

/** HEXDIG → value + 1 (so 0 means "not a hex digit"). */
export const HEX: Uint8Array = (() => {
  const t = new Uint8Array(256);
  for (let d = 0; d < 10; d++) t[0x30 + d] = d + 1;
  for (let d = 0; d < 6; d++) {
    t[0x41 + d] = d + 11;
    t[0x61 + d] = d + 11;
  }
  return t;
})();

function makeTable(pred: (c: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) if (pred(c)) t[c] = 1;
  return t;
}

const utf8 = new TextDecoder();

/**
 * The runtime's UTF-8 decode op (`Deno[Deno.internal].core.decode`), or `TextDecoder#decode`
 * when it is not there or decodes differently (another Deno version). For ASCII bytes both give
 * the same string; the op skips `TextDecoder`'s WebIDL checks and options: 66 against 116 ns for
 * a 72-byte request head, twice per proxied request (issue 6).
 */
const asciiDecode: (b: Uint8Array) => string = (() => {
  const fallback = (b: Uint8Array) => utf8.decode(b);
  try {
    const decode = coreFn("decode") as ((b: Uint8Array) => string) | null;
    if (decode === null) return fallback;
    const sample = new Uint8Array(40);
    for (let i = 0; i < 40; i++) sample[i] = 32 + ((i * 7) % 95);
    const view = sample.subarray(3, 37);
    const same = decode(view) === utf8.decode(view) && decode(sample.subarray(0, 0)) === "";
    return same ? decode : fallback;
  } catch {
    return fallback;
  }
})();

/**
 * Decode `b[s, e)` as Latin-1. `ascii` says the caller's scan saw no byte ≥ 0x80, in which case
 * the native UTF-8 decoder gives the same string faster.
 */
export function latin1(b: Uint8Array, s: number, e: number, ascii: boolean): string {
  if (ascii) return asciiDecode(b.subarray(s, e));
  let out = "";
  for (let i = s; i < e; i += 4096) {
    const part = b.subarray(i, Math.min(e, i + 4096));
    out += String.fromCharCode.apply(null, part as unknown as number[]);
  }
  return out;
}

const enc = new TextEncoder();

/**
 * Encode `str` into `dst` at `off` as Latin-1; returns the end offset, or -1 when `dst` is too
 * small. Throws `TypeError` for a code unit above 0xFF (not representable in a header).
 */
export function encodeLatin1(str: string, dst: Uint8Array, off: number): number {
  const n = str.length;
  if (dst.length - off < n) return -1;
  const r = enc.encodeInto(str, dst.subarray(off));
  if (r.read === n && r.written === n) return off + n; // all ASCII: the common case
  for (let i = 0; i < n; i++) {
    const c = charCodeAt.call(str, i);
    if (c > 0xff) throw new TypeError(`request head has a non-Latin-1 character at ${i}`);
    dst[off + i] = c;
  }
  return off + n;
}

/** `s` as Latin-1 bytes (each code unit's low byte): constant heads, status lines. */
export function latin1Bytes(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  return b;
}

/** A growable write scratch: `scratch(n)` gives a buffer of at least `n` bytes, keeping its bytes. */
export interface Scratch {
  scratch(n: number): Uint8Array;
}

/** Put `b` into the scratch at `o`; returns the end offset. */
export function putBytes(w: Scratch, o: number, b: Uint8Array): number {
  w.scratch(o + b.length).set(b, o);
  return o + b.length;
}

/**
 * Put `s` Latin-1 encoded into the scratch at `o`; returns the end offset. A byte loop, not
 * `encodeInto`: no flattened copy of a concatenated head string and no result object (issue 6).
 *
 * @throws {TypeError} for a code unit above 0xFF (not representable in a head)
 */
export function putLatin1(w: Scratch, o: number, s: string): number {
  const n = s.length;
  const buf = w.scratch(o + n);
  for (let i = 0; i < n; i++) {
    const ch = charCodeAt.call(s, i);
    if (ch > 0xff) throw new TypeError(`head has a non-Latin-1 character at ${i} of a field`);
    buf[o + i] = ch;
  }
  return o + n;
}

/**
 * Put `name: value\r\n` into the scratch at `o`; returns the end offset. One scratch check for
 * the whole field.
 *
 * @throws {TypeError} for a code unit above 0xFF (not representable in a head)
 */
export function putField(w: Scratch, o: number, name: string, value: string): number {
  const nl = name.length;
  const vl = value.length;
  const buf = w.scratch(o + nl + vl + 4);
  for (let i = 0; i < nl; i++) {
    const ch = charCodeAt.call(name, i);
    if (ch > 0xff) throw new TypeError(`head has a non-Latin-1 character at ${i} of a field`);
    buf[o++] = ch;
  }
  buf[o++] = 58; // ':'
  buf[o++] = 32; // ' '
  for (let i = 0; i < vl; i++) {
    const ch = charCodeAt.call(value, i);
    if (ch > 0xff) throw new TypeError(`head has a non-Latin-1 character at ${i} of a field`);
    buf[o++] = ch;
  }
  buf[o++] = 13;
  buf[o++] = 10;
  return o;
}

/**
 * `dst[0, n)` as a chunk to hand out: the array itself when full, a copy when small (so a
 * trickling upstream does not pin 64 KiB per few bytes), else a view.
 */
export function shrink(dst: Uint8Array, n: number): Uint8Array {
  return n === dst.length ? dst : n < 8192 ? dst.slice(0, n) : dst.subarray(0, n);
}

/**
 * Find the end of a head in `b[from, to)`: the index just past the blank line, or -1 if more
 * bytes are needed. A line feed followed by CRLF or LF ends the head (the parsers then reject
 * bare LFs, so a bare-LF peer fails fast instead of running into the size limit). To resume
 * after more bytes arrive, call again with `from = max(start, to - 3)`.
 */
export function findBlankLine(b: Uint8Array, from: number, to: number): number {
  // Each line is walked byte by byte for its first 64 bytes, then by `indexOf(10)`: a call into
  // the runtime costs more than a short line's walk, and less than a long one's (issue 6: a
  // 150-byte response head ~95 against ~135 ns with `indexOf` per line; a 4 KB cookie line ~1.1
  // µs either way, against ~2.1 µs walked byte by byte).
  let i = from;
  while (i < to) {
    let lf = -1;
    const stop = i + 64 < to ? i + 64 : to;
    for (let k = i; k < stop; k++) {
      if (b[k] === 10) {
        lf = k;
        break;
      }
    }
    if (lf < 0) {
      if (stop >= to) return -1;
      lf = b.indexOf(10, stop);
      if (lf === -1 || lf >= to) return -1;
    }
    if (lf + 1 >= to) return -1;
    const c = b[lf + 1];
    if (c === 10) return lf + 2;
    if (c === 13) {
      if (lf + 2 >= to) return -1;
      if (b[lf + 2] === 10) return lf + 3;
    }
    i = lf + 1;
  }
  return -1;
}

/** Case-insensitive compare of `b[s, s + lit.length)` with an all-lower-case literal of tchars. */
export function eqLower(b: Uint8Array, s: number, lit: string): boolean {
  for (let k = 0; k < lit.length; k++) {
    if (((b[s + k] as number) | 0x20) !== lit.charCodeAt(k)) return false;
  }
  return true;
}

/**
 * Field names common on the wire (lower-case), by length: a parsed head names these fields with
 * these strings instead of a slice of the head, so they need no lower-casing, no copy, and
 * compare by identity (issue 6).
 */
const COMMON_NAMES: readonly (readonly string[])[] = (() => {
  const names = [
    "via",
    "age",
    "host",
    "date",
    "etag",
    "vary",
    "allow",
    "range",
    "server",
    "accept",
    "cookie",
    "origin",
    "pragma",
    "referer",
    "expires",
    "location",
    "l5d-dtab",
    "l5d-reqid",
    "user-agent",
    "set-cookie",
    "content-type",
    "x-request-id",
    "l5d-ctx-dtab",
    "last-modified",
    "cache-control",
    "accept-ranges",
    "authorization",
    "l5d-ctx-trace",
    "if-none-match",
    "content-length",
    "accept-charset",
    "accept-encoding",
    "accept-language",
    "x-forwarded-for",
    "l5d-dst-client",
    "content-encoding",
    "content-language",
    "l5d-dst-service",
    "l5d-ctx-deadline",
    "x-forwarded-proto",
    "if-modified-since",
    "l5d-dst-residual",
    "l5d-success-class",
    "x-forwarded-host",
  ];
  const byLength: string[][] = [];
  for (const n of names) (byLength[n.length] ??= []).push(n);
  return Array.from(byLength, (l) => l ?? []);
})();

/**
 * The lower-case constant for the field name `b[s, s + n)` when it is a common one, matched
 * case-insensitively (the caller has checked the bytes are a token); undefined otherwise.
 *
 * @example
 * ```ts
 * import { commonFieldName } from "./_bytes.ts";
 * const b = new TextEncoder().encode("Content-Type");
 * commonFieldName(b, 0, b.length); // "content-type"
 * ```
 */
export function commonFieldName(b: Uint8Array, s: number, n: number): string | undefined {
  const list = COMMON_NAMES[n];
  if (list === undefined) return undefined;
  for (let k = 0; k < list.length; k++) {
    const lit = list[k]!;
    if (eqLower(b, s, lit)) return lit;
  }
  return undefined;
}

const MAX_SAFE_DIV10 = Math.floor(Number.MAX_SAFE_INTEGER / 10);

/** `b[vs, ve)` as 1*DIGIT: the value, -1 when empty or not digits, -2 past 2^53. */
export function parseDigits(b: Uint8Array, vs: number, ve: number): number {
  if (vs === ve) return -1;
  let v = 0;
  for (let k = vs; k < ve; k++) {
    const d = (b[k] as number) - 48;
    if (d < 0 || d > 9) return -1;
    if (v > MAX_SAFE_DIV10) return -2;
    v = v * 10 + d;
  }
  return v;
}

/** The element {@linkcode nextListElement} found last: `b[TOKEN.s, TOKEN.e)`, OWS trimmed. */
export const TOKEN: { s: number; e: number } = { s: 0, e: 0 };

/**
 * Step through a comma-separated field value `b[vs, ve)` (RFC 9110 §5.6.1): put the element that
 * starts at `k` in {@linkcode TOKEN} (possibly empty) and return where the next one starts. Loop
 * `for (let k = vs; k <= ve;) { k = nextListElement(b, k, ve); … }`. Synchronous use only.
 */
export function nextListElement(b: Uint8Array, k: number, ve: number): number {
  while (k < ve && (b[k] === 32 || b[k] === 9)) k++;
  const ts = k;
  while (k < ve && b[k] !== 44) k++;
  let te = k;
  while (te > ts && (b[te - 1] === 32 || b[te - 1] === 9)) te--;
  TOKEN.s = ts;
  TOKEN.e = te;
  return k + 1;
}

/** A read buffer with its unread window `buf[s, e)`. */
export interface ReadWindow {
  buf: Uint8Array;
  s: number;
  e: number;
}

/**
 * Make room for `n` bytes from `w.s` on: slide the unread bytes to the front, or grow the buffer
 * (at least doubling) when it is too small.
 */
export function reserveWindow(w: ReadWindow, n: number): void {
  const have = w.e - w.s;
  if (w.buf.length - w.s >= n) return;
  if (w.buf.length >= n) {
    w.buf.copyWithin(0, w.s, w.e);
  } else {
    const grown = new Uint8Array(Math.max(n, w.buf.length * 2));
    grown.set(w.buf.subarray(w.s, w.e));
    w.buf = grown;
  }
  w.s = 0;
  w.e = have;
}
