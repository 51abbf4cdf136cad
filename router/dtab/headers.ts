/**
 * The local dtab carried by HTTP request headers, read the way Finagle and Linkerd read it,
 * in precedence order (later entries win at lookup):
 *
 * 1. `X-Dtab-NN-A` / `X-Dtab-NN-B` pairs (Finagle's old encoding: base64 of prefix and dst;
 *    recognised when the numbering starts at 00 or 01, as Finagle wrote them),
 * 2. `Dtab-Local` (Finagle; deprecated in Linkerd), several headers or comma-separated dtabs,
 * 3. `l5d-ctx-dtab` (set by linkerd, forwarded by apps),
 * 4. `l5d-dtab` (set by users; overrides everything above).
 *
 * The result is appended to the router's base dtab. Header names are case-insensitive. The
 * router reads only 3 and 4, as Linkerd ({@link l5dDtabFromHeaders}). This is the server side only: the ctx-header filter (`router/http/ctx_headers.ts`) strips these
 * headers and re-emits the local dtab as `l5d-ctx-dtab` downstream.
 *
 * @module
 */
import { BadDtab } from "../core/errors.ts";
import { parseDtab, parseNameTree, parsePrefix } from "./dtab.ts";
import type { Dentry, Dtab } from "./types.ts";

const X_DTAB = "x-dtab-";
const EMPTY: Dtab = Object.freeze([]) as Dtab;
const utf8 = new TextDecoder();

/** What the decoder reads: a `Headers`, or the router's view of a request's context headers. */
export type HeaderLookup = Iterable<[string, string]> & {
  get(name: string): string | null;
  has(name: string): boolean;
};

/** Header values are ByteStrings; show non-ASCII ones as the UTF-8 text they carry. */
function readable(value: string): string {
  for (let i = 0; i < value.length; i++) {
    if (value.charCodeAt(i) > 127) {
      const bytes = Uint8Array.from(value, (ch) => ch.charCodeAt(0) & 0xff);
      return utf8.decode(bytes);
    }
  }
  return value;
}

/** Java's strict `Base64.getDecoder().decode` then UTF-8; `undefined` when not base64. */
function b64Decode(value: string): string | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return undefined;
  const body = value.replace(/=+$/, "");
  if (body.length % 4 === 1) return undefined;
  if (value.length !== body.length && value.length % 4 !== 0) return undefined;
  const bin = atob(body + "=".repeat((4 - (body.length % 4)) % 4));
  return utf8.decode(Uint8Array.from(bin, (ch) => ch.charCodeAt(0)));
}

/**
 * Iterating a `Headers` costs ~20 µs in Deno (it sorts and joins every time), too much for every
 * request. Finagle's encoder numbered pairs from 00 (or 01), so probe those names first and
 * iterate only when one is present.
 */
function mayHaveXDtab(headers: HeaderLookup): boolean {
  return headers.has("x-dtab-00-a") || headers.has("x-dtab-01-a") ||
    headers.has("x-dtab-00-b") || headers.has("x-dtab-01-b");
}

function readXDtab(headers: HeaderLookup): Dtab {
  if (!mayHaveXDtab(headers)) return EMPTY;
  let keys: string[] | undefined;
  for (const [name] of headers) {
    if (name.startsWith(X_DTAB)) (keys ??= []).push(name);
  }
  if (keys === undefined) return EMPTY;
  keys.sort();
  if (keys.length % 2 !== 0) throw new BadDtab("Unmatched X-Dtab headers");
  const out: Dentry[] = [];
  for (let i = 0; i < keys.length; i += 2) {
    const a = keys[i]!;
    const b = keys[i + 1]!;
    if (!a.endsWith("a") || !b.endsWith("b") || a.slice(0, -1) !== b.slice(0, -1)) {
      throw new BadDtab("Unmatched X-Dtab headers");
    }
    const rawPrefix = headers.get(a)!;
    const prefixText = b64Decode(rawPrefix);
    if (prefixText === undefined) {
      throw new BadDtab("Value not b64-encoded: " + readable(rawPrefix));
    }
    let prefix;
    try {
      prefix = parsePrefix(prefixText);
    } catch (e: unknown) {
      throw new BadDtab("Invalid prefix: " + prefixText, { cause: e });
    }
    const rawDst = headers.get(b)!;
    const dstText = b64Decode(rawDst);
    if (dstText === undefined) throw new BadDtab("Value not b64-encoded: " + readable(rawDst));
    let dst;
    try {
      dst = parseNameTree(dstText);
    } catch (e: unknown) {
      throw new BadDtab("Invalid name: " + dstText, { cause: e });
    }
    out.push({ prefix, dst });
  }
  return out;
}

