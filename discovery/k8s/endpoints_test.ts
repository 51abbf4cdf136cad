import { assert, assertEquals } from "../../tests/support/assert.ts";
import { eventually } from "../../tests/support/upstream.ts";
import type { Var } from "../../router/core/var.ts";
import type { Addr, Bound } from "../types.ts";
import type { Lookup } from "../_activity.ts";
import { waitFor } from "../_testing.ts";
import { createK8sApi } from "./api.ts";
import { createK8sNamer, type K8sNamerOptions } from "./endpoints.ts";
import { type FakeK8sApi, startFakeK8sApi } from "./fake_api.ts";

function namerFor(fake: FakeK8sApi, opts: Partial<K8sNamerOptions> = {}) {
  return createK8sNamer({
    api: createK8sApi({ host: fake.hostname, port: fake.port }),
    ownsApi: true,
    ...opts,
  });
}

const settled = (v: Var<Lookup>) => waitFor(v, (a) => a.state !== "pending", 3000, "a lookup");

function boundOf(a: Lookup): Bound {
  if (a.state === "ok" && a.value.type === "leaf" && a.value.value.kind === "bound") {
    return a.value.value.bound;
  }
  throw new Error(`not a bound leaf: ${JSON.stringify(a)}`);
}

const hosts = (a: Addr) =>
  a.type === "bound" ? a.addrs.map((x) => `${x.host}:${x.port}`).sort() : a.type;

function isNeg(a: Lookup): boolean {
  return a.state === "ok" && a.value.type === "neg";
}

function world(fake: FakeK8sApi, ips: string[], port = 7778): string {
  return fake.setEndpoints(
    "default",
    "world-v1",
    ips.map((ip, i) => ({
      ip,
      nodeName: `node-${i}`,
      targetRef: { kind: "Pod", name: `world-${i}` },
    })),
    [{ name: "http", port }],
  );
}

Deno.test("createK8sNamer() binds /<ns>/<port>/<svc> to the ready endpoints of the port", async () => {
  const fake = startFakeK8sApi();
  world(fake, ["10.0.1.5", "10.0.2.5"]);
  const namer = namerFor(fake);
  try {
    const v = namer.lookup(["Default", "HTTP", "World-V1", "Extra", "Path"]);
    const b = boundOf(await settled(v));
    assertEquals(b.idStr, "/default/http/world-v1", "the id is lowercased");
    assertEquals(b.residual, ["Extra", "Path"], "the residual is not");
    assertEquals(hosts(b.addr.get()), ["10.0.1.5:7778", "10.0.2.5:7778"]);
    const a = b.addr.get();
    assert(a.type === "bound" && a.addrs[0]?.meta?.nodeName === "node-0", "nodeName metadata");
    assert(namer.lookup(["Default", "HTTP", "World-V1", "Extra", "Path"]) === v, "cached");
  } finally {
    await namer.close();
    await fake.close();
  }
});

Deno.test("createK8sNamer() follows endpoint changes through the watch within a second", async () => {
  const fake = startFakeK8sApi();
  world(fake, ["10.0.1.5"]);
  const namer = namerFor(fake);
  try {
    const b = boundOf(await settled(namer.lookup(["default", "http", "world-v1"])));
    const seen: string[][] = [];
    const off = b.addr.subscribe((a) => seen.push(hosts(a) as string[]));
    const t0 = performance.now();
    world(fake, ["10.0.1.5", "10.0.1.6"]);
    await waitFor(b.addr, (a) => hosts(a).length === 2, 1000, "the new pod");
    const ms = performance.now() - t0;
    assert(ms < 1000, `took ${ms} ms`);
    world(fake, ["10.0.1.6"], 7779);
    await waitFor(b.addr, (a) => hosts(a)[0] === "10.0.1.6:7779", 1000, "the port change");
    off();
    assertEquals(seen, [["10.0.1.5:7778", "10.0.1.6:7778"], ["10.0.1.6:7779"]]);
  } finally {
    await namer.close();
    await fake.close();
  }
});

Deno.test("createK8sNamer() is Neg for a missing service or port, and follows them appearing", async () => {
  const fake = startFakeK8sApi();
  world(fake, ["10.0.1.5"]);
  const namer = namerFor(fake);
  try {
    const noPort = await settled(namer.lookup(["default", "grpc", "world-v1"]));
    assert(isNeg(noPort), JSON.stringify(noPort));
    assert(JSON.stringify(noPort).includes("with port grpc"), "the delegator gets a why");
    const later = namer.lookup(["default", "http", "hello"]);
    assert(isNeg(await settled(later)));
    fake.setEndpoints("default", "hello", [{ ip: "10.0.3.3" }], [{ name: "http", port: 7777 }]);
    const b = boundOf(await waitFor(later, (a) => !isNeg(a), 1000, "hello to appear"));
    assertEquals(hosts(b.addr.get()), ["10.0.3.3:7777"]);
    fake.remove("endpoints", "default", "hello");
    await waitFor(later, isNeg, 1000, "hello to be deleted");
    assertEquals(b.addr.get().type, "neg");
  } finally {
    await namer.close();
    await fake.close();
  }
});

