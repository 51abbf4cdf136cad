/**
 * Black-box tests of the namers that need no discovery backend, through the real process with curl
 * traffic and `/delegator.json`: `io.l5d.rewrite` (Linkerd `RewritingNamer.scala`,
 * `util/PathMatcher.scala`), Finagle's `/$/inet` (`Namer.scala` InetPath) and Linkerd's `/$/`
 * rewriters `io.buoyant.rinet`, `io.buoyant.{porthost,hostport}Pfx` (`hostport.scala`) and
 * `io.buoyant.http.{domainToPath,subdomainOf,anyMethod}Pfx` (`http.scala`).
 */
import { assert, assertEquals } from "../support/assert.ts";
import { type Running, startSwitchyard } from "../support/switchyard.ts";
import { curl, startUpstream } from "../support/upstream.ts";

interface Routed {
  status: number;
  name?: string;
  dstClient?: string;
}

async function route(sy: Running, host: string): Promise<Routed> {
  const r = await curl(["-H", `Host: ${host}`, `http://${sy.proxy()}/`]);
  if (r.status !== 200) return { status: r.status };
  const j = JSON.parse(r.body);
  return { status: 200, name: j.name, dstClient: j.headers?.["l5d-dst-client"] };
}

// deno-lint-ignore no-explicit-any
async function delegator(sy: Running, path: string): Promise<any> {
  const r = await curl([`${sy.admin}/delegator.json?namespace=http&path=${path}`]);
  assertEquals(r.status, 200, r.body);
  return JSON.parse(r.body);
}

Deno.test("namers: io.l5d.rewrite captures {vars}, skips *, drops extra segments, Neg falls through", async () => {
  const web = startUpstream("web");
  const other = startUpstream("other");
  const web$ = `/$/inet/127.0.0.1/${web.port}`;
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers:
- kind: io.l5d.rewrite
  prefix: /rw
  pattern: "/{service}/api"
  name: "/srv/{service}"
- kind: io.l5d.rewrite
  prefix: /rw2
  pattern: "/*/{svc}/*"
  name: "/srv/{svc}"
routers:
- protocol: http
  dtab: |
    /srv/web => ${web$};
    /svc/rw => /#/rw/web/api;
    /svc/extra => /#/rw/web/api/v1/x;
    /svc/star => /#/rw2/anything/web/else;
    /svc/miss => /$/inet/127.0.0.1/${other.port};
    /svc/miss => /#/rw/web/other;
    /svc/short => /#/rw/web | /$/inet/127.0.0.1/${other.port};
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    for (const host of ["rw", "extra", "star"]) {
      assertEquals(await route(sy, host), { status: 200, name: "web", dstClient: web$ }, host);
    }
    // The namer's result is a path the dtab delegates again.
    const d = await delegator(sy, "/svc/rw");
    assertEquals([d.delegate.type, d.delegate.path], ["delegate", "/srv/web"]);
    assertEquals(d.delegate.delegate.bound.id, web$);
    // A path the pattern does not match (or too short for it) is Neg: the next branch is used.
    assertEquals((await route(sy, "miss")).name, "other");
    assertEquals((await route(sy, "short")).name, "other");
    const miss = await delegator(sy, "/svc/miss");
    assert(JSON.stringify(miss).includes('"type":"neg","path":"/#/rw/web/other"'), miss);
  } finally {
    await sy.stop();
    await web.close();
    await other.close();
  }
});

