import { assert, assertEquals } from "../../tests/support/assert.ts";
import { constVar, mutableVar, type Var } from "../../router/core/var.ts";
import type { Addr, Address, Bound } from "../types.ts";
import { boundAddr } from "../addr.ts";
import { makeBound } from "../bound.ts";
import { leafBound, type Lookup } from "../_activity.ts";
import { waitFor } from "../_testing.ts";
import { createK8sApi } from "./api.ts";
import { createDaemonSetTransformer, type DaemonSetOptions } from "./daemonset.ts";
import { type FakeK8sApi, startFakeK8sApi } from "./fake_api.ts";

function boundOf(a: Lookup): Bound {
  if (a.state === "ok" && a.value.type === "leaf" && a.value.value.kind === "bound") {
    return a.value.value.bound;
  }
  throw new Error(`not a bound leaf: ${JSON.stringify(a)}`);
}

const pod = (host: string, nodeName: string, port = 7778): Address => ({
  host,
  port,
  weight: 1,
  meta: { nodeName },
});

const WORLD_ID = ["#", "io.l5d.k8s", "default", "http", "world-v1"];

/** The l5d daemonset's Endpoints: one pod per node, port `incoming`. */
function l5d(fake: FakeK8sApi, pods: [string, string][]): void {
  fake.setEndpoints(
    "default",
    "l5d",
    pods.map(([ip, nodeName]) => ({
      ip,
      nodeName,
      targetRef: { kind: "Pod", name: `l5d-${nodeName}` },
    })),
    [{ name: "outgoing", port: 4140 }, { name: "incoming", port: 4141 }, {
      name: "admin",
      port: 9990,
    }],
  );
}

function daemonset(fake: FakeK8sApi, opts: Partial<DaemonSetOptions> = {}) {
  return createDaemonSetTransformer({
    namespace: "default",
    port: "incoming",
    service: "l5d",
    api: createK8sApi({ host: fake.hostname, port: fake.port }),
    ownsApi: true,
    ...opts,
  });
}

const src = (addr: Var<Addr>) => constVar(leafBound(makeBound(WORLD_ID, addr, ["r"])));
const hosts = (a: Addr) =>
  a.type === "bound" ? a.addrs.map((x) => `${x.host}:${x.port}*${x.weight}`).sort() : a.type;

Deno.test("createDaemonSetTransformer() sends each endpoint to the l5d pod in its /24", async () => {
  const fake = startFakeK8sApi();
  l5d(fake, [["10.0.1.2", "a"], ["10.0.2.2", "b"], ["10.0.3.2", "c"]]);
  const t = daemonset(fake);
  try {
    const world = constVar(
      boundAddr([pod("10.0.1.5", "a"), pod("10.0.1.6", "a"), pod("10.0.2.5", "b")]),
    );
    const v = t.transform(src(world));
    const b = boundOf(await waitFor(v, (a) => a.state !== "pending", 3000, "gateways"));
    assertEquals(
      b.idStr,
      "/%/io.l5d.k8s.daemonset/default/incoming/l5d/#/io.l5d.k8s/default/http/world-v1",
    );
    assertEquals(b.residual, ["r"]);
    // node a runs two world pods, so its l5d gets twice the weight; node c runs none
    assertEquals(hosts(b.addr.get()), ["10.0.1.2:4141*2", "10.0.2.2:4141*1"]);
  } finally {
    await t.close();
    await fake.close();
  }
});

Deno.test("createDaemonSetTransformer() drops endpoints without a local l5d; none left is Neg", async () => {
  const fake = startFakeK8sApi();
  l5d(fake, [["10.0.1.2", "a"]]);
  const t = daemonset(fake);
  try {
    const world = mutableVar<Addr>(boundAddr([pod("10.0.1.5", "a"), pod("10.0.9.5", "z")]));
    const b = boundOf(await waitFor(t.transform(src(world)), (a) => a.state !== "pending", 3000));
    assertEquals(hosts(b.addr.get()), ["10.0.1.2:4141*1"]);
    world.set(boundAddr([pod("10.0.9.5", "z")]));
    assertEquals(b.addr.get(), { type: "neg" });
    world.set({ type: "neg" });
    assertEquals(b.addr.get(), { type: "neg" }, "non-bound states pass through");
  } finally {
    await t.close();
    await fake.close();
  }
});

Deno.test("createDaemonSetTransformer() follows the daemonset's own endpoints through the watch", async () => {
  const fake = startFakeK8sApi();
  l5d(fake, [["10.0.1.2", "a"]]);
  const t = daemonset(fake);
  try {
    const world = constVar(boundAddr([pod("10.0.1.5", "a")]));
    const b = boundOf(await waitFor(t.transform(src(world)), (a) => a.state !== "pending", 3000));
    const seen: string[] = [];
    const off = b.addr.subscribe((a) => seen.push(String(hosts(a))));
    l5d(fake, [["10.0.1.3", "a"]]); // the l5d pod on node a was replaced
    await waitFor(b.addr, (a) => hosts(a)[0] === "10.0.1.3:4141*1", 1000, "the new l5d pod");
    fake.remove("endpoints", "default", "l5d");
    await waitFor(b.addr, (a) => a.type === "neg", 1000, "no daemonset");
    off();
    assertEquals(seen, ["10.0.1.3:4141*1", "neg"]);
  } finally {
    await t.close();
    await fake.close();
  }
});

Deno.test("createDaemonSetTransformer() with hostNetwork matches on nodeName", async () => {
  const fake = startFakeK8sApi();
  // host-network l5d pods have their node's IP, not one from the pod /24s
  l5d(fake, [["192.168.0.10", "a"], ["192.168.0.11", "b"]]);
  const t = daemonset(fake, { hostNetwork: true });
  try {
    const world = constVar(
      boundAddr([pod("10.0.1.5", "b"), { host: "10.0.1.9", port: 1, weight: 1 }]),
    );
    const b = boundOf(await waitFor(t.transform(src(world)), (a) => a.state !== "pending", 3000));
    assertEquals(hosts(b.addr.get()), ["192.168.0.11:4141*1"], "no nodeName, no match");
  } finally {
    await t.close();
    await fake.close();
  }
});

Deno.test("createDaemonSetTransformer() is pending until the daemonset's endpoints are known", async () => {
  const fake = startFakeK8sApi();
  fake.pauseWatches();
  fake.failNext(1000, 503);
  const t = daemonset(fake, { maxBackoffMs: 20 });
  try {
    const v = t.transform(src(constVar(boundAddr([pod("10.0.1.5", "a")]))));
    assertEquals(v.get().state, "pending");
    await new Promise((r) => setTimeout(r, 100));
    assertEquals(v.get().state, "pending");
    fake.failNext(0);
    fake.resumeWatches();
    l5d(fake, [["10.0.1.2", "a"]]);
    const b = boundOf(await waitFor(v, (a) => a.state !== "pending", 3000));
    assert(b.addr.get().type === "bound");
  } finally {
    await t.close();
    await fake.close();
  }
});
