/**
 * Black-box tests of the `io.l5d.marathon` namer (Linkerd's `linkerd/docs/namer.md` "Marathon
 * service discovery"; source `namer/marathon/.../AppIdNamer.scala`, `MarathonInitializer.scala`,
 * `marathon/.../v2/Api.scala`): the real process polls a fake Marathon API
 * (`tests/support/fake_marathon.ts`, Marathon's documented JSON) and real curl traffic reaches
 * the app's tasks.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { type FakeMarathon, startFakeMarathon } from "../support/fake_marathon.ts";
import { makeCerts } from "../support/certs.ts";
import { runCli, startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, startUpstream } from "../support/upstream.ts";

function config(api: FakeMarathon, extra = "", dtab = "/svc => /#/io.l5d.marathon;"): string {
  return `
admin: {ip: 127.0.0.1, port: 0}
namers:
- kind: io.l5d.marathon
  host: 127.0.0.1
  port: ${api.port}
  ttlMs: 200
  jitterMs: 20
${extra}
routers:
- protocol: http
  identifier: {kind: io.l5d.path, segments: 2, consume: true}
  dtab: |
    ${dtab}
  servers: [{ip: 127.0.0.1, port: 0}]
`;
}

async function names(proxy: string, path: string, n = 1): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await curl([`http://${proxy}${path}`]);
    out.push(r.status === 200 ? JSON.parse(r.body).name : `${r.status}`);
  }
  return out;
}

// deno-lint-ignore no-explicit-any
async function delegator(admin: string, path: string): Promise<any> {
  const r = await curl([`${admin}/delegator.json?namespace=http&path=${path}`]);
  assertEquals(r.status, 200, r.body);
  return JSON.parse(r.body);
}

// deno-lint-ignore no-explicit-any
function ports(tree: any): number[] {
  return tree.delegate.bound.addr.addrs.map((x: { port: number }) => x.port).sort();
}

Deno.test("marathon: /#/io.l5d.marathon/<group>/<app> binds the app's tasks (host, ports[0]); residual and Host", async () => {
  const a = startUpstream("a");
  const b = startUpstream("b");
  const api = startFakeMarathon();
  api.setApp("/users", { tasks: [{ host: "127.0.0.1", ports: [a.port, 1] }] });
  api.setApp("/appgroup/web", {
    tasks: [{ host: "127.0.0.1", ports: [a.port] }, { host: "127.0.0.1", ports: [b.port] }],
  });
  const sy = await startSwitchyard(config(api));
  try {
    assertEquals(await names(sy.proxy(), "/users/x"), ["a"]);
    // Several segments make the app id; the rest of the name is the residual.
    const seen = new Set(await names(sy.proxy(), "/appgroup/web", 20));
    assertEquals([...seen].sort(), ["a", "b"]);
    const hdr = a.seen.at(-1)!.headers;
    assertEquals(hdr["l5d-dst-client"], "/#/io.l5d.marathon/appgroup/web");
    // Name segments are lowercased to match app ids (AppIdNamerTest "case-insensitive").
    const mixed = await names(sy.proxy(), "/AppGroup/Web", 4);
    assert(mixed.every((n) => n === "a" || n === "b"), `${mixed}`);
    assertEquals(
      a.seen.at(-1)!.headers["l5d-dst-client"] ?? b.seen.at(-1)!.headers["l5d-dst-client"],
      "/#/io.l5d.marathon/appgroup/web",
    );
    const d = await delegator(sy.admin, "/svc/users/extra");
    assertEquals(d.delegate.type, "leaf");
    assertEquals(d.delegate.bound.id, "/#/io.l5d.marathon/users");
    assertEquals(d.delegate.bound.path, "/extra");
    assertEquals(ports(d), [a.port]);
    // The API requests: Host is the configured host (Linkerd's SetHost), the app is read with
    // its tasks embedded.
    const appReq = api.requests.find((r) => r.path.startsWith("/v2/apps/users"));
    assertEquals(appReq?.path, "/v2/apps/users?embed=app.tasks");
    assertEquals(appReq?.headers.host, "127.0.0.1");
    assert(api.requests.some((r) => r.path === "/v2/apps"), "the app list is read");
  } finally {
    await sy.stop();
    await api.close();
    await a.close();
    await b.close();
  }
});

Deno.test("marathon: task changes are picked up at the next poll; an API outage keeps the last tasks; a removed or empty app is Neg", async () => {
  const a = startUpstream("a");
  const b = startUpstream("b");
  const fallback = startUpstream("fallback");
  const api = startFakeMarathon();
  api.setApp("/web", { tasks: [{ host: "127.0.0.1", ports: [a.port] }] });
  const inet = `/$/inet/127.0.0.1/${fallback.port}`;
  const sy = await startSwitchyard(
    config(api, "", `/svc => /#/io.l5d.marathon; /svc/alt => /#/io.l5d.marathon/web | ${inet};`),
  );
  try {
    assertEquals(await names(sy.proxy(), "/web/x"), ["a"]);
    api.setApp("/web", { tasks: [{ host: "127.0.0.1", ports: [b.port] }] });
    assert(
      await eventually(async () =>
        ports(await delegator(sy.admin, "/svc/web")).join() === `${b.port}`
      ),
      "the new task is bound",
    );
    assertEquals(new Set(await names(sy.proxy(), "/web/x", 5)), new Set(["b"]));

    // AppIdNamer: after a first answer, failed polls change nothing (connection refused, then 500).
    await api.down();
    await new Promise((r) => setTimeout(r, 800)); // several polls
    assertEquals(await names(sy.proxy(), "/web/x", 3), ["b", "b", "b"]);
    api.up();
    api.failWith(500);
    await new Promise((r) => setTimeout(r, 600));
    assertEquals(await names(sy.proxy(), "/web/x", 3), ["b", "b", "b"]);
    assertEquals(ports(await delegator(sy.admin, "/svc/web")), [b.port]);
    api.failWith(undefined);

    // An app with no task binds nothing: Neg, so the dtab falls through to the next branch.
    api.setApp("/web", { tasks: [] });
    assert(
      await eventually(async () => (await delegator(sy.admin, "/svc/web")).delegate.type === "neg"),
      "an app without tasks is Neg",
    );
    assertEquals(await names(sy.proxy(), "/alt/x"), ["fallback"]);
    const r = await curl([`http://${sy.proxy()}/web/x`]);
    assertEquals(r.status, 502);
    assertStringIncludes(r.body, "No hosts are available for /svc/web/x");

    // A removed app leaves the app list: the name is Neg.
    api.setApp("/web", { tasks: [{ host: "127.0.0.1", ports: [a.port] }] });
    assert(await eventually(async () => (await names(sy.proxy(), "/web/x"))[0] === "a"));
    api.removeApp("/web");
    assert(
      await eventually(async () => (await delegator(sy.admin, "/svc/web")).delegate.type === "neg"),
      "a removed app is Neg",
    );
    assertEquals(await names(sy.proxy(), "/alt/x"), ["fallback"]);
    const nx = await delegator(sy.admin, "/svc/nosuchapp/x");
    assertEquals([nx.delegate.type, nx.delegate.path], ["neg", "/#/io.l5d.marathon/nosuchapp/x"]);
  } finally {
    await sy.stop();
    await api.close();
    await a.close();
    await b.close();
    await fallback.close();
  }
});

Deno.test("marathon: with the API down from the start, names fail until its first answer, then bind", async () => {
  const a = startUpstream("a");
  const api = startFakeMarathon();
  api.setApp("/web", { tasks: [{ host: "127.0.0.1", ports: [a.port] }] });
  await api.down();
  const sy = await startSwitchyard(config(api));
  try {
    const r = await curl([`http://${sy.proxy()}/web/x`]);
    // AppIdNamer: before the first answer a failed poll fails the lookup (Activity.Failed).
    assertEquals(r.status, 502, r.body);
    assertStringIncludes(r.body, "marathon:");
    assertEquals(a.seen.length, 0);
    api.up();
    assert(
      await eventually(async () => (await names(sy.proxy(), "/web/x"))[0] === "a"),
      "bound once the API answers (AppIdNamerTest: recovers if marathon api fails initially)",
    );
  } finally {
    await sy.stop();
    await api.close();
    await a.close();
  }
});

Deno.test("marathon: uriPrefix, useHealthCheck, IP-per-task ports and Basic credentials; namer_state and bound-names", async () => {
  const a = startUpstream("a");
  const b = startUpstream("b");
  const api = startFakeMarathon({
    prefix: "/marathon",
    auth: { kind: "basic", token: "dXNlcjpwdw==" },
  });
  api.setApp("/web", {
    healthChecks: 1,
    tasks: [
      { host: "127.0.0.1", ports: [a.port], alive: [true] },
      { host: "127.0.0.1", ports: [b.port], alive: [false] },
    ],
  });
  api.setApp("/team/api", {
    discoveryPort: b.port,
    tasks: [{ host: "10.9.9.9", ip: "127.0.0.1" }],
  });
  const sy = await startSwitchyard(config(api, "  uriPrefix: /marathon\n  useHealthCheck: true"), {
    env: { MARATHON_HTTP_AUTH_CREDENTIAL: "dXNlcjpwdw==" },
  });
  try {
    // Only the task passing its health check gets traffic.
    assertEquals(new Set(await names(sy.proxy(), "/web/x", 6)), new Set(["a"]));
    // IP-per-task: ipAddresses[0] with the app's discovery port.
    assertEquals(await names(sy.proxy(), "/team/api"), ["b"]);
    assert(api.requests.every((r) => r.headers.authorization === "Basic dXNlcjpwdw=="));
    assert(api.requests.some((r) => r.path === "/marathon/v2/apps"));

    const st = await curl([`${sy.admin}/namer_state/io.l5d.marathon.json`]);
    assertEquals(st.status, 200, st.body);
    const state = JSON.parse(st.body) as Record<
      string,
      { state: { value: unknown }; watch: { request: string } }
    >[];
    const web = state.find((e) => "/web" in e)?.["/web"];
    assertEquals(web?.watch.request, "GET /marathon/v2/apps/web?embed=app.tasks");
    assertEquals(web?.state.value, {
      type: "bound",
      addrs: [{ ip: "127.0.0.1", port: a.port, meta: {} }],
    });

    const bn = await curl([`${sy.admin}/bound-names.json`]);
    assertEquals(JSON.parse(bn.body), ["/#/io.l5d.marathon/team/api", "/#/io.l5d.marathon/web"]);

    // A task that becomes healthy is picked up.
    api.setApp("/web", {
      healthChecks: 1,
      tasks: [
        { host: "127.0.0.1", ports: [a.port], alive: [true] },
        { host: "127.0.0.1", ports: [b.port], alive: [true] },
      ],
    });
    assert(
      await eventually(async () =>
        ports(await delegator(sy.admin, "/svc/web")).join() === [a.port, b.port].sort().join()
      ),
    );
  } finally {
    await sy.stop();
    await api.close();
    await a.close();
    await b.close();
  }
});

Deno.test("marathon: without the credential, the API's 401 fails the lookup", async () => {
  const a = startUpstream("a");
  const api = startFakeMarathon({ auth: { kind: "basic", token: "dXNlcjpwdw==" } });
  api.setApp("/web", { tasks: [{ host: "127.0.0.1", ports: [a.port] }] });
  const sy = await startSwitchyard(config(api));
  try {
    const r = await curl([`http://${sy.proxy()}/web/x`]);
    assertEquals(r.status, 502, r.body);
    assertStringIncludes(r.body, "HTTP 401");
    assertEquals(a.seen.length, 0);
  } finally {
    await sy.stop();
    await api.close();
    await a.close();
  }
});

function pem(label: string, der: ArrayBuffer): string {
  const b64 = btoa(String.fromCharCode(...new Uint8Array(der)));
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`;
}

Deno.test("marathon: HTTPS verified against tls.commonName, with a DC/OS service-account login renewed on 401", async () => {
  const a = startUpstream("a");
  const dir = await Deno.makeTempDir();
  await makeCerts(dir, { master: "DNS:master.mesos" });
  const keys = await crypto.subtle.generateKey(
    {
      name: "RSASSA-PKCS1-v1_5",
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: "SHA-256",
    },
    true,
    ["sign", "verify"],
  );
  const api = startFakeMarathon({
    prefix: "/marathon",
    tls: {
      cert: await Deno.readTextFile(`${dir}/master.pem`),
      key: await Deno.readTextFile(`${dir}/master.key`),
    },
    auth: { kind: "dcos", uid: "linkerd", publicKey: keys.publicKey },
  });
  api.setApp("/web", { tasks: [{ host: "127.0.0.1", ports: [a.port] }] });
  const credential = JSON.stringify({
    login_endpoint: "https://leader.mesos/acs/api/v1/auth/login",
    private_key: pem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", keys.privateKey)),
    scheme: "RS256",
    uid: "linkerd",
  });
  const tls = `  uriPrefix: /marathon
  tls:
    commonName: master.mesos
    trustCertsBundle: ${dir}/ca.pem`;
  const sy = await startSwitchyard(config(api, tls), {
    env: { DCOS_SERVICE_ACCOUNT_CREDENTIAL: credential },
  });
  try {
    assertEquals(await names(sy.proxy(), "/web/x"), ["a"]);
    const login = api.requests.find((r) => r.method === "POST");
    assertEquals(login?.path, "/acs/api/v1/auth/login");
    assertEquals(JSON.parse(login!.body).uid, "linkerd");
    const gets = api.requests.filter((r) => r.method === "GET");
    assert(gets.every((r) => /^token=/.test(r.headers.authorization ?? "")), "token= header");
    assertEquals(api.logins, 1);
    // An expired token: the next poll gets a 401, logs in again and retries once.
    api.expireTokens();
    assert(await eventually(() => api.logins === 2), "a new login after the 401");
    const n = api.requests.length;
    assert(await eventually(() => api.requests.length > n + 2), "polls go on");
    assertEquals(api.logins, 2);
    assertEquals(await names(sy.proxy(), "/web/x"), ["a"]);

    // The same API through a commonName it does not carry: the lookup fails (the name is not
    // verified), as does a bad credential at start.
    const wrong = await startSwitchyard(
      config(api, tls.replace("commonName: master.mesos", "commonName: other.mesos")),
      { env: { DCOS_SERVICE_ACCOUNT_CREDENTIAL: credential } },
    );
    try {
      const r = await curl([`http://${wrong.proxy()}/web/x`]);
      assertEquals(r.status, 502, r.body);
      assertStringIncludes(r.body, "marathon:");
    } finally {
      await wrong.stop();
    }
  } finally {
    await sy.stop();
    await api.close();
    await a.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("marathon: check accepts the documented keys and refuses bad ones at their line:column", async () => {
  const run = async (yaml: string) => {
    const file = await Deno.makeTempFile({ suffix: ".yaml" });
    await Deno.writeTextFile(file, yaml);
    const r = await runCli("check", file);
    await Deno.remove(file);
    return { code: r.code, out: r.stdout + r.stderr };
  };
  // namer.md's example, verbatim keys (not experimental: no `experimental: true` needed).
  const base = `namers:
- kind:           io.l5d.marathon
  prefix:         /io.l5d.marathon
  host:           marathon.mesos
  port:           80
  uriPrefix:      /marathon
  ttlMs:          5000
  useHealthCheck: false
routers:
- protocol: http
  dtab: |
    /marathonId => /#/io.l5d.marathon;
    /host       => /$/io.buoyant.http.domainToPathPfx/marathonId;
    /svc => /host;
  servers: [{port: 4140}]
`;
  /** `switchyard check` of `yaml` exits `code` and prints each of `expected`. */
  const check = async (yaml: string, code: number, ...expected: string[]) => {
    const r = await run(yaml);
    assertEquals(r.code, code, r.out);
    for (const e of expected) assertStringIncludes(r.out, e);
  };
  await check(
    base,
    0,
    "namer io.l5d.marathon at /#/io.l5d.marathon (api marathon.mesos:80, every 5000 ms)",
  );
  await check(
    base.replace("  ttlMs:", "  jitterMs: 60\n  dst: /$/inet/10.0.0.1/8080\n  ttlMs:"),
    0,
    "api /$/inet/10.0.0.1/8080",
  );
  await check(
    base.replace("  ttlMs:          5000", "  ttl: 5000"),
    1,
    ":7:3: namers[0].ttl: unknown key",
  );
  await check(base.replace("ttlMs:          5000", "ttlMs: fast"), 1, "namers[0].ttlMs");
  // Only the /$/inet form of dst (the zk leader one of linkerd/examples/marathon-leader.yaml needs
  // io.buoyant.namer.zk.leader, which Switchyard does not have).
  await check(
    base.replace(
      "  port:",
      "  dst: /$/io.buoyant.namer.zk.leader/zk:2181/marathon/leader\n  port:",
    ),
    1,
    "namers[0].dst",
    "/$/io.buoyant.namer.zk.leader/zk:2181/marathon/leader is not supported as the Marathon dst",
  );
  // A port out of range is the schema's too, at its line:column.
  await check(
    base.replace("  port:", "  dst: /$/inet/10.0.0.1/99999\n  port:"),
    1,
    ":5:8: namers[0].dst: /$/inet/10.0.0.1/99999 is not supported as the Marathon dst",
  );
  await check(
    base.replace("  ttlMs:", "  tls: {disableValidation: true}\n  ttlMs:"),
    1,
    "namers[0].tls.disableValidation",
  );
  await check(
    base.replace("  ttlMs:", "  tls: {trustCertsBundle: /x.pem}\n  ttlMs:"),
    1,
    "namers[0].tls",
  );
  // A CA file this machine lacks is a warning at its key (serve would refuse to start).
  await check(
    base.replace(
      "  ttlMs:",
      "  tls: {commonName: master.mesos, trustCertsBundle: /no/ca.pem}\n  ttlMs:",
    ),
    0,
    ":7:53:",
    "namers[0].tls.trustCertsBundle: cannot read /no/ca.pem here",
  );
});

