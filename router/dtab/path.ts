/**
 * Finagle paths: `/a/b/c` as decoded labels. Label characters `[0-9A-Za-z_:.#$%-]` are written
 * as they are; any label holding another character is written with every UTF-8 byte as `\xHH`
 * (lowercase hex), exactly like Finagle's `Path.show`. The parser accepts `\xHH` in either case.
 *
 * @module
 */
import { ensureEnd, isShowable, scanPath, skipWs } from "./_scanner.ts";
import type { Path } from "./types.ts";

/** `String.prototype.charCodeAt` for `charCodeAt.call(s, i)`: see `router/http/h1/_bytes.ts`. */
const charCodeAt = String.prototype.charCodeAt;

/**
 * Parse a path such as `/svc/hello` (surrounding whitespace allowed; `/` is the empty path).
 *
 * @param s The path text.
 * @returns The decoded labels.
 * @throws {BadDtab} With Finagle's message, e.g. `label char expected but end of input found at
 * '/foo/bar/[]' (offset 9, line 1, column 10)`.
 *
 * @example
 * ```ts
 * import { parsePath } from "./path.ts";
 * parsePath("/svc/\\x66oo"); // ["svc", "foo"]
 * ```
 */
export function parsePath(s: string): Path {
  const c = { s, i: 0 };
  const path = scanPath(c);
  skipWs(c);
  ensureEnd(c);
  return path;
}

const HEX = "0123456789abcdef";
const utf8 = new TextEncoder();

/**
 * Show one label: as is when every char is showable, else every UTF-8 byte as `\xhh`.
 *
 * @param label A decoded label.
 * @returns Its escaped form.
 *
 * @example
 * ```ts
 * import { showLabel } from "./path.ts";
 * showLabel("a b"); // "\\x61\\x20\\x62"
 * ```
 */
export function showLabel(label: string): string {
  let plain = true;
  for (let i = 0, n = label.length; i < n; i++) {
    if (!isShowable(charCodeAt.call(label, i))) {
      plain = false;
      break;
    }
  }
  if (plain) return label;
  let out = "";
  for (const b of utf8.encode(label)) out += "\\x" + HEX[b >> 4] + HEX[b & 15];
  return out;
}

/**
 * Show a path: `/` + labels joined by `/`; the empty path shows as `/`.
 *
 * @param p The path.
 * @returns Its canonical text, which {@linkcode parsePath} reads back.
 *
 * @example
 * ```ts
 * import { showPath } from "./path.ts";
 * showPath(["svc", "hello:7777"]); // "/svc/hello:7777"
 * ```
 */
export function showPath(p: Path): string {
  if (p.length === 0) return "/";
  let out = "";
  for (const label of p) out += "/" + showLabel(label);
  return out;
}