Deno.test("createK8sNamer() binds a port with no ready pod to an empty set, not Neg", async () => {
  const fake = startFakeK8sApi();
  fake.setEndpoints("default", "idle", [], [], {
    subsets: [{ notReadyAddresses: [{ ip: "10.0.0.1" }], ports: [{ name: "http", port: 80 }] }],
  });
  const namer = namerFor(fake);
  try {
    const b = boundOf(await settled(namer.lookup(["default", "http", "idle"])));
    assertEquals(b.addr.get(), { type: "bound", addrs: [] });
  } finally {
    await namer.close();
    await fake.close();
  }
});

Deno.test("createK8sNamer() maps a numbered port through the Service's targetPort", async () => {
  const fake = startFakeK8sApi();
  world(fake, ["10.0.1.5"]);
  fake.setService("default", "world-v1", [{ name: "http", port: 80, targetPort: 7778 }]);
  const namer = namerFor(fake);
  try {
    const b = boundOf(await settled(namer.lookup(["default", "80", "world-v1"])));
    assertEquals(b.idStr, "/default/80/world-v1");
    assertEquals(hosts(b.addr.get()), ["10.0.1.5:7778"]);
    assert(
      isNeg(await settled(namer.lookup(["default", "81", "world-v1"]))),
      "no such service port",
    );
    // the Service changes: port 81 appears, served by the same endpoints port
    fake.setService("default", "world-v1", [{ name: "http", port: 81, targetPort: "web" }]);
    await waitFor(namer.lookup(["default", "81", "world-v1"]), (a) => !isNeg(a), 1000, "port 81");
    await waitFor(b.addr, (a) => a.type === "neg", 1000, "port 80 gone");
    assert(fake.requests.some((r) => r.includes("/services?watch=true")), "the Service is watched");
  } finally {
    await namer.close();
    await fake.close();
  }
});

Deno.test("createK8sNamer() external: the Service's load-balancer address for a port name (io.l5d.k8s.external)", async () => {
  const fake = startFakeK8sApi();
  world(fake, ["10.0.1.5"]); // endpoints are not what an external namer binds
  fake.setService("prod", "web", [{ name: "http", port: 80, targetPort: 8080 }], undefined, [
    { ip: "203.0.113.7" },
  ]);
  fake.setService("prod", "pending-lb", [{ name: "http", port: 80 }]);
  const namer = namerFor(fake, { external: true });
  try {
    assertEquals(namer.kind, "io.l5d.k8s.external");
    const b = boundOf(await settled(namer.lookup(["Prod", "HTTP", "Web", "rest"])));
    // ServiceNamerTest "is case insensitive": matched lowercased, the id keeps the name's case
    assertEquals([b.idStr, b.residual], ["/Prod/HTTP/Web", ["rest"]]);
    assertEquals(hosts(b.addr.get()), ["203.0.113.7:80"], "the service port at the LB address");
    for (
      const name of [["prod", "admin", "web"], ["prod", "http", "pending-lb"], [
        "prod",
        "http",
        "nope",
      ]]
    ) {
      assert(isNeg(await settled(namer.lookup(name))), `${name.join("/")} is Neg`);
    }
    // A hostname ingress (AWS ELB style) wins over the ip, and the watch carries the change.
    fake.setService("prod", "web", [{ name: "http", port: 81 }], undefined, [
      { hostname: "lb.example.com", ip: "203.0.113.8" },
    ]);
    await waitFor(b.addr, (a) => hosts(a)[0] === "lb.example.com:81", 1000, "the new LB");
    assert(!fake.requests.some((r) => r.includes("/endpoints")), "no Endpoints are watched");
  } finally {
    await namer.close();
    await fake.close();
  }
});

Deno.test("createK8sNamer() with labelSelector selects objects by the extra segment", async () => {
  const fake = startFakeK8sApi();
  fake.setEndpoints("default", "web", [{ ip: "10.0.0.1" }], [{ name: "http", port: 80 }], {
    labels: { version: "v1" },
  });
  const namer = namerFor(fake, { labelSelector: "version" });
  try {
    const v1 = boundOf(await settled(namer.lookup(["default", "http", "web", "v1", "rest"])));
    assertEquals(v1.idStr, "/default/http/web/v1");
    assertEquals(v1.residual, ["rest"]);
    assertEquals(hosts(v1.addr.get()), ["10.0.0.1:80"]);
    assert(
      isNeg(await settled(namer.lookup(["default", "http", "web", "v2"]))),
      "other label value",
    );
    assert(isNeg(await settled(namer.lookup(["default", "http", "web"]))), "label segment missing");
    assert(
      fake.requests.some((r) => r.includes("labelSelector=version%3Dv1")),
      fake.requests.join("\n"),
    );
  } finally {
    await namer.close();
    await fake.close();
  }
});

