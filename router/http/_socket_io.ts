/**
 * Socket reads and writes without `Deno.Conn`'s JS wrappers, for the two HTTP/1.1 engines (raw
 * server and h1 client). Folder-private.
 *
 * `Deno.Conn#read` is an `async` function around the runtime's `read(rid, buf)` op: it adds the
 * op's promise to a `Set` (for `unref()`), awaits it, removes it and maps 0 to `null`. That is an
 * async frame, a second promise and two `Set` operations per read, two reads per proxied request
 * (issue 6: ~0.6 KB of garbage per request). Switchyard never unrefs its sockets, so the reader
 * here calls the op directly with the connection's resource id. A write of a whole buffer was an
 * `async` loop over `Conn#write` (which may write part of it); the writer here is the runtime's
 * `writeAll` op: one op and one promise, the loop in Rust.
 *
 * Writes are sent together once per turn of the event loop: a write is queued, and the queue is
 * written out by an immediate (`setImmediate`), which runs after the turn's I/O callbacks and their
 * promise reactions. A proxy that writes each answer at once, in the middle of the turn, wakes the
 * peer's process once per write (the loopback receive path runs in the sender's `send(2)`, and on
 * a VM the cross-CPU wake-up is an IPI, a VM exit); writes made back to back find most peers
 * already awake. Measured at c=64 on the 2-vCPU bench box (issue 6, 8 alternated rounds): CPU per
 * request 24.2 µs median against 25.8 immediately, of it kernel 10.2 against 11.9. Callers await
 * each write before the next on the same connection (as before) and leave `buf` untouched until
 * it resolves; a write to a connection closed before its turn ends rejects as a write to a closed
 * connection does.
 *
 * It relies on Deno 2.9 internals: `Deno[Deno.internal].core.read` / `.writeAll` and the
 * connection's own symbol-keyed property described `Deno.internal.rid`. When any is missing
 * (another Deno version, a wrapped or in-memory connection), {@link socketReader} and
 * {@link socketWriter} fall back to `conn.read` and a `conn.write` loop.
 *
 * @example
 * ```ts ignore
 * const read = socketReader(conn);
 * const n = await read(buf); // 0 = end of stream
 * await socketWriter(conn)(bytes); // every byte, or a rejection
 * ```
 *
 * @module
 */

import { setImmediate } from "node:timers";
import { coreFn } from "./_runtime_core.ts";

/** Read into `buf` (never empty); resolves to the byte count, 0 at end of stream. */
export type SocketRead = (buf: Uint8Array) => Promise<number>;

type OpRead = (rid: number, buf: Uint8Array) => Promise<number>;
type OpWriteAll = (rid: number, buf: Uint8Array) => Promise<unknown>;

function findOpRead(): OpRead | null {
  return coreFn("read") as OpRead | null;
}

const opRead = findOpRead();
const opWriteAll = coreFn("writeAll") as OpWriteAll | null;

function ridOf(conn: Deno.Conn): number | undefined {
  for (const s of Object.getOwnPropertySymbols(conn)) {
    if (s.description === "Deno.internal.rid") {
      const rid = (conn as unknown as Record<symbol, unknown>)[s];
      return typeof rid === "number" && Number.isInteger(rid) ? rid : undefined;
    }
  }
  return undefined;
}

/**
 * A reader for `conn`: the runtime's read op on its resource when reachable, else `conn.read`.
 * Closing the connection rejects a pending read, as with `conn.read`.
 *
 * @param conn a connection from `Deno.connect`, `Deno.listen`/`accept` or `Deno.connectTls`
 * @returns the reader; call it with a non-empty buffer
 */
export function socketReader(conn: Deno.Conn): SocketRead {
  const rid = opRead === null ? undefined : ridOf(conn);
  if (rid === undefined || opRead === null) {
    return (buf) => conn.read(buf).then(orZero);
  }
  const read = opRead;
  return (buf) => read(rid, buf);
}

function orZero(n: number | null): number {
  return n ?? 0;
}

/** Write all of `buf`; rejects when the connection refuses it. */
export type SocketWrite = (buf: Uint8Array) => Promise<void>;

/**
 * A writer for `conn`: the runtime's write-all op on its resource when reachable, else a loop
 * over `conn.write` until every byte is accepted.
 *
 * @param conn a connection from `Deno.connect`, `Deno.listen`/`accept` or `Deno.connectTls`
 * @returns the writer
 */
export function socketWriter(conn: Deno.Conn): SocketWrite {
  const rid = opWriteAll === null ? undefined : ridOf(conn);
  if (rid === undefined || opWriteAll === null) return (buf) => writeLoop(conn, buf);
  return (buf) =>
    new Promise<void>((resolve, reject) => {
      queued.push(rid, buf, resolve, reject);
      if (!flushPending) {
        flushPending = true;
        setImmediate(flushWrites);
      }
    });
}

/**
 * The writes of this turn, four entries each: resource id, bytes, resolve, reject (flat, so a
 * write allocates no record of its own).
 */
let queued: unknown[] = [];
let spare: unknown[] = [];
let flushPending = false;

/** Send the turn's writes in the order they were made (the write-all op, one per write). */
function flushWrites(): void {
  flushPending = false;
  const list = queued;
  queued = spare; // writes made while these settle wait for the next turn
  spare = list;
  const writeAll = opWriteAll!;
  for (let i = 0; i < list.length; i += 4) {
    (writeAll(list[i] as number, list[i + 1] as Uint8Array) as Promise<void>).then(
      list[i + 2] as () => void,
      list[i + 3] as (e: unknown) => void,
    );
  }
  list.length = 0;
}

async function writeLoop(conn: Deno.Conn, b: Uint8Array): Promise<void> {
  let o = await conn.write(b);
  while (o < b.length) o += await conn.write(b.subarray(o));
}

/** Whether {@link socketReader} bypasses `conn.read` (for tests). */
export function directReads(conn: Deno.Conn): boolean {
  return opRead !== null && ridOf(conn) !== undefined;
}

/** Whether {@link socketWriter} bypasses `conn.write` (for tests). */
export function directWrites(conn: Deno.Conn): boolean {
  return opWriteAll !== null && ridOf(conn) !== undefined;
}
