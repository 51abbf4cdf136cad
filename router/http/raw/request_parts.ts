/**
 * What the raw engine already parsed for a `Request` it built: the URL and the header list
 * (lower-case names, wire order, repeated fields kept). The router reads them here instead of
 * parsing `req.url` again and iterating `req.headers` (whose iterator sorts and combines into a
 * fresh list: ~5 KB of garbage per request, issue 6). Kept on the request (a symbol-keyed
 * property): it goes away with the request.
 *
 * @example
 * ```ts
 * import { requestParts } from "./request_parts.ts";
 * const headers: [string, string][] = [["host", "a"]];
 * const req = new Request("http://a/x", { headers });
 * requestParts.set(req, { url: new URL(req.url), headers });
 * requestParts.get(req)?.url.pathname; // "/x"
 * ```
 *
 * @module
 */
import type { TrailerBox } from "../../core/trailers.ts";

/** A request's URL and header list as parsed off the wire. */
export interface RequestParts {
  /**
   * `new URL(req.url)`. Read it, never change it: the raw engine gives requests with the same
   * origin-form Host and target one URL object (`build_request.ts`).
   */
  readonly url: URL;
  /** The header fields in wire order, names lower-cased, repeats not combined. */
  readonly headers: [string, string][];
  /** HTTP/1.minor of the request line (absent: 1). */
  readonly minor?: number;
  /**
   * The request came in on the raw engine, which writes a small response body from its
   * registered bytes and gives their pooled buffer back (`H1Request.pooledBody`).
   */
  readonly rawEngine?: boolean;
  /** 2 for a request that came over HTTP/2 (an h2 router's listener); absent: 1. */
  readonly major?: number;
  /** The request line's target was absolute-form (`GET http://hello/ HTTP/1.1`). */
  readonly absolute?: boolean;
  /**
   * The trailers of an HTTP/2 request stream (an h2 router's listener; filled when they arrive,
   * ended with the stream), which the h2 client sends on after the body.
   */
  readonly trailers?: TrailerBox;
  /**
   * An `OPTIONS` for the server as a whole: asterisk-form (`OPTIONS * HTTP/1.1`), or absolute-form
   * with an empty path (`OPTIONS http://hello HTTP/1.1`). Its URL's path reads `/*` or `/`; it is
   * forwarded as `OPTIONS *` (RFC 9112 §3.2.4).
   */
  readonly asterisk?: boolean;
  /** Sends an upstream's interim (1xx) response on to the client (raw engine, HTTP/1.1). */
  readonly interim?: ((status: number, headers: [string, string][]) => void) | undefined;
}

/**
 * The HTTP version of a request as Linkerd names it in `io.l5d.methodAndHost` names and `Via`:
 * `"1.0"` for an HTTP/1.0 request line the raw engine parsed, else `"1.1"` (Deno.serve does not
 * say; it answers HTTP/1.0 clients as 1.1 ones).
 *
 * `"2.0"` for a request an h2 router's listener received.
 *
 * @returns `"1.0"`, `"1.1"` or `"2.0"`
 */
export function httpVersion(req: Request): "1.0" | "1.1" | "2.0" {
  const p = requestParts.get(req);
  return p?.major === 2 ? "2.0" : p?.minor === 0 ? "1.0" : "1.1";
}

/** Where a request's parts are kept: a symbol-keyed property of the request itself. */
const PARTS: unique symbol = Symbol("switchyard.requestParts");

type WithParts = { [PARTS]?: RequestParts };

/**
 * Parts of the requests the raw engine built, kept on the `Request`: a symbol-keyed property,
 * not a `WeakMap` entry (a weak map's entries are ephemerons the garbage collector processes
 * apart, and a lookup hashes; this is a property load of a stable shape, issue 6). It goes away
 * with the request.
 */
export const requestParts: {
  get(req: Request): RequestParts | undefined;
  set(req: Request, parts: RequestParts): void;
} = {
  get: (req) => (req as WithParts)[PARTS],
  set: (req, parts) => {
    (req as WithParts)[PARTS] = parts;
  },
};
