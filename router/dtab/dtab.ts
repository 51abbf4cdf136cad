/**
 * Dtabs: the Finagle grammar (parse and show) and `Dtab.lookup`.
 *
 * ```
 * dtab    ::= [dentry (';' dentry)*] [';']
 * dentry  ::= prefix '=>' tree
 * prefix  ::= '/' | ('/' (label | '*'))+
 * tree    ::= tree1 ('|' tree1)*            alternation: first non-negative branch
 * tree1   ::= weighted ('&' weighted)*      weighted union, binds tighter than '|'
 * weighted::= [number '*'] simple           default weight 1.0; "2", "0.5", ".5"
 * simple  ::= '(' tree ')' | path | '!' | '~' | '$'
 * ```
 * Whitespace is free between tokens, and `#` starts a comment to the end of the line wherever
 * whitespace may appear (inside a label `#` is an ordinary character: `/#/io.l5d.fs`).
 * Errors are {@linkcode BadDtab} with Finagle's wording plus offset, line and column.
 *
 * The parser is a hand-written recursive descent over char codes: `parseDtab` runs on every
 * request that carries an `l5d-dtab` header.
 *
 * @module
 */
import {
  type Cursor,
  eat,
  ensureEnd,
  fail,
  isLabelChar,
  maybeEat,
  peek,
  scanLabel,
  scanPath,
  skipWs,
} from "./_scanner.ts";
import { alt, EMPTY, FAIL, mapTree, NEG, showTree } from "./name_tree.ts";
import { showLabel, showPath } from "./path.ts";
import type { Dentry, Dtab, NameTree, Path, Prefix, PrefixElem, Weighted } from "./types.ts";

const ANY: PrefixElem = Object.freeze({ kind: "any" });
const EMPTY_PREFIX: Prefix = Object.freeze([]) as Prefix;

function isNumberChar(code: number): boolean {
  return (code >= 48 && code <= 57) || code === 46;
}

function scanNumber(c: Cursor): number {
  const start = c.i;
  let seenDot = false;
  for (let code = peek(c); isNumberChar(code); code = peek(c)) {
    if (code === 46) {
      if (seenDot) fail(c, "number char");
      seenDot = true;
    }
    c.i++;
  }
  if (c.i - start === 1 && c.s.charCodeAt(start) === 46) {
    c.i = start;
    fail(c, "weight");
  }
  return Number(c.s.slice(start, c.i));
}

function scanPrefix(c: Cursor): Prefix {
  skipWs(c);
  eat(c, 47 /* / */);
  const first = peek(c);
  if (first !== 42 /* * */ && !isLabelChar(first)) return EMPTY_PREFIX;
  const elems: PrefixElem[] = [];
  do {
    if (peek(c) === 42) {
      c.i++;
      elems.push(ANY);
    } else elems.push({ kind: "label", value: scanLabel(c) });
  } while (maybeEat(c, 47));
  return elems;
}

function scanSimple(c: Cursor): NameTree<Path> {
  skipWs(c);
  switch (peek(c)) {
    case 40 /* ( */: {
      c.i++;
      const tree = scanTree(c);
      skipWs(c);
      eat(c, 41 /* ) */);
      return tree;
    }
    case 47 /* / */:
      return { type: "leaf", value: scanPath(c) };
    case 33 /* ! */:
      c.i++;
      return FAIL;
    case 126 /* ~ */:
      c.i++;
      return NEG;
    case 36 /* $ */:
      c.i++;
      return EMPTY;
    default:
      return fail(c, "name (a path, '!', '~', '$' or '(')");
  }
}

function scanWeighted(c: Cursor): Weighted<Path> {
  skipWs(c);
  let weight = 1;
  if (isNumberChar(peek(c))) {
    weight = scanNumber(c);
    skipWs(c);
    eat(c, 42 /* * */);
    skipWs(c);
  }
  return { weight, tree: scanSimple(c) };
}

function scanTree1(c: Cursor): NameTree<Path> {
  const first = scanWeighted(c);
  skipWs(c);
  if (!maybeEat(c, 38 /* & */)) return first.tree;
  const trees = [first];
  do {
    trees.push(scanWeighted(c));
    skipWs(c);
  } while (maybeEat(c, 38));
  return { type: "union", trees };
}

