/**
 * Folder-private scanner shared by the path and dtab parsers: a cursor over char codes,
 * Finagle's whitespace and `#` comment rule, labels with `\xHH` escapes, paths, and errors that
 * read like Finagle's (`X expected but Y found at 'ab[c]d'`) plus the line and column.
 *
 * Hand-written and allocation-light: a label without escapes is one `slice`.
 *
 * @module
 */
import { BadDtab } from "../core/errors.ts";
import type { Path } from "./types.ts";

/** A parse position over `s`. */
export interface Cursor {
  readonly s: string;
  i: number;
}

/** End of input, as a char code. */
export const EOI = -1;

const SHOWABLE = new Uint8Array(128);
for (const ch of "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_:.#$%-") {
  SHOWABLE[ch.charCodeAt(0)] = 1;
}

/** `[0-9A-Za-z_:.#$%-]`: Finagle's `Path.isShowable`. */
export function isShowable(code: number): boolean {
  return code >= 0 && code < 128 && SHOWABLE[code] === 1;
}

/** The char code at the cursor, or {@linkcode EOI}. */
export function peek(c: Cursor): number {
  return c.i < c.s.length ? c.s.charCodeAt(c.i) : EOI;
}

/** Java's `Character.isWhitespace`. */
function isWhitespace(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13) || (code >= 28 && code <= 31);
  if (code < 0x1680) return false;
  return code === 0x1680 || (code >= 0x2000 && code <= 0x200a && code !== 0x2007) ||
    code === 0x2028 || code === 0x2029 || code === 0x205f || code === 0x3000;
}

/** Skip whitespace and `#` comments (to end of line). */
export function skipWs(c: Cursor): void {
  const s = c.s;
  const n = s.length;
  let i = c.i;
  while (i < n) {
    const code = s.charCodeAt(i);
    if (code === 35 /* # */) {
      while (i < n && s.charCodeAt(i) !== 10) i++;
      if (i < n) i++;
    } else if (isWhitespace(code)) i++;
    else break;
  }
  c.i = i;
}

/** Consume `code` if it is next. */
export function maybeEat(c: Cursor, code: number): boolean {
  if (peek(c) !== code) return false;
  c.i++;
  return true;
}

/** Consume `code` or throw. */
export function eat(c: Cursor, code: number): void {
  if (!maybeEat(c, code)) fail(c, describe(code));
}

/** Throw unless at the end of input. */
export function ensureEnd(c: Cursor): void {
  if (c.i < c.s.length) fail(c, "end of input");
}

/** How a char shows in an error: `'x'` or `end of input`. */
function describe(code: number): string {
  return code === EOI ? "end of input" : `'${String.fromCharCode(code)}'`;
}

/**
 * Throw {@linkcode BadDtab}: `<expected> expected but <found> found at '<input with [x]>'`
 * (Finagle's wording) followed by `(offset N, line L, column C)`.
 */
export function fail(c: Cursor, expected: string): never {
  const { s, i } = c;
  const atEnd = i >= s.length;
  const shown = atEnd ? `${s}[]` : `${s.slice(0, i)}[${s[i]}]${s.slice(i + 1)}`;
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < i && k < s.length; k++) {
    if (s.charCodeAt(k) === 10) {
      line++;
      lineStart = k + 1;
    }
  }
  const found = describe(atEnd ? EOI : s.charCodeAt(i));
  throw new BadDtab(
    `${expected} expected but ${found} found at '${shown}' ` +
      `(offset ${i}, line ${line}, column ${i - lineStart + 1})`,
  );
}

/** Can a label start (or continue) here: a showable char or `\`. */
export function isLabelChar(code: number): boolean {
  return code === 92 || isShowable(code);
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

const utf8 = new TextDecoder();

/** Parse one non-empty label; `\xHH` escapes are bytes, decoded as UTF-8. */
export function scanLabel(c: Cursor): string {
  const s = c.s;
  const start = c.i;
  let i = start;
  while (i < s.length && isShowable(s.charCodeAt(i))) i++;
  if (i < s.length && s.charCodeAt(i) === 92) {
    c.i = i;
    return scanEscapedLabel(c, start);
  }
  if (i === start) fail(c, "label char");
  c.i = i;
  return s.slice(start, i);
}

function scanEscapedLabel(c: Cursor, start: number): string {
  const bytes: number[] = [];
  for (let k = start; k < c.i; k++) bytes.push(c.s.charCodeAt(k));
  for (;;) {
    const code = peek(c);
    if (isShowable(code)) {
      bytes.push(code);
      c.i++;
    } else if (code === 92) {
      c.i++;
      eat(c, 120 /* x */);
      const hi = hexValue(peek(c));
      if (hi < 0) fail(c, "hex char");
      c.i++;
      const lo = hexValue(peek(c));
      if (lo < 0) fail(c, "hex char");
      c.i++;
      bytes.push((hi << 4) | lo);
    } else break;
  }
  return utf8.decode(new Uint8Array(bytes));
}

const EMPTY_PATH: Path = Object.freeze([]) as Path;

/** Parse `/` or `/label(/label)*`, after optional whitespace. */
export function scanPath(c: Cursor): Path {
  skipWs(c);
  eat(c, 47 /* / */);
  if (!isLabelChar(peek(c))) return EMPTY_PATH;
  const labels: string[] = [];
  do labels.push(scanLabel(c)); while (maybeEat(c, 47));
  return labels;
}
