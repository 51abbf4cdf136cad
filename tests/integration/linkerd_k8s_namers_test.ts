/**
 * Linkerd 1.x's Kubernetes namer tests, ported to the real process against the fake Kubernetes
 * API (real HTTP, real chunked watches; `discovery/k8s/fake_api.ts`), observed through
 * `/delegator.json` and real traffic:
 *
 * - `k8s/src/test/scala/io/buoyant/k8s/EndpointsNamerTest.scala` (`io.l5d.k8s`, `io.l5d.k8s.ns`;
 *   `k8s/src/main/scala/io/buoyant/k8s/EndpointsNamer.scala`), with its fixtures: namespace
 *   `srv`, `sessions` on endpoints port `http` 8083, Services mapping port 80 to target port
 *   54321 (numbered) or `http` (named), port 9990 without a target port.
 * - `k8s/src/test/scala/io/buoyant/k8s/ServiceNamerTest.scala` (`io.l5d.k8s.external`;
 *   `ServiceNamer.scala`), with its fixture `pythonsky/l5d` at 104.155.170.94.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { type Running, startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, startUpstream } from "../support/upstream.ts";
import { type FakeK8sApi, startFakeK8sApi } from "../../discovery/k8s/fake_api.ts";

interface Leaf {
  type: string;
  id?: string;
  path?: string;
  addrs?: string[];
}

/** The delegator's answer for `path`: the first leaf's bound id, residual and addresses, or Neg. */
async function bindOf(sy: Running, path: string, ns = "http"): Promise<Leaf> {
  const r = await curl([
    `${sy.admin}/delegator.json?namespace=${ns}&path=${encodeURIComponent(path)}`,
  ]);
  assertEquals(r.status, 200, r.body);
  // deno-lint-ignore no-explicit-any
  let n: any = JSON.parse(r.body);
  while (n.type === "delegate" || n.type === "transformation") n = n.delegate ?? n.tree;
  if (n.type !== "leaf") return { type: n.type };
  const addr = n.bound.addr;
  return {
    type: addr.type === "neg" ? "neg" : "leaf",
    id: n.bound.id,
    path: n.bound.path,
    addrs: (addr.addrs ?? []).map((a: { ip: string; port: number }) => `${a.ip}:${a.port}`)
      .sort(),
  };
}

async function eventuallyBind(
  sy: Running,
  path: string,
  ok: (l: Leaf) => boolean,
  what: string,
): Promise<Leaf> {
  let last: Leaf = { type: "none" };
  assert(
    await eventually(async () => ok(last = await bindOf(sy, path)), 5000),
    `${what}: ${JSON.stringify(last)}`,
  );
  return last;
}

const at = (ips: string[], port: number) => ips.map((ip) => `${ip}:${port}`).sort();

const SESSIONS = ["10.248.4.9", "10.248.7.11", "10.248.8.9"];

/** EndpointsNamerTest's `Rsps.Init` and `Rsps.Services`, as objects in the fake API. */
function endpointsFixture(api: FakeK8sApi): void {
  const eps = (name: string, ips: string[], port: number) =>
    api.setEndpoints("srv", name, ips.map((ip) => ({ ip })), [
      { name: "http", port, protocol: "TCP" },
    ]);
  eps("sessions", SESSIONS, 8083);
  eps("auth", ["10.248.0.10", "10.248.1.9", "10.248.5.9"], 8082);
  eps("events", ["10.248.0.9", "10.248.5.8", "10.248.6.8"], 8085);
  eps("projects", ["10.248.0.11", "10.248.7.12", "10.248.8.10"], 8087);
  api.put("endpoints", "srv", { metadata: { name: "empty-subset" }, subsets: null });
  const ports = (target: number | string) => [
    { name: "http", port: 80, protocol: "TCP", targetPort: target },
    { name: "admin", port: 9990, protocol: "TCP" },
  ];
  api.setService("srv", "sessions", ports(54321), undefined, [{ ip: "35.184.61.229" }]);
  api.setService("srv", "projects", ports(54321));
  api.setService("srv", "events", ports(54321), undefined, [{ hostname: "linkerd.io" }]);
  api.setService("srv", "auth", ports("http"), undefined, [{ hostname: "linkerd.io" }]);
}

