import { assert, assertEquals } from "../../tests/support/assert.ts";
import { routeSchema } from "../config/routes_schema.ts";
import { compileRouteTable } from "./route_table.ts";
import { matchMemo, type RouteMemo, routesIdentifier } from "./route_identifier.ts";

const table = compileRouteTable([
  routeSchema.parse({ match: { method: "GET", path: "/u/:id" }, dst: "/svc/users/{id}" }),
  routeSchema.parse({
    match: { path: "/s/*" },
    dst: "/svc/static",
    rewrite: { stripPrefix: "/s" },
  }),
]);

function input(method: string, url: string) {
  const u = new URL(url);
  return { req: new Request(u, { method }), url: u, host: u.host };
}

Deno.test("routesIdentifier() names a request with the matching route's dst", () => {
  assertEquals(routesIdentifier(table)(input("GET", "http://h/u/7")), {
    ok: true,
    dst: ["svc", "users", "7"],
  });
});

Deno.test("routesIdentifier() returns the rewritten target", () => {
  assertEquals(routesIdentifier(table)(input("GET", "http://h/s/app.js?v=1")), {
    ok: true,
    dst: ["svc", "static"],
    target: "/app.js?v=1",
  });
});

Deno.test("routesIdentifier() says why nothing matched", () => {
  const r = routesIdentifier(table)(input("POST", "http://h/u/7"));
  assertEquals(r, { ok: false, reason: "no route of switchyard.routes matches POST h/u/7" });
});

Deno.test("matchMemo() matches a request once", () => {
  const memo: RouteMemo = new WeakMap();
  const i = input("GET", "http://h/u/1");
  const a = matchMemo(table, i, memo);
  const b = matchMemo(table, i, memo);
  assert(a !== undefined && a === b, "same match object");
  const miss = input("PUT", "http://h/nope");
  assertEquals(matchMemo(table, miss, memo), undefined);
  assertEquals(memo.get(miss.req), null);
});
