/**
 * Recycled read buffers for streamed bodies. Without it every 64 KiB piece of a proxied body is
 * a fresh `ArrayBuffer` whose memory lives outside V8's heap and goes back only when a
 * collection finds its (tiny) wrapper dead; V8 lets that external memory grow by tens of MiB
 * before it collects, so a 1 GiB download moved RSS by ~70 MiB (issue 6).
 *
 * The upstream client takes its read buffers from {@linkcode streamChunks} and registers the body
 * streams it makes in {@linkcode recyclableBodies}. The raw engine, which holds the only reader
 * of such a stream, gives each chunk back once the socket write of it has completed. Chunks of
 * any other stream (one a filter made, a `tee()` branch) are never given back, and `give()`
 * ignores buffers it did not hand out, or already got back.
 *
 * @example
 * ```ts
 * import { createChunkPool } from "./chunk_pool.ts";
 * const pool = createChunkPool(1024, 2);
 * const a = pool.take(1024);
 * pool.give(a.subarray(0, 10)); // a piece of it is enough
 * pool.take(1024).buffer === a.buffer; // true: the same memory again
 * ```
 *
 * @module
 */

/** A bounded free list of equal-size buffers. */
export interface ChunkPool {
  /** A buffer of `size` bytes: a recycled one when `size` is the pool's chunk size. */
  take(size: number): Uint8Array<ArrayBuffer>;
  /**
   * Give back a buffer (or a view on one) that `take()` returned and nothing references any
   * more. Views on other memory, and buffers already given back, are ignored.
   */
  give(chunk: Uint8Array): void;
  /** Buffers on the free list now. */
  readonly free: number;
}

/**
 * A pool of `chunkSize`-byte buffers keeping at most `maxFree` of them.
 *
 * @param chunkSize bytes per buffer (default 64 KiB, the upstream client's read size)
 * @param maxFree free buffers kept (default 32: 2 MiB)
 * @returns the pool
 */
export function createChunkPool(chunkSize = 64 * 1024, maxFree = 32): ChunkPool {
  const free: ArrayBuffer[] = [];
  const out = new WeakSet<ArrayBuffer>(); // handed out, not given back yet
  return {
    take(size: number): Uint8Array<ArrayBuffer> {
      if (size !== chunkSize) return new Uint8Array(size);
      const b = free.pop() ?? new ArrayBuffer(chunkSize);
      out.add(b);
      return new Uint8Array(b);
    },
    give(chunk: Uint8Array): void {
      const b = chunk.buffer;
      if (!(b instanceof ArrayBuffer) || !out.delete(b)) return;
      if (free.length < maxFree) free.push(b);
    },
    get free() {
      return free.length;
    },
  };
}

/** The pool the upstream client reads streamed response bodies into. */
export const streamChunks: ChunkPool = createChunkPool();

/**
 * Body streams whose chunks all come from a pool and are referenced by nobody but the stream's
 * reader: the raw engine gives each chunk back after writing it. A weak map: entries go away
 * with their streams.
 */
export const recyclableBodies: WeakMap<ReadableStream<Uint8Array>, ChunkPool> = new WeakMap();