function k8sConfig(apiPort: number, extra = ""): string {
  return `
admin: {ip: 127.0.0.1, port: 0}
namers:
- kind: io.l5d.k8s
  host: 127.0.0.1
  port: ${apiPort}
${extra}
routers:
- protocol: http
  dtab: |
    /svc => /#/io.l5d.k8s;
    /ns => /#/io.l5d.k8s.ns;
    /lbl => /#/lbl;
  servers: [{ip: 127.0.0.1, port: 0}]
`;
}

Deno.test("linkerd EndpointsNamerTest: named and numbered ports, target ports, case, Neg", async () => {
  const api = startFakeK8sApi();
  endpointsFixture(api);
  const sy = await startSwitchyard(k8sConfig(api.port));
  try {
    // "watches a namespace": the port named http of sessions
    const named = await bindOf(sy, "/svc/srv/http/sessions");
    assertEquals(named, {
      type: "leaf",
      id: "/#/io.l5d.k8s/srv/http/sessions",
      path: "/",
      addrs: at(SESSIONS, 8083),
    });
    // "missing port names are negative"
    assertEquals((await bindOf(sy, "/svc/srv/thrift/sessions")).type, "neg");
    // "namer accepts port numbers": service port 80 → targetPort 54321
    assertEquals((await bindOf(sy, "/svc/srv/80/sessions")).addrs, at(SESSIONS, 54321));
    // "... without target port defined": 9990 is the pods' port too
    assertEquals((await bindOf(sy, "/svc/srv/9990/sessions")).addrs, at(SESSIONS, 9990));
    // "... when ingress is not defined" / "... when ingress contains hostname"
    assertEquals(
      (await bindOf(sy, "/svc/srv/80/projects")).addrs,
      at(["10.248.0.11", "10.248.7.12", "10.248.8.10"], 54321),
    );
    assertEquals(
      (await bindOf(sy, "/svc/srv/80/events")).addrs,
      at(["10.248.0.9", "10.248.5.8", "10.248.6.8"], 54321),
    );
    // "port numbers not defined in service resolve to neg"
    assertEquals((await bindOf(sy, "/svc/srv/555/sessions")).type, "neg");
    // "port numbers can map to named target port": 80 → targetPort http → endpoints port 8082
    assertEquals(
      (await bindOf(sy, "/svc/srv/80/auth")).addrs,
      at(["10.248.0.10", "10.248.1.9", "10.248.5.9"], 8082),
    );
    // "namer is case insensitive": the id is the lowercased name, as Linkerd's lowercasePath
    const mixed = await bindOf(sy, "/svc/sRv/HtTp/SeSsIoNs/ReSt");
    assertEquals(mixed, {
      type: "leaf",
      id: "/#/io.l5d.k8s/srv/http/sessions",
      path: "/ReSt",
      addrs: at(SESSIONS, 8083),
    });
    // "namer handles endpoints will null subsets"
    assertEquals((await bindOf(sy, "/svc/srv/http/empty-subset")).type, "neg");

    // ScaleUp then ScaleDown through the watch (also seen through the case-insensitive name)
    api.setEndpoints("srv", "sessions", [...SESSIONS, "10.248.1.11"].map((ip) => ({ ip })), [
      { name: "http", port: 8083 },
    ]);
    for (const name of ["/svc/srv/http/sessions", "/svc/sRv/HtTp/SeSsIoNs"]) {
      await eventuallyBind(sy, name, (l) => l.addrs?.length === 4, "scale up");
    }
    // "reconnects on reader error": the stream breaks, the next change still arrives
    api.endWatches();
    api.setEndpoints("srv", "sessions", SESSIONS.map((ip) => ({ ip })), [
      { name: "http", port: 8083 },
    ]);
    for (const name of ["/svc/srv/http/sessions", "/svc/sRv/HtTp/SeSsIoNs"]) {
      await eventuallyBind(sy, name, (l) => l.addrs?.length === 3, "scale down");
    }
    assertEquals((await bindOf(sy, "/svc/srv/80/sessions")).addrs, at(SESSIONS, 54321));
  } finally {
    await sy.stop();
    await api.close();
  }
});

