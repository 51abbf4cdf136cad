/**
 * WebSocket pass-through (Linkerd 1.x could not: linkerd#1140). An `Upgrade: websocket` request
 * is routed like any other (identify → dtab → namer → balancer); the endpoint transport then opens
 * the upstream WebSocket first — so a refused or failed handshake is a 502 with `l5d-err`, and the
 * subprotocol the upstream picked is the one the client gets — and only then upgrades the client
 * and relays messages and closes both ways. Open sockets live on after a config reload.
 *
 * @module
 */
import type { Ctx } from "../core/ctx.ts";
import { ConnectFailed } from "../core/errors.ts";
import { H, VIA_VALUE } from "./headers.ts";
import { takeConnection, takeovers } from "./raw/tunnel.ts";
import { pipe } from "./raw/tunnel.ts";
import { requestParts } from "./raw/request_parts.ts";
import { findHeadEnd, parseResponseHead, type ResponseHead } from "./h1/mod.ts";
import { latin1Bytes, reserveWindow } from "./h1/_bytes.ts";
import type { ByteSource } from "./h1/_conn.ts";
import { type BodyReader, EofReader, LengthReader } from "./h1/_response_body.ts";
import { ChunkedDecoder } from "./h1/chunked.ts";

/**
 * True for a WebSocket upgrade request. A request the raw engine built is answered from its
 * parsed header list: touching `req.headers` would build the `Headers` object for every request
 * (~230 B of garbage each, issue 6).
 */
export function isWebSocketUpgrade(req: Request): boolean {
  const parts = requestParts.get(req);
  if (parts !== undefined) {
    const list = parts.headers;
    for (let i = 0; i < list.length; i++) {
      const f = list[i]!;
      if (f[0] === "upgrade") return f[1].toLowerCase() === "websocket";
    }
    return false;
  }
  const up = req.headers.get("upgrade");
  return up !== null && up.toLowerCase() === "websocket";
}

/** True when the request came from the raw engine (its connection can be taken over). */
export function isRawUpgrade(req: Request): boolean {
  return takeovers.has(req);
}

const MAX_HEAD = 64 * 1024;

/** The upstream socket of an upgrade request, buffered for the response parsers. */
class TunnelSource implements ByteSource {
  buf: Uint8Array = new Uint8Array(16 * 1024);
  s = 0;
  e = 0;
  readonly #conn: Deno.Conn;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  async fill(): Promise<boolean> {
    if (this.e === this.buf.length) this.reserve(this.e - this.s + 1);
    const n = await this.#conn.read(this.buf.subarray(this.e));
    if (n === null) return false;
    this.e += n;
    return true;
  }

  reserve(n: number): void {
    reserveWindow(this, n);
  }

  readInto(dst: Uint8Array): Promise<number | null> {
    return this.#conn.read(dst);
  }
}

/** The body of an upstream's non-101 answer to an upgrade request; `up` closes at its end. */
function declinedBody(src: TunnelSource, h: ResponseHead, up: Deno.Conn): ReadableStream {
  const reader: BodyReader = h.chunked
    ? new ChunkedDecoder(src, MAX_HEAD)
    : h.contentLength > 0
    ? new LengthReader(src, h.contentLength)
    : new EofReader(src);
  const close = (): void => {
    try {
      up.close();
    } catch { /* closed */ }
  };
  return new ReadableStream<Uint8Array>({
    async pull(c): Promise<void> {
      try {
        const b = await reader.next();
        if (b === null) {
          close();
          c.close();
        } else c.enqueue(b);
      } catch (e: unknown) {
        close();
        c.error(e);
      }
    },
    cancel: close,
  });
}

async function writeAll(c: Deno.Conn, b: Uint8Array): Promise<void> {
  let o = 0;
  while (o < b.length) o += await c.write(b.subarray(o));
}

/**
 * Upgrade pass-through on the raw engine, for any `Upgrade` protocol (WebSocket included): send
 * the upgrade request to `host:port` on a fresh connection; on `101 Switching Protocols` take
 * the client's socket, relay the 101 (plus `Via`) and copy bytes both ways until either side
 * ends. Any other answer is returned as a plain response (its body when it has a content-length
 * up to 64 KiB) and the upstream connection is closed.
 *
 * @throws ConnectFailed when the upstream cannot be reached or closes before answering
 */
