/**
 * Pooled HTTP/1.1 upstream client on `Deno.connect`, with a strict RFC 9112 response parser.
 * The plain-HTTP data path of the endpoint stack; TLS and h2 upstreams use `fetch`.
 *
 * @example
 * ```ts
 * import { createH1Client } from "./mod.ts";
 * const upstream = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("hi"));
 * const client = createH1Client({ idleTimeoutMs: 10_000 });
 * const res = await client.request("127.0.0.1", upstream.addr.port, {
 *   method: "GET", target: "/hello", headers: [["host", "hello.svc"]], body: null,
 * });
 * console.log(res.status, await res.text()); // 200 hi
 * await client.close();
 * await upstream.shutdown();
 * ```
 *
 * @module
 */
export { createH1Client } from "./h1_client.ts";
export type {
  ClassificationHold,
  H1Client,
  H1ClientOptions,
  H1ClientStats,
  H1Request,
} from "./h1_client.ts";
export type { Dial } from "./_pool.ts";
export { makeResponse } from "./_response_internals.ts";
export {
  findHeadEnd,
  isHttp10Response,
  parseResponseHead,
  responseHeadTooLong,
} from "./response_head.ts";
export type { ResponseHead, ResponseHeadLimits } from "./response_head.ts";
