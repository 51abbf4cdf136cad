/**
 * Stats under the names Linkerd's own end-to-end tests read: the server's `idle` counter,
 * connections closed for idling `serverSession.idleTimeMs` (Finagle's ExpiringService; L1
 * `HttpEndToEndTest` "serverSession idleTimeMs ..."), and the client's `connects` (H2EndToEndTest
 * "single request"). The client's `retries/requeues` stats are checked in `resilience_test.ts`.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, startUpstream } from "../support/upstream.ts";

Deno.test("a server connection closed for idling serverSession.idleTimeMs counts in server idle", async () => {
  const up = startUpstream("up");
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: http
  label: outgoing
  dtab: /svc/* => /$/inet/127.0.0.1/${up.port};
  servers:
  - port: 0
    serverSession: {idleTimeMs: 1500}
`);
  try {
    const [host, port] = sy.proxy().split(":");
    const conn = await Deno.connect({ hostname: host!, port: Number(port) });
    await conn.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: web\r\n\r\n"));
    const buf = new Uint8Array(4096);
    const n = await conn.read(buf);
    assert(new TextDecoder().decode(buf.subarray(0, n ?? 0)).startsWith("HTTP/1.1 200"));
    const s = `rt/outgoing/server/127.0.0.1/${port}`;
    const stats = async () => JSON.parse((await curl([`${sy.admin}/admin/metrics.json`])).body);
    // read before the idle limit (1.5 s: a loaded CI box took over 300 ms to answer this once)
    assertEquals((await stats())[`${s}/idle`], 0);
    assert(await eventually(async () => (await stats())[`${s}/idle`] === 1, 8000));
    const m = await stats();
    assertEquals([m[`${s}/connects`], m[`${s}/connections`]], [1, 0]);
    assertEquals(await conn.read(buf), null, "the router closed the idle connection");
    conn.close();
  } finally {
    await sy.stop();
    await up.close();
  }
});

Deno.test("client connects counts the connections a client's requests opened (H2EndToEndTest 'single request': connects == 1)", async () => {
  const up = startUpstream("up");
  // h2: Deno.serve answers h2c with prior knowledge, as the h2 router's client speaks it.
  const h2up = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("woof"),
  );
  const h2port = (h2up.addr as Deno.NetAddr).port;
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: http
  label: outgoing
  dtab: /svc/* => /$/inet/127.0.0.1/${up.port};
  servers: [{port: 0}]
- protocol: h2
  label: h2
  dtab: /svc/* => /$/inet/127.0.0.1/${h2port};
  servers: [{port: 0}]
`);
  try {
    for (let i = 0; i < 3; i++) {
      assertEquals(
        (await curl(["-H", "Host: web", `http://${sy.proxy("outgoing")}/`])).status,
        200,
      );
      const h2 = await curl(["--http2-prior-knowledge", `http://${sy.proxy("h2")}/`]);
      assertEquals([h2.status, h2.body], [200, "woof"]);
    }
    const m = JSON.parse((await curl([`${sy.admin}/admin/metrics.json`])).body);
    // Three sequential requests: one pooled HTTP/1.1 connection, one multiplexed h2 session.
    assertEquals(m[`rt/outgoing/client/$/inet/127.0.0.1/${up.port}/connects`], 1);
    assertEquals(m[`rt/h2/client/$/inet/127.0.0.1/${h2port}/connects`], 1);
    assertEquals(m[`rt/outgoing/client/$/inet/127.0.0.1/${up.port}/connections`], 1);
  } finally {
    await sy.stop();
    await up.close();
    await h2up.shutdown();
  }
});