/**
 * Parse one header's value. `Headers` joins repeated headers with ", ", and Finagle splits
 * `Dtab-Local` on commas (a comma is never part of a dtab): try the whole value first, then
 * its comma-separated parts.
 */
function readHeader(headers: HeaderLookup, name: string): Dtab {
  const value = headers.get(name);
  if (value === null) return EMPTY;
  try {
    return parseDtab(value);
  } catch (e: unknown) {
    if (value.includes(",")) {
      try {
        return value.split(",").flatMap((part) => parseDtab(part));
      } catch {
        // report the error of the whole value
      }
    }
    const msg = e instanceof Error ? e.message : String(e);
    throw new BadDtab(`Invalid ${name} header: ${msg}`, { cause: e });
  }
}

/**
 * Read the local dtab from request headers: X-Dtab pairs, then `Dtab-Local`, then
 * `l5d-ctx-dtab`, then `l5d-dtab` (later entries take precedence).
 *
 * @param headers The request headers.
 * @returns The local dtab (empty when no dtab header is present).
 * @throws {BadDtab} On a malformed header, with Finagle's text for X-Dtab errors
 * (`Unmatched X-Dtab headers`, `Value not b64-encoded: …`, `Invalid prefix: …`,
 * `Invalid name: …`) and `Invalid <header> header: <parse error>` otherwise.
 * @example
 * ```ts
 * import { dtabFromHeaders } from "./headers.ts";
 * const dtab = dtabFromHeaders(new Headers({ "l5d-dtab": "/svc/web => /svc/web-v2" }));
 * dtab.length; // 1
 * ```
 */
export function dtabFromHeaders(headers: HeaderLookup): Dtab {
  const x = readXDtab(headers);
  const local = readHeader(headers, "dtab-local");
  const ctx = readHeader(headers, "l5d-ctx-dtab");
  const user = readHeader(headers, "l5d-dtab");
  if (x.length + local.length + ctx.length === 0) return user;
  return [...x, ...local, ...ctx, ...user];
}

/**
 * Read the local dtab the way Linkerd's HTTP and h2 routers do (LinkerdHeaders `Ctx.Dtab`):
 * `l5d-ctx-dtab`, then `l5d-dtab` (which wins). Linkerd removes Finagle's dtab context filter
 * from its server stack, so `Dtab-Local` and `X-Dtab-*` are ordinary headers there: not read,
 * and forwarded as they came (HttpEndToEndTest "dtab-local header is ignored").
 *
 * @param headers The request headers.
 * @returns The local dtab (empty when neither header is present).
 * @throws {BadDtab} `Invalid <header> header: <parse error>` on a malformed value.
 * @example
 * ```ts
 * import { l5dDtabFromHeaders } from "./headers.ts";
 * l5dDtabFromHeaders(new Headers({ "dtab-local": "/a=>/b" })).length; // 0
 * ```
 */
export function l5dDtabFromHeaders(headers: HeaderLookup): Dtab {
  const ctx = readHeader(headers, "l5d-ctx-dtab");
  const user = readHeader(headers, "l5d-dtab");
  if (ctx.length === 0) return user;
  return user.length === 0 ? ctx : [...ctx, ...user];
}
