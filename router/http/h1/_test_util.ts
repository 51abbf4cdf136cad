/**
 * Test helpers for the h1 client: raw loopback servers that write exact bytes, a minimal
 * request reader for them, and a seeded PRNG. Tests only.
 *
 * @module
 */

export { prng } from "../../../tests/support/prng.ts";
import { createH1Client, type H1Client, type H1ClientOptions } from "./h1_client.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Loopback address of the test servers. */
export const HOST = "127.0.0.1";

/** A complete 200 response with the body `ok`. */
export const OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/** Run `fn` with a fresh client against `srv`; closes both afterwards. */
export async function withRaw(
  srv: RawServer,
  fn: (client: H1Client, port: number) => Promise<void>,
  opts: H1ClientOptions = {},
): Promise<void> {
  const client = createH1Client(opts);
  try {
    await fn(client, srv.port);
  } finally {
    await client.close();
    await srv.close();
  }
}

/** `GET /` with `host: t`, optionally cancellable. */
export function get(
  client: H1Client,
  port: number,
  signal?: AbortSignal,
  host = HOST,
): Promise<Response> {
  return client.request(host, port, {
    method: "GET",
    target: "/",
    headers: [["host", "t"]],
    body: null,
    ...(signal ? { signal } : {}),
  });
}

/** Encode a string as Latin-1 bytes (one byte per code unit). */
export function bytes(s: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** Concatenate byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A request as a raw server saw it. */
export interface RawRequest {
  head: string;
  method: string;
  target: string;
  /** Lower-cased names, values as sent. */
  fields: [string, string][];
  body: Uint8Array;
}

/** Buffered reader over a raw server connection: reads requests (CL or chunked bodies). */
export class RequestReader {
  #buf: Uint8Array = new Uint8Array(0);
  constructor(readonly conn: Deno.Conn) {}

  async #more(): Promise<boolean> {
    const chunk = new Uint8Array(64 * 1024);
    const n = await this.conn.read(chunk).catch(() => null);
    if (n === null) return false;
    this.#buf = concat([this.#buf, chunk.subarray(0, n)]);
    return true;
  }

  async #until(seq: string): Promise<number> {
    const pat = bytes(seq);
    for (let from = 0;;) {
      const b = this.#buf;
      outer: for (let i = from; i + pat.length <= b.length; i++) {
        for (let k = 0; k < pat.length; k++) if (b[i + k] !== pat[k]) continue outer;
        return i;
      }
      from = Math.max(0, b.length - pat.length + 1);
      if (!await this.#more()) return -1;
    }
  }

  #take(n: number): Uint8Array {
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.slice(n);
    return out;
  }

  /** Next request, or null at EOF. Assumes ASCII heads. */
  async read(): Promise<RawRequest | null> {
    const end = await this.#until("\r\n\r\n");
    if (end < 0) return null;
    const head = dec.decode(this.#take(end + 4));
    const lines = head.split("\r\n");
    const [method = "", target = ""] = (lines[0] ?? "").split(" ");
    const fields: [string, string][] = lines.slice(1).filter((l) => l).map((l) => {
      const i = l.indexOf(":");
      return [l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()];
    });
    const get = (n: string) => fields.find(([k]) => k === n)?.[1];
    const parts: Uint8Array[] = [];
    if (get("transfer-encoding") === "chunked") {
      for (;;) {
        const le = await this.#until("\r\n");
        const size = parseInt(dec.decode(this.#take(le + 2)), 16);
        while (this.#buf.length < size + 2) if (!await this.#more()) return null;
        parts.push(this.#take(size));
        this.#take(2);
        if (size === 0) break;
      }
    } else {
      const cl = Number(get("content-length") ?? "0");
      while (this.#buf.length < cl) if (!await this.#more()) return null;
      parts.push(this.#take(cl));
    }
    return { head, method, target, fields, body: concat(parts) };
  }
}

/** A raw loopback server; `handle` runs per connection with its index. */
export interface RawServer {
  port: number;
  /** Connections accepted so far. */
  accepted: number;
  close(): Promise<void>;
}

/** Start a raw server on 127.0.0.1:0. Handler errors are swallowed; connections are closed after it. */
export function rawServer(handle: (conn: Deno.TcpConn, index: number) => Promise<void>): RawServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.TcpConn>();
  const tasks = new Set<Promise<void>>();
  const srv: RawServer = {
    port: (listener.addr as Deno.NetAddr).port,
    accepted: 0,
    async close() {
      listener.close();
      for (const c of conns) closeQuietly(c);
      await loop;
      await Promise.all(tasks);
    },
  };
  const loop = (async () => {
    for (;;) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      conns.add(conn);
      const t = handle(conn, srv.accepted++).catch(() => {}).finally(() => {
        conns.delete(conn);
        closeQuietly(conn);
        tasks.delete(t);
      });
      tasks.add(t);
    }
  })();
  return srv;
}

/** Close, ignoring "already closed". */
export function closeQuietly(c: Deno.Conn): void {
  try {
    c.close();
  } catch { /* closed */ }
}

/** Write all bytes (or a string as Latin-1). */
export async function writeAll(conn: Deno.Conn, data: Uint8Array | string): Promise<void> {
  const b = typeof data === "string" ? bytes(data) : data;
  let o = 0;
  while (o < b.length) o += await conn.write(b.subarray(o));
}

/** Read until EOF (or error); returns what arrived. */
export async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await conn.read(buf).catch(() => null);
    if (n === null) return concat(parts);
    parts.push(buf.slice(0, n));
  }
}

/** Serve one canned response per request on every connection, keeping it open. */
export function cannedServer(response: string | Uint8Array): RawServer {
  return rawServer(async (conn) => {
    const r = new RequestReader(conn);
    while (await r.read()) await writeAll(conn, response);
  });
}

/** The error is an instance of `cls`; returns it typed. */
export function assertInstanceOf<T>(e: unknown, cls: new (...a: never[]) => T, msg?: string): T {
  if (!(e instanceof cls)) {
    const got = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    throw new Error(`${msg ? msg + ": " : ""}expected ${cls.name}, got ${got}`);
  }
  return e;
}

/** Text of a string encoded as UTF-8 (for bodies). */
export function utf8(s: string): Uint8Array {
  return enc.encode(s);
}

/** Monotonic time and timers under test control. */
export function fakeClock() {
  let now = 0;
  let timers: { at: number; fn: () => void }[] = [];
  return {
    mono: () => now,
    setTimer(ms: number, fn: () => void) {
      const t = { at: now + ms, fn };
      timers.push(t);
      return () => {
        timers = timers.filter((x) => x !== t);
      };
    },
    advance(ms: number) {
      now += ms;
      const due = timers.filter((t) => t.at <= now);
      timers = timers.filter((t) => t.at > now);
      for (const t of due) t.fn();
    },
    get pending() {
      return timers.length;
    },
  };
}

/** Poll a condition (socket events have no other hook); bounded. */
export async function eventually(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The value `p` rejects with (fails if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e: unknown) {
    return e;
  }
  throw new Error("expected a rejection");
}

/** Head + 10 body bytes of a 1 MB body, then silence until the client closes. */
export function stallingServer(onEof: () => void): RawServer {
  return rawServer(async (conn) => {
    await new RequestReader(conn).read();
    await writeAll(conn, "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n0123456789");
    await readAll(conn);
    onEof();
  });
}