// The default identifier (io.l5d.header.token on Host) names /svc/users.appgroup.
Deno.test("marathon: namer.md's dtab routes Host users.appgroup to app /appgroup/users through domainToPathPfx", async () => {
  const a = startUpstream("a");
  const api = startFakeMarathon({ prefix: "/marathon" });
  api.setApp("/appgroup/users", { tasks: [{ host: "127.0.0.1", ports: [a.port] }] });
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers:
- kind:           io.l5d.marathon
  prefix:         /io.l5d.marathon
  host:           127.0.0.1
  port:           ${api.port}
  uriPrefix:      /marathon
  ttlMs:          5000
  useHealthCheck: false
routers:
- protocol: http
  dtab: |
    /marathonId => /#/io.l5d.marathon;
    /host       => /$/io.buoyant.http.domainToPathPfx/marathonId;
    /svc => /host;
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    const r = await curl(["-H", "Host: users.appgroup", `http://${sy.proxy()}/`]);
    assertEquals(r.status, 200, r.body);
    assertEquals(JSON.parse(r.body).name, "a");
    assertEquals(a.seen[0]!.headers["l5d-dst-client"], "/#/io.l5d.marathon/appgroup/users");
  } finally {
    await sy.stop();
    await api.close();
    await a.close();
  }
});

Deno.test("marathon: a malformed DCOS_SERVICE_ACCOUNT_CREDENTIAL stops serve at start (MarathonSecret.Invalid)", async () => {
  const api = startFakeMarathon();
  try {
    let error = "";
    try {
      const sy = await startSwitchyard(config(api), {
        env: { DCOS_SERVICE_ACCOUNT_CREDENTIAL: JSON.stringify({ uid: "x", scheme: "HS256" }) },
      });
      await sy.stop();
    } catch (e: unknown) {
      error = e instanceof Error ? e.message : String(e);
    }
    assertStringIncludes(error, "DCOS_SERVICE_ACCOUNT_CREDENTIAL needs login_endpoint");
  } finally {
    await api.close();
  }
});
