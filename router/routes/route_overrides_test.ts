import { assert, assertEquals } from "../../tests/support/assert.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { Ctx } from "../core/ctx.ts";
import type { Service } from "../core/service.ts";
import { composeIdentifiers, type Identifier } from "../identify/identifier.ts";
import type { Router, RouterSpec } from "../router.ts";
import { routeSchema } from "../config/routes_schema.ts";
import { compileRouteTable, type RouteTable } from "./route_table.ts";
import { type RouteMemo, routesIdentifier } from "./route_identifier.ts";
import {
  editResponse,
  routeOf,
  routeOverrides,
  setRoute,
  withRouteOverrides,
} from "./route_overrides.ts";

function table(...raw: unknown[]): RouteTable {
  return compileRouteTable(raw.map((r) => routeSchema.parse(r)));
}

function ctxFor(req: Request, clock: FakeClock): Ctx {
  const url = new URL(req.url);
  return new Ctx({
    url,
    router: "r",
    signal: new AbortController().signal,
    startMs: clock.now(),
    host: req.headers.get("host") ?? url.host,
    target: url.pathname + url.search,
  });
}

interface Seen {
  req: Request;
  ctx: Ctx;
}

/** A stub router that identifies like router.ts and answers 200 with what it saw. */
function stubRouter(identifiers: Identifier[], seen: Seen[]): Router {
  const identify = composeIdentifiers(identifiers);
  const spec = { label: "r", identifiers } as unknown as RouterSpec;
  return {
    spec,
    newCtx: () => {
      throw new Error("unused");
    },
    dtab: () => [],
    clients: () => [],
    close: () => Promise.resolve(),
    inflight: 0,
    serve(req, ctx) {
      const id = identify({ req, url: ctx.url, host: ctx.host });
      if (id.ok) {
        ctx.dst = id.dst;
        if (id.target !== undefined) ctx.target = id.target;
      }
      seen.push({ req, ctx });
      return Promise.resolve(new Response("ok", { headers: { server: "up", "x-up": "1" } }));
    },
  };
}

Deno.test("routeOverrides() passes requests without a route through untouched", async () => {
  const clock = new FakeClock();
  const req = new Request("http://h/a", { headers: { cookie: "c" } });
  const ctx = ctxFor(req, clock);
  let got: Request | undefined;
  const next: Service = (r) => {
    got = r;
    return Promise.resolve(new Response("ok"));
  };
  await routeOverrides(clock)(req, ctx, next);
  assert(got === req, "same request object");
  assertEquals(ctx.deadline, Infinity);
});

Deno.test("routeOverrides() applies the route's deadline and header edits", async () => {
  const clock = new FakeClock();
  const t = table({
    dst: "/svc/a",
    timeoutMs: 250,
    requestHeaders: { add: { "x-route": "a", host: "internal" }, remove: ["cookie"] },
    responseHeaders: { add: { "x-served-by": "a" }, remove: ["server"] },
  });
  const req = new Request("http://h/a", { headers: { cookie: "c", "x-keep": "1" } });
  const ctx = ctxFor(req, clock);
  ctx.deadline = clock.now() + 1000;
  setRoute(ctx, t.match({ method: "GET", url: ctx.url, host: "h", headers: req.headers })!);
  let got: Request | undefined;
  const rsp = await routeOverrides(clock)(req, ctx, (r) => {
    got = r;
    return Promise.resolve(new Response("ok", { headers: { server: "up" } }));
  });
  assertEquals(ctx.deadline, clock.now() + 250);
  assertEquals(got?.headers.get("cookie"), null);
  assertEquals(got?.headers.get("x-route"), "a");
  assertEquals(got?.headers.get("x-keep"), "1");
  assertEquals(ctx.host, "internal", "host is forwarded from ctx.host");
  assertEquals(rsp.headers.get("server"), null);
  assertEquals(rsp.headers.get("x-served-by"), "a");
});

