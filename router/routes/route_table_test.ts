import { assert, assertEquals } from "../../tests/support/assert.ts";
import { compileRouteTable, type RouteRequest, RouteTableError } from "./route_table.ts";
import { routeSchema } from "../config/routes_schema.ts";
import type { RouteConfig } from "../config/mod.ts";

function routes(...raw: unknown[]): RouteConfig[] {
  return raw.map((r) => routeSchema.parse(r));
}

function req(method: string, url: string, headers: Record<string, string> = {}): RouteRequest {
  const u = new URL(url);
  return { method, url: u, host: headers.host ?? u.host, headers: new Headers(headers) };
}

Deno.test("compileRouteTable() matches Hono patterns and fills params into dst", () => {
  const t = compileRouteTable(routes(
    { match: { method: "GET", path: "/api/users/:id" }, dst: "/svc/users/{id}" },
    { match: { path: "/posts/:id{[0-9]+}" }, dst: "/svc/posts/v-{id}" },
    { match: { path: "/static/*" }, dst: "/svc/static" },
  ));
  assertEquals(t.match(req("GET", "http://h/api/users/42"))?.dst, ["svc", "users", "42"]);
  assertEquals(t.match(req("GET", "http://h/api/users/42"))?.params, { id: "42" });
  assertEquals(t.match(req("GET", "http://h/posts/7"))?.dst, ["svc", "posts", "v-7"]);
  assertEquals(t.match(req("GET", "http://h/posts/abc")), undefined);
  assertEquals(t.match(req("GET", "http://h/static/a/b.css"))?.dst, ["svc", "static"]);
  assertEquals(t.match(req("GET", "http://h/static"))?.route.index, 2, "/static/* covers /static");
  assertEquals(t.match(req("GET", "http://h/api/users/42/")), undefined, "trailing slash matters");
});

Deno.test("compileRouteTable() takes the first route in table order, whatever Hono prefers", () => {
  // RegExpRouter rejects a static route after a param route at the same place; SmartRouter falls
  // back to TrieRouter. Table order decides in both cases.
  const t = compileRouteTable(routes(
    { match: { path: "/users/:id" }, dst: "/svc/user" },
    { match: { path: "/users/me" }, dst: "/svc/me" },
    { match: { path: "/*" }, dst: "/svc/any" },
  ));
  assertEquals(t.match(req("GET", "http://h/users/me"))?.dst, ["svc", "user"]);
  const t2 = compileRouteTable(routes(
    { match: { path: "/*" }, dst: "/svc/any" },
    { match: { path: "/users/:id" }, dst: "/svc/user" },
  ));
  assertEquals(t2.match(req("GET", "http://h/users/1"))?.dst, ["svc", "any"]);
  const t3 = compileRouteTable(routes(
    { match: { method: "POST", path: "/x" }, dst: "/svc/post" },
    { match: { path: "/x" }, dst: "/svc/all" },
    { match: { method: "GET", path: "/x" }, dst: "/svc/get" },
  ));
  assertEquals(t3.match(req("GET", "http://h/x"))?.dst, ["svc", "all"]);
  assertEquals(t3.match(req("POST", "http://h/x"))?.dst, ["svc", "post"]);
});

Deno.test("compileRouteTable() checks method, host, headers and query, falling through on a miss", () => {
  const t = compileRouteTable(routes(
    { match: { method: ["PUT", "POST"], path: "/a" }, dst: "/svc/write" },
    { match: { host: "api.example.com", path: "/a" }, dst: "/svc/api" },
    { match: { host: "*.example.com", path: "/a" }, dst: "/svc/sub" },
    { match: { headers: { "x-canary": "1" }, path: "/a" }, dst: "/svc/canary" },
    { match: { query: { v: "2" }, path: "/a" }, dst: "/svc/v2" },
    { dst: "/svc/default" },
  ));
  const name = (r: RouteRequest) => t.match(r)?.dst.join("/");
  assertEquals(name(req("POST", "http://x/a")), "svc/write");
  assertEquals(name(req("GET", "http://API.example.com:8080/a")), "svc/api");
  assertEquals(name(req("GET", "http://a.b.example.com/a")), "svc/sub");
  assertEquals(name(req("GET", "http://example.com/a")), "svc/default", "*. needs a label");
  assertEquals(name(req("GET", "http://x/a", { "x-canary": "1" })), "svc/canary");
  assertEquals(name(req("GET", "http://x/a", { "x-canary": "0" })), "svc/default");
  assertEquals(name(req("GET", "http://x/a?v=2")), "svc/v2");
  assertEquals(name(req("DELETE", "http://x/zzz")), "svc/default");
});

Deno.test("compileRouteTable() lets GET routes match HEAD", () => {
  const t = compileRouteTable(routes({ match: { method: "GET", path: "/a" }, dst: "/svc/a" }));
  assertEquals(t.match(req("HEAD", "http://h/a"))?.dst, ["svc", "a"]);
  assertEquals(t.match(req("POST", "http://h/a")), undefined);
});

