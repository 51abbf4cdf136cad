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

/** Where a response's registered bytes are kept: a symbol-keyed property of the response. */
const BYTES: unique symbol = Symbol("switchyard.responseBytes");

type WithBytes = { [BYTES]?: Uint8Array };

/**
 * Body bytes for responses handed to `serveRaw`, kept on the `Response` (a symbol-keyed
 * property, not a weak map entry: cheaper to set and read, no ephemeron for the collector,
 * issue 6). The entry wins over `response.body` (which is then not read, nor cancelled) and over
 * a `content-length` header. It goes away with its response, so this holds no state of its own.
 */
export const responseBytes: {
  get(rsp: Response): Uint8Array | undefined;
  set(rsp: Response, bytes: Uint8Array): void;
} = {
  get: (rsp) => (rsp as WithBytes)[BYTES],
  set: (rsp, bytes) => {
    (rsp as WithBytes)[BYTES] = bytes;
  },
};
