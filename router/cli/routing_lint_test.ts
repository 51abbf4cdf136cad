import { assert, assertEquals } from "../../tests/support/assert.ts";
import { parseConfig } from "../config/mod.ts";
import type { Config } from "../config/mod.ts";
import { parseDentry, parsePrefix } from "../dtab/mod.ts";
import { covers, lintRouting, neverNegative } from "./routing_lint.ts";

function config(yaml: string): Config {
  const r = parseConfig(yaml, "t.yaml");
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

function messages(yaml: string): string[] {
  return lintRouting(config(yaml)).map((w) => w.message);
}

const fsNamer = "namers: [{kind: io.l5d.fs, rootDir: .}]\n";

Deno.test("neverNegative() is true only for destinations that cannot fall through", () => {
  const t = (s: string) => neverNegative(parseDentry(`/x => ${s}`).dst);
  assertEquals(t("/$/inet/127.0.0.1/80"), true);
  assertEquals(t("/$/inet/example.com/80"), false, "a host name may not resolve: ~");
  assertEquals(t("!"), true);
  assertEquals(t("$"), true);
  assertEquals(t("~"), false);
  assertEquals(t("/#/io.l5d.fs"), false);
  assertEquals(t("/#/io.l5d.fs | /$/nil"), true);
  assertEquals(t("/#/io.l5d.fs & /$/fail"), true);
});

Deno.test("covers() is true when a prefix matches every path another matches", () => {
  assertEquals(covers(parsePrefix("/svc"), parsePrefix("/svc/a")), true);
  assertEquals(covers(parsePrefix("/svc/*"), parsePrefix("/svc/a")), true);
  assertEquals(covers(parsePrefix("/svc/a"), parsePrefix("/svc/*")), false);
  assertEquals(covers(parsePrefix("/svc/a"), parsePrefix("/svc")), false);
  assertEquals(covers(parsePrefix("/"), parsePrefix("/anything")), true);
});

Deno.test("lintRouting() reports a dentry hidden by a later one that never falls through", () => {
  const ms = messages(`${fsNamer}
routers:
- protocol: http
  dtab: |
    /svc/a => /#/io.l5d.fs/a;
    /svc => /#/io.l5d.fs;
    /svc => /$/inet/127.0.0.1/8080;
  servers: [{port: 0}]
`);
  assertEquals(ms.length, 2, ms.join("\n"));
  assert(ms[0]!.startsWith("dentry 1 (/svc/a=>/#/io.l5d.fs/a) is unreachable: dentry 3"), ms[0]);
  assert(ms[1]!.startsWith("dentry 2 (/svc=>/#/io.l5d.fs) is unreachable"), ms[1]);
});

Deno.test("lintRouting() does not call a Neg-able later dentry shadowing", () => {
  assertEquals(
    messages(`${fsNamer}
routers:
- protocol: http
  dtab: |
    /svc => /#/io.l5d.fs/default;
    /svc => /#/io.l5d.fs;
  servers: [{port: 0}]
`),
    [],
  );
});

Deno.test("lintRouting() reports names that bind nowhere and unknown /$/ namers", () => {
  const ws = lintRouting(config(`${fsNamer}
routers:
- protocol: http
  dtab: |
    /svc => /srv;
    /x => /$/nope/a;
  identifier:
  - kind: io.l5d.header.token
  - kind: switchyard.routes
    routes:
    - {match: {path: /a}, dst: /api/a}
    - {match: {path: /b}, dst: /svc/b}
  servers: [{port: 0}]
`));
  const ms = ws.map((w) => w.message);
  assert(
    ms.some((m) => m.startsWith("/srv (in dentry 1 (/svc=>/srv)) binds nowhere")),
    ms.join("\n"),
  );
  assert(ms.some((m) => m.startsWith("/$/nope is not a built-in namer (built-ins: inet, ")));
  const route = ws.find((w) => w.message.startsWith("routes[0].dst like /api/a bind nowhere"));
  assert(route !== undefined, ms.join("\n"));
  assertEquals(route.path, ["routers", 0, "identifier", 1, "routes", 0, "dst"]);
  assert(!ms.some((m) => m.startsWith("routes[1]")), "/svc/b binds through /svc");
  assert(!ms.some((m) => m.startsWith("io.l5d.header.token")), "/svc/<host> binds through /svc");
});

Deno.test("lintRouting() tells how to fix an identifier whose names bind nowhere", () => {
  const ms = messages("routers: [{protocol: http, servers: [{port: 0}]}]");
  assertEquals(ms, [
    'io.l5d.header.token names like /svc/* bind nowhere: no dentry of routers[0] matches them; add one, e.g. "/svc => /#/io.l5d.fs;"',
  ]);
});

Deno.test("lintRouting() checks weights of services and dtab unions", () => {
  const ms = messages(`${fsNamer}
routers:
- protocol: http
  dtab: |
    /svc => 60 * /#/io.l5d.fs/a & 39 * /#/io.l5d.fs/b;
    /svc/z => 0 * /#/io.l5d.fs/a & 1 * /#/io.l5d.fs/b;
    /svc/y => 0.9 * /#/io.l5d.fs/a & 0.3 * /#/io.l5d.fs/b;
  servers: [{port: 0}]
services:
- name: /svc/a
  versions: [{name: v1, dst: /#/io.l5d.fs/a1, weight: 0.5}, {name: v2, dst: /#/io.l5d.fs/a2, weight: 0.45}]
- name: /svc/b
  versions: [{dst: /#/io.l5d.fs/b, weight: 5}]
- name: /svc/e
  versions: [{name: e1, dst: /#/io.l5d.fs/e1, weight: 0.6}, {name: e2, dst: /#/io.l5d.fs/e2, weight: 0.2}]
- name: /svc/c
  versions: [{name: big, dst: /#/io.l5d.fs/c1, weight: 10000}, {name: tiny, dst: /#/io.l5d.fs/c2}]
- name: /svc/d
  versions: [{name: d1, dst: /#/io.l5d.fs/d1, weight: 0.9}, {name: d2, dst: /#/io.l5d.fs/d2, weight: 10}]
`);
  assertEquals(ms, [
    "dentry 1 (/svc=>60.00*/#/io.l5d.fs/a & 39.00*/#/io.l5d.fs/b): weights sum to 99, not 100: traffic splits /#/io.l5d.fs/a 60.6%, /#/io.l5d.fs/b 39.4%",
    "dentry 2 (/svc/z=>0.00*/#/io.l5d.fs/a & /#/io.l5d.fs/b): /#/io.l5d.fs/a has weight 0 and is never chosen",
    "dentry 3 (/svc/y=>0.90*/#/io.l5d.fs/a & 0.30*/#/io.l5d.fs/b): weights sum to 1.2, not 1: traffic splits /#/io.l5d.fs/a 75.0%, /#/io.l5d.fs/b 25.0%",
    "/svc/a: weights sum to 0.95, not 1: traffic splits v1 52.6%, v2 47.4%",
    "weight 5 has no effect: /svc/b has one version",
    "/svc/e: weights sum to 0.8, not 1: traffic splits e1 75.0%, e2 25.0%",
    "/svc/c: tiny gets 0.010% of the traffic; is that meant?",
    "/svc/d: weights mix fractions and whole numbers (0.9, 10): traffic splits d1 8.3%, d2 91.7%",
  ]);
});

Deno.test("lintRouting() reports routes an earlier route always catches", () => {
  const ws = lintRouting(config(`${fsNamer}
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.fs;
  identifier:
    kind: switchyard.routes
    routes:
    - {match: {method: GET, path: /static/*}, dst: /svc/static}
    - {match: {method: GET, path: /static/js/*}, dst: /svc/js}
    - {match: {method: POST, path: /static/up}, dst: /svc/up}
    - {match: {path: /api/*, headers: {x-v: "2"}}, dst: /svc/v2}
    - {match: {path: /api/x}, dst: /svc/x, rewrite: {path: /y, stripPrefix: /api}}
    - {dst: /svc/rest}
    - {match: {path: /late}, dst: /svc/late}
  servers: [{port: 0}]
`));
  assertEquals(ws.map((w) => [w.path.join("."), w.message]), [
    [
      "routers.0.identifier.0.routes.1",
      "routes[1] is unreachable: routes[0] comes first and matches every request it matches",
    ],
    [
      "routers.0.identifier.0.routes.4.rewrite",
      "rewrite.path replaces the whole path, so stripPrefix is ignored; keep one",
    ],
    [
      "routers.0.identifier.0.routes.6",
      "routes[6] is unreachable: routes[5] comes first and matches every request it matches",
    ],
  ]);
});

Deno.test("lintRouting() lets services dentries shadow the router's dtab and says so", () => {
  const ws = lintRouting(config(`${fsNamer}
routers:
- protocol: http
  dtab: /svc/hello => /#/io.l5d.fs/hello;
  servers: [{port: 0}]
services:
- name: /svc/hello
  versions: [{dst: /#/io.l5d.fs/hello-v2}]
  failover: [/$/inet/127.0.0.1/9000]
`));
  assertEquals(ws.length, 1);
  assertEquals(ws[0]!.path, ["routers", 0, "dtab"]);
  assert(ws[0]!.message.includes("unreachable: services[0] (/svc/hello)"), ws[0]!.message);
});

Deno.test("lintRouting() with a file probe reports fs names whose file the rootDir lacks", () => {
  const files = new Set(["/disco/hello", "/disco/world-v1"]);
  const probe = {
    isDirectory: (p: string) => p === "/disco" || p === "/disco/",
    exists: (p: string) => files.has(p),
  };
  const c = config(`
namers: [{kind: io.l5d.fs, rootDir: /disco/}, {kind: io.l5d.fs, prefix: /other, rootDir: /nodir}]
routers:
- protocol: http
  dtab: |
    /svc => /#/io.l5d.fs;
    /svc/hello => /#/io.l5d.fs/hello;
    /svc/missing => /#/io.l5d.fs/missing | /#/io.l5d.fs/hello;
    /svc/x => /#/other/x;
  servers: [{port: 0}]
services:
- name: /svc/world
  versions:
  - {dst: /#/io.l5d.fs/world-v1, weight: 9}
  - {dst: /#/io.l5d.fs/world-v2, weight: 1}
`);
  const ms = lintRouting(c, probe).map((w) => w.message).filter((m) => m.includes("here:"));
  assertEquals(ms, [
    "/#/io.l5d.fs/missing (in dentry 3 (/svc/missing=>/#/io.l5d.fs/missing | /#/io.l5d.fs/hello)) " +
    "binds nowhere here: /disco/missing does not exist (the io.l5d.fs namer answers neg until it does)",
    "/#/io.l5d.fs/world-v2 (in services[0] (/svc/world)) binds nowhere here: /disco/world-v2 " +
    "does not exist (the io.l5d.fs namer answers neg until it does)",
  ]);
  // Without a probe the lints stay pure: no file-system findings.
  assert(!lintRouting(c).some((w) => w.message.includes("here:")));
});