Deno.test("createK8sNamer() with a namespace serves io.l5d.k8s.ns names /<port>/<svc>", async () => {
  const fake = startFakeK8sApi();
  world(fake, ["10.0.1.5"]);
  const namer = namerFor(fake, { namespace: "default" });
  try {
    assertEquals(namer.kind, "io.l5d.k8s.ns");
    const b = boundOf(await settled(namer.lookup(["http", "world-v1", "x"])));
    assertEquals(b.idStr, "/http/world-v1");
    assertEquals(b.residual, ["x"]);
    assert(isNeg(namer.lookup(["http"]).get()), "too short");
  } finally {
    await namer.close();
    await fake.close();
  }
});

Deno.test("createK8sNamer() stays pending while the API is unreachable", async () => {
  const fake = startFakeK8sApi();
  fake.failNext(1000, 503);
  const namer = namerFor(fake, { maxBackoffMs: 20 });
  try {
    const v = namer.lookup(["default", "http", "world-v1"]);
    assertEquals(v.get().state, "pending", "the first read starts the watch");
    assert(await eventually(() => fake.requests.length >= 3, 3000));
    assertEquals(v.get().state, "pending");
    fake.failNext(0);
    world(fake, ["10.0.1.5"]);
    boundOf(await settled(v));
  } finally {
    await namer.close();
    await fake.close();
  }
});

Deno.test("createK8sNamer() stops watching unused objects and restarts on the next lookup", async () => {
  const fake = startFakeK8sApi();
  world(fake, ["10.0.1.5"]);
  const namer = namerFor(fake, { idleMs: 100 });
  try {
    const b = boundOf(await settled(namer.lookup(["default", "http", "world-v1"])));
    const off = b.addr.subscribe(() => {});
    await new Promise((r) => setTimeout(r, 250));
    assertEquals(fake.watchCount(), 1, "a subscribed name stays watched");
    off();
    assert(await eventually(() => fake.watchCount() === 0, 2000), "then stops when unused");
    assertEquals(Object.keys(namer.state().endpoints), []);
    boundOf(await settled(namer.lookup(["default", "http", "world-v1"])));
    assert(await eventually(() => fake.watchCount() === 1, 2000), "watched again");
  } finally {
    await namer.close();
    await fake.close();
  }
});

Deno.test("createK8sNamer() state() shows each watched object and its watch", async () => {
  const fake = startFakeK8sApi();
  world(fake, ["10.0.1.5"]);
  fake.setService("default", "world-v1", [{ name: "http", port: 80, targetPort: 7778 }]);
  const namer = namerFor(fake);
  try {
    await settled(namer.lookup(["default", "80", "world-v1"]));
    const s = namer.state();
    assertEquals(Object.keys(s.endpoints), ["default/world-v1"]);
    assertEquals(Object.keys(s.portMappings), ["default/world-v1"]);
    const ep = s.endpoints["default/world-v1"]!;
    assertEquals((ep.state as { metadata: { name: string } }).metadata.name, "world-v1");
    assert(
      JSON.stringify(ep.watch).includes("/api/v1/namespaces/default/endpoints"),
      JSON.stringify(ep.watch),
    );
  } finally {
    await namer.close();
    await fake.close();
  }
});

Deno.test("createK8sNamer() allNames() lists the watched services' ports and nothing it does not watch", async () => {
  const fake = startFakeK8sApi();
  world(fake, ["10.0.1.5"]);
  fake.setService("default", "world-v1", [{ name: "http", port: 80, targetPort: 7778 }]);
  fake.setEndpoints("prod", "web", [{ ip: "10.0.0.1" }], [{ name: "admin", port: 9990 }]);
  const namer = namerFor(fake);
  try {
    assertEquals(await namer.allNames(), [], "nothing looked up yet: no watch, no name");
    await settled(namer.lookup(["default", "80", "world-v1"]));
    await settled(namer.lookup(["default", "http", "nope"])); // no such object: not listed
    const names = (await namer.allNames()).map((p) => p.join("/")).sort();
    assertEquals(names, ["default/80/world-v1", "default/http/world-v1"]);
    assert(!fake.requests.some((r) => r.includes("/namespaces/prod/")), "prod is never listed");
  } finally {
    await namer.close();
    await fake.close();
  }
});

