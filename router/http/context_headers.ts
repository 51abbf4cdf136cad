/**
 * The inbound headers the router decodes (dtabs, deadlines, trace context, `via`), picked out of
 * the request's header list in the one pass the server makes anyway (its size check). Decoders
 * then read a small map instead of calling `Headers.get` ~20 times per request (each call
 * validates and scans; together they cost several µs). Most requests carry none of these
 * headers and share one empty view.
 *
 * @module
 */

/** `String.prototype.charCodeAt` for `charCodeAt.call(s, i)`: see `router/http/h1/_bytes.ts`. */
const charCodeAt = String.prototype.charCodeAt;

/** What header decoders read: `Headers` satisfies it, and so does a context view. */
export interface HeaderLookup extends Iterable<[string, string]> {
  get(name: string): string | null;
  has(name: string): boolean;
}

/**
 * True for a header name a decoder may read (lower-case): `l5d-*`, `x-b3-*`, `x-dtab-*`, `b3`,
 * `traceparent`, `tracestate`, `grpc-timeout`, `via`. Not `dtab-local` or `x-dtab-*`: as
 * Linkerd's, the router does not read them (they pass through).
 *
 * @example
 * ```ts
 * import { isContextHeader } from "./context_headers.ts";
 * isContextHeader("l5d-dtab"); // true
 * isContextHeader("accept"); // false
 * ```
 */
export function isContextHeader(name: string): boolean {
  switch (charCodeAt.call(name, 0)) {
    case 108: // l
      return name.startsWith("l5d-");
    case 120: // x
      return name.startsWith("x-b3-");
    case 98: // b
      return name === "b3";
    case 116: // t
      return name === "traceparent" || name === "tracestate";
    case 103: // g
      return name === "grpc-timeout";
    case 118: // v
      return name === "via";
    default:
      return false;
  }
}

class MapView implements HeaderLookup {
  constructor(readonly map: Map<string, string>) {}
  get(name: string): string | null {
    return this.map.get(name) ?? null;
  }
  has(name: string): boolean {
    return this.map.has(name);
  }
  [Symbol.iterator](): Iterator<[string, string]> {
    return this.map.entries();
  }
}

/** The view of a request without context headers. */
export const NO_CONTEXT_HEADERS: HeaderLookup = new MapView(new Map());

/**
 * A lookup over context headers already picked out (lower-case names, combined values).
 *
 * @example
 * ```ts
 * import { contextView } from "./context_headers.ts";
 * const h = contextView(new Map([["l5d-dtab", "/svc => /#/io.l5d.fs"]]));
 * h.get("l5d-dtab"); // "/svc => /#/io.l5d.fs"
 * h.get("accept"); // null
 * ```
 */
export function contextView(map: Map<string, string>): HeaderLookup {
  return new MapView(map);
}
