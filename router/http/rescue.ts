/**
 * The one place errors become responses: a typed `SwitchyardError` (found through `cause`)
 * gives its status; the message goes in `l5d-err` (URL-encoded the way Linkerd does) and in a
 * `text/plain` body. Unknown errors are 502. With `clearContext` the body is emptied and no
 * `l5d-*` header is sent, as Linkerd's ClearMiscServerFilter does on edge listeners.
 *
 * @module
 */
import { findSwitchyardError, UnknownDestination } from "../core/errors.ts";
import { H, javaUrlEncode } from "./headers.ts";

/** Options for `rescue`. */
export interface RescueOptions {
  /** Edge listener: hide router internals. */
  readonly clearContext?: boolean;
  /**
   * An h2 listener: no `l5d-retryable` (Linkerd's h2 LinkerdHeaders has none; only its HTTP/1
   * stack sends it), and a `content-length`.
   */
  readonly h2?: boolean;
  /** Cap on the error body (`maxErrResponseKB`), in characters of the message. */
  readonly maxBodyBytes?: number;
  /** Cap on the `l5d-err` value (`maxHeadersKB`), in characters of the encoded message. */
  readonly maxHeaderBytes?: number;
}

/**
 * Turn any thrown value into the router's error response.
 *
 * @example
 * ```ts
 * import { rescue } from "./rescue.ts";
 * import { NoHostsAvailable } from "../core/errors.ts";
 * const rsp = rescue(new NoHostsAvailable("No hosts are available for /svc/x"));
 * ```
 */
export function rescue(e: unknown, opts: RescueOptions = {}): Response {
  const typed = findSwitchyardError(e);
  const status = typed?.status ?? 502;
  const msg = typed?.message ?? (e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  if (opts.clearContext) return new Response(null, { status });
  // As Linkerd's `Err.respond`: `Content-Type: text/plain` (Finagle's MediaType.Txt); `l5d-err`
  // is the whole message URL-encoded, cut at `maxHeadersKB`, and the body the message cut at
  // `maxErrResponseKB`, each on its own.
  let err = javaUrlEncode(msg);
  if (opts.maxHeaderBytes !== undefined && err.length > opts.maxHeaderBytes) {
    err = err.slice(0, opts.maxHeaderBytes);
  }
  const body = opts.maxBodyBytes !== undefined && msg.length > opts.maxBodyBytes
    ? msg.slice(0, opts.maxBodyBytes)
    : msg;
  const headers: [string, string][] = [
    ["content-type", "text/plain"],
    [H.err, err],
  ];
  if (typed?.retryable && !opts.h2) headers.push([H.retryable, "true"]);
  // Linkerd's h2 Err.respond states the body's length (its HTTP/1 stack always does).
  if (opts.h2) headers.push(["content-length", String(new TextEncoder().encode(body).length)]);
  return new Response(body, { status, headers });
}

/**
 * Linkerd's `RoutingFactory.UnknownDst` text, which names the request the way Finagle's
 * `Request.toString` does: `Unknown destination: Request("GET /x?y=1", from /127.0.0.1:50412) /
 * Host header is absent`. The server calls it on the error path only.
 *
 * @param e the identification failure
 * @param method the request method
 * @param target the origin-form target (undefined: `/`)
 * @param remote the client's address
 * @returns an error with the same reason and Linkerd's message
 * @example
 * ```ts
 * import { unknownDstWithRequest } from "./rescue.ts";
 * import { UnknownDestination } from "../core/errors.ts";
 * const e = new UnknownDestination("Unknown destination: Host header is absent");
 * unknownDstWithRequest(e, "GET", "/", { transport: "tcp", hostname: "127.0.0.1", port: 5 }).message;
 * // 'Unknown destination: Request("GET /", from /127.0.0.1:5) / Host header is absent'
 * ```
 */
export function unknownDstWithRequest(
  e: UnknownDestination,
  method: string,
  target: string | undefined,
  remote: Deno.NetAddr,
): UnknownDestination {
  const request = `Request("${method} ${target ?? "/"}", from /${remote.hostname}:${remote.port})`;
  return new UnknownDestination(`Unknown destination: ${request} / ${e.reason}`, e.reason);
}
