/**
 * A raw HTTP/1.1 server engine for plaintext listeners: `Deno.listen` plus a strict byte-level
 * request parser (RFC 9112), shaped like `Deno.serve` so a listener can switch engines in one
 * place. It costs less per request than `Deno.serve`, streams chunked uploads faster, reports
 * connection events (server `connects` / `connections`), answers malformed requests with status +
 * `l5d-err`, and can hand a connection over for CONNECT / Upgrade tunnels.
 *
 * @example
 * ```ts
 * import { serveRaw } from "./mod.ts";
 * let open = 0;
 * const srv = serveRaw({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   onConnect: () => open++,
 *   onDisconnect: () => open--,
 * }, (req) => new Response(`hello ${new URL(req.url).pathname}\n`));
 * const rsp = await fetch(`http://127.0.0.1:${srv.addr.port}/world`);
 * console.log(await rsp.text(), srv.connections()); // "hello /world\n" 1
 * await srv.shutdown();
 * ```
 *
 * @module
 */
export { serveRaw } from "./raw_server.ts";
export { defaultReject } from "./default_reject.ts";
export type { RawHandler, RawServeOptions, RawServer } from "./raw_server.ts";
export { responseBytes } from "./response_bytes.ts";
export { type RequestParts, requestParts } from "./request_parts.ts";
export { pipe, takeConnection } from "./tunnel.ts";
export type { TakenConnection } from "./tunnel.ts";
export { HttpReject } from "./request_head.ts";
export type { RequestHead } from "./request_head.ts";
export { buildRequest } from "./build_request.ts";
