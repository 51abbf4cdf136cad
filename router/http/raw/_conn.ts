/**
 * One accepted client connection with its read buffer. Folder-private.
 *
 * The read buffer starts at 16 KiB and grows only when a head or a chunk-size line needs it;
 * `buf[s, e)` are the unread bytes. At most one socket read is outstanding: `fill()` joins a read
 * the server started to watch the socket while a request is in flight (so a client that goes
 * away aborts `req.signal`; pipelined bytes land in the buffer for the next request).
 *
 * @module
 */
import type { ByteSource } from "../h1/_conn.ts";
import { latin1Bytes, reserveWindow } from "../h1/_bytes.ts";
import { reasonPhrase } from "./reason_phrase.ts";
import { type SocketRead, socketReader, type SocketWrite, socketWriter } from "../_socket_io.ts";

const INITIAL_BUFFER = 16 * 1024;

/** Phases of a connection, for the timeout sweeper. */
export const IDLE = 0, HEAD = 1, BUSY = 2;

/** A client connection owned by the raw server. */
/** Where a connection counts the bytes it moves (Finagle's server `received_bytes`/`sent_bytes`). */
export interface ByteCounts {
  /** Bytes read from the client. */
  readonly received: { incr(n: number): void };
  /** Bytes written to the client. */
  readonly sent: { incr(n: number): void };
}

const NOWHERE: ByteCounts = { received: { incr() {} }, sent: { incr() {} } };

export class ServerConn implements ByteSource {
  buf: Uint8Array<ArrayBuffer> = new Uint8Array(INITIAL_BUFFER);
  s = 0;
  e = 0;
  /** Write scratch (response heads, chunk framing); grown on demand. */
  wbuf: Uint8Array = new Uint8Array(4096);
  /** IDLE (between requests), HEAD (reading a head), BUSY (a request is in flight). */
  phase = HEAD;
  /** `performance.now()` deadline of the current phase (Infinity = none). */
  deadline = Infinity;
  /** `performance.now()` when the connection's lifetime ends (Infinity = none). */
  expires = Infinity;
  /** The read side ended (EOF or error). */
  eof = false;
  /** The socket was closed (by us, or handed over). */
  closed = false;
  /** A rejection was answered: read no further request. */
  rejected = false;
  /** Close after the current response (shutdown in progress, or the server decided so). */
  closeAfter = false;
  /**
   * The request in flight may still get interim (1xx) responses: HTTP/1.1, no upgrade, and its
   * final response not started.
   */
  interimOpen = false;
  /** Interim responses being written; the final response waits for them. */
  interimWrites: Promise<void> | null = null;
  /** Aborts the in-flight request's signal when the client goes away. */
  ac: AbortController | null = null;
  readonly tcp: Deno.Conn;
  readonly remote: Deno.NetAddr;
  /** Handler info, one object per connection. */
  readonly info: { remoteAddr: Deno.NetAddr; clientCert?: string | undefined };
  #pending: Promise<boolean> | null = null;
  readonly #sread: SocketRead;
  readonly #swrite: SocketWrite;
  #lingering: Promise<void> | null = null;

  readonly #bytes: ByteCounts;

  constructor(tcp: Deno.Conn, bytes: ByteCounts = NOWHERE) {
    this.#bytes = bytes;
    this.tcp = tcp;
    // A copy of one shape for every connection: the runtime's address objects come in several
    // hidden classes, which made the handler's \`remoteAddr.hostname\` load megamorphic (issue 6).
    const addr = tcp.remoteAddr as Deno.NetAddr;
    this.remote = { transport: addr.transport, hostname: addr.hostname, port: addr.port };
    const clientCert = (tcp as { clientCert?: string }).clientCert;
    this.info = clientCert === undefined
      ? { remoteAddr: this.remote }
      : { remoteAddr: this.remote, clientCert };
    this.#sread = socketReader(tcp);
    this.#swrite = socketWriter(tcp);
  }

  /**
   * Relay an upstream's interim response (e.g. `103 Early Hints`) to the client, as RFC 9110
   * §15.2 asks of a proxy, while {@link interimOpen}; later ones are dropped. One closure per
   * connection (requests on it are answered one at a time).
   */
  readonly interim = (status: number, headers: [string, string][]): void => {
    if (!this.interimOpen || this.closed) return;
    let head = `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n`;
    for (const f of headers) head += f[0].toLowerCase() + ": " + f[1] + "\r\n";
    let bytes: Uint8Array;
    try {
      bytes = latin1Bytes(head + "\r\n");
    } catch {
      return; // not Latin-1: not sendable
    }
    const write = () => this.write(bytes);
    this.interimWrites = (this.interimWrites ?? Promise.resolve()).then(write).catch(() => {});
  };

