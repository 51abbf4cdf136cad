/**
 * L1 `linkerd/docs/load_balancer.md`, read as a black-box spec against the real process.
 *
 * @module
 */
import { assert, assertEquals } from "../support/assert.ts";
import { adminMetrics, startSwitchyard } from "../support/switchyard.ts";
import { eventually, fsNamerDir, startUpstream } from "../support/upstream.ts";

/** `n` GETs for `world` through a router's first listener; returns the statuses. */
async function send(proxy: string, n: number): Promise<number[]> {
  using client = Deno.createHttpClient({ allowHost: true });
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await fetch(`http://${proxy}/`, { headers: { host: "world" }, client });
    await r.arrayBuffer();
    out.push(r.status);
  }
  return out;
}

// load_balancer.md, the keys of every kind: "enableProbation | false | If `true`, removals from
// service discovery are treated as advisory and the removed endpoints will remain in the load
// balancer pool as long as they remain healthy." (Finagle's TrafficDistributor without eager
// eviction: an endpoint gone from discovery stays while its status is Open, and is dropped at a
// later discovery update once it is not.)
Deno.test("load_balancer.md enableProbation: an endpoint removed from discovery keeps its traffic while healthy, and leaves once marked dead", async () => {
  let bFails = false;
  const a = startUpstream("a");
  const b = startUpstream("b", () => new Response("b", { status: bFails ? 500 : 200 }));
  const c = startUpstream("c");
  const dir = await fsNamerDir({ world: `${a.fsLine}\n${b.fsLine}\n` });
  const router = (label: string, probation: boolean) => `
- protocol: http
  label: ${label}
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}]
  client:
    loadBalancer: {kind: roundRobin, enableProbation: ${probation}}
    failureAccrual:
      kind: io.l5d.consecutiveFailures
      failures: 1
      backoff: {kind: constant, ms: 60000}`;
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:${router("probation", true)}${router("eager", false)}
`);
  const size = async (label: string) =>
    (await adminMetrics(sy.admin))[`rt/${label}/client/#/io.l5d.fs/world/loadbalancer/size`];
  try {
    assertEquals(await send(sy.proxy("probation"), 4), [200, 200, 200, 200]);
    await send(sy.proxy("eager"), 4);
    assertEquals(await size("probation"), 2);

    // b leaves service discovery: the eager client drops it, the probation client keeps it.
    await Deno.writeTextFile(`${dir}/world`, `${a.fsLine}\n`);
    assert(await eventually(async () => await size("eager") === 1, 10_000), "eager saw it");
    assertEquals(await size("probation"), 2, "b stays in the pool on probation");
    let seen = b.seen.length;
    assertEquals(await send(sy.proxy("eager"), 6), [200, 200, 200, 200, 200, 200]);
    assertEquals(b.seen.length, seen, "the eager client sends b nothing");
    assertEquals(await send(sy.proxy("probation"), 6), [200, 200, 200, 200, 200, 200]);
    assert(b.seen.length - seen >= 2, `b still gets traffic: ${b.seen.length - seen}`);

    // b fails once: failure accrual marks it dead; the next discovery update evicts it.
    bFails = true;
    seen = b.seen.length;
    const st = await send(sy.proxy("probation"), 4);
    assertEquals(b.seen.length - seen, 1, "b marked dead after one failure");
    assertEquals(st.filter((s) => s === 500).length, 1);
    await Deno.writeTextFile(`${dir}/world`, `${a.fsLine}\n${c.fsLine}\n`);
    assert(await eventually(async () => await size("eager") === 2, 10_000), "eager saw c");
    assert(
      await eventually(async () => await size("probation") === 2, 5_000),
      `b evicted: size ${await size("probation")}`,
    );
    const m = await adminMetrics(sy.admin);
    assertEquals(
      m[`rt/probation/client/#/io.l5d.fs/world/endpoint/127.0.0.1:${b.port}/requests`],
      undefined,
      "b's endpoint stats are gone with it",
    );
  } finally {
    await sy.stop();
    await Promise.all([a.close(), b.close(), c.close()]);
  }
});

// load_balancer.md aperture: "minAperture | 1 | The minimum size of the aperture." A client with
// little load keeps its requests on minAperture endpoints; roundRobin visits every endpoint in
// turn. When the only endpoint in a minAperture-1 aperture is marked dead, Finagle's balancer
// rebuilds after maxEffort failed picks and RandomAperture.statusOrder puts open endpoints first:
// its traffic moves to ONE other endpoint.
Deno.test("load_balancer.md aperture minAperture and roundRobin: who gets the requests", async () => {
  let failing = -1;
  const hits = [0, 0, 0, 0];
  const ups = hits.map((_, i) =>
    startUpstream(`u${i}`, () => {
      hits[i]!++;
      return new Response("x", { status: i === failing ? 500 : 200 });
    })
  );
  const dir = await fsNamerDir({ world: ups.map((u) => u.fsLine).join("\n") });
  const start = (lb: string) =>
    startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}]
  client:
    loadBalancer: ${lb}
    failureAccrual:
      {kind: io.l5d.consecutiveFailures, failures: 3, backoff: {kind: constant, ms: 60000}}
`);
  const used = () => hits.filter((h) => h > 0).length;
  try {
    for (
      const [lb, endpoints] of [["{kind: roundRobin}", 4], ["{kind: aperture}", 1], [
        "{kind: aperture, minAperture: 2}",
        2,
      ]] as const
    ) {
      hits.fill(0);
      const sy = await start(lb);
      try {
        await send(sy.proxy(), 40);
        console.log(`${lb}: ${hits.join("/")}`);
        assertEquals(used(), endpoints, `${lb}: ${hits.join("/")}`);
        if (lb.includes("roundRobin")) assertEquals(hits, [10, 10, 10, 10]);
        if (lb === "{kind: aperture}") {
          failing = hits.findIndex((h) => h > 0);
          hits.fill(0);
          const st = await send(sy.proxy(), 40);
          console.log(`aperture, endpoint ${failing} failing: ${hits.join("/")}`);
          assertEquals(hits[failing], 3, "marked dead after 3 failures");
          assertEquals(st.filter((s) => s === 200).length, 37);
          assertEquals(hits.filter((h, i) => h > 0 && i !== failing), [37], "one other endpoint");
          failing = -1;
        }
      } finally {
        await sy.stop();
      }
    }
  } finally {
    for (const u of ups) await u.close();
  }
});
