/**
 * The request body of one exchange on a raw connection, decoded from Content-Length or chunked
 * framing and handed out as a pull-driven `ReadableStream` (the socket is read only when the
 * stream is pulled). Folder-private.
 *
 * - `Expect: 100-continue`: the interim response is written on the first pull, unless the final
 *   response was already started.
 * - Chunked: extensions are skipped and trailers validated and kept for the h1 client to send on
 *   (h1 `ChunkedDecoder`, registered in `bodyTrailers` under the body's stream); a
 *   framing error errors the stream with `BadRequest` and the connection is closed after the
 *   response (the message boundary is lost).
 * - After the response, `finish()` drains what the handler left unread, up to a byte limit, so
 *   the connection can carry the next request; past the limit the connection is closed.
 *
 * @module
 */
import { BadRequest } from "../../core/errors.ts";
import { ChunkedDecoder } from "../h1/chunked.ts";
import { bodyTrailers } from "../../core/trailers.ts";
import type { ServerConn } from "./_conn.ts";
import { recyclableBodies, shrinkPooled, streamChunks, takeBuffered } from "./chunk_pool.ts";

const READ_SIZE = 64 * 1024;
const MAX_TRAILER_BYTES = 16 * 1024;
const CONTINUE = new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n");

/** One request body; also the stream's underlying source. */
export class RequestBody implements UnderlyingDefaultSource<Uint8Array> {
  readonly #conn: ServerConn;
  readonly #decoder: ChunkedDecoder | null;
  #left: number;
  #expect: boolean;
  #busy: Promise<Uint8Array | null> | null = null;
  /** The whole body was read. */
  done = false;
  /** Framing broke or the client went away inside the body: the connection cannot be reused. */
  broken = false;
  /** The final response was started (no 100 Continue any more). */
  responded = false;
  /** The server took the connection back: later pulls fail. */
  detached = false;

  /**
   * @param conn the connection the body arrives on
   * @param contentLength Content-Length, or -1 for chunked
   * @param expectContinue the client waits for `100 Continue`
   */
  constructor(conn: ServerConn, contentLength: number, expectContinue: boolean) {
    this.#conn = conn;
    this.#decoder = contentLength < 0 ? new ChunkedDecoder(conn, MAX_TRAILER_BYTES) : null;
    this.#left = contentLength < 0 ? 0 : contentLength;
    this.#expect = expectContinue;
    if (contentLength === 0) this.done = true;
  }

  /** True when the client still waits for `100 Continue` and no body byte was asked for. */
  get awaitingContinue(): boolean {
    return this.#expect;
  }

  /** The next decoded piece, or null at the end. */
  next(): Promise<Uint8Array | null> {
    return this.#busy ??= this.#next().finally(() => this.#busy = null);
  }

  async #next(): Promise<Uint8Array | null> {
    if (this.done) return null;
    if (this.detached) throw new BadRequest("request body read after the response finished");
    const c = this.#conn;
    if (this.#expect) {
      this.#expect = false;
      if (!this.responded && c.e === c.s) await c.write(CONTINUE);
    }
    try {
      if (this.#decoder !== null) {
        const piece = await this.#decoder.next();
        if (piece === null) this.done = true;
        return piece;
      }
      const buffered = c.e - c.s;
      let out: Uint8Array;
      if (buffered > 0) out = takeBuffered(c, Math.min(buffered, this.#left));
      else {
        const dst = streamChunks.take(Math.min(this.#left, READ_SIZE));
        const n = await c.readInto(dst);
        if (n === null) throw new BadRequest("the client closed the connection inside the body");
        out = shrinkPooled(dst, n);
      }
      if ((this.#left -= out.length) === 0) this.done = true;
      return out;
    } catch (e: unknown) {
      this.broken = true;
      if (e instanceof BadRequest) throw e;
      const msg = e instanceof Error ? e.message.replace(/upstream/g, "client") : String(e);
      throw new BadRequest(`invalid request body: ${msg}`);
    }
  }

  async pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    try {
      const piece = await this.next();
      if (piece === null) controller.close();
      else controller.enqueue(piece);
    } catch (e: unknown) {
      controller.error(e);
    }
  }

  cancel(): void {
    // Nothing to release here: `finish()` drains or closes after the response.
  }

  /** A pull-driven stream over this body (highWaterMark 0: no read-ahead). */
  stream(): ReadableStream<Uint8Array> {
    const s = new ReadableStream(this, { highWaterMark: 0 });
    recyclableBodies.set(s, streamChunks); // the upstream client gives the chunks back
    if (this.#decoder !== null) bodyTrailers.set(s, this.#decoder);
    return s;
  }

  /**
   * After the response: wait for a pull in progress, then drain up to `limit` unread bytes.
   *
   * @returns true when the connection can carry another request
   */
  async finish(limit: number): Promise<boolean> {
    if (this.#busy !== null) await this.#busy.catch(() => {});
    this.detached = true;
    if (this.done) return !this.broken;
    if (this.broken || this.#expect) return false; // never sent 100: the client may not send it
    if (this.#decoder === null && this.#left > limit) return false;
    let drained = 0;
    this.detached = false;
    try {
      while (!this.done && drained <= limit) {
        const piece = await this.next();
        if (piece !== null) drained += piece.length;
      }
    } catch {
      return false;
    } finally {
      this.detached = true;
    }
    return this.done;
  }
}
