/**
 * Linkerd 1.x `linkerd/docs/namer.md`, page by page against the real process: the page's own
 * example configs (adapted to port 0, 127.0.0.1 and local upstreams / the fake Kubernetes API),
 * its keys and defaults, and the kinds Switchyard refuses. Behaviours already ported from
 * Linkerd's own tests live in `linkerd_namers_test.ts`, `namers_builtin_test.ts`,
 * `linkerd_k8s_namers_test.ts`, `dnssrv_test.ts` and `routing_test.ts`; this file covers what the
 * page states that those do not.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { ROOT, runCli, type Running, startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, startUpstream } from "../support/upstream.ts";
import { startFakeK8sApi } from "../../discovery/k8s/fake_api.ts";
import { dnsmasqPath, startDnsmasq } from "../support/dnsmasq.ts";
import { relative } from "node:path";

async function get(sy: Running, host: string): Promise<{ status: number; name?: string }> {
  const r = await curl(["-H", `Host: ${host}`, `http://${sy.proxy()}/`]);
  return r.status === 200 ? { status: 200, name: JSON.parse(r.body).name } : { status: r.status };
}

/** `switchyard check` on `yaml`: exit code and everything printed. */
async function check(yaml: string): Promise<{ code: number; out: string }> {
  const path = await Deno.makeTempFile({ suffix: ".yaml" });
  await Deno.writeTextFile(path, yaml);
  const r = await runCli("check", path);
  await Deno.remove(path);
  return { code: r.code, out: r.stdout + r.stderr };
}

