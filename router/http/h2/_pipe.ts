/**
 * Copy a body stream into an HTTP/2 stream with backpressure (waits for `drain`), for the h2
 * client (request bodies) and server (response bodies). Folder-private.
 *
 * @module
 */
import type * as http2 from "node:http2";

/**
 * Write `body` into `stream` and end it. Stops quietly when the stream closes first (the peer
 * reset it or went away): the body is cancelled at once, even while it waits for data, with
 * `cancelReason(stream)` when given (the h2 server passes the client's reset code on).
 *
 * @throws whatever reading `body` throws (the caller resets the stream its own way)
 */
export async function pipeBody(
  body: ReadableStream<Uint8Array>,
  stream: http2.Http2Stream,
  cancelReason?: (stream: http2.Http2Stream) => unknown,
): Promise<void> {
  const reader = body.getReader();
  const onClose = () => {
    reader.cancel(cancelReason?.(stream)).catch(() => {});
  };
  stream.once("close", onClose);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (stream.destroyed) {
        await reader.cancel(cancelReason?.(stream));
        return;
      }
      if (!stream.write(value)) {
        await new Promise<void>((r) => {
          const go = () => {
            stream.off("drain", go);
            stream.off("close", go);
            r();
          };
          stream.on("drain", go);
          stream.on("close", go);
        });
      }
    }
  } finally {
    stream.off("close", onClose);
  }
  if (!stream.destroyed) stream.end();
}
