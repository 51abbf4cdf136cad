/**
 * Stats under the names Linkerd's own end-to-end tests read:
 * - the client's requeue stats: Finagle's RequeueFilter is scoped `retries` on the client, so
 *   Linkerd exports `rt/<r>/client/<id>/retries/{requeues,budget,budget_exhausted,
 *   request_limit}` (L1 `linkerd/protocol/http/src/e2e/.../RetriesEndToEndTest`);
 * - the server's `idle` counter: connections closed for idling `serverSession.idleTimeMs`
 *   (Finagle's ExpiringService; L1 `HttpEndToEndTest` "serverSession idleTimeMs ...").
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, freePort, startUpstream } from "../support/upstream.ts";

Deno.test("client requeues are counted at retries/requeues, with request_limit and budget", async () => {
  const dead = freePort(); // nothing listens: every attempt is a refused connection
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: http
  label: outgoing
  dtab: /svc/* => /$/inet/127.0.0.1/${dead};
  servers: [{port: 0}]
  client:
    failureAccrual: {kind: none}
`);
  try {
    const r = await curl(["-H", "Host: web", `http://${sy.proxy()}/`]);
    assertEquals(r.status, 502, r.body);
    const m = JSON.parse((await curl([`${sy.admin}/admin/metrics.json`])).body);
    const c = `rt/outgoing/client/$/inet/127.0.0.1/${dead}`;
    // The default requeue budget (reserve 10/s × 10 s = 100): one request may use
    // ceil(0.2 × 100) = 20 requeues, and the 21st failure hits the per-request limit.
    assertEquals(m[`${c}/retries/requeues`], 20);
    assertEquals(m[`${c}/retries/request_limit`], 1);
    assertEquals(m[`${c}/retries/budget_exhausted`], 0);
    assertEquals(typeof m[`${c}/retries/budget`], "number");
    assert(!(`${c}/requeues` in m), "no Switchyard-only requeues key");
    const prom = (await curl([`${sy.admin}/admin/metrics/prometheus`])).status;
    assertEquals(prom, 404); // only with the io.l5d.prometheus telemeter
  } finally {
    await sy.stop();
  }
});

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
