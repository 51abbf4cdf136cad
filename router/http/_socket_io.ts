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

/** Read into `buf` (never empty); resolves to the byte count, 0 at end of stream. */
export type SocketRead = (buf: Uint8Array) => Promise<number>;

type OpRead = (rid: number, buf: Uint8Array) => Promise<number>;
type OpWriteAll = (rid: number, buf: Uint8Array) => Promise<unknown>;

function coreFn(name: string): unknown {
  try {
    const d = Deno as unknown as Record<symbol, { core?: Record<string, unknown> } | undefined> & {
      internal?: symbol;
    };
    const internal = d.internal;
    const f = internal === undefined ? undefined : d[internal]?.core?.[name];
    return typeof f === "function" ? f : null;
  } catch {
    return null;
  }
}

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
  const writeAll = opWriteAll;
  return (buf) => writeAll(rid, buf) as Promise<void>;
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
