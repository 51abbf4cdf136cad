/**
 * Incremental decoder for the chunked transfer coding (RFC 9112 §7.1) over a {@link ByteSource}.
 *
 * Decisions (each violation is an `UpstreamError`):
 * - chunk-size is 1*HEXDIG, at most 2^48 - 1 (larger is treated as an overflow attack).
 * - Whitespace after the size is allowed only before a `;` extension (BWS); `5 \r\n` is rejected.
 *   Extensions are skipped, but must be field-vchar / SP / HTAB (no CTLs); the size line, with
 *   extensions, is limited to 4 KiB.
 * - Chunk data must be followed by exactly CRLF.
 * - Trailer fields are validated like header fields and kept in {@link ChunkedDecoder.trailers}
 *   (names lower-cased, values trimmed; `content-length`, `transfer-encoding` and `trailer` left
 *   out, as Netty's decoder does) for the proxy to send on; their total size is limited by
 *   `maxTrailerBytes`.
 *
 * @module
 */
import { UpstreamError } from "../../core/errors.ts";
import { FVAL, HEX, latin1, TCHAR } from "./_bytes.ts";
import type { ByteSource } from "./_conn.ts";
import { shrinkPooled, streamChunks, takeBuffered } from "../raw/chunk_pool.ts";

const SIZE = 0, DATA = 1, DATA_END = 2, TRAILERS = 3, DONE = 4;
const MAX_LINE = 4096;
const MAX_CHUNK = 2 ** 48;
const READ_SIZE = 64 * 1024;

/** Decodes one chunked body; `next()` yields data pieces, then null after the trailer section. */
export class ChunkedDecoder {
  readonly #src: ByteSource;
  readonly #maxTrailerBytes: number;
  #state = SIZE;
  #left = 0;
  #trailerBytes = 0;
  #trailers: [string, string][] | null = null;

  /**
   * @param src where the encoded bytes come from, starting at `src.s`
   * @param maxTrailerBytes limit on the trailer section
   */
  constructor(src: ByteSource, maxTrailerBytes: number) {
    this.#src = src;
    this.#maxTrailerBytes = maxTrailerBytes;
  }

  /** The trailer fields, once the body ended with some (null before, or when there were none). */
  get trailers(): [string, string][] | null {
    return this.#trailers;
  }

  /** True once the last chunk and the trailer section were consumed. */
  get done(): boolean {
    return this.#state === DONE;
  }

  /**
   * The next piece of decoded data (never empty), or null at the end of the body.
   *
   * @throws {UpstreamError} on a framing violation or EOF inside the body
   */
  async next(): Promise<Uint8Array | null> {
    const src = this.#src;
    for (;;) {
      switch (this.#state) {
        case SIZE: {
          const lf = await this.#line(MAX_LINE);
          const size = parseSize(src.buf, src.s, lf - 1);
          src.s = lf + 1;
          if (size === 0) this.#state = TRAILERS;
          else {
            this.#left = size;
            this.#state = DATA;
          }
          break;
        }
        case DATA: {
          const buffered = src.e - src.s;
          if (buffered > 0) {
            const n = Math.min(buffered, this.#left);
            if ((this.#left -= n) === 0) this.#state = DATA_END;
            return takeBuffered(src, n);
          }
          const dst = streamChunks.take(Math.min(this.#left, READ_SIZE));
          const n = await src.readInto(dst);
          if (n === null) eof();
          if ((this.#left -= n) === 0) this.#state = DATA_END;
          return shrinkPooled(dst, n);
        }
        case DATA_END: {
          while (src.e - src.s < 2) if (!await src.fill()) eof();
          if (src.buf[src.s] !== 13 || src.buf[src.s + 1] !== 10) {
            bad("chunk data not followed by CRLF");
          }
          src.s += 2;
          this.#state = SIZE;
          break;
        }
        case TRAILERS: {
          const lf = await this.#line(this.#maxTrailerBytes - this.#trailerBytes + 2);
          const len = lf + 1 - src.s;
          if (len === 2) {
            src.s = lf + 1;
            this.#state = DONE;
            return null;
          }
          const field = readField(src.buf, src.s, lf - 1);
          if (field !== null) (this.#trailers ??= []).push(field);
          this.#trailerBytes += len;
          src.s = lf + 1;
          break;
        }
        default:
          return null;
      }
    }
  }

  /** Wait for a full line at `src.s`; returns the index of its LF (the CR before it is checked). */
  async #line(limit: number): Promise<number> {
    const src = this.#src;
    let from = src.s;
    for (;;) {
      const b = src.buf;
      for (let i = from; i < src.e; i++) {
        if (b[i] !== 10) continue;
        if (i === src.s || b[i - 1] !== 13) bad("bare LF");
        if (i + 1 - src.s > limit) bad("line too long");
        return i;
      }
      if (src.e - src.s >= limit) bad("line too long");
      from = src.e - src.s;
      if (!await src.fill()) eof();
      from += src.s;
    }
  }
}

/** chunk-size [BWS ";" ext] over `b[s, cr)`, where `b[cr]` is the CR. */
function parseSize(b: Uint8Array, s: number, cr: number): number {
  let k = s, size = 0, h = 0;
  while ((h = HEX[b[k] as number] as number) !== 0) {
    if (size >= MAX_CHUNK / 16) bad("chunk size overflow");
    size = size * 16 + h - 1;
    k++;
  }
  if (k === s) bad("chunk size is not hex");
  const ws = k;
  while (b[k] === 32 || b[k] === 9) k++;
  if (b[k] === 59) {
    k++;
    while (k < cr && FVAL[b[k] as number] !== 0) k++;
  } else if (k !== ws) bad("whitespace after chunk size");
  if (k !== cr) bad("bad byte in chunk size line");
  return size;
}

/**
 * A trailer field line `b[s, cr)`: tchar+ ":" field-value, as [lower-case name, trimmed value];
 * null for the framing fields a trailer section must not carry (RFC 9110 §6.5.1), which are
 * dropped.
 */
function readField(b: Uint8Array, s: number, cr: number): [string, string] | null {
  let k = s;
  while (TCHAR[b[k] as number] === 1) k++;
  if (k === s || b[k] !== 58) bad("bad trailer field");
  const colon = k++;
  while (k < cr && FVAL[b[k] as number] !== 0) k++;
  if (k !== cr) bad("bad byte in trailer field");
  const name = latin1(b, s, colon, true).toLowerCase();
  if (name === "content-length" || name === "transfer-encoding" || name === "trailer") return null;
  let vs = colon + 1, ve = cr;
  while (vs < ve && (b[vs] === 32 || b[vs] === 9)) vs++;
  while (ve > vs && (b[ve - 1] === 32 || b[ve - 1] === 9)) ve--;
  return [name, latin1(b, vs, ve, false)];
}

function bad(what: string): never {
  throw new UpstreamError(`invalid chunked body: ${what}`);
}

function eof(): never {
  throw new UpstreamError("upstream closed the connection inside a chunked body");
}
