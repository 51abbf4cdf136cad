/**
 * Readers for content-length and close-delimited response bodies; the chunked one is
 * `chunked.ts`. Folder-private.
 *
 * Buffered bytes (read together with the head) are copied out; after that each read goes
 * straight into a chunk of at most 64 KiB (recycled by the raw engine: `../raw/chunk_pool.ts`),
 * which is handed to the consumer without a copy.
 *
 * @module
 */
import { UpstreamError } from "../../core/errors.ts";
import type { ByteSource } from "./_conn.ts";
import { shrinkPooled, streamChunks, takeBuffered } from "../raw/chunk_pool.ts";

/** Yields body pieces (never empty), then null at the end. */
export interface BodyReader {
  next(): Promise<Uint8Array | null>;
}

const READ_SIZE = 64 * 1024;

/** A body of known length. */
export class LengthReader implements BodyReader {
  readonly #src: ByteSource;
  readonly #length: number;
  #left: number;

  constructor(src: ByteSource, length: number) {
    this.#src = src;
    this.#length = length;
    this.#left = length;
  }

  async next(): Promise<Uint8Array | null> {
    if (this.#left === 0) return null;
    const src = this.#src;
    const buffered = src.e - src.s;
    if (buffered > 0) {
      const n = Math.min(buffered, this.#left);
      this.#left -= n;
      return takeBuffered(src, n);
    }
    const dst = streamChunks.take(Math.min(this.#left, READ_SIZE));
    const n = await src.readInto(dst);
    if (n === null) {
      throw new UpstreamError(
        `upstream closed the connection mid-body (${
          this.#length - this.#left
        } of ${this.#length} bytes)`,
      );
    }
    this.#left -= n;
    return shrinkPooled(dst, n);
  }
}

/** A body delimited by the upstream closing the connection. */
export class EofReader implements BodyReader {
  readonly #src: ByteSource;

  constructor(src: ByteSource) {
    this.#src = src;
  }

  async next(): Promise<Uint8Array | null> {
    const src = this.#src;
    if (src.e > src.s) return takeBuffered(src, src.e - src.s);
    const dst = streamChunks.take(READ_SIZE);
    const n = await src.readInto(dst);
    return n === null ? null : shrinkPooled(dst, n);
  }
}
