/**
 * `client.failFast` against the real process (Linkerd's `routers.md`: "failFast: If true,
 * connection failures are punished more aggressively"; Finagle's FailFastFactory): an endpoint
 * whose port refuses connections is marked down at its first refused connection, the balancer
 * keeps away from it, and once something listens there again a background connection marks it
 * available and traffic comes back. Without `failFast` the same endpoint is dialled until failure
 * accrual gives up on it (five consecutive failures). Sequential requests, loopback only.
 *
 * @module
 */
import { assert, assertEquals } from "../support/assert.ts";
import { adminMetrics, outgoingFsConfig, startSwitchyard } from "../support/switchyard.ts";
import { eventually, freePort, fsNamerDir, startUpstream } from "../support/upstream.ts";

const CLIENT = "rt/outgoing/client/#/io.l5d.fs/world";

/** `n` sequential GETs (Host: world) over one keep-alive client: statuses and bodies. */
async function sequential(proxy: string, n: number): Promise<{ status: number; body: string }[]> {
  using client = Deno.createHttpClient({ allowHost: true });
  const out: { status: number; body: string }[] = [];
  const deadline = Date.now() + 30_000;
  for (let i = 0; i < n && Date.now() < deadline; i++) {
    const r = await fetch(`http://${proxy}/`, { headers: { host: "world" }, client });
    out.push({ status: r.status, body: await r.text() });
  }
  return out;
}

async function start(failFast: boolean) {
  const live = startUpstream("world", () => new Response("live"));
  const deadPort = freePort();
  const dir = await fsNamerDir({ world: `${live.fsLine}\n127.0.0.1 ${deadPort}\n` });
  const sy = await startSwitchyard(outgoingFsConfig(dir, { client: `    failFast: ${failFast}` }));
  return { live, deadPort, sy };
}

Deno.test("client.failFast: a refused endpoint is marked down at its first refused connection and avoided; a background connection brings it back", async () => {
  const { live, deadPort, sy } = await start(true);
  const dead = `${CLIENT}/endpoint/127.0.0.1:${deadPort}`;
  let revived: Deno.HttpServer | undefined;
  try {
    const first = await sequential(sy.proxy(), 40);
    assertEquals(first.map((r) => r.status), new Array(40).fill(200), "every request answered");
    const m = await adminMetrics(sy.admin);
    assertEquals(m[`${CLIENT}/failfast/marked_dead`], 1);
    assertEquals(m[`${CLIENT}/failfast/marked_available`], 0);
    assertEquals(m[`${dead}/failfast/is_marked_dead`], 1);
    assertEquals(m[`${dead}/requests`], 1, "one refused connection, then never dialled again");
    assertEquals(m[`${dead}/failures`], 1);
    // The live endpoint took every request, the refused one re-dialled there.
    assertEquals(m[`${CLIENT}/endpoint/127.0.0.1:${live.port}/requests`], 40);

    // Something listens on the port again: the first background connection (after ~1 s)
    // marks the endpoint available, and the balancer sends it traffic again.
    revived = Deno.serve(
      { hostname: "127.0.0.1", port: deadPort, onListen() {} },
      () => new Response("revived"),
    );
    assert(
      await eventually(
        async () => (await adminMetrics(sy.admin))[`${CLIENT}/failfast/marked_available`] === 1,
        8000,
      ),
      "marked available within 8 s",
    );
    const m2 = await adminMetrics(sy.admin);
    assertEquals(m2[`${dead}/failfast/is_marked_dead`], 0);
    assertEquals(m2[`${dead}/failfast/unhealthy_for_ms`], 0);
    const after = await sequential(sy.proxy(), 40);
    assertEquals(after.map((r) => r.status), new Array(40).fill(200));
    const toRevived = after.filter((r) => r.body === "revived").length;
    console.log(`after revival: ${toRevived} of 40 requests on the revived endpoint`);
    assert(toRevived > 0, "the revived endpoint gets traffic again");
  } finally {
    await sy.stop();
    await live.close();
    await revived?.shutdown();
  }
});

Deno.test("client.failFast: without it (the default) the refused endpoint is dialled until failure accrual marks it dead", async () => {
  const { live, deadPort, sy } = await start(false);
  const dead = `${CLIENT}/endpoint/127.0.0.1:${deadPort}`;
  try {
    const rs = await sequential(sy.proxy(), 40);
    assertEquals(rs.map((r) => r.status), new Array(40).fill(200));
    const m = await adminMetrics(sy.admin);
    assertEquals(m[`${CLIENT}/failfast/marked_dead`], undefined, "no failfast stats (Finagle)");
    assertEquals(m[`${dead}/failfast/is_marked_dead`], undefined, "no fail-fast state at all");
    assertEquals(m[`${dead}/requests`], 5, "five refused connections: consecutiveFailures(5)");
    assertEquals(m[`${CLIENT}/failure_accrual/removals`], 1);
  } finally {
    await sy.stop();
    await live.close();
  }
});
