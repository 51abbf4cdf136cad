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
import { H } from "./headers.ts";

/** True for a WebSocket upgrade request. */
export function isWebSocketUpgrade(req: Request): boolean {
  const up = req.headers.get("upgrade");
  return up !== null && up.toLowerCase() === "websocket";
}

/** Close codes a peer may not send in a close frame; relay them as a normal close. */
function relayCode(code: number): number {
  return code === 1005 || code === 1006 || code === 1015 ? 1000 : code;
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
  upstream.onclose = (e) => {
    if (socket.readyState <= WebSocket.OPEN) socket.close(relayCode(e.code), e.reason);
  };
  socket.onclose = (e) => {
    if (upstream.readyState <= WebSocket.OPEN) upstream.close(relayCode(e.code), e.reason);
  };
  upstream.onerror = () => {
    if (socket.readyState <= WebSocket.OPEN) socket.close(1011, "upstream error");
  };
  socket.onerror = () => {
    if (upstream.readyState <= WebSocket.OPEN) upstream.close(1011, "client error");
  };
  try {
    response.headers.append(H.via, "1.1 linkerd (switchyard)");
  } catch {
    // the upgrade response's headers may be immutable
  }
  return response;
}
