/**
 * Identification: request → logical name (`/svc/hello`). An identifier either names the request
 * or says why not; a list of identifiers is tried in order and the first name wins (Linkerd's
 * `Identifier.compose`). Nothing identified → `UnknownDestination` (400) with the last
 * identifier's reason. An identifier that fails (throws, e.g. `io.l5d.header` with a value that
 * is not a path) fails the request there: the next identifier is not tried.
 *
 * @module
 */
import type { Path } from "../dtab/types.ts";
import { UnknownDestination } from "../core/errors.ts";
import { requestParts } from "../http/raw/request_parts.ts";

/** What an identifier sees: the request, its parsed URL and the effective Host. */
export interface IdentifyInput {
  readonly req: Request;
  readonly url: URL;
  /** Host after http_proxy rewriting (absolute-form authority, else the Host header), as sent. */
  readonly host: string;
  /** HTTP version, `"1.0"`, `"1.1"` or `"2.0"` (an h2 listener's request; absent: `"1.1"`). */
  readonly version?: string;
}

/** A name, and optionally the origin-form target to forward instead (path `consume`). */
export type Identified =
  | { readonly ok: true; readonly dst: Path; readonly target?: string }
  | { readonly ok: false; readonly reason: string };

/**
 * One identifier. `{ok: false}` means "unidentified": a chain moves on to the next identifier.
 * Throwing (a typed error such as `UnknownDestination`) fails the request outright, as a failed
 * Future does in Linkerd.
 */
export type Identifier = (input: IdentifyInput) => Identified;

/**
 * Try identifiers in order while they leave the request unidentified; return the first name, or
 * throw `UnknownDestination` with the last identifier's reason (Linkerd's `Identifier.compose`
 * folds to the last identifier's result). An identifier's own error propagates at once.
 *
 * @throws UnknownDestination when no identifier names the request
 *
 * @example
 * ```ts
 * import { composeIdentifiers } from "./identifier.ts";
 * const id = composeIdentifiers([() => ({ ok: true, dst: ["svc", "a"] })]);
 * ```
 */
export function composeIdentifiers(ids: readonly Identifier[]): Identifier {
  if (ids.length === 1) {
    const only = ids[0]!;
    return function identifyOne(input) {
      const r = only(input);
      if (!r.ok) throw new UnknownDestination(`Unknown destination: ${r.reason}`, r.reason);
      return r;
    };
  }
  return function identifyAny(input) {
    let reason = "no identifier";
    for (const id of ids) {
      const r = id(input); // a throw here fails the request: later identifiers are not tried
      if (r.ok) return r;
      reason = r.reason;
    }
    throw new UnknownDestination(`Unknown destination: ${reason}`, reason);
  };
}

/**
 * The first value of a request header, as Finagle's `headerMap.get` gives it: `-H 'X: a' -H 'X: b'`
 * reads `a`, not `a, b`. The raw engine keeps the fields in wire order; a request from elsewhere
 * (`Deno.serve`) has only the combined value.
 *
 * @param req the request
 * @param name lower-case header name
 * @returns the first value, or null when the header is absent
 * @example
 * ```ts
 * import { firstHeader } from "./identifier.ts";
 * firstHeader(new Request("http://a/", { headers: { "x-svc": "a" } }), "x-svc"); // "a"
 * ```
 */
export function firstHeader(req: Request, name: string): string | null {
  const parts = requestParts.get(req);
  if (parts === undefined) return req.headers.get(name);
  for (const e of parts.headers) if (e[0] === name) return e[1];
  return null;
}

/**
 * The last value of a request field (h2's identifiers), from the wire-order list when the
 * listener gave one; else the `Headers` value (repeats joined).
 */
export function lastHeader(req: Request, name: string): string | null {
  const parts = requestParts.get(req);
  if (parts === undefined) return req.headers.get(name);
  let v: string | null = null;
  for (const e of parts.headers) if (e[0] === name) v = e[1];
  return v;
}

/** Split a URL pathname into its non-empty segments (raw, not percent-decoded). */
export function pathSegments(pathname: string): string[] {
  const out: string[] = [];
  for (const s of pathname.split("/")) if (s) out.push(s);
  return out;
}
