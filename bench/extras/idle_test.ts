/**
 * `startupTrimmed` against a real Switchyard: it sees the start-up heap trim through the admin
 * server, and that trim is one collection, not a count that keeps rising while idle.
 */
import { assert, assertEquals } from "../../tests/support/assert.ts";
import { adminMetrics, startSwitchyard } from "../../tests/support/switchyard.ts";
import { startupTrimmed } from "./idle.ts";

Deno.test("startupTrimmed() waits for the start-up heap trim on the admin's process/heap_trims", async () => {
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/9;
  servers:
  - port: 0
`);
  try {
    const port = Number(new URL(sy.admin).port);
    assert(await startupTrimmed(port), "no start-up trim seen in 15 s");
    assertEquals((await adminMetrics(sy.admin))["process/heap_trims"], 1);
  } finally {
    await sy.stop();
  }
});

Deno.test("startupTrimmed() gives up after its timeout when nothing answers", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const t0 = performance.now();
  assertEquals(await startupTrimmed(port, 600), false);
  assert(performance.now() - t0 >= 600);
});
