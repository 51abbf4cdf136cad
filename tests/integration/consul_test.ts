/**
 * Black-box tests of the `io.l5d.consul` namer (Linkerd's `linkerd/docs/namer.md` "Consul
 * service discovery"; source `namer/consul/.../ConsulNamer.scala`, `SvcAddr.scala`,
 * `LookupCache.scala`, `consul/.../v1/ConsulApi.scala`): the real process reads a fake Consul
 * agent (`tests/support/fake_consul.ts`, Consul's documented JSON and blocking queries) and
 * real curl traffic reaches the instances.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { type FakeConsul, startFakeConsul } from "../support/fake_consul.ts";
import { makeCerts } from "../support/certs.ts";
import { runCli, startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, startUpstream, type Upstream } from "../support/upstream.ts";

function config(consul: FakeConsul, keys: string, dtab: string): string {
  return `
admin: {ip: 127.0.0.1, port: 0}
namers:
- kind: io.l5d.consul
  host: 127.0.0.1
  port: ${consul.port}
${keys.split("\n").filter((l) => l.trim() !== "").map((l) => `  ${l.trim()}`).join("\n")}
routers:
- protocol: http
  dtab: |
    ${dtab}
  servers: [{ip: 127.0.0.1, port: 0}]
`;
}

async function send(proxy: string, host: string, n = 1): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await curl(["-H", `Host: ${host}`, `http://${proxy}/`]);
    names.push(r.status === 200 ? JSON.parse(r.body).name : `${r.status}`);
  }
  return names;
}

// deno-lint-ignore no-explicit-any
async function delegator(admin: string, path: string): Promise<any> {
  const r = await curl([`${admin}/delegator.json?namespace=http&path=${path}`]);
  assertEquals(r.status, 200, r.body);
  return JSON.parse(r.body);
}

// deno-lint-ignore no-explicit-any
function boundPorts(tree: any): number[] {
  const addr = tree.delegate?.bound?.addr;
  return addr?.type === "bound" ? addr.addrs.map((x: { port: number }) => x.port).sort() : [];
}

async function closeAll(...ups: Upstream[]): Promise<void> {
  await Promise.all(ups.map((u) => u.close()));
}

Deno.test("consul: /#/io.l5d.consul/<dc>/<service> binds the catalog's instances; traffic reaches each", async () => {
  const a = startUpstream("a");
  const b = startUpstream("b");
  const consul = startFakeConsul();
  consul.setService("web", [
    { port: a.port, address: "127.0.0.1" },
    // ServiceAddress wins over the node's Address (preferServiceAddress defaults to true)
    { port: b.port, address: "10.255.255.1", serviceAddress: "127.0.0.1" },
  ]);
  const sy = await startSwitchyard(config(consul, "", "/svc => /#/io.l5d.consul/dc1;"));
  try {
    const seen = new Set(await send(sy.proxy(), "web", 20));
    assertEquals([...seen].sort(), ["a", "b"]);
    // The service is matched lowercased; the id keeps the name as written.
    const hdr = a.seen.concat(b.seen)[0]!.headers;
    assertEquals(hdr["l5d-dst-client"], "/#/io.l5d.consul/dc1/web");
    const upper = await curl(["-H", "Host: WEB", `http://${sy.proxy()}/`]);
    assertEquals(upper.status, 200, upper.body);
    assertEquals(JSON.parse(upper.body).headers["l5d-dst-client"], "/#/io.l5d.consul/dc1/WEB");
    const d = await delegator(sy.admin, "/svc/web/x");
    assertEquals(d.delegate.type, "leaf");
    assertEquals(d.delegate.bound.id, "/#/io.l5d.consul/dc1/web");
    assertEquals(d.delegate.bound.path, "/x");
    assertEquals(boundPorts(d), [a.port, b.port].sort());
    // Blocking queries: the first without an index, the next with the answer's X-Consul-Index.
    const q = consul.requests.filter((r) => r.path === "/v1/catalog/service/web");
    assertEquals(q[0]!.query, { dc: "dc1" });
    assert(
      await eventually(() =>
        consul.requests.some((r) =>
          r.path === "/v1/catalog/service/web" && r.query.index === String(consul.index())
        )
      ),
      JSON.stringify(consul.requests),
    );
    assertEquals(q[0]!.host, `127.0.0.1:${consul.port}`);
    // /namer_state/io.l5d.consul.json: the looked-up path with its addresses and last poll.
    const st = await curl([`${sy.admin}/namer_state/io.l5d.consul.json`]);
    assertEquals(st.status, 200, st.body);
    const state = JSON.parse(st.body);
    assertEquals(state["/dc1/web"].state.type, "bound");
    assertStringIncludes(state["/dc1/web"].poll.request, "GET /v1/catalog/service/web?");
    // Consul's namer does not enumerate (config.md: only io.l5d.fs and io.l5d.k8s do).
    const names = await curl([`${sy.admin}/bound-names.json`]);
    assertEquals(names.status, 200, names.body);
    assertEquals(JSON.parse(names.body), []);
  } finally {
    await sy.stop();
    await consul.close();
    await closeAll(a, b);
  }
});

Deno.test("consul: instance changes apply through the blocking query; a service with no instances is Neg", async () => {
  const a = startUpstream("a");
  const c = startUpstream("c");
  const fallback = startUpstream("fallback");
  const consul = startFakeConsul();
  consul.setService("web", [{ port: a.port }]);
  const sy = await startSwitchyard(
    config(
      consul,
      "",
      `/svc => /#/io.l5d.consul/dc1 | /$/inet/127.0.0.1/${fallback.port};`,
    ),
  );
  try {
    assertEquals(await send(sy.proxy(), "web", 3), ["a", "a", "a"]);
    consul.setService("web", [{ port: c.port }]);
    assert(
      await eventually(async () => (await send(sy.proxy(), "web"))[0] === "c"),
      "the new instance is used",
    );
    assertEquals(await send(sy.proxy(), "web", 5), ["c", "c", "c", "c", "c"]);
    // No instances: Neg (SvcAddr.scala: an empty address set is Addr.Neg), so the dtab falls
    // through to the next alternative.
    consul.setService("web", []);
    assert(
      await eventually(async () => (await send(sy.proxy(), "web"))[0] === "fallback"),
      "an emptied service falls through",
    );
    // A service Consul does not know is Neg too.
    assertEquals(await send(sy.proxy(), "nosuch"), ["fallback"]);
    const d = await delegator(sy.admin, "/svc/nosuch");
    assertStringIncludes(JSON.stringify(d), "neg");
  } finally {
    await sy.stop();
    await consul.close();
    await closeAll(a, c, fallback);
  }
});

Deno.test("consul: while the agent is down the last addresses serve; a name never resolved is Neg", async () => {
  const a = startUpstream("a");
  const b = startUpstream("b");
  const consul = startFakeConsul();
  consul.setService("web", [{ port: a.port }]);
  const sy = await startSwitchyard(config(consul, "", "/svc => /#/io.l5d.consul/dc1;"));
  try {
    assertEquals(await send(sy.proxy(), "web"), ["a"]);
    await consul.down();
    await new Promise((r) => setTimeout(r, 1500)); // several failed queries
    assertEquals(await send(sy.proxy(), "web", 5), ["a", "a", "a", "a", "a"]);
    assertEquals(boundPorts(await delegator(sy.admin, "/svc/web")), [a.port]);
    // SvcAddr.scala: a failure before any answer makes the name Neg (Finagle's
    // NoBrokersAvailableException: 502 "No hosts are available for /svc/other").
    const r = await curl(["-H", "Host: other", `http://${sy.proxy()}/`]);
    assertEquals(r.status, 502, r.body);
    assertStringIncludes(r.body, "No hosts are available for /svc/other");
    const neg = await delegator(sy.admin, "/svc/other");
    assertEquals(neg.delegate.type, "neg");
    // Back up: the loop asks again (without an index) and picks up the change.
    consul.setService("web", [{ port: b.port }]);
    consul.up();
    assert(
      await eventually(async () => (await send(sy.proxy(), "web"))[0] === "b", 10_000),
      "picked up after the outage",
    );
    // A 5xx from Consul (a datacenter it cannot reach) also keeps the last addresses.
    const before = consul.requests.length;
    consul.failNext(3, 500);
    consul.setService("web", [{ port: b.port }]); // wakes the blocking query: the next ones fail
    assert(await eventually(() => consul.requests.length >= before + 4), "queried again");
    assertEquals(await send(sy.proxy(), "web", 3), ["b", "b", "b"]);
    assertEquals(boundPorts(await delegator(sy.admin, "/svc/web")), [b.port]);
  } finally {
    await sy.stop();
    await consul.close();
    await closeAll(a, b);
  }
});

Deno.test("consul: includeTag, useHealthCheck/healthStatuses, weights, token, consistencyMode and .local", async () => {
  const a = startUpstream("a");
  const b = startUpstream("b");
  const c = startUpstream("c");
  const d = startUpstream("d");
  const consul = startFakeConsul({ requireToken: "s3cret", datacenters: ["dc2"] });
  consul.setService("web", [
    { port: a.port, tags: ["prod"], checks: ["passing"] },
    { port: b.port, tags: ["prod", "primary"], checks: ["passing", "warning"] },
    { port: c.port, tags: ["prod"], checks: ["warning", "critical"] },
    { port: d.port, tags: ["canary"], checks: ["passing"] },
  ]);
  const keys = `
    includeTag: true
    useHealthCheck: true
    healthStatuses: [passing, warning]
    token: s3cret
    consistencyMode: stale
    weights: [{tag: primary, weight: 5.0}]
  `;
  const sy = await startSwitchyard(config(consul, keys, "/svc => /#/io.l5d.consul/.local/PROD;"));
  try {
    const seen = await send(sy.proxy(), "web", 30);
    assertEquals([...new Set(seen)].sort(), ["a", "b"], seen.join());
    // The primary-tagged instance has weight 5 (the delegator shows it as Linkerd's metadata).
    const tree = await delegator(sy.admin, "/svc/web");
    assertEquals(tree.delegate.bound.id, "/#/io.l5d.consul/.local/PROD/web");
    const weights = Object.fromEntries(
      tree.delegate.bound.addr.addrs.map((
        x: { port: number; meta: { endpoint_addr_weight?: number } },
      ) => [x.port, x.meta.endpoint_addr_weight ?? 1]),
    );
    assertEquals(weights, { [a.port]: 1, [b.port]: 5 });
    // The health endpoint with passing=false (several statuses: filtered by the namer), the
    // tag lowercased, .local resolved through /v1/agent/self, stale=true, and the token.
    const q = consul.requests.find((r) => r.path === "/v1/health/service/web")!;
    assertEquals(q.query, { stale: "true", dc: "dc1", tag: "prod", passing: "false" });
    assert(consul.requests.some((r) => r.path === "/v1/agent/self"));
    assert(consul.requests.every((r) => r.token === "s3cret"));
    assertEquals(
      consul.requests.filter((r) => r.path.startsWith("/v1/catalog/")).length,
      0,
    );
  } finally {
    await sy.stop();
    await consul.close();
    await closeAll(a, b, c, d);
  }
});

Deno.test("consul: setHost sends Host <tag>.<service>.service.<dc>.<domain> and maps Location back", async () => {
  const a = startUpstream("a", (req) => {
    const host = req.headers.get("host") ?? "";
    return new Response(JSON.stringify({ name: "a", host }), {
      status: new URL(req.url).pathname === "/moved" ? 302 : 200,
      headers: { location: `http://${host}/elsewhere`, "content-type": "application/json" },
    });
  });
  const consul = startFakeConsul({ domain: ".acme.co." });
  consul.setService("web", [{ port: a.port, tags: ["prod"] }]);
  const sy = await startSwitchyard(
    config(consul, "includeTag: true\nsetHost: true", "/svc => /#/io.l5d.consul/dc1/prod;"),
  );
  try {
    const r = await curl(["-H", "Host: web", `http://${sy.proxy()}/`]);
    assertEquals(r.status, 200, r.body);
    // LookupCache.scala: the domain from /v1/agent/self without its dots; SvcAddr.mkMeta.
    assertEquals(JSON.parse(r.body).host, "prod.web.service.dc1.acme.co");
    // RewriteHostHeader.scala: Location and Refresh get the client's Host back.
    const moved = await curl(["-H", "Host: web", `http://${sy.proxy()}/moved`]);
    assertEquals(moved.status, 302, moved.body);
    assertEquals(moved.headers.get("location"), "http://web/elsewhere");
  } finally {
    await sy.stop();
    await consul.close();
    await a.close();
  }
});

Deno.test("consul: tls reaches an HTTPS agent verified with trustCertsBundle, with a clientAuth certificate", async () => {
  const dir = await Deno.makeTempDir();
  await makeCerts(dir, { consul: "IP:127.0.0.1", client: "DNS:client" });
  const a = startUpstream("a");
  const consul = startFakeConsul({
    tls: {
      cert: await Deno.readTextFile(`${dir}/consul.pem`),
      key: await Deno.readTextFile(`${dir}/consul.key`),
    },
  });
  consul.setService("web", [{ port: a.port }]);
  const keys = `tls: {commonName: consul, trustCertsBundle: ${dir}/ca.pem, ` +
    `clientAuth: {certPath: ${dir}/client.pem, keyPath: ${dir}/client.key}}`;
  const sy = await startSwitchyard(config(consul, keys, "/svc => /#/io.l5d.consul/dc1;"));
  try {
    assertEquals(await send(sy.proxy(), "web", 2), ["a", "a"]);
    assert(consul.requests.length > 0);
  } finally {
    await sy.stop();
    await consul.close();
    await a.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("consul: tls verifies the agent's certificate against commonName (not host), also the SNI", async () => {
  // Linkerd's TlsClientConfig: the agent at host:port must present a certificate for
  // commonName. Here the certificate names only consul.agent, never 127.0.0.1.
  const dir = await Deno.makeTempDir();
  await makeCerts(dir, { consul: "DNS:consul.agent" });
  const a = startUpstream("a");
  const consul = startFakeConsul({
    tls: {
      cert: await Deno.readTextFile(`${dir}/consul.pem`),
      key: await Deno.readTextFile(`${dir}/consul.key`),
    },
  });
  consul.setService("web", [{ port: a.port }]);
  const good = `tls: {commonName: consul.agent, trustCertsBundle: ${dir}/ca.pem}`;
  const wrong = `tls: {commonName: other.agent, trustCertsBundle: ${dir}/ca.pem}`;
  try {
    const sy = await startSwitchyard(config(consul, good, "/svc => /#/io.l5d.consul/dc1;"));
    try {
      assertEquals(await send(sy.proxy(), "web", 2), ["a", "a"]);
      assert(consul.requests.some((r) => r.path.startsWith("/v1/catalog/service/web")));
    } finally {
      await sy.stop();
    }
    const seen = consul.requests.length;
    const bad = await startSwitchyard(config(consul, wrong, "/svc => /#/io.l5d.consul/dc1;"));
    try {
      const r = await curl(["-m", "3", "-H", "Host: web", `http://${bad.proxy()}/`]);
      assert(r.status !== 200, `a certificate for another name was accepted: ${r.status}`);
      // The handshake fails: no request reaches the agent.
      assertEquals(consul.requests.length, seen);
    } finally {
      await bad.stop();
    }
  } finally {
    await consul.close();
    await a.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("consul: check accepts Linkerd's keys and refuses bad ones at their line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = `${dir}/good.yaml`;
    await Deno.writeTextFile(
      good,
      `namers:
- kind: io.l5d.consul
  host: 127.0.0.1
  port: 2181
  includeTag: true
  useHealthCheck: false
  healthStatuses:
    - "passing"
    - "warning"
  setHost: true
  consistencyMode: stale
  failFast: false
  preferServiceAddress: true
  token: t
  weights:
   - tag: experimental
     weight: 0.1
   - tag: primary
     weight: 5.0
  fixedLengthStreamedAfterKB: 5120
  transferMetadata: false
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.consul/dc1/prod;
  servers: [{port: 4140}]
`,
    );
    const ok = await runCli("check", good);
    assertEquals(ok.code, 0, ok.stdout + ok.stderr);
    const bad = `${dir}/bad.yaml`;
    await Deno.writeTextFile(
      bad,
      `namers:
- kind: io.l5d.consul
  includeTags: true
  healthStatuses: [passing, sick]
  consistencyMode: eventual
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.consul/dc1;
  servers: [{port: 4140}]
`,
    );
    const r = await runCli("check", bad);
    assertEquals(r.code, 1, r.stdout + r.stderr);
    const out = r.stdout + r.stderr;
    assertStringIncludes(out, "bad.yaml:3:3: namers[0].includeTags");
    assertStringIncludes(out, "bad.yaml:4:29: namers[0].healthStatuses[1]");
    assertStringIncludes(out, "bad.yaml:5:20: namers[0].consistencyMode");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