Deno.test("linkerd EndpointsNamerTest: scale down to nothing is Neg, scale up routes again (#1626)", async () => {
  const api = startFakeK8sApi();
  const w1 = startUpstream("world-1");
  const w2 = startUpstream("world-2");
  const world = (ip: string, port: number) =>
    api.setEndpoints("liza1626", "world-v1", [{ ip, nodeName: "n" }], [{ name: "http", port }]);
  world("127.0.0.1", w1.port);
  const sy = await startSwitchyard(
    k8sConfig(api.port).replace(
      "/svc => /#/io.l5d.k8s;",
      "/svc => /#/io.l5d.k8s/liza1626/http;",
    ),
  );
  const call = async () => {
    const r = await curl(["-H", "Host: world-v1", `http://${sy.proxy()}/`]);
    return r.status === 200 ? JSON.parse(r.body).name : `${r.status} ${r.body}`;
  };
  try {
    assertEquals(await call(), "world-1");
    // The Endpoints controller empties the object (no subsets) when the last pod goes.
    api.put("endpoints", "liza1626", { metadata: { name: "world-v1" }, subsets: [] });
    await eventuallyBind(sy, "/svc/world-v1", (l) => l.type === "neg", "after scale down");
    let last = "";
    assert(await eventually(async () => (last = await call()).startsWith("502"), 5000), last);
    assertStringIncludes(last, "No hosts are available for /svc/world-v1");
    // Scale up, on new pods: the same name binds and routes again without a restart.
    world("127.0.0.1", w2.port);
    assert(await eventually(async () => (last = await call()) === "world-2", 5000), last);
  } finally {
    await sy.stop();
    await api.close();
    await w1.close();
    await w2.close();
  }
});

Deno.test("linkerd EndpointsNamerTest: unexpected statuses of the initial get and of the watch are retried", async () => {
  const api = startFakeK8sApi();
  endpointsFixture(api);
  // "initial get returns unexpected status": 406 first, then the object
  api.failNext(1, 406);
  const sy = await startSwitchyard(k8sConfig(api.port));
  try {
    await eventuallyBind(
      sy,
      "/svc/srv/http/sessions",
      (l) => l.addrs?.length === 3,
      "after a 406 on the initial get",
    );
    assert(api.requests.length >= 2, api.requests.join("\n"));
    // "watch returns unexpected status": the stream ends and the re-watch gets 406; the
    // namer backs off, watches again and sees the next change.
    assert(await eventually(() => api.watchCount() > 0, 5000), "a watch is open");
    api.failNext(1, 406);
    api.endWatches();
    api.setEndpoints("srv", "sessions", [...SESSIONS, "10.248.1.11"].map((ip) => ({ ip })), [
      { name: "http", port: 8083 },
    ]);
    await eventuallyBind(
      sy,
      "/svc/srv/http/sessions",
      (l) => l.addrs?.length === 4,
      "after a 406 on the watch",
    );
  } finally {
    await sy.stop();
    await api.close();
  }
});

