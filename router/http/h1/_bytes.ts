/**
 * Byte tables and Latin-1 codecs shared by the HTTP/1.1 head parser, the chunked decoder and the
 * request writer. Folder-private.
 *
 * Header bytes are Latin-1: every byte 0x00–0xFF maps to the UTF-16 code unit of the same value,
 * so obs-text (0x80–0xFF) survives a round trip byte-for-byte. `TextDecoder("latin1")` is
 * windows-1252 per WHATWG and would change 0x80–0x9F, so it is never used here.
 *
 * @module
 */

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
 * Decode `b[s, e)` as Latin-1. `ascii` says the caller's scan saw no byte ≥ 0x80, in which case
 * the native UTF-8 decoder gives the same string faster.
 */
export function latin1(b: Uint8Array, s: number, e: number, ascii: boolean): string {
  if (ascii) return utf8.decode(b.subarray(s, e));
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
    const c = str.charCodeAt(i);
    if (c > 0xff) throw new TypeError(`request head has a non-Latin-1 character at ${i}`);
    dst[off + i] = c;
  }
  return off + n;
}

/**
 * `dst[0, n)` as a chunk to hand out: the array itself when full, a copy when small (so a
 * trickling upstream does not pin 64 KiB per few bytes), else a view.
 */
export function shrink(dst: Uint8Array, n: number): Uint8Array {
  return n === dst.length ? dst : n < 8192 ? dst.slice(0, n) : dst.subarray(0, n);
}