export async function tunnelUpgrade(
  req: Request,
  ctx: Ctx,
  host: string,
  port: number,
  headers: [string, string][],
): Promise<Response> {
  const authority = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  let up: Deno.TcpConn;
  try {
    up = await Deno.connect({ hostname: host, port, transport: "tcp", signal: ctx.upstreamSignal });
  } catch (e: unknown) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new ConnectFailed(`upgrade to ${authority}${ctx.target} failed: ${msg}`, { cause: e });
  }
  try {
    up.setNoDelay(true);
    const protocol = req.headers.get("upgrade") ?? "websocket";
    let head = `${req.method} ${ctx.target} HTTP/1.1\r\n`;
    for (const [k, v] of headers) head += `${k}: ${v}\r\n`;
    head += `connection: upgrade\r\nupgrade: ${protocol}\r\n\r\n`;
    await writeAll(up, latin1Bytes(head));
    const src = new TunnelSource(up);
    let h: ResponseHead;
    for (;;) {
      let end: number;
      while ((end = findHeadEnd(src.buf, src.s, src.e)) < 0) {
        if (src.e - src.s >= MAX_HEAD) throw new Error(`response head over ${MAX_HEAD} bytes`);
        if (!await src.fill()) {
          throw new Error("closed the connection without answering the upgrade");
        }
      }
      h = parseResponseHead(src.buf, src.s, end);
      src.s = end;
      // An interim answer (100 Continue, 103 Early Hints) is skipped: the final one follows.
      if (h.status === 101 || h.status >= 200) break;
    }
    if (h.status !== 101) {
      // The upgrade was declined: relay the answer with its whole body, framed as the upstream
      // framed it (content-length, chunked or to the close), then close the upstream connection.
      const empty = req.method === "HEAD" || h.status === 204 || h.status === 304 ||
        h.contentLength === 0;
      const rsp = new Response(empty ? null : declinedBody(src, h, up), {
        status: h.status,
        headers: h.headers,
      });
      if (empty) up.close();
      rsp.headers.append(H.via, VIA_VALUE);
      return rsp;
    }
    const taken = takeConnection(req);
    if (!taken) throw new Error("the client connection cannot be taken over");
    let out = `HTTP/1.1 101 ${h.reason || "Switching Protocols"}\r\n`;
    for (const [k, v] of h.headers) out += `${k}: ${v}\r\n`;
    out += `connection: upgrade\r\nupgrade: ${protocol}\r\nvia: ${VIA_VALUE}\r\n\r\n`;
    const rest = src.buf.subarray(src.s, src.e);
    const first = new Uint8Array(out.length + rest.length);
    first.set(latin1Bytes(out));
    first.set(rest, out.length);
    void writeAll(taken.conn, first).then(
      () => pipe(taken.conn, up, taken.buffered),
      () => {
        try {
          taken.conn.close();
        } catch { /* gone */ }
        up.close();
      },
    );
    return taken.response;
  } catch (e: unknown) {
    try {
      up.close();
    } catch { /* closed */ }
    if (e instanceof ConnectFailed) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new ConnectFailed(`upgrade to ${authority}${ctx.target} failed: ${msg}`, { cause: e });
  }
}

/**
 * The close code to relay: `WebSocket.close()` takes only 1000 and 3000–4999 (it throws on
 * 1001 "going away", 1011, and the codes a peer may not send, 1005/1006/1015), so the other
 * protocol codes are relayed as a normal close.
 */
function relayCode(code: number): number {
  return code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000;
}

/**
 * Close `ws` with `code` (made relayable) unless it is closing already; never throws (a throw
 * in an event handler would end the process).
 */
function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState > WebSocket.OPEN) return;
  try {
    ws.close(relayCode(code), reason.length > 120 ? reason.slice(0, 120) : reason);
  } catch {
    try {
      ws.close();
    } catch { /* already closed */ }
  }
}

/**
 * Open the upstream WebSocket at `host:port`, then upgrade the client and relay.
 *
 * @throws ConnectFailed when the upstream handshake fails (never delivered: retryable).
 */
export async function proxyWebSocket(
  req: Request,
  ctx: Ctx,
  host: string,
  port: number,
  extraHeaders: [string, string][],
): Promise<Response> {
  // Read everything from the request before upgrading: its headers are gone afterwards.
  const protocols = (req.headers.get("sec-websocket-protocol") ?? "").split(",").map((s) =>
    s.trim()
  ).filter(Boolean);
  const headers: Record<string, string> = {};
  for (const [k, v] of extraHeaders) {
    if (k.startsWith("sec-websocket-") || k === "upgrade" || k === "connection") continue;
    headers[k] = v;
  }
  const authority = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
  const upstream = new WebSocket(
    `ws://${authority}${ctx.target}`,
    // Deno's WebSocket takes extra handshake headers (non-standard second-argument form).
    { protocols, headers } as unknown as string[],
  );
  upstream.binaryType = "arraybuffer";
  const opened = await new Promise<boolean>((resolve) => {
    upstream.onopen = () => resolve(true);
    upstream.onerror = () => resolve(false);
  });
  if (!opened) {
    throw new ConnectFailed(`WebSocket handshake with ${authority}${ctx.target} failed`);
  }
  const { socket, response } = Deno.upgradeWebSocket(
    req,
    upstream.protocol ? { protocol: upstream.protocol } : {},
  );
  socket.binaryType = "arraybuffer";
  const pending: (string | ArrayBuffer)[] = [];
  socket.onopen = () => {
    for (const m of pending.splice(0)) socket.send(m);
  };
  upstream.onmessage = (e) => {
    if (socket.readyState === WebSocket.OPEN) socket.send(e.data);
    else if (socket.readyState === WebSocket.CONNECTING) pending.push(e.data);
  };
  socket.onmessage = (e) => {
    if (upstream.readyState === WebSocket.OPEN) upstream.send(e.data);
  };
  upstream.onclose = (e) => closeQuietly(socket, e.code, e.reason);
  socket.onclose = (e) => closeQuietly(upstream, e.code, e.reason);
  upstream.onerror = () => closeQuietly(socket, 1011, "upstream error");
  socket.onerror = () => closeQuietly(upstream, 1011, "client error");
  try {
    response.headers.append(H.via, VIA_VALUE);
  } catch {
    // the upgrade response's headers may be immutable
  }
  return response;
}
