/**
 * Linkerd 1.x's namer tests, ported to the real process (curl traffic and `/delegator.json`):
 *
 * - `namer/core/src/test/scala/io/buoyant/HttpTest.scala` and `HostPortTest.scala`: the `/$/`
 *   rewriters of `namer/core/src/main/scala/io/buoyant/http.scala` and `hostport.scala`, the
 *   cases `namers_builtin_test.ts` does not already cover (the non-`Pfx` forms, `anyHost`,
 *   names that are not a method or a host, `_` and `-` in a subdomain, `host:port:etc`).
 * - `namer/core/src/test/scala/io/buoyant/RinetTest.scala`: `/$/io.buoyant.rinet/<port>/<host>`
 *   binds `<host>:<port>` with the rest as residual.
 */
import { assertEquals } from "../support/assert.ts";
import { type Running, startSwitchyard } from "../support/switchyard.ts";
import { curl, startUpstream } from "../support/upstream.ts";

// deno-lint-ignore no-explicit-any
async function delegator(sy: Running, path: string): Promise<any> {
  const r = await curl([
    `${sy.admin}/delegator.json?namespace=http&path=${encodeURIComponent(path)}`,
  ]);
  assertEquals(r.status, 200, r.body);
  return JSON.parse(r.body);
}

async function routeName(sy: Running, host: string): Promise<string | number> {
  const r = await curl(["-H", `Host: ${host}`, `http://${sy.proxy()}/`]);
  return r.status === 200 ? JSON.parse(r.body).name : r.status;
}

Deno.test("linkerd HttpTest/HostPortTest: the io.buoyant.http and hostport rewriters, through traffic", async () => {
  const web = startUpstream("web");
  const p = web.port;
  const inet = `/$/inet/127.0.0.1/${p}`;
  // Each rewriter's output is a path the dtab delegates again: /foo/bar/bah and friends go to web.
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: |
    /foo/bar/bah => ${inet};
    /foo/bar_suffix/bah => ${inet};
    /foo/bar-suffix/bah => ${inet};
    /io/buoyant/foo => ${inet};
    /pfx/io/buoyant/foo => ${inet};
    /ia/google.com/8180/etc => ${inet};
    /ia/8080/127.1/etc => ${inet};
    /svc/anyMethod => /$/io.buoyant.http.anyMethod/GET/foo/bar/bah;
    /svc/anyMethodNot => /$/io.buoyant.http.anyMethod/A.B/foo/bar/bah | /$/nil;
    /svc/anyMethodPfxNot => /$/io.buoyant.http.anyMethodPfx/foo/A.B/bar/bah | /$/nil;
    /svc/anyHost => /$/io.buoyant.http.anyHost/a.b/foo/bar/bah;
    /svc/anyHostNot => /$/io.buoyant.http.anyHost/a%b/foo/bar/bah | /$/nil;
    /svc/anyHostPfx => /$/io.buoyant.http.anyHostPfx/foo/a.b/bar/bah;
    /svc/anyHostPfxNot => /$/io.buoyant.http.anyHostPfx/foo/a%b/bar/bah | /$/nil;
    /svc/subdomainOf => /$/io.buoyant.http.subdomainOf/a.b/foo.a.b/bar/bah;
    /svc/subdomainOfPfx => /$/io.buoyant.http.subdomainOfPfx/a.b/foo/bar.a.b/bah;
    /svc/underscore => /$/io.buoyant.http.subdomainOfPfx/a.b/foo/bar_suffix.a.b/bah;
    /svc/dash => /$/io.buoyant.http.subdomainOfPfx/a.b/foo/bar-suffix.a.b/bah;
    /svc/withPort => /$/io.buoyant.http.subdomainOfPfx/a.b/foo/bar.a.b:9090/bah;
    /svc/domainToPath => /$/io.buoyant.http.domainToPath/foo.buoyant.io;
    /svc/domainToPathPfx => /$/io.buoyant.http.domainToPathPfx/pfx/foo.buoyant.io;
    /svc/hostport => /$/io.buoyant.hostportPfx/ia/google.com:8180/etc;
    /svc/hostportEtc => /$/io.buoyant.hostportPfx/ia/google.com:8180:abcdef/etc | /$/nil;
    /svc/porthost => /$/io.buoyant.porthostPfx/ia/127.1:8080/etc;
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    // HttpTest's expected paths, as the delegator shows the rewriter's output.
    const rewritten: Record<string, string> = {
      anyMethod: "/foo/bar/bah",
      anyHost: "/foo/bar/bah",
      anyHostPfx: "/foo/bar/bah",
      subdomainOf: "/foo/bar/bah",
      subdomainOfPfx: "/foo/bar/bah",
      underscore: "/foo/bar_suffix/bah",
      dash: "/foo/bar-suffix/bah",
      withPort: "/foo/bar/bah",
      domainToPath: "/io/buoyant/foo",
      domainToPathPfx: "/pfx/io/buoyant/foo",
      hostport: "/ia/google.com/8180/etc",
      porthost: "/ia/8080/127.1/etc",
    };
    for (const [host, path] of Object.entries(rewritten)) {
      const d = await delegator(sy, `/svc/${host}`);
      assertEquals([d.delegate.type, d.delegate.path], ["delegate", path], host);
      assertEquals(d.delegate.delegate.bound?.id, inet, host);
      assertEquals(await routeName(sy, host), "web", host);
    }
    // "not a method", "not a host", "HOST:PORT:ETC": Neg, so the `| /$/nil` branch answers 502.
    for (
      const host of [
        "anyMethodNot",
        "anyMethodPfxNot",
        "anyHostNot",
        "anyHostPfxNot",
        "hostportEtc",
      ]
    ) {
      const d = await delegator(sy, `/svc/${host}`);
      // the root delegate and the dentry's alt (same path) collapse, as DelegateTree.simplify
      assertEquals([d.type, d.alt?.[0]?.type], ["alt", "neg"], `${host}: ${JSON.stringify(d)}`);
      assertEquals(await routeName(sy, host), 502, host);
    }
  } finally {
    await sy.stop();
    await web.close();
  }
});

