import { assert, assertEquals } from "../tests/support/assert.ts";
import { startUpstream } from "../tests/support/upstream.ts";
import { createStacks } from "./stacks.ts";
import { parseConfig } from "./config/mod.ts";
import { systemClock } from "./core/clock.ts";
import { Ctx } from "./core/ctx.ts";
import { mutableVar } from "./core/var.ts";
import { createH1Client } from "./http/h1/mod.ts";
import { createLogger } from "../telemetry/log.ts";
import { createRegistry, type MetricsRegistry } from "../telemetry/metrics/mod.ts";
import type { Addr, Bound } from "../discovery/types.ts";

const CLIENT = "rt/r/client/#/io.l5d.fs/web";

function stacksFor(registry: MetricsRegistry, clientYaml: string) {
  const parsed = parseConfig(
    `routers:\n- protocol: http\n  label: r\n  dtab: /svc => /#/io.l5d.fs;\n  servers:\n` +
      `  - port: 0\n  client:\n${clientYaml}namers:\n- kind: io.l5d.fs\n  rootDir: /tmp\n`,
    "stacks_test.yaml",
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed));
  const rc = parsed.config.routers[0]!;
  const transport = createH1Client({});
  const stacks = createStacks({
    registry,
    clock: systemClock,
    transport,
    service: rc.service,
    client: rc.client,
    log: createLogger({ level: "error", write: () => {} }),
  });
  return { stacks, transport };
}

function bound(addr: Addr) {
  const v = mutableVar<Addr>(addr);
  const b: Bound = {
    id: ["#", "io.l5d.fs", "web"],
    idStr: "/#/io.l5d.fs/web",
    addr: v,
    residual: [],
  };
  return { b, v };
}

function newCtx(): Ctx {
  const ctx = new Ctx({
    url: new URL("http://web/"),
    router: "r",
    signal: new AbortController().signal,
    startMs: Date.now(),
    host: "web",
    target: "/",
  });
  ctx.dstStr = "/svc/web"; // what the path stack sets
  return ctx;
}

/** Every gauge and counter of the registry by key (histograms left out). */
function values(r: MetricsRegistry): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of r.entries()) if (e.metric.kind !== "histogram") out[e.key] = e.metric.value;
  return out;
}

function refusedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("createStacks() client() gauges follow the balancer, the endpoints and the pool", async () => {
  let release = () => {};
  const gate = new Promise<void>((r) => release = r);
  const up = startUpstream("web", async () => {
    await gate;
    return new Response("ok");
  });
  const registry = createRegistry({ processStats: false });
  const { stacks, transport } = stacksFor(
    registry,
    "    failureAccrual:\n      kind: io.l5d.consecutiveFailures\n      failures: 1\n",
  );
  const dead = refusedPort();
  const { b, v } = bound({ type: "bound", addrs: [{ host: "127.0.0.1", port: dead, weight: 1 }] });
  const client = stacks.client("r", b);
  try {
    const deadEp = `${CLIENT}/endpoint/127.0.0.1:${dead}`;
    // Before any request: the client's gauges; endpoints appear on their first request.
    const names = [...registry.entries()].map((e) => e.key)
      .filter((k) => k.startsWith(`${CLIENT}/`) && !k.startsWith(`${CLIENT}/endpoint/`))
      .map((k) => k.slice(CLIENT.length + 1));
    assertEquals(names, [
      "requests",
      "success",
      "failures",
      "request_latency_ms",
      "pending",
      "failure_accrual/removals",
      "failure_accrual/revivals",
      "failure_accrual/probes",
      "failure_accrual/removed_for_ms",
      "connects",
      "loadbalancer/adds",
      "loadbalancer/removes",
      "retries/requeues",
      "retries/budget_exhausted",
      "retries/request_limit",
      "loadbalancer/panic",
      "loadbalancer/size",
      "loadbalancer/available",
      "loadbalancer/busy",
      "loadbalancer/closed",
      "loadbalancer/load",
      "loadbalancer/meanweight",
      "loadbalancer/panic_mode",
      "connections",
      "retries/budget",
    ]);
    let m = values(registry);
    assertEquals(
      [m[`${CLIENT}/loadbalancer/size`], m[`${CLIENT}/loadbalancer/available`]],
      [1, 1],
    );
    assertEquals(m[`${CLIENT}/loadbalancer/panic_mode`], 0);
    // Finagle Balancer's load, meanweight, adds and removes.
    const lb = (k: string) => m[`${CLIENT}/loadbalancer/${k}`];
    assertEquals([lb("load"), lb("meanweight"), lb("adds"), lb("removes")], [0, 1, 1, 0]);
    // One endpoint, refusing: marked dead by its first failure (failures: 1).
    const failed = await client.service(new Request("http://web/"), newCtx()).then(
      (r) => r.status,
      (e: Error) => e.name,
    );
    assert(failed !== 200, `a refused endpoint answered ${failed}`);
    m = values(registry);
    assertEquals(m[`${deadEp}/failure_accrual/dead`], 1);
    assertEquals(m[`${deadEp}/outstanding`], 0);
    assertEquals(m[`${deadEp}/connections`], 0);
    assertEquals(m[`${CLIENT}/loadbalancer/available`], 0);
    assertEquals(m[`${CLIENT}/loadbalancer/panic_mode`], 1);
    assertEquals(m[`${CLIENT}/failure_accrual/removals`], 1);
    // The namer moves the client to a live endpoint: the dead one's metrics go.
    v.set({ type: "bound", addrs: [{ host: "127.0.0.1", port: up.port, weight: 1 }] });
    const liveEp = `${CLIENT}/endpoint/127.0.0.1:${up.port}`;
    const inFlight = client.service(new Request("http://web/"), newCtx());
    for (let i = 0; i < 200 && up.seen.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    m = values(registry);
    assertEquals(m[`${deadEp}/outstanding`], undefined);
    assertEquals(m[`${liveEp}/outstanding`], 1);
    assertEquals(m[`${liveEp}/connections`], 1);
    // The namer's update removed one endpoint and added one; one request is in flight.
    assertEquals([lb("load"), lb("adds"), lb("removes")], [1, 2, 1]);
    assertEquals(m[`${CLIENT}/connections`], 1);
    assertEquals(m[`${liveEp}/failure_accrual/dead`], 0);
    assertEquals(
      [m[`${CLIENT}/loadbalancer/size`], m[`${CLIENT}/loadbalancer/available`]],
      [1, 1],
    );
    assertEquals(m[`${CLIENT}/loadbalancer/panic_mode`], 0);
    release();
    const rsp = await inFlight;
    assertEquals(await rsp.text(), "ok");
    m = values(registry);
    assertEquals(m[`${liveEp}/outstanding`], 0);
    assertEquals(m[`${liveEp}/requests`], 1);
  } finally {
    release();
    await client.close();
    await transport.close(0);
    await up.close();
  }
  // After close the client has no endpoints: its connections gauge reads 0.
  assertEquals(values(registry)[`${CLIENT}/connections`], 0);
});

Deno.test("createStacks() client() with ewma keeps an ewma_ms gauge per endpoint", async () => {
  const up = startUpstream("web");
  const registry = createRegistry({ processStats: false });
  const { stacks, transport } = stacksFor(registry, "    loadBalancer:\n      kind: ewma\n");
  const { b } = bound({ type: "bound", addrs: [{ host: "127.0.0.1", port: up.port, weight: 1 }] });
  const client = stacks.client("r", b);
  try {
    const rsp = await client.service(new Request("http://web/"), newCtx());
    await rsp.body?.cancel();
    assertEquals(rsp.status, 200);
    const ewma = values(registry)[`${CLIENT}/endpoint/127.0.0.1:${up.port}/ewma_ms`];
    assert(ewma !== undefined && ewma > 0, `ewma_ms ${ewma}`);
  } finally {
    await client.close();
    await transport.close(0);
    await up.close();
  }
});

Deno.test("createStacks() client(): the endpoints' shared stack counts each attempt under the endpoint it went to", async () => {
  const up = startUpstream("web");
  const up2 = startUpstream("web2");
  const registry = createRegistry({ processStats: false });
  // No accrual: the refused endpoint stays in the balancer, and requeues move its attempts on.
  const { stacks, transport } = stacksFor(registry, "    failureAccrual:\n      kind: none\n");
  const dead = refusedPort();
  const { b } = bound({
    type: "bound",
    addrs: [
      { host: "127.0.0.1", port: dead, weight: 1 },
      { host: "127.0.0.1", port: up.port, weight: 1 },
      { host: "127.0.0.1", port: up2.port, weight: 1 },
    ],
  });
  const client = stacks.client("r", b);
  const ep = (port: number, k: string) => `${CLIENT}/endpoint/127.0.0.1:${port}/${k}`;
  try {
    // Concurrent requests: each attempt's stats go to its own endpoint, even while another
    // request's attempt is on another endpoint of the same stack.
    const rsps = await Promise.all(
      Array.from({ length: 40 }, () => client.service(new Request("http://web/"), newCtx())),
    );
    await Promise.all(rsps.map((r) => r.text()));
    assertEquals(rsps.map((r) => r.status), rsps.map(() => 200));
    const m = values(registry);
    const served = (p: number) => m[ep(p, "requests")] ?? 0;
    assertEquals(served(up.port), up.seen.length);
    assertEquals(served(up2.port), up2.seen.length);
    assertEquals(m[ep(up.port, "success")], up.seen.length);
    assertEquals(m[ep(up2.port, "success")], up2.seen.length);
    assertEquals(up.seen.length + up2.seen.length, 40);
    // The refused endpoint's attempts failed there and were requeued: counted as its failures,
    // none as its successes, and each as one of the client's requeues.
    const refused = m[ep(dead, "requests")] ?? 0;
    assert(refused > 0, "no attempt went to the refused endpoint");
    assertEquals(m[ep(dead, "failures")], refused);
    assertEquals(m[ep(dead, "success")], 0);
    assertEquals(m[`${CLIENT}/retries/requeues`], refused);
    assertEquals(m[`${CLIENT}/requests`], 40);
    // Latency went to the endpoint's own histogram.
    const hist = [...registry.entries()].find((e) => e.key === ep(up.port, "request_latency_ms"))!
      .metric as { snapshot(): { count: number } };
    assertEquals(hist.snapshot().count, up.seen.length);
  } finally {
    await client.close();
    await transport.close(0);
    await up.close();
    await up2.close();
  }
});