  /** Read more bytes after `e` (joins an outstanding read); false on EOF or error. */
  fill(): Promise<boolean> {
    if (this.#pending !== null) return this.#pending;
    if (this.eof) return Promise.resolve(false);
    if (this.e === this.buf.length) this.reserve(this.e - this.s + 1);
    return this.#read();
  }

  /** True while a socket read is outstanding. */
  get reading(): boolean {
    return this.#pending !== null;
  }

  #read(): Promise<boolean> {
    const p = this.#sread(this.e === 0 ? this.buf : this.buf.subarray(this.e)).then(
      this.#onRead,
      this.#onError,
    );
    this.#pending = p;
    return p;
  }

  readonly #onRead = (n: number): boolean => {
    this.#pending = null;
    if (n === 0) {
      this.#gone();
      return false;
    }
    this.e += n;
    this.#bytes.received.incr(n);
    return true;
  };

  readonly #onError = (): boolean => {
    this.#pending = null;
    this.#gone();
    return false;
  };

  #gone(): void {
    this.eof = true;
    try {
      this.ac?.abort(new DOMException("the client closed the connection", "AbortError"));
    } catch { /* a hook on the signal threw; the read's outcome stands */ }
  }

  /**
   * While a request is in flight: start one background read if the buffer is empty, so that a
   * client that closes or resets aborts the request's signal. Bytes it gets (a pipelined next
   * request) stay in the buffer and end the watch, so a complete buffered head never has a read
   * outstanding behind it (which `takeConnection` relies on).
   */
  watch(): void {
    if (this.#pending !== null || this.eof || this.closed || this.e !== this.s) return;
    this.s = this.e = 0;
    this.#read(); // never rejects: #onRead / #onError do not throw
  }

  reserve(n: number): void {
    reserveWindow(this, n);
  }

  async readInto(dst: Uint8Array): Promise<number | null> {
    if (this.#pending !== null || this.e > this.s) {
      if (this.e === this.s && !await this.fill()) return null;
      const n = Math.min(dst.length, this.e - this.s);
      dst.set(this.buf.subarray(this.s, this.s + n));
      this.s += n;
      return n;
    }
    if (this.eof) return null;
    if (dst.length === 0) return 0;
    try {
      const n = await this.#sread(dst);
      if (n !== 0) {
        this.#bytes.received.incr(n);
        return n;
      }
      this.#gone();
      return null;
    } catch {
      this.#gone();
      return null;
    }
  }

  /** Write all of `b`. */
  write(b: Uint8Array): Promise<void> {
    this.#bytes.sent.incr(b.length);
    return this.#swrite(b);
  }

  /** A write scratch of at least `n` bytes; growing keeps the bytes already in it. */
  scratch(n: number): Uint8Array {
    if (this.wbuf.length < n) {
      const grown = new Uint8Array(Math.max(n, this.wbuf.length * 2));
      grown.set(this.wbuf);
      this.wbuf = grown;
    }
    return this.wbuf;
  }

  /**
   * Close gracefully: send FIN, then read and discard what the client still sends (up to
   * `maxBytes`, for at most `ms`) before closing, so that unread input does not make the kernel
   * answer with a reset that destroys the response the client has not read yet.
   */
  linger(ms: number, maxBytes: number): Promise<void> {
    return this.#lingering ??= this.#linger(ms, maxBytes);
  }

  async #linger(ms: number, maxBytes: number): Promise<void> {
    if (this.closed) return;
    this.ac = null;
    if (!this.eof) {
      try {
        await this.tcp.closeWrite();
      } catch {
        this.close();
        return;
      }
      const timer = setTimeout(() => this.close(), ms);
      let n = 0;
      while (!this.closed && n < maxBytes) {
        n += this.e - this.s;
        this.s = this.e;
        if (!await this.fill()) break;
      }
      clearTimeout(timer);
    }
    this.close();
  }

  /** Close the socket (idempotent); an in-flight request's signal aborts. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.tcp.close();
    } catch { /* already closed */ }
    this.#gone();
  }
}
