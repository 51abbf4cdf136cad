/**
 * Socket reads without `Deno.Conn#read`'s wrapper, for the two HTTP/1.1 engines (raw server and
 * h1 client). Folder-private.
 *
 * `Deno.Conn#read` is an `async` function around the runtime's `read(rid, buf)` op: it adds the
 * op's promise to a `Set` (for `unref()`), awaits it, removes it and maps 0 to `null`. That is an
 * async frame, a second promise and two `Set` operations per read, two reads per proxied request
 * (issue 6: ~0.6 KB of garbage per request). Switchyard never unrefs its sockets, so the reader
 * here calls the op directly with the connection's resource id. `Conn#write` already calls its op
 * directly and needs nothing.
 *
 * It relies on Deno 2.9 internals: `Deno[Deno.internal].core.read` and the connection's own
 * symbol-keyed property described `Deno.internal.rid`. When either is missing (another Deno
 * version, a wrapped or in-memory connection), {@link socketReader} falls back to `conn.read`.
 *
 * @example
 * ```ts ignore
 * const read = socketReader(conn);
 * const n = await read(buf); // 0 = end of stream
 * ```
 *
 * @module
 */

/** Read into `buf` (never empty); resolves to the byte count, 0 at end of stream. */
export type SocketRead = (buf: Uint8Array) => Promise<number>;

type OpRead = (rid: number, buf: Uint8Array) => Promise<number>;

function findOpRead(): OpRead | null {
  try {
    const d = Deno as unknown as Record<symbol, { core?: { read?: unknown } } | undefined> & {
      internal?: symbol;
    };
    const internal = d.internal;
    const read = internal === undefined ? undefined : d[internal]?.core?.read;
    return typeof read === "function" ? read as OpRead : null;
  } catch {
    return null;
  }
}

const opRead = findOpRead();

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

/** Whether {@link socketReader} bypasses `conn.read` (for tests and the bench's environment line). */
export function directReads(conn: Deno.Conn): boolean {
  return opRead !== null && ridOf(conn) !== undefined;
}
