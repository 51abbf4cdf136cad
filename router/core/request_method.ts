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
  if (!FORBIDDEN_METHODS.has(method) && !(hasBody && isGetOrHead(method))) {
    return new Request(url, init);
  }
  const stand = hasBody ? "POST" : "GET";
  const req = new Request(url, { ...init, method: stand });
  // `new Request` would have normalised a `get` or `head` (Deno.serve passes the method as sent).
  const real = hasBody && !FORBIDDEN_METHODS.has(method) ? method.toUpperCase() : method;
  Object.defineProperty(req, "method", { value: real });
  return req;
}

/** GET or HEAD in any case: `new Request` normalises both, then refuses them a body. */
function isGetOrHead(method: string): boolean {
  if (method === "GET" || method === "HEAD") return true;
  const c = method.charCodeAt(0) | 0x20; // 'g' or 'h' before the regex (POST, PUT: no)
  return (c === 0x67 || c === 0x68) && /^(?:get|head)$/i.test(method);
}