Deno.test("namers: /$/inet with IPs, host names, IPv6 and a bare port; the io.buoyant rewriters", async () => {
  const web = startUpstream("web");
  const v6 = Deno.serve(
    { hostname: "::1", port: 0, onListen() {} },
    () => Response.json({ name: "v6" }),
  );
  const p = web.port;
  const v6port = (v6.addr as Deno.NetAddr).port;
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: |
    /svc/ip => /$/inet/127.0.0.1/${p};
    /svc/name => /$/inet/localhost/${p};
    /svc/v6 => /$/inet/::1/${v6port};
    /svc/bare => /$/inet/${p};
    /svc/residual => /$/inet/127.0.0.1/${p}/more/segments;
    /svc/nxhost => /$/inet/nx.invalid/${p} | /$/inet/127.0.0.1/${p};
    /svc/rinet => /$/io.buoyant.rinet/${p}/127.0.0.1;
    /rinet => /$/io.buoyant.rinet;
    /inet => /$/inet;
    /svc/ph => /$/io.buoyant.porthostPfx/rinet/127.0.0.1:${p};
    /svc/hp => /$/io.buoyant.hostportPfx/inet/127.0.0.1:${p};
    /svc/hpnoport => /$/io.buoyant.hostportPfx/inet/127.0.0.1 | /$/nil;
    /d/io/buoyant/foo => /$/inet/127.0.0.1/${p};
    /svc/dtp => /$/io.buoyant.http.domainToPathPfx/d/foo.buoyant.io;
    /s/foo => /$/inet/127.0.0.1/${p};
    /svc/sub => /$/io.buoyant.http.subdomainOfPfx/buoyant.io/s/foo.buoyant.io:8080;
    /svc/notsub => /$/io.buoyant.http.subdomainOfPfx/buoyant.io/s/foo.example.org | /$/nil;
    /m/web => /$/inet/127.0.0.1/${p};
    /svc/am => /$/io.buoyant.http.anyMethodPfx/m/GET/web;
    /svc/amlower => /$/io.buoyant.http.anyMethodPfx/m/get/web | /$/nil;
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    const expect: Record<string, string> = {
      ip: `/$/inet/127.0.0.1/${p}`,
      name: `/$/inet/localhost/${p}`,
      bare: `/$/inet/${p}`,
      residual: `/$/inet/127.0.0.1/${p}`,
      nxhost: `/$/inet/127.0.0.1/${p}`,
      rinet: `/$/io.buoyant.rinet/${p}/127.0.0.1`,
      ph: `/$/io.buoyant.rinet/${p}/127.0.0.1`,
      hp: `/$/inet/127.0.0.1/${p}`,
      dtp: `/$/inet/127.0.0.1/${p}`,
      sub: `/$/inet/127.0.0.1/${p}`,
      am: `/$/inet/127.0.0.1/${p}`,
    };
    for (const [host, dstClient] of Object.entries(expect)) {
      assertEquals(await route(sy, host), { status: 200, name: "web", dstClient }, host);
    }
    assertEquals((await route(sy, "v6")).name, "v6");
    // Names that do not fit a rewriter are Neg, so the `| /$/nil` branch (empty: 502) is used.
    for (const host of ["hpnoport", "notsub", "amlower"]) {
      assertEquals((await route(sy, host)).status, 502, host);
      // One dentry whose destination is an alternation: Linkerd's DelegateTree.simplify
      // collapses the root delegate and the alt (same path) into the alt.
      const d = await delegator(sy, `/svc/${host}`);
      assertEquals(d.alt?.[0]?.type, "neg", JSON.stringify(d));
    }
    // The delegator: a host name leaf binds the address it resolved to; the residual is kept
    // apart from the bound id; a rewriter shows the path it produced.
    const name = await delegator(sy, "/svc/name");
    assertEquals(name.delegate.bound.addr.addrs, [{ ip: "127.0.0.1", port: p, meta: {} }]);
    const residual = await delegator(sy, "/svc/residual");
    assertEquals(residual.delegate.bound.id, `/$/inet/127.0.0.1/${p}`);
    assertEquals(residual.delegate.bound.path, "/more/segments");
    const v6d = await delegator(sy, "/svc/v6");
    assertEquals(v6d.delegate.bound.addr.addrs, [{ ip: "::1", port: v6port, meta: {} }]);
    const ph = await delegator(sy, "/svc/ph");
    assertEquals([ph.delegate.type, ph.delegate.path], ["delegate", `/rinet/${p}/127.0.0.1`]);
    const dtp = await delegator(sy, "/svc/dtp");
    assertEquals(dtp.delegate.path, "/d/io/buoyant/foo");
    const nx = await delegator(sy, "/svc/nxhost");
    assertEquals(nx.alt[0].bound.addr.type, "neg");
  } finally {
    await sy.stop();
    await web.close();
    await v6.shutdown();
  }
});

Deno.test("namers: two io.l5d.fs namers on one prefix load; the later is asked first", async () => {
  const a = startUpstream("a");
  const b = startUpstream("b");
  const dirA = await Deno.makeTempDir();
  const dirB = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dirA}/both`, `127.0.0.1 ${a.port}\n`);
  await Deno.writeTextFile(`${dirA}/only-a`, `127.0.0.1 ${a.port}\n`);
  await Deno.writeTextFile(`${dirB}/both`, `127.0.0.1 ${b.port}\n`);
  // Linkerd's Linker.scala hands ConfiguredNamersInterpreter the namers reversed and it takes the
  // first that binds: the later namer answers a name both have; the earlier one answers the rest.
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers:
- {kind: io.l5d.fs, rootDir: ${dirA}}
- {kind: io.l5d.fs, rootDir: ${dirB}}
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.fs
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    assertEquals((await route(sy, "both")).name, "b");
    assertEquals((await route(sy, "only-a")).name, "a");
    assertEquals((await route(sy, "neither")).status, 502);
  } finally {
    await sy.stop();
    await a.close();
    await b.close();
    await Deno.remove(dirA, { recursive: true });
    await Deno.remove(dirB, { recursive: true });
  }
});