Deno.test("compileRouteTable() rewrites the target with params or a stripped prefix, keeping the query", () => {
  const t = compileRouteTable(routes(
    { match: { path: "/api/users/:id" }, dst: "/svc/users", rewrite: { path: "/v2/u/{id}" } },
    { match: { path: "/static/*" }, dst: "/svc/static", rewrite: { stripPrefix: "/static" } },
    { match: { path: "/v/:ver/*" }, dst: "/svc/v/{ver}", rewrite: { stripPrefix: "/v/:ver" } },
    { match: { path: "/plain" }, dst: "/svc/plain" },
  ));
  assertEquals(t.match(req("GET", "http://h/api/users/9?x=1"))?.target, "/v2/u/9?x=1");
  assertEquals(t.match(req("GET", "http://h/static/css/a.css?v=3"))?.target, "/css/a.css?v=3");
  assertEquals(t.match(req("GET", "http://h/static"))?.target, "/");
  assertEquals(t.match(req("GET", "http://h/v/3/x/y"))?.target, "/x/y");
  assertEquals(t.match(req("GET", "http://h/v/3/x/y"))?.dst, ["svc", "v", "3"]);
  assertEquals(t.match(req("GET", "http://h/plain"))?.target, undefined);
});

Deno.test("compileRouteTable() expands params holding slashes and drops absent optional ones", () => {
  const t = compileRouteTable(routes(
    { match: { path: "/f/:rest{.+}" }, dst: "/svc/files/{rest}" },
    { match: { path: "/o/:x?" }, dst: "/svc/o/{x}" },
  ));
  assertEquals(t.match(req("GET", "http://h/f/a/b/c"))?.dst, ["svc", "files", "a", "b", "c"]);
  assertEquals(t.match(req("GET", "http://h/o"))?.dst, ["svc", "o"]);
  assertEquals(t.match(req("GET", "http://h/o/1"))?.dst, ["svc", "o", "1"]);
});

Deno.test("compileRouteTable() fills Hono-spelled :params in dst; other : labels stay", () => {
  const t = compileRouteTable(routes(
    { match: { path: "/posts/:id{[0-9]+}" }, dst: "/svc/posts/:id" },
    { match: { path: "/u/:name" }, dst: "/svc/u/:name/:other" },
  ));
  assertEquals(t.match(req("GET", "http://h/posts/7"))?.dst, ["svc", "posts", "7"]);
  assertEquals(t.match(req("GET", "http://h/u/bo"))?.dst, ["svc", "u", "bo", ":other"]);
});

Deno.test("compileRouteTable() keeps raw param values and reads \\xHH in literal labels", () => {
  const t = compileRouteTable(routes({ match: { path: "/u/:id" }, dst: "/svc/\\x61pi/{id}" }));
  assertEquals(t.match(req("GET", "http://h/u/a%20b"))?.dst, ["svc", "api", "a%20b"]);
});

Deno.test("compileRouteTable() compiles header edits with lower-case names", () => {
  const t = compileRouteTable(routes({
    dst: "/svc/a",
    timeoutMs: 250,
    requestHeaders: { add: { "X-A": "1" }, remove: ["Cookie"] },
    responseHeaders: { remove: ["Server"] },
  }));
  const r = t.routes[0]!;
  assertEquals(r.requestHeaders, { set: [["x-a", "1"]], remove: ["cookie"] });
  assertEquals(r.responseHeaders, { set: [], remove: ["server"] });
  assertEquals(r.timeoutMs, 250);
  assertEquals(r.description, "routes[0] * /*");
});

Deno.test("compileRouteTable() names the route whose pattern Hono rejects", () => {
  let err: unknown;
  try {
    compileRouteTable(routes({ match: { path: "/ok" }, dst: "/svc/a" }, {
      match: { path: "/p/:id{[0-9}" },
      dst: "/svc/b",
    }));
  } catch (e: unknown) {
    err = e;
  }
  assert(err instanceof RouteTableError, `expected RouteTableError, got ${err}`);
  assertEquals(err.path, "routes[1].match.path");
});

Deno.test("RouteTable.explain() says why each route before the match missed", () => {
  const t = compileRouteTable(routes(
    { match: { method: "POST", path: "/a" }, dst: "/svc/post" },
    { match: { path: "/b" }, dst: "/svc/b" },
    { match: { path: "/a", headers: { "x-v": "2" } }, dst: "/svc/v2" },
    { match: { path: "/a" }, dst: "/svc/a" },
    { dst: "/svc/never-reached" },
  ));
  const v = t.explain(req("GET", "http://h/a", { "x-v": "1" }));
  assertEquals(v.map((x) => [x.matched, x.reason]), [
    [false, "method GET is not POST"],
    [false, "path /a does not match /b"],
    [false, 'header x-v is "1", not "2"'],
    [true, ""],
  ]);
});
