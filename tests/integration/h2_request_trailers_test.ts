/**
 * Request trailers on `protocol: h2` routers: a client stream that ends with a HEADERS frame of
 * trailers reaches the upstream with them, as Linkerd's h2 streams carry `Frame.Trailers` both
 * ways (`finagle/h2/.../netty4/Netty4StreamTransport.scala` reads and writes trailers on request
 * and response streams alike). The client and the upstream are node:http2 child processes
 * (`tests/support/h2_peer.ts`): nghttp and curl cannot send request trailers.
 */
import { assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { startPeer, startPortPeer } from "../support/h2_peers.ts";

/** One POST through the router with `bytes` of body and `trailers` (none when undefined). */
async function post(
  port: number,
  path: string,
  bytes: number,
  trailers?: Record<string, string>,
): Promise<Record<string, unknown>> {
  const args = [`127.0.0.1:${port}`, "web", path, String(bytes)];
  const peer = startPeer(
    "h2-trailers-client",
    ...args,
    ...(trailers ? [JSON.stringify(trailers)] : []),
  );
  const result = await peer.next();
  await peer.exited;
  return result;
}

Deno.test("h2: request trailers reach the upstream (small and streamed bodies, none, and on a retry)", async () => {
  const up = await startPortPeer("h2-trailers-server");
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: h2
  dtab: /svc/web => /$/inet/127.0.0.1/${up.port};
  service: {responseClassifier: {kind: io.l5d.h2.retryableAll5XX}}
  servers: [{port: 0}]
`);
  const port = sy.ports.h2![0]!;
  const seen = async (path: string) => {
    for (let i = 0; i < 50; i++) {
      const l = up.peer.lines.filter((l) => l.path === path);
      if (l.length > 0) return l;
      await new Promise((r) => setTimeout(r, 100));
    }
    return [];
  };
  try {
    // A small body (held for a retry) with trailers.
    const small = await post(port, "/small", 5, { "x-checksum": "abc", "grpc-foo": "bar" });
    assertEquals([small.status, small.body], [200, "ok\n"]);
    const [s] = await seen("/small");
    assertEquals(s!.bytes, 5);
    assertEquals(s!.head, "h");
    // `te: trailers`, the one TE HTTP/2 allows, goes on too (it is hop-by-hop in HTTP/1.1).
    assertEquals(s!.te, "trailers");
    const st = s!.trailers as Record<string, string>;
    assertEquals([st["x-checksum"], st["grpc-foo"]], ["abc", "bar"]);

    // A body larger than the retry buffer and the stream window, streamed, then its trailers.
    const big = await post(port, "/big", 300_000, { "x-checksum": "big" });
    assertEquals(big.status, 200);
    const [b] = await seen("/big");
    assertEquals(b!.bytes, 300_000);
    assertEquals((b!.trailers as Record<string, string>)["x-checksum"], "big");

    // Without trailers the upstream stream ends without any.
    const none = await post(port, "/none", 10);
    assertEquals(none.status, 200);
    const [n] = await seen("/none");
    assertEquals([n!.bytes, n!.trailers], [10, null]);

    // A retried request (the first answer is a retryable 503) carries them on every attempt.
    const retried = await post(port, "/fail-once", 7, { "x-checksum": "again" });
    assertEquals([retried.status, retried.body], [200, "ok\n"]);
    await seen("/fail-once");
    await new Promise((r) => setTimeout(r, 200));
    const attempts = up.peer.lines.filter((l) => l.path === "/fail-once");
    assertEquals(attempts.length, 2);
    for (const a of attempts) {
      assertEquals(a.bytes, 7);
      assertEquals((a.trailers as Record<string, string>)["x-checksum"], "again");
    }
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});
