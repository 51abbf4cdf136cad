/**
 * Trailers of an HTTP/2 response, carried beside a web `Response` (which has no trailers). The
 * h2 client fills a response's box when the upstream stream's trailers arrive; the h2 server
 * sends them after the body; gRPC classifiers read `grpc-status` from them. Filters pass the same
 * `Response` object through, so the box travels with it.
 *
 * @example
 * ```ts
 * import { attachTrailers, trailersOf } from "./trailers.ts";
 * const rsp = new Response("x");
 * const box = attachTrailers(rsp);
 * box.fields = [["grpc-status", "0"]];
 * box.ended = true;
 * console.log(trailersOf(rsp)?.fields); // [["grpc-status", "0"]]
 * ```
 *
 * @module
 */

/** A response's trailers: filled when its stream ends. */
export interface TrailerBox {
  /** The trailer fields (lower-case names), once they arrived; none when the stream had none. */
  fields: [string, string][] | undefined;
  /** The upstream stream has ended (trailers, if any, are in `fields`). */
  ended: boolean;
}

const TRAILERS = Symbol("switchyard.h2.trailers");

/** Give `rsp` a trailer box (`box`, or a new empty one) and return it. */
export function attachTrailers(rsp: Response, box?: TrailerBox): TrailerBox {
  const r = rsp as Response & { [TRAILERS]?: TrailerBox };
  return (r[TRAILERS] = box ?? { fields: undefined, ended: false });
}

/** The trailer box of a response from an h2 upstream; undefined for any other response. */
export function trailersOf(rsp: Response): TrailerBox | undefined {
  return (rsp as Response & { [TRAILERS]?: TrailerBox })[TRAILERS];
}

/** The value of trailer `name` (lower case), or null. */
export function trailer(box: TrailerBox | undefined, name: string): string | null {
  const f = box?.fields;
  if (!f) return null;
  for (const e of f) if (e[0] === name) return e[1];
  return null;
}
