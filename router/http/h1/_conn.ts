/**
 * One upstream TCP connection with its read buffer. Folder-private.
 *
 * The read buffer starts at 16 KiB and grows only when a head, a chunk-size line or a small body
 * needs it; `s`/`e` delimit the unread bytes. Writes loop until every byte is accepted.
 *
 * @module
 */
import { reserveWindow } from "./_bytes.ts";
import { type SocketRead, socketReader, type SocketWrite, socketWriter } from "../_socket_io.ts";

/** Buffered byte input, implemented by {@link Conn} and by in-memory sources in tests. */
export interface ByteSource {
  /** Buffer; the unread bytes are `buf[s, e)`. */
  buf: Uint8Array;
  /** Start of unread bytes. */
  s: number;
  /** End of unread bytes. */
  e: number;
  /** Read more bytes after `e`, compacting or growing the buffer if it is full; false on EOF. */
  fill(): Promise<boolean>;
  /** Make sure `n` bytes starting at `s` fit in `buf` (compacts or grows). */
  reserve(n: number): void;
  /** Read straight into `dst`, bypassing the buffer; only valid when `s === e`. null on EOF. */
  readInto(dst: Uint8Array): Promise<number | null>;
}

const INITIAL_BUFFER = 16 * 1024;

/** A pooled upstream connection. */
export class Conn implements ByteSource {
  buf: Uint8Array<ArrayBuffer> = new Uint8Array(INITIAL_BUFFER);
  s = 0;
  e = 0;
  /** Scratch for request heads and chunk framing; grown on demand. */
  wbuf: Uint8Array = new Uint8Array(0);
  /** Exchanges completed on this connection. */
  uses = 0;
  /** Monotonic ms after which an idle connection must not be reused. */
  idleUntil = 0;
  /**
   * Monotonic ms after which the connection must not be reused at all (`clientSession.lifeTimeMs`
   * of its endpoint, counted from the connect); Infinity when the endpoint sets none.
   */
  expiresAt = Infinity;
  /** Bytes received so far (to tell "nothing arrived" apart from a truncated response). */
  received = 0;
  closed = false;
  readonly tcp: Deno.Conn;
  /** The pool's endpoint record (opaque here). */
  readonly owner: unknown;
  readonly #onClose: (c: Conn) => void;
  #early: Promise<number> | null = null;
  readonly #read: SocketRead;
  readonly #swrite: SocketWrite;
  #parked = false;
  #onEvent: ((c: Conn) => void) | null = null;

  constructor(tcp: Deno.Conn, owner: unknown, onClose: (c: Conn) => void) {
    this.tcp = tcp;
    this.owner = owner;
    this.#onClose = onClose;
    this.#read = socketReader(tcp);
    this.#swrite = socketWriter(tcp);
  }

  async fill(): Promise<boolean> {
    let n: number;
    const early = this.#early;
    if (early !== null) {
      this.#early = null;
      n = await early;
    } else {
      if (this.e === this.buf.length) this.reserve(this.e - this.s + 1);
      n = await this.#read(this.e === 0 ? this.buf : this.buf.subarray(this.e));
    }
    if (n === 0) return false;
    this.e += n;
    this.received += n;
    return true;
  }

  reserve(n: number): void {
    reserveWindow(this, n);
  }

  async readInto(dst: Uint8Array): Promise<number | null> {
    if (dst.length === 0) return 0;
    const n = await this.#read(dst);
    if (n === 0) return null;
    this.received += n;
    return n;
  }

  /**
   * Park the connection: start the read the next exchange will need anyway, so that an upstream
   * that closes (or sends anything) while the connection is idle is noticed at once and
   * `onEvent` can evict it. `take()` hands the pending read to the next exchange's `fill()`.
   */
  park(onEvent: (c: Conn) => void): void {
    this.s = this.e = 0;
    this.#parked = true;
    this.#onEvent = onEvent;
    const p = this.#read(this.buf);
    this.#early = p;
    p.then(this.#wake, this.#wake);
  }

  readonly #wake = (): void => {
    if (this.#parked) this.#onEvent?.(this);
  };

  /** Unpark for an exchange. */
  take(): void {
    this.#parked = false;
  }

  /** Write all of `b`. */
  write(b: Uint8Array): Promise<void> {
    return this.#swrite(b);
  }

  /** A write scratch of at least `n` bytes; growing keeps the bytes already in it. */
  scratch(n: number): Uint8Array {
    if (this.wbuf.length < n) {
      const grown = new Uint8Array(Math.max(n, 4096, this.wbuf.length * 2));
      grown.set(this.wbuf);
      this.wbuf = grown;
    }
    return this.wbuf;
  }

  /** Close the socket (idempotent); pending reads and writes reject. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.tcp.close();
    } catch { /* already closed by the runtime */ }
    this.#onClose(this);
  }
}