Deno.test("linkerd EndpointsNamerTest: labelSelector and the single-namespace namer", async () => {
  const api = startFakeK8sApi();
  api.setEndpoints("srv", "sessions", SESSIONS.map((ip) => ({ ip })), [
    { name: "http", port: 8083 },
  ], { labels: { versionLabel: "d3adb33f" } });
  const sy = await startSwitchyard(
    k8sConfig(
      api.port,
      `- kind: io.l5d.k8s
  prefix: /lbl
  host: 127.0.0.1
  port: ${api.port}
  labelSelector: versionLabel
- kind: io.l5d.k8s.ns
  envVar: MY_NS
  host: 127.0.0.1
  port: ${api.port}`,
    ),
    { env: { MY_NS: "srv" } },
  );
  try {
    // "sets labelSelector if not None": /<ns>/<port>/<svc>/<label value>
    const l = await bindOf(sy, "/lbl/srv/http/sessions/d3adb33f/rest");
    assertEquals(l.id, "/#/lbl/srv/http/sessions/d3adb33f");
    assertEquals(l.path, "/rest");
    assertEquals(l.addrs, at(SESSIONS, 8083));
    assert(
      api.requests.some((r) => r.includes("labelSelector=versionLabel%3Dd3adb33f")),
      api.requests.join("\n"),
    );
    // the label value segment is required (Linkerd: Neg without it)
    assertEquals((await bindOf(sy, "/lbl/srv/http/sessions")).type, "neg");
    // "single ns namer uses passed in namespace": /<port>/<svc>, id without the namespace
    const ns = await bindOf(sy, "/ns/http/sessions/d3adb33f");
    assertEquals(ns.id, "/#/io.l5d.k8s.ns/http/sessions");
    assertEquals(ns.path, "/d3adb33f");
    assertEquals(ns.addrs, at(SESSIONS, 8083));
    assert(
      api.requests.every((r) => !r.includes("/namespaces/") || r.includes("/namespaces/srv/")),
      api.requests.join("\n"),
    );
  } finally {
    await sy.stop();
    await api.close();
  }
});

Deno.test("linkerd ServiceNamerTest: io.l5d.k8s.external follows a service's ingress address and ports", async () => {
  const api = startFakeK8sApi();
  const ports = [{ name: "external", port: 80 }, { name: "admin", port: 9990 }];
  api.setService("pythonsky", "l5d", ports, undefined, [{ ip: "104.155.170.94" }]);
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers:
- kind: io.l5d.k8s.external
  experimental: true
  host: 127.0.0.1
  port: ${api.port}
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.k8s.external
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    // "gets initial value and updates"
    assertEquals(await bindOf(sy, "/svc/pythonsky/external/l5d/residual"), {
      type: "leaf",
      id: "/#/io.l5d.k8s.external/pythonsky/external/l5d",
      path: "/residual",
      addrs: ["104.155.170.94:80"],
    });
    // "is case insensitive": matched case-insensitively, the id keeps the name's case
    assertEquals(await bindOf(sy, "/svc/pYtHoNsKy/ExTeRnAl/L5D/rEsIdUaL"), {
      type: "leaf",
      id: "/#/io.l5d.k8s.external/pYtHoNsKy/ExTeRnAl/L5D",
      path: "/rEsIdUaL",
      addrs: ["104.155.170.94:80"],
    });
    // "unknown service name is negative", "unknown port name is negative"
    assertEquals((await bindOf(sy, "/svc/pythonsky/external/foo/residual")).type, "neg");
    assertEquals((await bindOf(sy, "/svc/pythonsky/admin2/l5d/residual")).type, "neg");
    // modified: a new ingress address and a new port admin2
    api.setService("pythonsky", "l5d", [...ports, { name: "admin2", port: 9991 }], undefined, [
      { ip: "104.155.170.95" },
    ]);
    await eventuallyBind(
      sy,
      "/svc/pythonsky/external/l5d/residual",
      (l) => l.addrs?.[0] === "104.155.170.95:80",
      "modified",
    );
    // "gets port creation/deletion"
    await eventuallyBind(
      sy,
      "/svc/pythonsky/admin2/l5d/residual",
      (l) => l.addrs?.[0] === "104.155.170.95:9991",
      "port created",
    );
    api.setService("pythonsky", "l5d", ports, undefined, [{ ip: "104.155.170.95" }]);
    await eventuallyBind(
      sy,
      "/svc/pythonsky/admin2/l5d/residual",
      (l) => l.type === "neg",
      "port deleted",
    );
    // "gets service creation"
    api.setService("pythonsky", "foo", ports, undefined, [{ ip: "104.155.170.95" }]);
    const foo = await eventuallyBind(
      sy,
      "/svc/pythonsky/external/foo/residual",
      (l) => l.type === "leaf",
      "created",
    );
    assertEquals(foo.id, "/#/io.l5d.k8s.external/pythonsky/external/foo");
    assertEquals(foo.addrs, ["104.155.170.95:80"]);
    // deleted
    api.remove("services", "pythonsky", "l5d");
    await eventuallyBind(
      sy,
      "/svc/pythonsky/external/l5d/residual",
      (l) => l.type === "neg",
      "deleted",
    );
  } finally {
    await sy.stop();
    await api.close();
  }
});

