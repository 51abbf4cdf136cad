/**
 * Trailers of a streamed response, carried beside a web `Response` (which has no trailers). The
 * h2 client fills a response's box when the upstream stream's trailers arrive and marks it ended
 * when the stream ends (or breaks); the h2 server sends them after the body; gRPC classifiers read
 * `grpc-status` from them, and the stats filters classify a response that was still streaming
 * once it ended. Filters pass the same `Response` object through, so the box travels with it.
 * A request from an h2 client has one too (`RequestParts.trailers`): the h2 server fills it, and
 * the h2 client sends its fields after the request body.
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
  /** Called once when the stream ends (see {@link whenEnded}, {@link endTrailers}). */
  waiters?: (() => void)[] | undefined;
}

/** Run `fn` when the box's stream has ended (now, if it has). */
export function whenEnded(box: TrailerBox, fn: () => void): void {
  if (box.ended) fn();
  else (box.waiters ??= []).push(fn);
}

/** Mark the box's stream ended (once) and run its waiters. */
export function endTrailers(box: TrailerBox): void {
  if (box.ended) return;
  box.ended = true;
  const w = box.waiters;
  box.waiters = undefined;
  if (w) {
    for (const fn of w) {
      try {
        fn();
      } catch {
        // a waiter's failure is its own
      }
    }
  }
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

/** Where a chunked HTTP/1.1 body's trailer fields are found once the body has ended. */
export interface BodyTrailers {
  /** The trailer fields (lower-case names), once the body ended with some; null otherwise. */
  readonly trailers: [string, string][] | null;
}

/**
 * The trailers of chunked HTTP/1.1 bodies, keyed by the body's stream: set by whoever decodes the
 * chunked framing (the h1 client for responses, the raw server for requests) and filled before
 * the stream closes, so the side that sends the body on (the raw server's response writer, the h1
 * client's request writer) can end its own chunked body with them, as Finagle streams
 * `Chunk.last(trailers)`. Keyed by the stream, not the message, so a filter that rebuilds the
 * `Request`/`Response` around the same body keeps them.
 */
export const bodyTrailers: WeakMap<ReadableStream<Uint8Array>, BodyTrailers> = new WeakMap();