function scanTree(c: Cursor): NameTree<Path> {
  const first = scanTree1(c);
  skipWs(c);
  if (!maybeEat(c, 124 /* | */)) return first;
  const trees = [first];
  do {
    trees.push(scanTree1(c));
    skipWs(c);
  } while (maybeEat(c, 124));
  return { type: "alt", trees };
}

function scanDentry(c: Cursor): Dentry {
  const prefix = scanPrefix(c);
  skipWs(c);
  eat(c, 61 /* = */);
  eat(c, 62 /* > */);
  return { prefix, dst: scanTree(c) };
}

/**
 * Parse a dtab: dentries separated by `;`, an optional trailing `;`, comments and whitespace.
 *
 * @param text The dtab text (may be empty).
 * @returns The dentries in order (later ones take precedence at lookup).
 * @throws {BadDtab} On a syntax error, naming what was expected and where.
 * @example
 * ```ts
 * import { parseDtab } from "./dtab.ts";
 * const dtab = parseDtab("/svc => /#/io.l5d.fs; # files\n/svc/web => 3 * /srv/a & /srv/b;");
 * dtab.length; // 2
 * ```
 */
export function parseDtab(text: string): Dtab {
  const c: Cursor = { s: text, i: 0 };
  const dentries: Dentry[] = [];
  do {
    skipWs(c);
    if (c.i < text.length) {
      dentries.push(scanDentry(c));
      skipWs(c);
    }
  } while (maybeEat(c, 59 /* ; */));
  skipWs(c);
  ensureEnd(c);
  return dentries;
}

/**
 * Where each dentry of a dtab starts, so a finding about dentry `k` can point at its own line
 * (config lint: a `dtab: |` block spans many lines).
 *
 * @param text A dtab text that {@linkcode parseDtab} accepts.
 * @returns The offset of each dentry's first character, in order.
 * @throws {BadDtab} On a syntax error.
 * @example
 * ```ts
 * import { dentryOffsets } from "./dtab.ts";
 * dentryOffsets("/a => /b;\n  /c => /d;"); // [0, 12]
 * ```
 */
export function dentryOffsets(text: string): number[] {
  const c: Cursor = { s: text, i: 0 };
  const out: number[] = [];
  do {
    skipWs(c);
    if (c.i < text.length) {
      out.push(c.i);
      scanDentry(c);
      skipWs(c);
    }
  } while (maybeEat(c, 59 /* ; */));
  return out;
}

/**
 * Parse one dentry `prefix => tree`.
 *
 * @param text The dentry text.
 * @returns The dentry.
 * @throws {BadDtab} On a syntax error.
 * @example
 * ```ts
 * import { parseDentry } from "./dtab.ts";
 * parseDentry("/http/1.1/GET/* => /smitten").prefix.length; // 4
 * ```
 */
export function parseDentry(text: string): Dentry {
  const c: Cursor = { s: text, i: 0 };
  const d = scanDentry(c);
  skipWs(c);
  ensureEnd(c);
  return d;
}

/**
 * Parse a dentry prefix such as `/svc/*` (used by X-Dtab headers).
 *
 * @param text The prefix text.
 * @returns The prefix elements.
 * @throws {BadDtab} On a syntax error.
 * @example
 * ```ts
 * import { parsePrefix } from "./dtab.ts";
 * parsePrefix("/a/*"); // [{kind: "label", value: "a"}, {kind: "any"}]
 * ```
 */
export function parsePrefix(text: string): Prefix {
  const c: Cursor = { s: text, i: 0 };
  const p = scanPrefix(c);
  skipWs(c);
  ensureEnd(c);
  return p;
}

/**
 * Parse a name tree such as `/a | 2 * /b & /c | ~`.
 *
 * @param text The tree text.
 * @returns The tree of paths.
 * @throws {BadDtab} On a syntax error.
 * @example
 * ```ts
 * import { parseNameTree } from "./dtab.ts";
 * parseNameTree("/foo & /bar | /baz").type; // "alt"
 * ```
 */
export function parseNameTree(text: string): NameTree<Path> {
  const c: Cursor = { s: text, i: 0 };
  const t = scanTree(c);
  skipWs(c);
  ensureEnd(c);
  return t;
}