Deno.test("createK8sNamer() allNames() has the io.l5d.k8s.ns and labelSelector shapes", async () => {
  const fake = startFakeK8sApi();
  fake.setEndpoints("default", "web", [{ ip: "10.0.0.1" }], [{ name: "http", port: 80 }], {
    labels: { version: "v1" },
  });
  const namer = namerFor(fake, { namespace: "default", labelSelector: "version" });
  try {
    await settled(namer.lookup(["http", "web", "v1"]));
    assertEquals(await namer.allNames(), [["http", "web", "v1"]]);
  } finally {
    await namer.close();
    await fake.close();
  }
});

Deno.test("createK8sNamer() reads an API that serves only Linkerd's one-object paths", async () => {
  // A fake written from Linkerd's EndpointsNamerTest: `GET /api/v1/namespaces/<ns>/endpoints/
  // <name>` and `GET /api/v1/watch/namespaces/<ns>/endpoints/<name>?resourceVersion=<rv>` only.
  const fake = startFakeK8sApi({ linkerdPathsOnly: true });
  world(fake, ["10.0.1.5"]);
  fake.setService("default", "world-v1", [{ name: "http", port: 80, targetPort: 7778 }]);
  const namer = namerFor(fake);
  try {
    const b = boundOf(await settled(namer.lookup(["default", "http", "world-v1"])));
    assertEquals(hosts(b.addr.get()), ["10.0.1.5:7778"]);
    world(fake, ["10.0.1.5", "10.0.1.6"]);
    await waitFor(b.addr, (a) => hosts(a).length === 2, 2000, "the new pod, through the watch");
    const n = boundOf(await settled(namer.lookup(["default", "80", "world-v1"])));
    assertEquals(hosts(n.addr.get()), ["10.0.1.5:7778", "10.0.1.6:7778"], "a numbered port");
    assert(isNeg(await settled(namer.lookup(["default", "http", "absent"]))), "a missing service");
    const asked = fake.requests.filter((r) => !r.includes("fieldSelector"));
    assert(asked.includes("GET /api/v1/namespaces/default/endpoints/world-v1"), asked.join("\n"));
    assert(
      asked.some((r) =>
        /^GET \/api\/v1\/watch\/namespaces\/default\/endpoints\/world-v1\?resourceVersion=\d+$/
          .test(r)
      ),
      asked.join("\n"),
    );
    assert(asked.includes("GET /api/v1/namespaces/default/services/world-v1"), asked.join("\n"));
  } finally {
    await namer.close();
    await fake.close();
  }
});

Deno.test("createK8sNamer() ignores malformed watch events and keeps the endpoints", async () => {
  const fake = startFakeK8sApi();
  world(fake, ["10.0.1.5"]);
  const warnings: string[] = [];
  const log = {
    debug: () => {},
    warn: (_m: string, f?: Record<string, unknown>) => {
      warnings.push(String(f?.error));
    },
  };
  const namer = namerFor(fake, { log, maxBackoffMs: 20 });
  try {
    const v = namer.lookup(["default", "http", "world-v1"]);
    const b = boundOf(await settled(v));
    const seen: unknown[] = [];
    const off = b.addr.subscribe((a) => seen.push(hosts(a)));
    // JSON, but not an object event: no metadata, a null object, no object, a partial line
    fake.sendRaw('{"type":"MODIFIED","object":{"kind":"Endpoints"}}\n');
    await new Promise((r) => setTimeout(r, 100));
    for (
      const raw of [
        '{"type":"MODIFIED","object":{"kind":"Endpoints","metadata":{"resourceVersion":"9999"}}}\n',
        '{"type":"MODIFIED","object":null}\n',
        '{"type":"DELETED"}\n',
        '{"type":"MODIFIED","object":{"metadata":',
      ]
    ) {
      assert(await eventually(() => fake.watchCount() === 1, 3000), "a watch is open");
      fake.sendRaw(raw);
      await new Promise((r) => setTimeout(r, 100));
    }
    fake.endWatches(); // ends the partial line
    assertEquals(v.get(), await settled(v));
    assert(!isNeg(v.get()), "still bound");
    assertEquals(seen, [], "no change from the bad events");
    assert(warnings.some((w) => w.includes("malformed")), warnings.join("\n"));
    world(fake, ["10.0.1.6"]);
    await waitFor(b.addr, (a) => hosts(a)[0] === "10.0.1.6:7778", 3000, "the next good event");
    assert(
      !fake.requests.some((r) => r.includes("resourceVersion=9999")),
      "a bad event does not move the version",
    );
    off();
  } finally {
    await namer.close();
    await fake.close();
  }
});
