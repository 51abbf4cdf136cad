/**
 * The raw engine's default answer to a request it rejects before the handler (parse errors,
 * limits, timeouts): the status, `l5d-err` with the reason URL-encoded as `rescue` encodes it,
 * and a `text/plain` body, as the router's own errors look.
 *
 * @module
 */
import { H, javaUrlEncode } from "../headers.ts";

/**
 * Build the default rejection response.
 *
 * @param status status code (400, 408, 414, 417, 431, 501, 505, 500)
 * @param message the reason
 * @returns the response
 * @example
 * ```ts
 * import { defaultReject } from "./default_reject.ts";
 * console.log(defaultReject(431, "too many header fields").headers.get("l5d-err"));
 * ```
 */
export function defaultReject(status: number, message: string): Response {
  return new Response(message + "\n", {
    status,
    headers: [["content-type", "text/plain; charset=utf-8"], [H.err, javaUrlEncode(message)]],
  });
}