Deno.test("docs namer: the page's first example (io.l5d.fs, prefix /disco, rootDir relative to the start path) routes, and files added later are picked up", async () => {
  const web = startUpstream("web");
  const users = startUpstream("users");
  // "This directory must be on the local filesystem and relative to linkerd's start path": the
  // rootDir is relative to the process's working directory, not to the config file's.
  const base = await Deno.makeTempDir({ prefix: "sy-doc-namer-" });
  await Deno.mkdir(`${base}/disco`);
  await Deno.mkdir(`${base}/cfg/sub`, { recursive: true });
  // The page's file format: `host port` lines, an optional `* weight`.
  await Deno.writeTextFile(`${base}/disco/web`, `${web.fsLine}\n${web.fsLine} * 2.0\n`);
  const rootDir = relative(ROOT, `${base}/disco`);
  assert(!rootDir.startsWith("/"), rootDir);
  const sy = await startSwitchyard(
    `
admin: {ip: 127.0.0.1, port: 0}
namers:
- kind: io.l5d.fs
  prefix: /disco
  rootDir: ${rootDir}
routers:
- protocol: http
  dtab: |
    /svc => /#/disco;
  servers: [{ip: 127.0.0.1, port: 0}]
`,
    { configPath: `${base}/cfg/sub/config.yaml` },
  );
  try {
    assertEquals(await get(sy, "web"), { status: 200, name: "web" });
    const r = await curl(["-H", "Host: web", `http://${sy.proxy()}/`]);
    assertEquals(JSON.parse(r.body).headers["l5d-dst-client"], "/#/disco/web");
    // "files can be added, removed, or updated, and linkerd will pick up the changes
    // automatically": a service whose file did not exist at start.
    assertEquals((await get(sy, "users")).status, 502);
    await Deno.writeTextFile(`${base}/disco/users`, users.fsLine + "\n");
    assert(
      await eventually(async () => (await get(sy, "users")).name === "users", 5000),
      "a new file is picked up",
    );
  } finally {
    await sy.stop();
    await web.close();
    await users.close();
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("docs namer: the page's io.l5d.consul and io.l5d.marathon examples load", async () => {
  const examples: Record<string, string> = {
    "io.l5d.consul": "  host: 127.0.0.1\n  port: 2181\n  includeTag: true\n" +
      "  useHealthCheck: false\n  healthStatuses:\n    - passing\n    - warning\n" +
      "  setHost: true\n  consistencyMode: stale\n",
    "io.l5d.marathon": "  prefix: /io.l5d.marathon\n  host: marathon.mesos\n  port: 80\n" +
      "  uriPrefix: /marathon\n  ttlMs: 5000\n  useHealthCheck: false\n",
  };
  for (const [kind, keys] of Object.entries(examples)) {
    const r = await check(
      `namers:\n- kind: ${kind}\n${keys}routers:\n- protocol: http\n  servers: [{port: 0}]\n`,
    );
    assertEquals(r.code, 0, `${kind}: ${r.out}`);
  }
});

Deno.test("docs namer: each kind the page lists that Switchyard lacks is refused, naming the kind (its own example config)", async () => {
  const examples: Record<string, string> = {
    "io.l5d.serversets": "  zkAddrs:\n  - host: 127.0.0.1\n    port: 2181\n",
    "io.l5d.zkLeader": "  zkAddrs:\n  - host: 127.0.0.1\n    port: 2181\n",
    "io.l5d.curator": "  experimental: true\n  zkAddrs:\n  - host: 127.0.0.1\n    port: 2181\n",
    "io.l5d.k8s.istio": "  experimental: true\n" +
      "  host: istio-manager.default.svc.cluster.local\n  port: 8080\n",
  };
  for (const [kind, keys] of Object.entries(examples)) {
    const r = await check(
      `namers:\n- kind: ${kind}\n${keys}routers:\n- protocol: http\n  servers: [{port: 0}]\n`,
    );
    assertEquals(r.code, 1, r.out);
    assertStringIncludes(r.out, `:2:9: namers[0].kind: ${kind} is not supported`);
  }
});

Deno.test("docs namer: experimental namers need experimental: true; the page's k8s, k8s.external, k8s.ns and dnssrv examples load", async () => {
  const k8s = "  host: localhost\n  port: 8001\n  labelSelector: version\n";
  const dnssrv = "  refreshIntervalSeconds: 5\n  domain: srv.dc-1.example.org\n" +
    "  dnsHosts:\n  - ns0.example.org\n  - ns1.example.org\n";
  const router = "routers:\n- protocol: http\n  servers: [{port: 0}]\n";
  for (const [kind, keys] of [["io.l5d.k8s.external", k8s], ["io.l5d.dnssrv", dnssrv]]) {
    for (const exp of ["", "  experimental: false\n"]) {
      const r = await check(`namers:\n- kind: ${kind}\n${exp}${keys}${router}`);
      assertEquals(r.code, 1, r.out);
      assertStringIncludes(r.out, `${kind} is experimental; set experimental: true`);
    }
    const ok = await check(`namers:\n- kind: ${kind}\n  experimental: true\n${keys}${router}`);
    assertEquals(ok.code, 0, ok.out);
  }
  // Not experimental: no flag needed; `experimental: false` (the default) is accepted.
  for (
    const n of [
      `- kind: io.l5d.k8s\n${k8s}`,
      "- kind: io.l5d.k8s.ns\n  host: localhost\n  port: 8001\n  envVar: MY_POD_NAMESPACE\n",
      "- kind: io.l5d.fs\n  rootDir: disco\n  experimental: false\n",
    ]
  ) {
    const ok = await check(`namers:\n${n}${router}`);
    assertEquals(ok.code, 0, ok.out);
  }
});

Deno.test("docs namer: io.l5d.k8s with the page's dtab /svc => /#/io.l5d.k8s/prod/http, and io.l5d.k8s.ns reading POD_NAMESPACE by default", async () => {
  const api = startFakeK8sApi();
  const prod = startUpstream("prod");
  const mine = startUpstream("mine");
  api.setEndpoints("prod", "books", [{ ip: "127.0.0.1" }], [{ name: "http", port: prod.port }]);
  api.setEndpoints("mine", "books", [{ ip: "127.0.0.1" }], [{ name: "http", port: mine.port }]);
  const sy = await startSwitchyard(
    `
admin: {ip: 127.0.0.1, port: 0}
namers:
- kind: io.l5d.k8s
  host: 127.0.0.1
  port: ${api.port}
- kind: io.l5d.k8s.ns
  host: 127.0.0.1
  port: ${api.port}
routers:
- protocol: http
  label: cluster
  dtab: |
    /svc => /#/io.l5d.k8s/prod/http;
  servers: [{ip: 127.0.0.1, port: 0}]
- protocol: http
  label: namespaced
  dtab: |
    /svc => /#/io.l5d.k8s.ns/http;
  servers: [{ip: 127.0.0.1, port: 0}]
`,
    { env: { POD_NAMESPACE: "mine" } },
  );
  try {
    const at = async (router: string) => {
      const r = await curl(["-H", "Host: books", `http://${sy.proxy(router)}/`]);
      return r.status === 200 ? JSON.parse(r.body) : { status: r.status, body: r.body };
    };
    let c = await at("cluster");
    assert(await eventually(async () => (c = await at("cluster")).name === "prod", 5000), c);
    assertEquals(c.headers["l5d-dst-client"], "/#/io.l5d.k8s/prod/http/books");
    let n = await at("namespaced");
    assert(await eventually(async () => (n = await at("namespaced")).name === "mine", 5000), n);
    assertEquals(n.headers["l5d-dst-client"], "/#/io.l5d.k8s.ns/http/books");
    assert(
      api.requests.some((r) => r.includes("/namespaces/mine/")),
      api.requests.join("\n"),
    );
  } finally {
    await sy.stop();
    await api.close();
    await prod.close();
    await mine.close();
  }
});

Deno.test("docs namer: the rewriting namers' examples rewrite as the page says", async () => {
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: /pfx => /$/inet/127.0.0.1/1;
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    // The rewriter's result is delegated again through the dtab (here /pfx binds an address and
    // the rest of the rewritten path is the residual), as Linkerd's delegator shows it.
    const cases: [string, string][] = [
      [
        "/$/io.buoyant.http.domainToPathPfx/pfx/foo.buoyant.io/resource/name",
        "/pfx/io/buoyant/foo/resource/name",
      ],
      [
        "/$/io.buoyant.http.subdomainOfPfx/buoyant.io/pfx/foo.buoyant.io/resource/name",
        "/pfx/foo/resource/name",
      ],
      ["/$/io.buoyant.hostportPfx/pfx/host:port/etc", "/pfx/host/port/etc"],
      ["/$/io.buoyant.porthostPfx/pfx/host:port/etc", "/pfx/port/host/etc"],
    ];
    for (const [from, to] of cases) {
      const r = await curl([
        `${sy.admin}/delegator.json?namespace=http&path=${encodeURIComponent(from)}`,
      ]);
      assertEquals(r.status, 200, r.body);
      const d = JSON.parse(r.body);
      assertEquals([d.type, d.path], ["delegate", to], from);
      assertEquals(d.delegate.bound.id, "/$/inet/127.0.0.1/1", from);
      assertEquals(d.delegate.bound.path, to.slice("/pfx".length), from);
    }
  } finally {
    await sy.stop();
  }
});

Deno.test({
  name:
    "docs namer: io.l5d.dnssrv's domain expands a relative record name; one ending in . is absolute",
  ignore: dnsmasqPath() === undefined,
  async fn() {
    const web = startUpstream("web");
    const dns = await startDnsmasq([
      "local=/test/",
      `srv-host=_http._tcp.web.test,a.web.test,${web.port}`,
      "host-record=a.web.test,127.0.0.1",
    ]);
    // The page's example, with `domain` the zone of the record and dnsHosts the local server.
    const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers:
- kind: io.l5d.dnssrv
  experimental: true
  refreshIntervalSeconds: 5
  domain: web.test
  dnsHosts:
  - 127.0.0.1:${dns.port}
routers:
- protocol: http
  dtab: |
    /dnssrv => /#/io.l5d.dnssrv;
    /svc => /dnssrv;
    /svc/relative => /dnssrv/_http._tcp;
    /svc/absolute => /dnssrv/_http._tcp.web.test.;
    /svc/doubled => /dnssrv/_http._tcp.web.test;
  servers: [{ip: 127.0.0.1, port: 0}]
`);
    try {
      assertEquals(await get(sy, "relative"), { status: 200, name: "web" });
      assertEquals(await get(sy, "absolute"), { status: 200, name: "web" });
      // Not ending in `.`, so `.web.test` is appended again: no such record.
      assertEquals((await get(sy, "doubled")).status, 502);
    } finally {
      await sy.stop();
      await dns.stop();
      await web.close();
    }
  },
});
