/**
 * The raw engine's body fast path: a `Response` registered here is written with these bytes as
 * its body, without reading `response.body` (no stream machinery). The upstream client registers
 * small bodies it already holds in memory.
 *
 * @example
 * ```ts
 * import { responseBytes } from "./response_bytes.ts";
 * const bytes = new TextEncoder().encode("hello\n");
 * const rsp = new Response(null, { status: 200, headers: [["content-type", "text/plain"]] });
 * responseBytes.set(rsp, bytes); // serveRaw writes `content-length: 6` and these bytes
 * ```
 *
 * @module
 */

/**
 * Body bytes for responses handed to `serveRaw`, keyed by the `Response`. The entry wins over
 * `response.body` (which is then not read, nor cancelled) and over a `content-length` header.
 * A weak map: entries go away with their responses, so it holds no state of its own.
 */
export const responseBytes: WeakMap<Response, Uint8Array> = new WeakMap();
