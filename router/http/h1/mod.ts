/**
 * Pooled HTTP/1.1 upstream client on `Deno.connect`, with a strict RFC 9112 response parser.
 * The plain-HTTP data path of the endpoint stack; TLS and h2 upstreams use `fetch`.
 *
 * @example
 * ```ts ignore
 * import { createH1Client } from "./mod.ts";
 * const client = createH1Client();
 * const res = await client.request("127.0.0.1", 8080, {
 *   method: "POST", target: "/echo", headers: [["host", "echo.svc"]],
 *   body: new TextEncoder().encode("hi"),
 * });
 * console.log(res.status, await res.text());
 * await client.close();
 * ```
 *
 * @module
 */
export { createH1Client } from "./h1_client.ts";
export type { H1Client, H1ClientOptions, H1ClientStats, H1Request } from "./h1_client.ts";
export type { Dial } from "./_pool.ts";
export { findHeadEnd, parseResponseHead } from "./response_head.ts";
export type { ResponseHead } from "./response_head.ts";
export { ChunkedDecoder } from "./chunked.ts";