Deno.test("routeOverrides() never extends an earlier deadline", async () => {
  const clock = new FakeClock();
  const t = table({ dst: "/svc/a", timeoutMs: 5000 });
  const req = new Request("http://h/a");
  const ctx = ctxFor(req, clock);
  ctx.deadline = clock.now() + 100;
  setRoute(ctx, t.match({ method: "GET", url: ctx.url, host: "h", headers: req.headers })!);
  await routeOverrides(clock)(req, ctx, () => Promise.resolve(new Response("ok")));
  assertEquals(ctx.deadline, clock.now() + 100);
});

Deno.test("editResponse() copies a response whose headers are immutable", async () => {
  const immutable = Response.redirect("http://h/next", 302);
  const out = editResponse(immutable, { set: [["x-a", "1"]], remove: ["location"] });
  assertEquals(out.status, 302);
  assertEquals(out.headers.get("x-a"), "1");
  assertEquals(out.headers.get("location"), null);
  await out.body?.cancel();
});

Deno.test("withRouteOverrides() applies the overrides of the route the identifiers pick", async () => {
  const clock = new FakeClock();
  const memo: RouteMemo = new WeakMap();
  const t = table(
    {
      match: { path: "/api/*", headers: { "x-canary": "1" } },
      dst: "/svc/canary",
      timeoutMs: 100,
      requestHeaders: { remove: ["x-canary"] },
    },
    { match: { path: "/api/*" }, dst: "/svc/api" },
  );
  const id = routesIdentifier(t, memo);
  const seen: Seen[] = [];
  const router = withRouteOverrides(stubRouter([id], seen), {
    tables: new Map([[id, t]]),
    memo,
    clock,
  });
  const req = new Request("http://h/api/x", { headers: { "x-canary": "1" } });
  const ctx = ctxFor(req, clock);
  await router.serve(req, ctx);
  assertEquals(seen[0]!.ctx.dst, ["svc", "canary"], "removing the matched header keeps the route");
  assertEquals(seen[0]!.req.headers.get("x-canary"), null);
  assertEquals(ctx.deadline, clock.now() + 100);
  assertEquals(routeOf(ctx)?.route.index, 0);
});

Deno.test("withRouteOverrides() leaves requests an earlier identifier names alone", async () => {
  const clock = new FakeClock();
  const memo: RouteMemo = new WeakMap();
  const t = table({ dst: "/svc/routed", timeoutMs: 100, responseHeaders: { remove: ["server"] } });
  const id = routesIdentifier(t, memo);
  const byHost: Identifier = ({ host }) =>
    host === "legacy" ? { ok: true, dst: ["svc", "legacy"] } : { ok: false, reason: "not legacy" };
  const seen: Seen[] = [];
  const router = withRouteOverrides(stubRouter([byHost, id], seen), {
    tables: new Map([[id, t]]),
    memo,
    clock,
  });
  const legacy = new Request("http://legacy/x");
  const c1 = ctxFor(legacy, clock);
  const r1 = await router.serve(legacy, c1);
  assertEquals(c1.dst, ["svc", "legacy"]);
  assertEquals(c1.deadline, Infinity);
  assertEquals(r1.headers.get("server"), "up");
  const other = new Request("http://other/x");
  const c2 = ctxFor(other, clock);
  const r2 = await router.serve(other, c2);
  assertEquals(c2.dst, ["svc", "routed"]);
  assertEquals(c2.deadline, clock.now() + 100);
  assertEquals(r2.headers.get("server"), null);
});

Deno.test("withRouteOverrides() counts in-flight requests on the wrapped router", () => {
  const memo: RouteMemo = new WeakMap();
  const t = table({ dst: "/svc/a" });
  const id = routesIdentifier(t, memo);
  const inner = stubRouter([id], []);
  const clock = new FakeClock();
  const outer = withRouteOverrides(inner, { tables: new Map([[id, t]]), memo, clock });
  assert(outer !== inner, "wrapped");
  outer.inflight++;
  assertEquals(inner.inflight, 1);
  inner.inflight++;
  assertEquals(outer.inflight, 2);
});

Deno.test("withRouteOverrides() returns the router itself when it has no route table", () => {
  const seen: Seen[] = [];
  const inner = stubRouter([() => ({ ok: true, dst: ["a"] })], seen);
  const same = withRouteOverrides(inner, {
    tables: new Map(),
    memo: new WeakMap(),
    clock: new FakeClock(),
  });
  assert(same === inner, "no wrapper");
});
