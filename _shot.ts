import { chromium } from "playwright-core";
const [url, out, wait, h] = Deno.args;
const dir = await Deno.makeTempDir();
const ctx = await chromium.launchPersistentContext(dir, {
  executablePath: "/usr/bin/chromium", headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"],
  viewport: { width: 1400, height: Number(h ?? 900) },
});
const page = ctx.pages()[0] ?? await ctx.newPage();
page.on("pageerror", (e) => console.log("pageerror:", e.message));
page.on("console", (m) => console.log("console:", m.type(), m.text()));
await page.goto(url);
await page.waitForSelector("body[data-ready]");
await page.waitForTimeout(Number(wait ?? 3000));
await page.screenshot({ path: out });
await ctx.close();
await Deno.remove(dir, { recursive: true });
