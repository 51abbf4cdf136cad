/**
 * Turn a parsed request head into the web `Request` a handler gets, the way `Deno.serve` builds
 * it, so router code sees the same `req.url` from either engine.
 *
 * - origin-form: `http://<Host><target>`; without a (non-empty) Host, `http://localhost:<port>`
 *   as `Deno.serve` does.
 * - absolute-form (`GET http://hello/p`, as http_proxy clients send): the target as is; the Host
 *   header stays in the headers.
 * - authority-form (CONNECT): `http://<host:port>/` (the URL parser adds the `/`).
 * - asterisk-form (`OPTIONS *`): `http://<Host>/*`, marked `asterisk` in its parts (as is an
 *   absolute-form OPTIONS with an empty path) so that it is forwarded as `OPTIONS *`.
 * - The method is normalised as `new Request` does (a case-insensitive DELETE, GET, HEAD,
 *   OPTIONS, POST or PUT is upper-cased; anything else kept as sent). A GET or HEAD may carry a
 *   body (which `new Request` refuses): a proxy forwards what it was sent.
 *
 * Two ways to build it:
 *
 * - Fast (the default, see `_request_internals.ts`): a real `Request` built through Deno's
 *   internal brand constructor, as `Deno.serve` builds its own: no WebIDL conversion, no header
 *   copy, headers built lazily on first use from the head's list with names lower-cased (the
 *   head's `headers` array is lower-cased in place and becomes the request's list) and guard
 *   `"immutable"` as with `Deno.serve`; `req.signal` is `signal` itself; CONNECT, TRACE and TRACK
 *   are carried as real methods (`req.clone()` and `new Request(req)` keep them too).
 * - Fallback, when the load-time self-test of the internals fails (another Deno version) or
 *   the fast path is switched off (`setFastRequests(false)`, tests only): the public
 *   `new Request(url, init)`. Headers are then mutable (guard `"request"`), `req.signal` follows
 *   `signal`, and CONNECT, TRACE and TRACK, and a GET or HEAD with a body, which `new Request`
 *   refuses, are built with a stand-in method and the real one as an own `method` property
 *   (`requestWithMethod`; `fetch(req)` or `req.clone()` would see the stand-in).
 *
 * Either way the router must not forward CONNECT/TRACE/TRACK with `fetch`.
 *
 * @module
 */
import { fastRequest } from "./_request_internals.ts";
import type { RequestHead } from "./request_head.ts";
import { requestParts } from "./request_parts.ts";
import { requestWithMethod } from "../../core/request_method.ts";

/**
 * The last origin-form request's Host, target and parsed URL. A client's requests on a connection
 * (and a load of many connections) mostly repeat the URL. Reusing its parse took the in-process
 * router harness from 5.10 to 4.92 µs a request (medians of 5 alternated pairs, none slower;
 * issue 6). The URL is shared by every request that reuses it, as `req.url` strings are: router
 * code reads a request's URL (`RequestParts.url`, `ctx.url`) and never changes it.
 */
const last: { host: string; target: string; url: URL } = {
  host: "",
  target: "",
  url: new URL("http://localhost/"),
};

/** An absolute-form target without path or query (`http://hello`, `http://hello:80`). */
const EMPTY_PATH = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*$/i;

/** The methods the fetch spec normalises (upper-cases when matched case-insensitively). */
const NORMALISED = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);

/** `new Request`'s method normalisation. */
/**
 * The method as `new Request` normalises it: a case-insensitive DELETE, GET, HEAD, OPTIONS, POST
 * or PUT is upper-cased; anything else is kept as sent.
 *
 * @example
 * ```ts
 * import { normaliseMethod } from "./build_request.ts";
 * normaliseMethod("get"); // "GET"
 * normaliseMethod("patch"); // "patch"
 * ```
 */
export function normaliseMethod(m: string): string {
  if (NORMALISED.has(m)) return m;
  const upper = m.toUpperCase();
  return NORMALISED.has(upper) ? upper : m;
}

/**
 * Build the `Request` for a parsed head.
 *
 * @param h the parsed head (its `headers` array is handed over: names are lower-cased in place
 *   and the request may keep the array)
 * @param body the body stream, or null
 * @param signal aborts when the client goes away
 * @param hostDefault `localhost:<listener port>`, for requests without a Host
 * @param interim where the upstream's interim (1xx) responses to it go (its parts' `interim`)
 * @returns the request
 * @throws {TypeError} when the URL is invalid, or a GET/HEAD has a body (the caller answers 400)
 * @example
 * ```ts
 * import { buildRequest } from "./build_request.ts";
 * import { parseRequestHead } from "./request_head.ts";
 * const b = new TextEncoder().encode("GET /p HTTP/1.1\r\nHost: svc\r\n\r\n");
 * const h = parseRequestHead(b, 0, b.length, { maxLineBytes: 8192, maxHeaders: 100 });
 * const req = buildRequest(h, null, new AbortController().signal, "localhost:4140");
 * console.log(req.url); // http://svc/p
 * ```
 */
export function buildRequest(
  h: RequestHead,
  body: ReadableStream<Uint8Array> | null,
  signal: AbortSignal,
  hostDefault: string,
  interim?: (status: number, headers: [string, string][]) => void,
): Request {
  let parsed: URL;
  const host = h.host || hostDefault;
  if (h.form === "origin" && host === last.host && h.target === last.target) {
    parsed = last.url; // the same origin-form URL as the last request's (see `last`)
  } else {
    let url: string;
    switch (h.form) {
      case "origin":
        url = `http://${host}${h.target}`;
        break;
      case "absolute":
        url = h.target;
        break;
      case "authority":
        url = `http://${h.target}`;
        break;
      default:
        url = `http://${host}/*`;
    }
    parsed = new URL(url);
    if (h.form === "origin") {
      last.host = host;
      last.target = h.target;
      last.url = parsed;
    }
  }
  const method = normaliseMethod(h.method);
  const href = parsed.href;
  const headers = h.headers;
  for (const pair of headers) pair[0] = pair[0].toLowerCase();
  const req = fastRequest(method, href, headers, body, signal) ??
    slowRequest(method, href, headers, body, signal);
  const absolute = h.form === "absolute";
  const asterisk = h.form === "asterisk" ||
    (absolute && method === "OPTIONS" && EMPTY_PATH.test(h.target));
  requestParts.set(req, {
    url: parsed,
    headers,
    minor: h.minor,
    absolute,
    asterisk,
    interim,
    rawEngine: true,
  });
  return req;
}

/** The public-constructor fallback. */
function slowRequest(
  method: string,
  href: string,
  headers: [string, string][],
  body: ReadableStream<Uint8Array> | null,
  signal: AbortSignal,
): Request {
  return body === null ? requestWithMethod(href, { method, headers, signal }) : requestWithMethod(
    href,
    { method, headers, body, signal, duplex: "half" } as RequestInit & {
      method: string;
    },
  );
}
