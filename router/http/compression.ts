/**
 * Response compression of http routers (Linkerd's `compressionLevel`, L1 `protocol-http.md`,
 * Finagle's server codec): with the default `-1`, a response whose content type is textual is
 * gzip-encoded when the client accepts gzip; `1`–`9` compress every content type; `0` turns it
 * off. Web `CompressionStream` has no level setting, so every level compresses at zlib's default
 * (6, Linkerd's level for `-1`).
 *
 * Left as they are: responses that already have a `Content-Encoding`, bodyless ones (HEAD, 1xx,
 * 204, 304), ranges (206), upgrades, and requests without `gzip` in `Accept-Encoding` (or with
 * `gzip;q=0`).
 *
 * @example
 * ```ts
 * import { compressResponse } from "./compression.ts";
 * const rsp = compressResponse(
 *   new Response("hello hello hello", { headers: { "content-type": "text/plain" } }),
 *   [["accept-encoding", "gzip, br"]],
 *   "GET",
 *   -1,
 * );
 * console.log(rsp.headers.get("content-encoding")); // "gzip"
 * ```
 *
 * @module
 */

/** Finagle's `TextualContentCompressor` types, besides `text/*`. */
const TEXT_LIKE = new Set([
  "image/svg+xml",
  "application/atom+xml",
  "application/javascript",
  "application/json",
  "application/rss+xml",
  "application/x-javascript",
  "application/xhtml+xml",
  "application/xml",
]);

function textual(contentType: string | null): boolean {
  if (contentType === null) return false;
  const semi = contentType.indexOf(";");
  const t = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return t.startsWith("text/") || TEXT_LIKE.has(t);
}

/** Whether an `Accept-Encoding` value accepts gzip (a `q=0` refuses it). */
export function acceptsGzip(value: string): boolean {
  for (const part of value.toLowerCase().split(",")) {
    const [coding, ...params] = part.split(";").map((x) => x.trim());
    if (coding !== "gzip" && coding !== "x-gzip" && coding !== "*") continue;
    const q = params.find((p) => p.startsWith("q="));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}

/**
 * `rsp` gzip-encoded when the request accepts it and `level` says so; else `rsp` itself.
 *
 * @param requestHeaders the request's header list (lower-case names)
 * @param level Linkerd's `compressionLevel` (-1 textual only, 0 off, 1–9 everything)
 */
export function compressResponse(
  rsp: Response,
  requestHeaders: readonly (readonly [string, string])[],
  method: string,
  level: number,
): Response {
  if (level === 0 || method === "HEAD") return rsp;
  // The request's Accept-Encoding first: most proxied requests (API clients, wrk, curl) send
  // none, and reading `rsp.body` would turn a small body held as bytes into a stream (issue 6).
  let accept: string | undefined;
  for (const e of requestHeaders) {
    if (e[0] === "accept-encoding") accept = accept === undefined ? e[1] : `${accept}, ${e[1]}`;
  }
  if (accept === undefined || !acceptsGzip(accept)) return rsp;
  const s = rsp.status;
  if (s < 200 || s === 204 || s === 206 || s === 304 || rsp.body === null) return rsp;
  const h = rsp.headers;
  if (h.has("content-encoding")) return rsp;
  if (level < 0 && !textual(h.get("content-type"))) return rsp;
  const headers = new Headers(h);
  headers.delete("content-length");
  headers.set("content-encoding", "gzip");
  const vary = headers.get("vary");
  if (vary === null) headers.set("vary", "accept-encoding");
  else if (!/(^|,)\s*(accept-encoding|\*)\s*(,|$)/i.test(vary)) {
    headers.set("vary", `${vary}, accept-encoding`);
  }
  const body = rsp.body.pipeThrough(
    new CompressionStream("gzip") as ReadableWritablePair<
      Uint8Array<ArrayBuffer>,
      Uint8Array
    >,
  );
  return new Response(body, { status: s, statusText: rsp.statusText, headers });
}