/**
 * Show a prefix: like a path, with `*` for a wildcard element.
 *
 * @param prefix The prefix.
 * @returns e.g. `/a/*`, or `/` when empty.
 * @example
 * ```ts
 * import { parsePrefix, showPrefix } from "./dtab.ts";
 * showPrefix(parsePrefix("/a/*")); // "/a/*"
 * ```
 */
export function showPrefix(prefix: Prefix): string {
  if (prefix.length === 0) return "/";
  let out = "";
  for (const e of prefix) out += e.kind === "any" ? "/*" : "/" + showLabel(e.value);
  return out;
}

/**
 * Show a dentry as Finagle does: `<prefix>=><tree>`, no spaces around `=>`.
 *
 * @param d The dentry.
 * @returns The canonical text.
 * @example
 * ```ts
 * import { parseDentry, showDentry } from "./dtab.ts";
 * showDentry(parseDentry("/a => /b | /c")); // "/a=>/b | /c"
 * ```
 */
export function showDentry(d: Dentry): string {
  return showPrefix(d.prefix) + "=>" + showTree(d.dst, showPath);
}

/**
 * Show a dtab as Finagle does: dentries joined by `;`, no trailing `;`.
 *
 * @param dtab The dtab.
 * @returns The canonical text; `showDtab(parseDtab(showDtab(d)))` is a fixpoint.
 * @example
 * ```ts
 * import { parseDtab, showDtab } from "./dtab.ts";
 * showDtab(parseDtab("/a => /b;\n/c => /d;")); // "/a=>/b;/c=>/d"
 * ```
 */
export function showDtab(dtab: Dtab): string {
  let out = "";
  for (let i = 0; i < dtab.length; i++) out += (i === 0 ? "" : ";") + showDentry(dtab[i]!);
  return out;
}

/**
 * Does `prefix` match the start of `path`? Labels must be equal; `*` matches any one label.
 *
 * @param prefix The dentry prefix.
 * @param path The path.
 * @returns True when the prefix matches.
 * @example
 * ```ts
 * import { parsePrefix, prefixMatches } from "./dtab.ts";
 * prefixMatches(parsePrefix("/a/*"), ["a", "b", "c"]); // true
 * ```
 */
export function prefixMatches(prefix: Prefix, path: Path): boolean {
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    const e = prefix[i]!;
    if (e.kind === "label" && e.value !== path[i]) return false;
  }
  return true;
}

/**
 * The tree a dentry rewrites `path` to: its dst with the unmatched rest of the path appended to
 * every leaf. The caller has checked {@linkcode prefixMatches}.
 *
 * @param d The matching dentry.
 * @param path The path.
 * @returns The rewritten tree (the dst itself when nothing is left over).
 * @example
 * ```ts
 * import { parseDentry, rewrite } from "./dtab.ts";
 * rewrite(parseDentry("/a => /x"), ["a", "b"]); // leaf /x/b
 * ```
 */
export function rewrite(d: Dentry, path: Path): NameTree<Path> {
  if (d.prefix.length === path.length) return d.dst;
  const rest = path.slice(d.prefix.length);
  return mapTree(d.dst, (p) => p.concat(rest));
}

/**
 * Finagle's `Dtab.lookup`: scan the dentries bottom to top; every matching dentry contributes
 * its rewrite. No match gives `~`, one match its tree, several an alt in bottom-to-top order.
 *
 * @param dtab The dtab.
 * @param path The path to look up.
 * @returns The tree of rewritten paths.
 * @example
 * ```ts
 * import { lookup, parseDtab } from "./dtab.ts";
 * import { showTree } from "./name_tree.ts";
 * import { showPath } from "./path.ts";
 * showTree(lookup(parseDtab("/foo/bar=>/xxx;/foo=>/yyy"), ["foo", "bar", "baz"]), showPath);
 * // "/yyy/bar/baz | /xxx/baz"
 * ```
 */
export function lookup(dtab: Dtab, path: Path): NameTree<Path> {
  let first: NameTree<Path> | undefined;
  let more: NameTree<Path>[] | undefined;
  for (let i = dtab.length - 1; i >= 0; i--) {
    const d = dtab[i]!;
    if (!prefixMatches(d.prefix, path)) continue;
    const t = rewrite(d, path);
    if (first === undefined) first = t;
    else (more ??= [first]).push(t);
  }
  return more ? alt(...more) : first ?? NEG;
}
