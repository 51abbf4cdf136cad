/**
 * Every header name the router reads or writes, and the header helpers of the data path:
 * hop-by-hop removal (RFC 9110 §7.6.1), `Via` counting, Linkerd's `l5d-err` encoding.
 *
 * @module
 */

/** `String.prototype.charCodeAt` for `charCodeAt.call(s, i)`: see `router/http/h1/_bytes.ts`. */
const charCodeAt = String.prototype.charCodeAt;

/** Linkerd 1.x header names (`l5d-*`), plus the trace headers we propagate. */
export const H = {
  dtab: "l5d-dtab",
  ctxDtab: "l5d-ctx-dtab",
  ctxDeadline: "l5d-ctx-deadline",
  ctxTrace: "l5d-ctx-trace",
  ctxPrefix: "l5d-ctx-",
  sample: "l5d-sample",
  dstService: "l5d-dst-service",
  dstClient: "l5d-dst-client",
  dstResidual: "l5d-dst-residual",
  reqId: "l5d-reqid",
  err: "l5d-err",
  retryable: "l5d-retryable",
  successClass: "l5d-success-class",
  addContext: "l5d-add-context",
  dtabLocal: "dtab-local",
  via: "via",
  host: "host",
  traceparent: "traceparent",
  tracestate: "tracestate",
  grpcTimeout: "grpc-timeout",
  forwarded: "forwarded",
  clientCert: "x-forwarded-client-cert",
  location: "location",
  refresh: "refresh",
} as const;

/**
 * The `Via` entry this router appends, exactly Linkerd's (`ViaHeaderAppenderFilter`): peers and
 * tests that match `Via: 1.1 linkerd` keep working across a mixed Linkerd/Switchyard mesh.
 */
export const VIA_VALUE = "1.1 linkerd";

/** The `Via` entry for an HTTP/1.0 request (Linkerd names the request's version). */
export const VIA_VALUE_10 = "1.0 linkerd";

/**
 * The `Via` entry of `protocol: h2` routers, on requests and responses: Linkerd's h2
 * `ViaHeaderFilter` default (`router/h2/.../ViaHeaderFilter.scala`, `Param("h2 linkerd")`).
 */
export const VIA_VALUE_H2 = "h2 linkerd";

/** Hop-by-hop headers always removed in both directions. */
export const HOP_BY_HOP: readonly string[] = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

const HOP_SET = new Set(HOP_BY_HOP);

/** True if `name` (lower case) is a hop-by-hop header: the fixed list, and every `proxy-*`. */
export function isHopByHop(name: string): boolean {
  return HOP_SET.has(name) || name.startsWith("proxy-");
}

/**
 * Remove hop-by-hop headers in place: the fixed list, plus every header the `Connection`
 * header names.
 *
 * @example
 * ```ts
 * import { stripHopByHop } from "./headers.ts";
 * const h = new Headers({ connection: "close, x-secret", "x-secret": "1", a: "b" });
 * stripHopByHop(h);
 * ```
 */
export function stripHopByHop(headers: Headers): void {
  const conn = headers.get("connection");
  if (conn) {
    for (const name of conn.split(",")) {
      const n = name.trim().toLowerCase();
      if (n) headers.delete(n);
    }
  }
  for (const name of HOP_BY_HOP) headers.delete(name);
  // Every `Proxy-*` field is hop-by-hop (RFC 9110 §7.6.1).
  const proxy: string[] = [];
  for (const name of headers.keys()) if (name.startsWith("proxy-")) proxy.push(name);
  for (const name of proxy) headers.delete(name);
}

/** Number of entries in a `Via` header value (comma separated). */
export function viaCount(via: string | null): number {
  if (!via) return 0;
  let n = 1;
  for (let i = 0, len = via.length; i < len; i++) if (charCodeAt.call(via, i) === 44) n++;
  return n;
}

/**
 * Java's `URLEncoder.encode(s, ISO_8859_1)`, which Linkerd uses for `l5d-err` values (its
 * `LinkerdHeaders.Err.respond`): letters, digits and `.-*_` stay, space becomes `+`, a character
 * up to U+00FF becomes `%XX` of its Latin-1 byte, and any other character `%3F` (the encoder's
 * `?` for what Latin-1 cannot hold).
 */
export function javaUrlEncode(s: string): string {
  let out = "";
  for (const ch of s) {
    const b = ch.codePointAt(0)!;
    if (
      (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) ||
      b === 0x2e || b === 0x2d || b === 0x2a || b === 0x5f
    ) out += ch;
    else if (b === 0x20) out += "+";
    else if (b > 0xff) out += "%3F";
    else out += "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}
