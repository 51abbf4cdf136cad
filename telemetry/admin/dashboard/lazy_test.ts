import { assertEquals, assertStringIncludes } from "../../../tests/support/assert.ts";
import { createRegistry } from "../../metrics/mod.ts";
import { dashboardHandlers } from "./dashboard.ts";
import { DASHBOARD_PATHS, lazyDashboardHandlers } from "./lazy.ts";

Deno.test("lazyDashboardHandlers() serves the same paths as dashboardHandlers()", () => {
  const registry = createRegistry({ processStats: false });
  assertEquals([...DASHBOARD_PATHS], dashboardHandlers({ registry }).map((h) => h.path));
  assertEquals(lazyDashboardHandlers({ registry }).map((h) => h.path), [...DASHBOARD_PATHS]);
});

Deno.test("lazyDashboardHandlers() answers like the real handlers once loaded", async () => {
  const registry = createRegistry({ processStats: false });
  const lazy = new Map(lazyDashboardHandlers({ registry }).map((h) => [h.path, h]));
  const real = new Map(dashboardHandlers({ registry }).map((h) => [h.path, h]));
  // (the summary carries a timestamp: compared by shape below)
  for (const path of ["/delegator", "/dashboard/favicon.svg"]) {
    const req = () => new Request(`http://admin${path}`);
    const a = await lazy.get(path)!.handler(req());
    const b = await real.get(path)!.handler(req());
    assertEquals(a.status, b.status);
    assertEquals(a.headers.get("content-type"), b.headers.get("content-type"));
    assertEquals(await a.text(), await b.text());
  }
  const summary = await lazy.get("/admin/api/summary.json")!.handler(
    new Request("http://admin/admin/api/summary.json"),
  );
  assertEquals(Object.keys(await summary.json()).sort(), [
    "process",
    "routers",
    "switchyard",
    "t",
    "top",
  ]);
  const index = await lazy.get("/")!.handler(new Request("http://admin/"));
  assertEquals(index.status, 200);
  assertStringIncludes(await index.text(), "initial-summary");
});
