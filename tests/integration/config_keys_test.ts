/**
 * Config keys that Switchyard accepted and ignored, now applied as Linkerd documents them (the
 * real process; loopback only).
 *
 * @module
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually } from "../support/upstream.ts";
import { rawUpstream } from "../support/raw_upstream.ts";

Deno.test("admin.shutdownGraceMs bounds the drain of a request that never ends", async () => {
  // An upstream that reads the request and never answers: the drain can only end by the grace.
  let held = 0;
  let release!: () => void;
  const released = new Promise<void>((r) => release = r);
  const up = rawUpstream(async () => {
    held++;
    await released;
    return false;
  });
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0, shutdownGraceMs: 300}
routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/${up.port};
  servers: [{port: 0}]
`);
  try {
    const pending = curl(["-m", "15", "-H", "Host: slow", `http://${sy.proxy()}/`]);
    assert(await eventually(() => held > 0, 10_000), "the request reached the upstream");
    const t0 = Date.now();
    assertEquals((await curl(["-X", "POST", `${sy.admin}/admin/shutdown`])).status, 200);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const exited = await Promise.race([
      sy.exited.then(() => true),
      new Promise<false>((r) => timer = setTimeout(() => r(false), 8_000)),
    ]);
    clearTimeout(timer);
    assert(exited, "the process exits once shutdownGraceMs has passed");
    assert(Date.now() - t0 >= 250, "it waited for the grace period first");
    await pending;
  } finally {
    release();
    await sy.stop();
    await up.close();
  }
});

/** An upstream answering every request `ok` on a kept-alive connection; counts connections. */
function keepAliveUpstream() {
  return rawUpstream(async (_head, conn) => {
    const body = "ok";
    await conn.write(
      new TextEncoder().encode(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`),
    );
    return true;
  });
}

/** Two requests through a router with `pool`, 700 ms apart; the upstream connections used. */
async function connectionsFor(pool: string): Promise<number> {
  const up = keepAliveUpstream();
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/${up.port};
  servers: [{port: 0}]
  client: {hostConnectionPool: ${pool}}
`);
  try {
    for (let i = 0; i < 2; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 700));
      const r = await curl(["-H", "Host: web", `http://${sy.proxy()}/`]);
      assertEquals(r.status, 200);
    }
    return up.connections();
  } finally {
    await sy.stop();
    await up.close();
  }
}

Deno.test("hostConnectionPool.idleTimeMs closes idle connections beyond minSize", async () => {
  // routers.md "Host Connection Pool": idleTimeMs is "the amount of idle time for which a
  // connection is cached … Only applied to connections that number greater than minSize".
  assertEquals(await connectionsFor("{}"), 1, "kept by default");
  assertEquals(await connectionsFor("{idleTimeMs: 200}"), 2, "closed after 200 ms idle");
  assertEquals(await connectionsFor("{idleTimeMs: 200, minSize: 1}"), 1, "minSize keeps one");
});
