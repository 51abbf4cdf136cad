/**
 * Hand a raw connection over to the handler (CONNECT tunnels, `Upgrade` requests), and a
 * two-way byte copy to join it to another socket. Like `Deno.upgradeWebSocket`, it works only on
 * requests of the engine that produced them (`serveRaw`), and only for CONNECT requests and
 * requests with `Upgrade` + `Connection: upgrade`.
 *
 * @module
 */

/** What {@link takeConnection} hands over. */
export interface TakenConnection {
  /** The client socket; the caller owns it (reads, writes, closes). */
  conn: Deno.Conn;
  /** Bytes the engine already read past the request head (the client's first tunnel bytes). */
  buffered: Uint8Array;
  /** Return exactly this from the handler: the engine then forgets the socket. */
  response: Response;
}

/** Engine side of a takeable request. Folder-private. */
export interface Takeover {
  /** Called by `takeConnection`: detach the socket and return it with the buffered bytes. */
  take(): { conn: Deno.Conn; buffered: Uint8Array };
  /** Set once taken: the sentinel response. */
  response: Response | null;
}

/** Takeable requests of the raw engine. Weak: an entry lives as long as its request. */
export const takeovers: WeakMap<Request, Takeover> = new WeakMap();

/**
 * Take the client connection of a CONNECT or Upgrade request served by `serveRaw`.
 *
 * The caller writes the response bytes itself (`HTTP/1.1 200 Connection Established\r\n\r\n`,
 * a `101`, …) and must return `response` from the handler.
 *
 * @param req the request the handler got
 * @returns the socket, the bytes read past the head, and the response to return; undefined for
 *   requests of other engines, other methods, or when already taken
 * @example
 * ```ts ignore
 * const t = takeConnection(req);
 * if (!t) return new Response("not a tunnel", { status: 400 });
 * const up = await Deno.connect({ hostname: "127.0.0.1", port: 8443 });
 * await t.conn.write(new TextEncoder().encode("HTTP/1.1 200 Connection Established\r\n\r\n"));
 * pipe(t.conn, up, t.buffered);
 * return t.response;
 * ```
 */
export function takeConnection(req: Request): TakenConnection | undefined {
  const t = takeovers.get(req);
  if (t === undefined || t.response !== null) return undefined;
  const { conn, buffered } = t.take();
  const response = new Response(null, { status: 200 });
  t.response = response;
  return { conn, buffered, response };
}

/** The tunnels {@link pipe} is copying now, each by the function that closes both sockets. */
const openTunnels = new Set<() => void>();

/**
 * Close every tunnel {@link pipe} is copying in this isolate (both sockets of each). A tunnel
 * (CONNECT, WebSocket, any `Upgrade`) never ends on its own and its engine has forgotten it, so
 * a shutting-down process closes them once its listeners have drained: their open sockets kept
 * the process from exiting after SIGTERM.
 *
 * @returns how many tunnels were open
 * @example
 * ```ts
 * import { closeTunnels } from "./tunnel.ts";
 * closeTunnels(); // 0
 * ```
 */
export function closeTunnels(): number {
  const n = openTunnels.size;
  for (const close of [...openTunnels]) close();
  return n;
}

/**
 * Copy bytes both ways between `a` and `b` until both directions end. When one side's read ends
 * cleanly, the other side's write half is closed (half-close); on any error both sockets are
 * closed. Both are closed when the returned promise resolves.
 *
 * @param a one socket
 * @param b the other socket
 * @param bufferedAtoB bytes already read from `a`, written to `b` first
 * @returns a promise that resolves when the tunnel is closed (never rejects)
 * @example
 * ```ts ignore
 * await pipe(clientConn, upstreamConn, firstBytes);
 * ```
 */
export async function pipe(a: Deno.Conn, b: Deno.Conn, bufferedAtoB?: Uint8Array): Promise<void> {
  let closed = false;
  const closeBoth = (): void => {
    if (closed) return;
    closed = true;
    openTunnels.delete(closeBoth);
    for (const c of [a, b]) {
      try {
        c.close();
      } catch { /* already closed */ }
    }
  };
  openTunnels.add(closeBoth);
  await Promise.all([copy(a, b, bufferedAtoB, closeBoth), copy(b, a, undefined, closeBoth)]);
  closeBoth();
}

async function copy(
  src: Deno.Conn,
  dst: Deno.Conn,
  first: Uint8Array | undefined,
  closeBoth: () => void,
): Promise<void> {
  try {
    if (first !== undefined && first.length > 0) await writeAll(dst, first);
    const buf = new Uint8Array(64 * 1024);
    for (;;) {
      const n = await src.read(buf);
      if (n === null) break;
      await writeAll(dst, buf.subarray(0, n));
    }
    await dst.closeWrite();
  } catch {
    closeBoth();
  }
}

async function writeAll(c: Deno.Conn, b: Uint8Array): Promise<void> {
  let o = await c.write(b);
  while (o < b.length) o += await c.write(b.subarray(o));
}