Deno.test("linkerd RinetTest: /$/io.buoyant.rinet/<port>/localhost binds localhost:<port>, the rest is residual", async () => {
  const web = startUpstream("web");
  const p = web.port;
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: /svc/r => /$/io.buoyant.rinet/${p}/localhost/residual
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    const d = await delegator(sy, "/svc/r");
    assertEquals(d.delegate.bound.id, `/$/io.buoyant.rinet/${p}/localhost`);
    assertEquals(d.delegate.bound.path, "/residual");
    assertEquals(d.delegate.bound.addr.type, "bound");
    assertEquals(await routeName(sy, "r"), "web");
  } finally {
    await sy.stop();
    await web.close();
  }
});

Deno.test("linkerd DelegateTreeTest: /delegator.json simplifies as DelegateTree.simplify", async () => {
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: |
    /c => /$/inet/127.0.0.1/1;
    /d => /$/inet/127.0.0.1/2;
    /b => /c | /d;
    /a => /b;
    /u => 1 * /c & 2 * /d;
    /w => /u;
    /n => ~;
    /m => /n;
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    // "simplify collapses nodes with the same path": delegate(/b) and the alt of /b's dentry are
    // one alt node carrying the dentry that led to /b
    const a = await delegator(sy, "/a");
    assertEquals([a.type, a.path, a.delegate.type, a.delegate.path], [
      "delegate",
      "/a",
      "alt",
      "/b",
    ]);
    assertEquals(a.delegate.dentry, { prefix: "/a", dst: "/b" });
    assertEquals(
      a.delegate.alt.map((n: { type: string; path: string }) => [n.type, n.path]),
      [["delegate", "/c"], ["delegate", "/d"]],
    );
    // unions collapse the same way
    const w = await delegator(sy, "/w");
    assertEquals([w.delegate.type, w.delegate.dentry], ["union", { prefix: "/w", dst: "/u" }]);
    // a neg is not collapsed: delegate(/n) → neg
    const m = await delegator(sy, "/m");
    assertEquals([m.delegate.type, m.delegate.path, m.delegate.delegate.type], [
      "delegate",
      "/n",
      "neg",
    ]);
    // at the root the alt is the whole tree, without a dentry (Linkerd's Dentry.nop)
    const b = await delegator(sy, "/b");
    assertEquals([b.type, b.path, "dentry" in b], ["alt", "/b", false]);
  } finally {
    await sy.stop();
  }
});

