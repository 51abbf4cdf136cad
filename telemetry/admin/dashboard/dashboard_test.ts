import { assert, assertEquals, assertStringIncludes } from "../../../tests/support/assert.ts";
import { FakeClock } from "../../../tests/support/fake_clock.ts";
import { createRegistry, scopeStats, serviceScope } from "../../metrics/mod.ts";
import { adminApp } from "../server.ts";
import { createLogger } from "../../log.ts";
import { dashboardHandlers, SUMMARY_PATH } from "./dashboard.ts";

function app(ttl?: number) {
  const clock = new FakeClock();
  const registry = createRegistry({ clock, processStats: false });
  const stats = scopeStats(registry, serviceScope("outgoing", "/svc/</script>"));
  const handlers = dashboardHandlers(
    ttl === undefined ? { registry } : { registry, summaryTtlMs: ttl },
  );
  const admin = adminApp({
    config: () => ({}),
    delegate: () => Promise.resolve({}),
    shutdown: () => {},
    handlers,
    log: createLogger({ level: "off" }),
  });
  return { clock, stats, admin };
}

Deno.test("dashboardHandlers() serves the dashboard with the current summary inline", async () => {
  const { stats, admin } = app();
  stats.recordSuccess(3, 200);
  const rsp = await admin.request("/");
  assertEquals(rsp.status, 200);
  assertEquals(rsp.headers.get("content-type"), "text/html; charset=utf-8");
  assertEquals(rsp.headers.get("cache-control"), "no-store");
  const html = await rsp.text();
  const m = /<script type="application\/json" id="initial-summary">(.*?)<\/script>/s.exec(html);
  assert(m, "the summary slot is filled");
  assertEquals(m[1]!.includes("<"), false, "no '<' inside the script element");
  const summary = JSON.parse(m[1]!);
  assertEquals(summary.routers[0].services[0].name, "svc/</script>");
  assertEquals(summary.routers[0].services[0].m.requests, 1);
  assertStringIncludes(html, "uPlot");
});

Deno.test("dashboardHandlers() serves the playground and the icon with ETags", async () => {
  const { admin } = app();
  for (const path of ["/delegator", "/dashboard/favicon.svg"]) {
    const first = await admin.request(path);
    assertEquals(first.status, 200);
    const etag = first.headers.get("etag");
    assert(etag, "an ETag");
    await first.body?.cancel();
    const again = await admin.request(path, { headers: { "if-none-match": etag } });
    assertEquals(again.status, 304);
    assertEquals(await again.text(), "");
  }
  assertStringIncludes(await (await admin.request("/delegator")).text(), "Dtab playground");
});

Deno.test("dashboardHandlers() reuses one summary for the TTL, then recomputes", async () => {
  const { clock, stats, admin } = app(250);
  const read = async () => JSON.parse(await (await admin.request(SUMMARY_PATH)).text());
  stats.recordSuccess(3, 200);
  assertEquals((await read()).routers[0].services[0].m.requests, 1);
  stats.recordSuccess(3, 200);
  assertEquals((await read()).routers[0].services[0].m.requests, 1, "within 250 ms");
  clock.advance(250);
  const s = await read();
  assertEquals(s.routers[0].services[0].m.requests, 2);
  assertEquals(s.t, clock.mono());
  const rsp = await admin.request(SUMMARY_PATH);
  assertEquals(rsp.headers.get("content-type"), "application/json; charset=utf-8");
  await rsp.body?.cancel();
});
