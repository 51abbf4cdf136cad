/**
 * `new Request(url, init)` for any method: the fetch spec refuses CONNECT, TRACE and TRACK
 * ("Method is forbidden") and a GET or HEAD with a body, but a proxy forwards TRACE (Linkerd's
 * diagnostic tracing rides on it), tunnels CONNECT and passes on the body it was sent. Such a
 * request is built as GET (POST when it has a body) and carries the real method on an own
 * `method` property, which the HTTP/1.1 client writes on the wire.
 * `fetch(req)` would send the stand-in method: never fetch these.
 *
 * @example
 * ```ts
 * import { requestWithMethod } from "./request_method.ts";
 * requestWithMethod("http://a/", { method: "TRACE" }).method; // "TRACE"
 * ```
 *
 * @module
 */

/** The methods `new Request` refuses. */
export const FORBIDDEN_METHODS: ReadonlySet<string> = new Set(["CONNECT", "TRACE", "TRACK"]);

/**
 * Build a request whose method may be one `new Request` refuses.
 *
 * @param url the request URL
 * @param init as for `new Request`, with the method given
 * @returns the request; `req.method` is `init.method`
 * @throws {TypeError} as `new Request` does for anything else (bad URL, GET with a body, …)
 */
export function requestWithMethod(url: string, init: RequestInit & { method: string }): Request {
  const method = init.method;
  const hasBody = init.body !== null && init.body !== undefined;
  if (!FORBIDDEN_METHODS.has(method) && !(hasBody && (method === "GET" || method === "HEAD"))) {
    return new Request(url, init);
  }
  const stand = hasBody ? "POST" : "GET";
  const req = new Request(url, { ...init, method: stand });
  Object.defineProperty(req, "method", { value: method });
  return req;
}