Deno.test("linkerd NamerInitializersTest: namers with nested prefixes are asked bottom-up", async () => {
  const boo = await Deno.makeTempDir();
  const urns = await Deno.makeTempDir();
  await Deno.writeTextFile(`${boo}/urns`, "127.0.0.1 8080\n");
  await Deno.writeTextFile(`${urns}/x`, "127.0.0.1 8081\n");
  const config = (namers: string[]) => `
admin: {ip: 127.0.0.1, port: 0}
namers:
${namers.join("\n")}
routers:
- protocol: http
  dtab: /svc => /$/nil
  servers: [{ip: 127.0.0.1, port: 0}]
`;
  const booNamer = `- {kind: io.l5d.fs, prefix: /boo, rootDir: ${boo}}`;
  const urnsNamer = `- {kind: io.l5d.fs, prefix: /boo/urns, rootDir: ${urns}}`;
  try {
    // the last namer is asked first: /boo binds /#/boo/urns/x as its name "urns", residual /x
    let sy = await startSwitchyard(config([urnsNamer, booNamer]));
    try {
      const d = await delegator(sy, "/#/boo/urns/x");
      assertEquals([d.type, d.bound.id, d.bound.path], ["leaf", "/#/boo/urns", "/x"]);
    } finally {
      await sy.stop();
    }
    // the other way round, /boo/urns binds it as its name "x"
    sy = await startSwitchyard(config([booNamer, urnsNamer]));
    try {
      const d = await delegator(sy, "/#/boo/urns/x");
      assertEquals([d.type, d.bound.id, d.bound.path], ["leaf", "/#/boo/urns/x", "/"]);
    } finally {
      await sy.stop();
    }
  } finally {
    await Deno.remove(boo, { recursive: true });
    await Deno.remove(urns, { recursive: true });
  }
});

Deno.test("linkerd FsTest: 'id is bound name' and 'supports weights'", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/default`, "127.0.0.1 8080\n127.0.0.1 8081 * 0.23\n");
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers:
- {kind: io.l5d.fs, rootDir: ${dir}}
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.fs
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    const d = await delegator(sy, "/svc/default");
    assertEquals(d.delegate.bound.id, "/#/io.l5d.fs/default");
    // the weight is the address's metadata, as Finagle's WeightedAddress (endpoint_addr_weight)
    assertEquals(d.delegate.bound.addr.addrs, [
      { ip: "127.0.0.1", port: 8080, meta: {} },
      { ip: "127.0.0.1", port: 8081, meta: { endpoint_addr_weight: 0.23 } },
    ]);
    // the bound id binds to itself
    const again = await delegator(sy, "/#/io.l5d.fs/default");
    assertEquals([again.type, again.bound.id], ["leaf", "/#/io.l5d.fs/default"]);
  } finally {
    await sy.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("linkerd LocalhostTransformer (interpreter/per-host): io.l5d.localhost keeps this host's addresses", async () => {
  const web = startUpstream("web");
  const dir = await Deno.makeTempDir();
  // 192.0.2.1 (TEST-NET-1) is no interface of this host; 127.0.0.1 is (lo is up)
  await Deno.writeTextFile(`${dir}/web`, `192.0.2.1 ${web.port}\n127.0.0.1 ${web.port}\n`);
  await Deno.writeTextFile(`${dir}/away`, `192.0.2.1 ${web.port}\n`);
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers:
- {kind: io.l5d.fs, rootDir: ${dir}}
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.fs
  interpreter:
    kind: default
    transformers: [{kind: io.l5d.localhost}]
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    const d = await delegator(sy, "/svc/web");
    const leaf = JSON.stringify(d);
    assertEquals(leaf.includes(`"id":"/%/io.l5d.localhost/#/io.l5d.fs/web"`), true, leaf);
    assertEquals(leaf.includes("192.0.2.1"), false, leaf);
    for (let i = 0; i < 5; i++) assertEquals(await routeName(sy, "web"), "web");
    // nothing local left: Linkerd's SubnetLocalTransformer gives Neg ("No hosts are available")
    assertEquals(await routeName(sy, "away"), 502);
  } finally {
    await sy.stop();
    await web.close();
    await Deno.remove(dir, { recursive: true });
  }
});
