/**
 * L1 `linkerd/docs/load_balancer.md`, read as a black-box spec against the real process: the
 * page's example (`ewma`, `maxEffort: 10`, `decayTimeMs: 15000`), and the least-loaded kinds
 * (`p2c`, the default, and `heap`) that `load_balancer_docs_test.ts` (enableProbation, aperture,
 * roundRobin) leaves out.
 *
 * @module
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, fsNamerDir, startUpstream } from "../support/upstream.ts";

/** A fast and a slow (`slowMs` per request) upstream, both in `world`'s io.l5d.fs file. */
async function fastAndSlow(slowMs: number) {
  const hits = { fast: 0, slow: 0 };
  const fast = startUpstream("fast", () => {
    hits.fast++;
    return new Response("fast");
  });
  const slow = startUpstream("slow", async () => {
    hits.slow++;
    await new Promise((r) => setTimeout(r, slowMs));
    return new Response("slow");
  });
  const dir = await fsNamerDir({ world: `${fast.fsLine}\n${slow.fsLine}\n` });
  return {
    hits,
    dir,
    close: async () => {
      await Promise.all([fast.close(), slow.close()]);
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** `n` GETs for `world`, `workers` at a time; returns the statuses. */
async function load(proxy: string, n: number, workers: number): Promise<number[]> {
  using client = Deno.createHttpClient({ allowHost: true });
  const out: number[] = [];
  let left = n;
  await Promise.all(Array.from({ length: workers }, async () => {
    while (left-- > 0) {
      const r = await fetch(`http://${proxy}/`, { headers: { host: "world" }, client });
      await r.arrayBuffer();
      out.push(r.status);
    }
  }));
  return out;
}

const router = (label: string, lb: string) => `
- protocol: http
  label: ${label}
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}]
  client:${lb}`;

// The page's example, as written: "kind: ewma, maxEffort: 10, decayTimeMs: 15000". Peak EWMA
// (Finagle's "Power of Two Choices: Peak EWMA") weighs each node by its observed latency: once
// the slow node has answered, even sequential requests go to the fast one.
Deno.test("docs load_balancer: the example ewma config (maxEffort 10, decayTimeMs 15000) avoids a slow node", async () => {
  const ups = await fastAndSlow(150);
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${ups.dir}}]
routers:${
    router(
      "ewma",
      `
    loadBalancer:
      kind: ewma
      maxEffort: 10
      decayTimeMs: 15000`,
    )
  }
`);
  try {
    const st = await load(sy.proxy("ewma"), 40, 1);
    assertEquals(st.filter((s) => s === 200).length, 40);
    console.log(`ewma: fast ${ups.hits.fast}, slow ${ups.hits.slow}`);
    assert(ups.hits.slow <= 4, `slow node picked ${ups.hits.slow} of 40`);
    const m = JSON.parse((await curl([`${sy.admin}/admin/metrics.json`])).body);
    assertEquals(m["rt/ewma/client/#/io.l5d.fs/world/loadbalancer/size"], 2);
  } finally {
    await sy.stop();
    await ups.close();
  }
});

// "kind | `p2c` | Either p2c, ewma, aperture, heap, or roundRobin": without a loadBalancer block
// the client is p2c least loaded, as `kind: p2c` and `kind: heap` (Finagle's "Heap: Least
// Loaded"): with requests in parallel, the node holding outstanding requests (slow) is picked
// less, where a load-blind round robin gives each node half.
Deno.test("docs load_balancer: p2c (the default) and heap send concurrent load to the least-loaded node", async () => {
  const ups = await fastAndSlow(200);
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${ups.dir}}]
routers:${router("dflt", " {}")}${router("p2c", "\n    loadBalancer: {kind: p2c}")}${
    router("heap", "\n    loadBalancer: {kind: heap}")
  }${router("rr", "\n    loadBalancer: {kind: roundRobin}")}
`);
  try {
    const counts: Record<string, number[]> = {};
    for (const label of ["dflt", "p2c", "heap", "rr"]) {
      ups.hits.fast = ups.hits.slow = 0;
      const st = await load(sy.proxy(label), 120, 6);
      assertEquals(st.filter((s) => s === 200).length, 120, label);
      counts[label] = [ups.hits.fast, ups.hits.slow];
    }
    console.log(JSON.stringify(counts));
    for (const label of ["dflt", "p2c", "heap"]) {
      assert(counts[label]![1]! <= 30, `${label}: slow got ${counts[label]![1]} of 120`);
    }
    assertEquals(counts["rr"], [60, 60], "round robin ignores load");
  } finally {
    await sy.stop();
    await ups.close();
  }
});