Deno.test("linkerd DaemonSetTransformerTest/LocalnodeTransformerTest: by /24 and by nodeName, in a namer's transformers", async () => {
  const api = startFakeK8sApi();
  // the l5d daemonset: one pod per node, nodes 7.7.7.1-3, pods in 1.1.1-3.0/24
  api.setEndpoints("default", "l5d", [], [], {
    subsets: [{
      addresses: [1, 2, 3].map((i) => ({ ip: `1.1.${i}.1`, nodeName: `7.7.7.${i}` })),
      ports: [{ name: "incoming", port: 4141 }],
    }],
  });
  // foo: pods on nodes 1, 2 and on a node (1.1.4.0/24, 7.7.7.4) without an l5d
  api.setEndpoints(
    "default",
    "foo",
    [1, 2, 4].map((i) => ({ ip: `1.1.${i}.55`, nodeName: `7.7.7.${i}` })),
    [{ name: "http", port: 8888 }],
  );
  api.setEndpoints("default", "lonely", [{ ip: "1.1.4.55", nodeName: "7.7.7.4" }], [
    { name: "http", port: 8888 },
  ]);
  const k8s = (prefix: string, transformer: string) => `
- kind: io.l5d.k8s
  prefix: ${prefix}
  host: 127.0.0.1
  port: ${api.port}
  transformers:
  - ${transformer}`;
  const ds = `{kind: io.l5d.k8s.daemonset, namespace: default, port: incoming, service: l5d, ` +
    `k8sHost: 127.0.0.1, k8sPort: ${api.port}`;
  const sy = await startSwitchyard(
    `
admin: {ip: 127.0.0.1, port: 0}
namers:${k8s("/ds", ds + "}")}${k8s("/dshn", ds + ", hostNetwork: true}")}${
      k8s("/ln", "{kind: io.l5d.k8s.localnode}")
    }${k8s("/lnhn", "{kind: io.l5d.k8s.localnode, hostNetwork: true}")}
routers:
- protocol: http
  dtab: /svc => /$/nil
  servers: [{ip: 127.0.0.1, port: 0}]
`,
    { env: { POD_IP: "1.1.1.1", NODE_NAME: "7.7.7.2" } },
  );
  try {
    // "daemonset transformer uses daemonset": each endpoint → the l5d pod in its /24; the pod
    // on the node without an l5d is dropped
    const viaDs = await bindOf(sy, "/#/ds/default/http/foo");
    assertEquals(viaDs.addrs, ["1.1.1.1:4141", "1.1.2.1:4141"], JSON.stringify(viaDs));
    assertEquals(viaDs.id, "/%/io.l5d.k8s.daemonset/default/incoming/l5d/#/ds/default/http/foo");
    // "returns Addr.Neg when no daemonsets available"
    assertEquals((await bindOf(sy, "/#/ds/default/http/lonely")).type, "neg");
    // "daemonset transformer with hostNetwork": matched by nodeName
    assertEquals((await bindOf(sy, "/#/dshn/default/http/foo")).addrs, [
      "1.1.1.1:4141",
      "1.1.2.1:4141",
    ]);
    // "localnode transformer selects local instance": the /24 of POD_IP
    const local = await bindOf(sy, "/#/ln/default/http/foo");
    assertEquals(local.addrs, ["1.1.1.55:8888"]);
    assertEquals(local.id, "/%/io.l5d.k8s.localnode/1.1.1.1/#/ln/default/http/foo");
    // "localnode transformer with host network": the endpoints whose nodeName is NODE_NAME
    const hn = await bindOf(sy, "/#/lnhn/default/http/foo");
    assertEquals(hn.addrs, ["1.1.2.55:8888"]);
    assertEquals(hn.id, "/%/io.l5d.k8s.localnode/7.7.7.2/#/lnhn/default/http/foo");
  } finally {
    await sy.stop();
    await api.close();
  }
});
