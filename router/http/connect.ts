/**
 * CONNECT tunnels (`https_proxy`; Linkerd 1.x could not): a `CONNECT host:port` request is
 * identified and routed like any other (by default its Host, `host:port`, names `/svc/host:port`),
 * and the endpoint transport opens a TCP connection to the endpoint the balancer picked, answers
 * `200 Connection Established` and copies bytes both ways until either side closes. Needs the raw
 * engine (it hands the client socket over); on `Deno.serve` listeners CONNECT stays 501.
 *
 * @module
 */
import type { Ctx } from "../core/ctx.ts";
import { ConnectFailed } from "../core/errors.ts";
import { pipe, takeConnection, takeovers } from "./raw/tunnel.ts";

const ESTABLISHED = new TextEncoder().encode("HTTP/1.1 200 Connection Established\r\n\r\n");

/** True for a CONNECT request whose client socket can be taken over (raw engine). */
export function isTunnelableConnect(req: Request): boolean {
  return req.method === "CONNECT" && takeovers.has(req);
}

/**
 * Open the tunnel to `host:port` and hand the client socket to it.
 *
 * @returns the response the engine expects back (it writes nothing more on that socket)
 * @throws ConnectFailed when the endpoint cannot be reached (502 + `l5d-err`, requeued)
 */
export async function tunnelConnect(
  req: Request,
  ctx: Ctx,
  host: string,
  port: number,
): Promise<Response> {
  let up: Deno.TcpConn;
  try {
    up = await Deno.connect({ hostname: host, port, transport: "tcp", signal: ctx.upstreamSignal });
  } catch (e: unknown) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new ConnectFailed(`CONNECT tunnel to ${host}:${port} failed: ${msg}`, { cause: e });
  }
  up.setNoDelay(true);
  const taken = takeConnection(req);
  if (!taken) {
    up.close();
    throw new ConnectFailed("the client connection cannot be taken over for a CONNECT tunnel");
  }
  void (async () => {
    let o = 0;
    try {
      while (o < ESTABLISHED.length) o += await taken.conn.write(ESTABLISHED.subarray(o));
    } catch {
      try {
        taken.conn.close();
      } catch { /* gone */ }
      up.close();
      return;
    }
    await pipe(taken.conn, up, taken.buffered);
  })();
  return taken.response;
}
