import { chromium } from "playwright-core";
const dir = await Deno.makeTempDir();
const ctx = await chromium.launchPersistentContext(dir, {
  executablePath: "/usr/bin/chromium", headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"],
  viewport: { width: 1400, height: 900 },
});
const page = ctx.pages()[0] ?? await ctx.newPage();
page.on("pageerror", (e) => console.log("pageerror:", e.message));
page.on("console", (m) => console.log("console:", m.type(), m.text()));
for (let i = 0; i < 4; i++) {
  await page.goto(Deno.args[0]);
  await page.waitForSelector("body[data-ready]");
  const nav = await page.evaluate(() => {
    const n = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming;
    const m = performance.getEntriesByName("dashboard-ready")[0]; const sc = performance.getEntriesByName("dashboard-script")[0];
    const res = performance.getEntriesByType("resource").map((r) => `${r.name.split("/").pop()!.slice(0,12)} ${r.startTime.toFixed(0)}-${r.responseEnd.toFixed(0)}`);
    return { req: n.requestStart.toFixed(0), resp: n.responseEnd.toFixed(0), dcl: n.domContentLoadedEventEnd.toFixed(0), ready: m?.startTime.toFixed(0), script: sc?.startTime.toFixed(0), charts: performance.getEntriesByName("dashboard-charts")[0]?.startTime.toFixed(0), res: res.join(" | ") };
  });
  console.log(JSON.stringify(nav));
}
await ctx.close();
await Deno.remove(dir, { recursive: true });
