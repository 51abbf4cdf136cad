/**
 * Turn a parsed request head into the web `Request` a handler gets, the way `Deno.serve` builds
 * it, so router code sees the same `req.url` from either engine.
 *
 * - origin-form: `http://<Host><target>`; without a (non-empty) Host, `http://localhost:<port>`
 *   as `Deno.serve` does.
 * - absolute-form (`GET http://hello/p`, as http_proxy clients send): the target as is; the Host
 *   header stays in the headers.
 * - authority-form (CONNECT): `http://<host:port>/` (the URL parser adds the `/`).
 * - asterisk-form (`OPTIONS *`): `http://<Host>/*`.
 * - CONNECT, TRACE and TRACK are methods `new Request` refuses: the request is built as GET and
 *   carries the real method as an own `method` property. `fetch(req)` or `req.clone()` would
 *   see GET: the router must not forward these with `fetch`.
 *
 * @module
 */
import type { RequestHead } from "./request_head.ts";

const FORBIDDEN = new Set(["CONNECT", "TRACE", "TRACK"]);

/**
 * Build the `Request` for a parsed head.
 *
 * @param h the parsed head
 * @param body the body stream, or null
 * @param signal aborts when the client goes away
 * @param hostDefault `localhost:<listener port>`, for requests without a Host
 * @returns the request
 * @throws {TypeError} when the URL is invalid (the caller answers 400)
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
): Request {
  let url: string;
  switch (h.form) {
    case "origin":
      url = `http://${h.host || hostDefault}${h.target}`;
      break;
    case "absolute":
      url = h.target;
      break;
    case "authority":
      url = `http://${h.target}`;
      break;
    default:
      url = `http://${h.host || hostDefault}/*`;
  }
  const forbidden = FORBIDDEN.has(h.method);
  const method = forbidden ? "GET" : h.method;
  const req = body === null
    ? new Request(url, { method, headers: h.headers, signal })
    : new Request(url, { method, headers: h.headers, body, signal, duplex: "half" } as RequestInit);
  if (forbidden) Object.defineProperty(req, "method", { value: h.method });
  return req;
}
