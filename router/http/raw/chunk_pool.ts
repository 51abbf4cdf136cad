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
 * const pool = createChunkPool(4096, 2, 1024);
 * const a = pool.take(3000); // 3000 bytes over a 4096-byte buffer
 * pool.give(a.subarray(0, 10)); // a piece of it is enough
 * pool.take(2500).buffer === a.buffer; // true: the same memory again
 * ```
 *
 * @module
 */
import { shrink } from "../h1/_bytes.ts";
import type { ByteSource } from "../h1/_conn.ts";

/** Bounded free lists of buffers in power-of-two size classes. */
export interface ChunkPool {
  /**
   * `size` bytes: a view over a pooled buffer of the smallest class that holds them (at most
   * twice as large) when `size` is within the classes, else a plain buffer.
   */
  take(size: number): Uint8Array<ArrayBuffer>;
  /**
   * Give back a buffer (or a view on one) that `take()` returned and nothing references any
   * more. Views on other memory, and buffers already given back, are ignored.
   */
  give(chunk: Uint8Array): void;
  /** Buffers on the free lists now. */
  readonly free: number;
}

/**
 * A pool of buffers of `minSize`, 2 × `minSize`, … up to `maxSize` bytes, keeping at most
 * `maxFree` free buffers per class. A piece never pins more than twice its size, so a consumer
 * that keeps pieces (a replay buffer, a handler that collects the body) costs at most 2× what
 * fresh buffers would.
 *
 * @param maxSize the largest class (default 64 KiB, the read size of the readers)
 * @param maxFree free buffers kept per class (default 16: < 2 MiB in all)
 * @param minSize the smallest class (default 8 KiB; smaller pieces are plain copies)
 * @param poolBelowMin pieces smaller than `minSize` get a buffer of the smallest class instead of
 *   a plain copy (a pool of small bodies, where every piece is small)
 * @returns the pool
 */
export function createChunkPool(
  maxSize = 64 * 1024,
  maxFree = 16,
  minSize = 8 * 1024,
  poolBelowMin = false,
): ChunkPool {
  const classes: number[] = [];
  for (let c = minSize; c < maxSize; c *= 2) classes.push(c);
  classes.push(maxSize);
  const lists: ArrayBuffer[][] = classes.map(() => []);
  // Handed out by this pool and not given back yet: a flag on the buffer under this pool's own
  // symbol (a `WeakSet` add and delete per piece were ~43 ns, the flag ~5: issue 6). A buffer
  // another pool or anyone else made has no such flag.
  const OUT: unique symbol = Symbol("handed out by this chunk pool");
  type Owned = ArrayBuffer & { [OUT]?: boolean };
  let count = 0;
  return {
    take(size: number): Uint8Array<ArrayBuffer> {
      if ((size < minSize && !poolBelowMin) || size > maxSize) return new Uint8Array(size);
      let k = 0;
      while ((classes[k] as number) < size) k++;
      const list = lists[k] as Owned[];
      let b = list.pop();
      if (b === undefined) b = new ArrayBuffer(classes[k] as number) as Owned;
      else count--;
      b[OUT] = true;
      return new Uint8Array(b, 0, size);
    },
    give(chunk: Uint8Array): void {
      const b = chunk.buffer as Owned;
      if (b[OUT] !== true) return;
      b[OUT] = false;
      const k = classes.indexOf(b.byteLength); // -1 once detached (transferred by a stream)
      const list = k < 0 ? undefined : lists[k];
      if (list !== undefined && list.length < maxFree) {
        list.push(b);
        count++;
      }
    },
    get free() {
      return count;
    },
  };
}

/** The pool the body readers (upstream responses, raw-engine requests) read into. */
export const streamChunks: ChunkPool = createChunkPool();

/**
 * The pool of the small bodies the upstream client reads whole (up to its `smallBodyBytes`, 64
 * KiB by default). The client hands each one out as a view and registers it as its response's
 * bytes (`response_bytes.ts`); the response's own body is a copy made only if something reads
 * it through the web API (`makeViewResponse`). The raw engine copies the registered bytes into
 * its write scratch with the head and gives them back at once. A fresh buffer per response was
 * an `ArrayBuffer` outside V8's heap (Deno keeps no typed array on the heap): even a 12-byte body
 * cost an allocation, its registration with the collector and its release in the next young
 * collection, ~0.4 µs in a loop, and the young collections' sweep of such buffers took a third
 * of their pause at c=16 (issue 6). Classes from 64 bytes to 64 KiB, 16 free buffers each (<
 * 2.1 MiB at most).
 */
export const smallBodies: ChunkPool = createChunkPool(64 * 1024, 16, 64, true);

/**
 * Take the next `n` buffered bytes of `src` out as a body piece: a copy, into a pooled buffer
 * when `n` is within the pool's classes.
 *
 * @param src the connection buffer
 * @param n bytes to take (at most the unread ones)
 * @returns the piece
 */
export function takeBuffered(src: ByteSource, n: number): Uint8Array {
  const out = streamChunks.take(n);
  out.set(src.buf.subarray(src.s, src.s + n));
  src.s += n;
  return out;
}

/**
 * `shrink()` for a pooled read buffer that got `n` bytes: when they were copied out, the buffer
 * goes back to the pool.
 *
 * @param dst the buffer from `streamChunks.take()`
 * @param n bytes read into it
 * @returns the piece
 */
export function shrinkPooled(dst: Uint8Array<ArrayBuffer>, n: number): Uint8Array {
  const out = shrink(dst, n);
  if (out.buffer !== dst.buffer) streamChunks.give(dst);
  return out;
}

/**
 * Body streams whose chunks all come from a pool and are referenced by nobody but the stream's
 * reader: the raw engine gives each chunk back after writing it. A weak map: entries go away
 * with their streams.
 */
export const recyclableBodies: WeakMap<ReadableStream<Uint8Array>, ChunkPool> = new WeakMap();
