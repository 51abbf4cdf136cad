/**
 * Stats under the names Linkerd's own end-to-end tests read: the server's `idle` counter,
 * connections closed for idling `serverSession.idleTimeMs` (Finagle's ExpiringService; L1
 * `HttpEndToEndTest` "serverSession idleTimeMs ..."). The client's `retries/requeues` stats are
 * checked in `resilience_test.ts`.
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
    serverSession: {idleTimeMs: 300}
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
    assertEquals((await stats())[`${s}/idle`], 0);
    assert(await eventually(async () => (await stats())[`${s}/idle`] === 1, 5000));
    const m = await stats();
    assertEquals([m[`${s}/connects`], m[`${s}/connections`]], [1, 0]);
    assertEquals(await conn.read(buf), null, "the router closed the idle connection");
    conn.close();
  } finally {
    await sy.stop();
    await up.close();
  }
});
