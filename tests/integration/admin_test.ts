/**
 * The admin server of the real process: ping, config.json, delegator.json, metrics, shutdown.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, fsNamerDir, startUpstream } from "../support/upstream.ts";

Deno.test("admin: ping, config.json, delegator.json with why, metrics, graceful shutdown", async () => {
  const world = startUpstream("world");
  const dir = await fsNamerDir({ "world-v1": world.fsLine });
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
telemetry: [{kind: io.l5d.prometheus}]
routers:
- protocol: http
  label: outgoing
  dtab: |
    /srv => /#/io.l5d.fs;
    /svc => /srv;
    /svc/world => /srv/world-v1;
  servers: [{port: 0}]
`);
  try {
    assertEquals((await curl([`${sy.admin}/admin/ping`])).body, "pong");
    const cfg = JSON.parse((await curl([`${sy.admin}/config.json`])).body);
    assertEquals(cfg.routers[0].label, "outgoing");
    // As Linkerd's ConfigHandler: the config as written, so no default (dstPrefix) is filled in.
    assertEquals(cfg.routers[0].dstPrefix, undefined);
    assertEquals(cfg.admin, { ip: "127.0.0.1", port: 0 });

    const d = JSON.parse(
      (await curl([`${sy.admin}/delegator.json?namespace=outgoing&path=/svc/world`])).body,
    );
    const text = JSON.stringify(d);
    assertStringIncludes(text, `"type":"leaf"`);
    assertStringIncludes(text, `"port":${world.port}`);
    assertStringIncludes(text, "/#/io.l5d.fs/world-v1");
    const neg = JSON.parse(
      (await curl([`${sy.admin}/delegator.json?namespace=outgoing&path=/svc/nothing`])).body,
    );
    assertStringIncludes(JSON.stringify(neg), `"why"`);
    // An extra dtab in the playground.
    const over = JSON.parse(
      (await curl([
        "--get",
        "--data-urlencode",
        "namespace=outgoing",
        "--data-urlencode",
        "path=/svc/world",
        "--data-urlencode",
        "dtab=/svc/world => /$/inet/127.0.0.1/1",
        `${sy.admin}/delegator.json`,
      ])).body,
    );
    assertStringIncludes(JSON.stringify(over), "/$/inet/127.0.0.1/1");
    const bad = await curl([
      `${sy.admin}/delegator.json?path=/svc/x&dtab=${encodeURIComponent("=>")}`,
    ]);
    assertEquals(bad.status, 400);
    // Linkerd's DelegateApiHandler texts: plain-text errors, dtab checked before the path, an
    // unknown namespace cannot show delegations (501); the root has no dentry key at all.
    assert(bad.body.startsWith("Invalid dtab: "), bad.body);
    const badPath = await curl([`${sy.admin}/delegator.json?path=svc&namespace=outgoing`]);
    assertEquals([badPath.status, badPath.body.startsWith("Invalid path: ")], [400, true]);
    const noRouter = await curl([`${sy.admin}/delegator.json?path=/svc/x&namespace=nope`]);
    assertEquals(
      [noRouter.status, noRouter.body],
      [501, "Name Interpreter for nope cannot show delegations"],
    );
    assertEquals("dentry" in d, false, JSON.stringify(d));
    assertEquals(d.type, "alt");
    assertEquals(d.alt[0].dentry, { prefix: "/svc/world", dst: "/srv/world-v1" });
    const failed = JSON.parse(
      (await curl([
        "--get",
        "--data-urlencode",
        "namespace=outgoing",
        "--data-urlencode",
        "path=/svc/world",
        "--data-urlencode",
        "dtab=/svc/world => /$/fail | !",
        `${sy.admin}/delegator.json`,
      ])).body,
    );
    const fails = JSON.stringify(failed);
    assertStringIncludes(fails, `{"type":"fail","path":"/$/fail","dentry":`);
    assertStringIncludes(fails, `{"type":"fail","path":"!","dentry":`);
    // Without a namespace only the configured namers are used: no router's dtab.
    const bare = JSON.parse((await curl([`${sy.admin}/delegator.json?path=/svc/world`])).body);
    assertEquals(bare.type, "neg", JSON.stringify(bare));
    const given = JSON.parse(
      (await curl([
        "--get",
        "--data-urlencode",
        "path=/svc/world-v1",
        "--data-urlencode",
        "dtab=/svc => /#/io.l5d.fs",
        `${sy.admin}/delegator.json`,
      ])).body,
    );
    assertStringIncludes(JSON.stringify(given), `"port":${world.port}`);

    // Traffic, then the metrics endpoints.
    for (let i = 0; i < 5; i++) await curl(["-x", `http://${sy.proxy()}`, "http://world/"]);
    const m = JSON.parse((await curl([`${sy.admin}/admin/metrics.json`])).body);
    assertEquals(m["rt/outgoing/service/svc/world/requests"], 5);
    assertEquals(m["rt/outgoing/client/#/io.l5d.fs/world-v1/requests"], 5);
    // Beyond Linkerd: per client × service and per endpoint.
    assertEquals(m["rt/outgoing/client/#/io.l5d.fs/world-v1/service/svc/world/requests"], 5);
    assertEquals(
      m[`rt/outgoing/client/#/io.l5d.fs/world-v1/endpoint/127.0.0.1:${world.port}/requests`],
      5,
    );
    assertEquals(JSON.parse((await curl([`${sy.admin}/bound-names.json`])).body), [
      "/#/io.l5d.fs/world-v1",
    ]);
    const prom = (await curl([`${sy.admin}/admin/metrics/prometheus`])).body;
    assertStringIncludes(prom, `rt:service:requests{rt="outgoing", service="svc/world"} 5`);
    const native = (await curl([`${sy.admin}/metrics`])).body;
    assertStringIncludes(native, "switchyard_");

    const shut = await curl(["-X", "POST", `${sy.admin}/admin/shutdown`]);
    assertEquals(shut.status, 200);
    const status = await sy.exited;
    assertEquals(status.code, 0);
    assert(sy.logs.some((l) => l.includes("shutting down")), "logged the shutdown");
  } finally {
    await sy.stop();
    await world.close();
  }
});

Deno.test("admin: delegator.json applies interpreter transformers; client_state.json has Linkerd's shape", async () => {
  const ok = startUpstream("ok");
  const target = startUpstream("target"); // where io.l5d.port sends every endpoint
  const dir = await fsNamerDir({ ok: ok.fsLine, gone: ok.fsLine });
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  label: out
  dtab: /svc => /#/io.l5d.fs;
  interpreter:
    kind: default
    transformers: [{kind: io.l5d.port, port: ${target.port}}]
  servers: [{port: 0}]
`);
  try {
    const id = `/%/io.l5d.port/${target.port}/#/io.l5d.fs/ok`;
    // Traffic goes to the transformed client...
    const r = await curl(["-x", `http://${sy.proxy()}`, "http://ok/"]);
    assertEquals(r.status, 200, r.body);
    assertEquals(JSON.parse(r.body).name, "target");
    // ...and the delegator shows that very leaf: transformed id, transformed endpoint.
    const d = await curl([`${sy.admin}/delegator.json?namespace=out&path=/svc/ok`]);
    assertEquals(d.status, 200, d.body);
    const leaf = JSON.parse(d.body).delegate;
    assertEquals(leaf.type, "leaf", d.body);
    assertEquals(leaf.bound.id, id);
    assertEquals(leaf.bound.addr.addrs.map((a: { port: number }) => a.port), [target.port]);
    // The playground's POST form gives the same tree.
    const post = await curl([
      "-H",
      "content-type: application/json",
      "-d",
      JSON.stringify({ namespace: "out", path: "/svc/ok", dtab: "" }),
      `${sy.admin}/delegator.json`,
    ]);
    assertEquals(JSON.parse(post.body), JSON.parse(d.body));

    // client_state.json: client id → {state, addresses}, as Linkerd's ClientStateHandler.
    assertEquals(JSON.parse((await curl([`${sy.admin}/client_state.json`])).body), {
      [id]: { state: "bound", addresses: [`127.0.0.1:${target.port}`] },
    });
    // A client whose name goes away: Linkerd's Addr string, no addresses.
    const goneId = `/%/io.l5d.port/${target.port}/#/io.l5d.fs/gone`;
    assertEquals((await curl(["-x", `http://${sy.proxy()}`, "http://gone/"])).status, 200);
    await Deno.remove(`${dir}/gone`);
    let state: Record<string, { state: string; addresses: string[] }> = {};
    assert(
      await eventually(async () => {
        state = JSON.parse((await curl([`${sy.admin}/client_state.json`])).body);
        return state[goneId]?.state === "Neg";
      }, 5000),
      JSON.stringify(state),
    );
    assertEquals(state[goneId], { state: "Neg", addresses: [] });
    assertEquals(state[id]?.state, "bound");
  } finally {
    await sy.stop();
    await ok.close();
    await target.close();
  }
});

Deno.test("admin: admin.security controlEnabled false hides shutdown and reload (404); blacklist applies", async () => {
  const dir = await fsNamerDir({});
  const sy = await startSwitchyard(`
admin:
  port: 0
  security: {controlEnabled: false, pathBlacklist: ["^/config\\\\.json$"]}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}]
`);
  try {
    assertEquals((await curl(["-X", "POST", `${sy.admin}/admin/shutdown`])).status, 404);
    assertEquals((await curl(["-X", "POST", `${sy.admin}/admin/reload`])).status, 404);
    // Reload is control by path, as Linkerd's /logging.json: its status is hidden too.
    assertEquals((await curl([`${sy.admin}/admin/reload`])).status, 404);
    assertEquals((await curl([`${sy.admin}/config.json`])).status, 404);
    assertEquals((await curl([`${sy.admin}/admin/ping`])).body, "pong");
    assertEquals((await curl([`${sy.admin}/`])).status, 200, "ui stays on");
  } finally {
    await sy.stop();
  }
});

Deno.test("admin: io.l5d.recentRequests keeps the last sampled requests at /requests.json and /requests", async () => {
  const world = startUpstream("world");
  const dir = await fsNamerDir({ world: world.fsLine });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
telemetry: [{kind: io.l5d.recentRequests, sampleRate: 1.0, capacity: 3}]
routers:
- protocol: http
  label: outgoing
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}]
`);
  try {
    for (let i = 0; i < 5; i++) await curl(["-x", `http://${sy.proxy()}`, `http://world/r${i}`]);
    const list = JSON.parse((await curl([`${sy.admin}/requests.json`])).body);
    assertEquals(list.length, 3);
    assertEquals(list.map((r: { uri: string }) => r.uri), ["world/r4", "world/r3", "world/r2"]);
    assertEquals(list[0].service, "/svc/world");
    assertEquals(list[0].client, "/#/io.l5d.fs/world");
    assertEquals(list[0].status, 200);
    assertEquals(list[0].source, "127.0.0.1");
    const page = (await curl([`${sy.admin}/requests`])).body;
    assertStringIncludes(page, "world/r4");
    // L1 RecentRequestsAdminHandler's columns; names link to the delegator as Linkerd's do.
    for (const th of ["Timestamp", "Source", "Router", "Logical Name", "Concrete Name"]) {
      assertStringIncludes(page, `<th>${th}</th>`);
    }
    assertStringIncludes(page, `<a href="delegator?router=outgoing#%2Fsvc%2Fworld">/svc/world</a>`);
  } finally {
    await sy.stop();
    await world.close();
  }
});

Deno.test("telemetry: io.l5d.tracelog writes each span as a log line", async () => {
  const world = startUpstream("world");
  const dir = await fsNamerDir({ world: world.fsLine });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
telemetry: [{kind: io.l5d.tracelog, sampleRate: 1.0, level: INFO}]
routers:
- protocol: http
  label: outgoing
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}]
`);
  try {
    await curl(["-x", `http://${sy.proxy()}`, "http://world/"]);
    const spans = () => sy.logs.filter((l) => l.includes(`"msg":"span"`)).map((l) => JSON.parse(l));
    assert(await eventually(() => spans().length >= 2, 5000), "server and client spans logged");
    const all = spans();
    const server = all.find((s) => s.kind === "server" || s.kind === 1 || s.kind === "SERVER");
    assert(server, JSON.stringify(all));
    assert(all.every((s) => s.traceId === all[0].traceId), "one trace");
    assert(all.some((s) => s["switchyard.service"] === "/svc/world"), JSON.stringify(all));
  } finally {
    await sy.stop();
    await world.close();
  }
});

Deno.test("admin: /admin/metrics/prometheus and /requests only with their telemeters; /metrics always", async () => {
  const dir = await fsNamerDir({});
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers: [{protocol: http, label: out, dtab: "/svc => /#/io.l5d.fs;", servers: [{port: 0}]}]
`);
  try {
    const off = await curl([`${sy.admin}/admin/metrics/prometheus`]);
    assertEquals(off.status, 404);
    assertStringIncludes(off.body, "io.l5d.prometheus");
    // So are /requests.json and /requests with io.l5d.recentRequests, as Linkerd's admin routes.
    for (const path of ["/requests.json", "/requests"]) {
      const r = await curl([`${sy.admin}${path}`]);
      assertEquals(r.status, 404, path);
      assertStringIncludes(r.body, "io.l5d.recentRequests");
    }
    const native = await curl([`${sy.admin}/metrics`]);
    assertEquals(native.status, 200);
    assertStringIncludes(native.body, "switchyard_");
  } finally {
    await sy.stop();
  }
});

Deno.test("admin: delegator.json gives Linkerd's tree for DelegateApiHandlerTest's dtab (plus why)", async () => {
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- {protocol: http, label: plain, dtab: /svc => /$/nil, servers: [{port: 0}]}
`);
  try {
    // Linkerd's linkerd/admin/.../DelegateApiHandlerTest.scala "/delegate response", with its
    // test-only `/#/error` namer replaced by an address.
    const dtab = "/beh => /$/inet/127.1/8081 ; /bah/humbug => /$/inet/127.1/8080 ; " +
      "/foo => /bah | /beh | /$/fail ; /foo => /bar ; /boo => /foo ; /meh => /heh ; /neg => ~ ;" +
      " /nil => /$/nil ; /dollar => $ ;";
    const get = async (path: string) => {
      const url = `${sy.admin}/delegator.json?namespace=plain&path=${encodeURIComponent(path)}` +
        `&dtab=${encodeURIComponent(dtab)}`;
      // `why` is Switchyard's (issue 5: why each branch is Neg/fail); the rest is Linkerd's.
      return JSON.stringify(
        JSON.parse((await curl([url])).body),
        (k, v) => k === "why" ? undefined : v,
      );
    };
    const foo = '"dentry":{"prefix":"/foo","dst":"/bah | /beh | /$/fail"}';
    assertEquals(
      await get("/boo/humbug"),
      '{"type":"delegate","path":"/boo/humbug","delegate":{' +
        '"type":"alt","path":"/foo/humbug","dentry":{"prefix":"/boo","dst":"/foo"},"alt":[' +
        '{"type":"neg","path":"/bar/humbug","dentry":{"prefix":"/foo","dst":"/bar"}},' +
        `{"type":"delegate","path":"/bah/humbug",${foo},"delegate":{` +
        '"type":"leaf","path":"/$/inet/127.1/8080","dentry":{"prefix":"/bah/humbug",' +
        '"dst":"/$/inet/127.1/8080"},' +
        '"bound":{"addr":{"type":"bound","addrs":[{"ip":"127.0.0.1","port":8080,"meta":{}}],' +
        '"meta":{}},"id":"/$/inet/127.1/8080","path":"/"}}},' +
        `{"type":"delegate","path":"/beh/humbug",${foo},"delegate":{` +
        '"type":"leaf","path":"/$/inet/127.1/8081/humbug","dentry":{"prefix":"/beh",' +
        '"dst":"/$/inet/127.1/8081"},' +
        '"bound":{"addr":{"type":"bound","addrs":[{"ip":"127.0.0.1","port":8081,"meta":{}}],' +
        '"meta":{}},"id":"/$/inet/127.1/8081","path":"/humbug"}}},' +
        `{"type":"fail","path":"/$/fail/humbug",${foo}}]}}`,
    );
    // "delegates to neg when no matches found", "delegation for explicit neg is shown"
    assertEquals(
      await get("/meh"),
      '{"type":"delegate","path":"/meh","delegate":' +
        '{"type":"neg","path":"/heh","dentry":{"prefix":"/meh","dst":"/heh"}}}',
    );
    assertEquals(
      await get("/neg"),
      '{"type":"delegate","path":"/neg","delegate":' +
        '{"type":"neg","path":"~","dentry":{"prefix":"/neg","dst":"~"}}}',
    );
    // Linkerd's DelegateTree.Empty keeps the path that gave it: the nil namer's `/$/nil`, or
    // the name a dentry's `$` rewrote (ConfiguredNamersInterpreter.delegateLookup).
    assertEquals(
      await get("/nil"),
      '{"type":"delegate","path":"/nil","delegate":' +
        '{"type":"empty","path":"/$/nil","dentry":{"prefix":"/nil","dst":"/$/nil"}}}',
    );
    assertEquals(
      await get("/dollar"),
      '{"type":"delegate","path":"/dollar","delegate":' +
        '{"type":"empty","path":"/dollar","dentry":{"prefix":"/dollar","dst":"$"}}}',
    );
  } finally {
    await sy.stop();
  }
});

// Linkerd's ConfigHandlerTest ("reserializes config", "specificHost config"): /config.json is the
// config as written, absent values left out, with Linkerd's re-serialization: every router has
// `servers`, a client or service without a kind is `io.l5d.global`, a single identifier is a
// list, a dtab is written as Dtab.show.
Deno.test("admin: /config.json re-serializes the config as written (ConfigHandlerTest)", async () => {
  const dir = await fsNamerDir({});
  const sy = await startSwitchyard(`
admin: {port: 0}
namers:
- kind: io.l5d.fs
  rootDir: ${dir}
routers:
- protocol: http
  identifier: {kind: io.l5d.path, segments: 1}
  dtab: |
    /svc => /#/io.l5d.fs ;
  client:
    failFast: true
  servers:
  - port: 0
- protocol: http
  label: second
  interpreter:
    kind: default
    transformers:
    - kind: io.l5d.specificHost
      host: 192.168.99.100
  servers:
  - port: 0
`);
  try {
    const r = await curl([`${sy.admin}/config.json`]);
    assertEquals(r.status, 200);
    assertStringIncludes(r.headers.get("content-type") ?? "", "application/json");
    assertEquals(JSON.parse(r.body), {
      admin: { port: 0 },
      namers: [{ kind: "io.l5d.fs", rootDir: dir }],
      routers: [
        {
          protocol: "http",
          identifier: [{ kind: "io.l5d.path", segments: 1 }],
          dtab: "/svc=>/#/io.l5d.fs",
          client: { failFast: true, kind: "io.l5d.global" },
          servers: [{ port: 0 }],
        },
        {
          protocol: "http",
          label: "second",
          interpreter: {
            kind: "default",
            transformers: [{ kind: "io.l5d.specificHost", host: "192.168.99.100" }],
          },
          servers: [{ port: 0 }],
        },
      ],
    });
  } finally {
    await sy.stop();
  }
});
