/**
 * The admin dashboard and the dtab playground in real headless Chromium (Debian `chromium`,
 * driven by npm `playwright-core`, which runs fine under Deno): the real process routes real
 * traffic to real upstreams, the page must show the right counts and success rates, update live,
 * load in under a second, and stay quick with 100 services. Screenshots and the measured
 * timings land in `tests/output/dashboard/` (gitignored).
 */
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { ROOT, type Running, startSwitchyard } from "../support/switchyard.ts";
import { eventually, freePort, fsNamerDir, startUpstream } from "../support/upstream.ts";
import { startFakeConsul } from "../support/fake_consul.ts";

const OUT = `${ROOT}tests/output/dashboard`;
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
];
const LOAD_BUDGET_MS = 1000;

interface Browser {
  readonly ctx: BrowserContext;
  readonly page: Page;
  readonly errors: string[];
  close(): Promise<void>;
}

/** Chromium with a fresh profile; page errors and console errors are collected. */
async function openBrowser(height = 1000, width = 1400): Promise<Browser> {
  const profile = await Deno.makeTempDir({ prefix: "sy-chromium-" });
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width, height },
  });
  const page = ctx.pages()[0] ?? await ctx.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  // Served from the binary: nothing may leave loopback.
  page.on("request", (r) => {
    if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(r.url())) errors.push(`off-box request: ${r.url()}`);
  });
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  return {
    ctx,
    page,
    errors,
    async close() {
      await ctx.close();
      await Deno.remove(profile, { recursive: true });
    },
  };
}

/** A screenshot of the whole page, with the viewport grown to fit so lazy charts are drawn. */
async function screenshot(page: Page, path: string): Promise<void> {
  await page.setViewportSize({ width: 1400, height: 900 });
  const height = await page.evaluate("document.documentElement.scrollHeight") as number;
  await page.setViewportSize({ width: 1400, height: Math.min(4000, Math.max(900, height)) });
  await page.waitForTimeout(400);
  await page.screenshot({ path });
}

/**
 * Loads the dashboard `times` times; each load is timed from navigation start to the first
 * summary on screen (`performance.mark("dashboard-ready")`), i.e. what a person waits for.
 */
async function timedLoads(page: Page, url: string, times: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < times; i++) {
    await page.goto(url);
    await page.waitForSelector("body[data-ready]", { timeout: 10_000 });
    out.push(
      await page.evaluate(() => performance.getEntriesByName("dashboard-ready")[0]!.startTime),
    );
  }
  return out;
}

/** `count` GETs of `http://<host>/` through the router, `parallel` at a time; returns statuses. */
async function traffic(sy: Running, host: string, count: number, parallel = 5): Promise<number[]> {
  using client = Deno.createHttpClient({ proxy: { url: `http://${sy.proxy()}` } });
  const statuses: number[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < count) {
      next++;
      const rsp = await fetch(`http://${host}/`, { client, signal: AbortSignal.timeout(30_000) });
      await rsp.body?.cancel();
      statuses.push(rsp.status);
    }
  }));
  return statuses;
}

async function attr(page: Page, selector: string, name = "data-v"): Promise<string | null> {
  return await page.locator(selector).first().getAttribute(name, { timeout: 5000 });
}

async function num(page: Page, selector: string): Promise<number> {
  return Number(await attr(page, selector));
}

/** Polls the page until `selector`'s `data-v` equals `want`; returns the ms it took. */
async function waitValue(page: Page, selector: string, want: number, ms = 8000): Promise<number> {
  const t0 = performance.now();
  const ok = await eventually(async () => (await num(page, selector)) === want, ms);
  assert(ok, `${selector} should reach ${want}, is ${await attr(page, selector)}`);
  return performance.now() - t0;
}

function config(dir: string, dtab = "/svc => /#/io.l5d.fs;"): string {
  return `
admin: {ip: 127.0.0.1, port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  label: outgoing
  dtab: |
    ${dtab}
  servers: [{port: 0}]
`;
}

function svc(name: string): string {
  return `.svc[data-router="outgoing"][data-service="svc/${name}"]`;
}

function row(name: string): string {
  return `${svc(name)} > .svc-row`;
}

Deno.test("dashboard: shows request counts, success rates and live updates, loads in < 1 s", async () => {
  await Deno.mkdir(OUT, { recursive: true });
  const alpha = startUpstream("alpha");
  let betaCalls = 0;
  const beta = startUpstream("beta", () => {
    // Every fifth request fails: exactly 20 %.
    return ++betaCalls % 5 === 0
      ? new Response("boom", { status: 500 })
      : Response.json({ name: "beta" });
  });
  const gamma = startUpstream("gamma");
  const dir = await fsNamerDir({ alpha: alpha.fsLine, beta: beta.fsLine, gamma: gamma.fsLine });
  const sy = await startSwitchyard(config(dir));
  let browser: Browser | undefined;
  try {
    const sent = [
      ...(await traffic(sy, "alpha", 30)),
      ...(await traffic(sy, "beta", 50)),
      ...(await traffic(sy, "gamma", 20)),
    ];
    assertEquals(sent.filter((s) => s === 500).length, 10, "beta failed 10 of 50");
    assertEquals(beta.seen.length, 50, "no retries of the 500s");

    browser = await openBrowser(2000);
    const { page } = browser;
    const loads = await timedLoads(page, sy.admin + "/", 3);

    // TOP LINE: 100 requests through the listener, 90 succeeded, 10 were 5XX.
    await waitValue(page, `#top [data-k="requests"] b`, 100);
    assertEquals(await num(page, `#top [data-k="sr"] b`), 0.9);
    assertEquals(await num(page, `#top [data-k="status5XX"] b`), 10);
    assertEquals(await num(page, `#top [data-k="status4XX"] b`), 0);
    assertEquals(await page.locator(`#top [data-k="sr"] b`).textContent(), "90.00%");
    assert((await num(page, `#top [data-k="p99"] b`)) > 0, "p99 latency shown");
    // Per service.
    assertEquals(await page.locator(".svc").count(), 3);
    assertEquals(await num(page, `${row("alpha")} [data-k="requests"]`), 30);
    assertEquals(await num(page, `${row("beta")} [data-k="requests"]`), 50);
    assertEquals(await num(page, `${row("gamma")} [data-k="requests"]`), 20);
    assertEquals(await num(page, `${row("alpha")} [data-k="sr"]`), 1);
    assertEquals(await num(page, `${row("beta")} [data-k="sr"]`), 0.8);
    assertEquals(await page.locator(`${row("beta")} [data-k="sr"]`).textContent(), "80.00%");
    assertEquals(await num(page, `${row("gamma")} [data-k="sr"]`), 1);
    // Per router listener.
    assertEquals(await num(page, `.router[data-router="outgoing"] [data-k="requests"]`), 100);
    // Per endpoint, under the service (3 services: all sections open).
    const ep = `${svc("beta")} tr[data-endpoint="127.0.0.1:${beta.port}"]`;
    await waitValue(page, `${ep} [data-k="requests"]`, 50);
    assertEquals(await page.locator(`${ep} [data-k="state"]`).textContent(), "alive");
    assertEquals(await num(page, `${ep} [data-k="sr"]`), 0.8);
    assertEquals(await num(page, `${ep} [data-k="outstanding"]`), 0);
    // An EWMA latency per endpoint with the default p2c balancer too (issue 4's endpoint table).
    const ewma = await attr(page, `${ep} [data-k="ewma"]`);
    assert(ewma !== null && Number(ewma) > 0, `EWMA ms of beta's endpoint: ${ewma}`);
    assertStringIncludes(
      (await page.locator(`${svc("beta")} .client-head`).textContent()) ?? "",
      "1/1 endpoints available",
    );

    // Live: more traffic while the page is open shows up within a poll or two.
    const before = Number(await page.locator("body").getAttribute("data-polls"));
    await traffic(sy, "alpha", 20);
    const liveMs = await waitValue(page, `${row("alpha")} [data-k="requests"]`, 50, 5000);
    // The page polls every second; the rest is margin for a busy CI box.
    assert(liveMs < 3000, `live update took ${liveMs} ms`);
    await waitValue(page, `#top [data-k="requests"] b`, 120);
    assert(Number(await page.locator("body").getAttribute("data-polls")) > before, "polled again");
    assert((await num(page, `${row("alpha")} [data-k="rps"]`)) > 0, "alpha's request rate shown");
    assertEquals(await num(page, `#top [data-k="sr"] b`), 1, "the last 10 s were all successes");
    // Some seconds of paced, mixed traffic, so the charts in the screenshot have a shape.
    for (let i = 0; i < 8; i++) {
      await Promise.all([
        traffic(sy, "alpha", 6, 2),
        traffic(sy, "beta", 5, 1),
        traffic(sy, "gamma", 2, 1),
      ]);
      await new Promise((r) => setTimeout(r, 600));
    }
    await waitValue(page, `#top [data-k="requests"] b`, 120 + 8 * 13);
    await screenshot(page, `${OUT}/dashboard.png`);

    // The dtab playground: a leaf with the bound address …
    await page.goto(`${sy.admin}/delegator`);
    await page.waitForSelector("body[data-ready]");
    await page.selectOption("#router", "outgoing");
    assertStringIncludes((await page.locator("#base-dtab").textContent()) ?? "", "/#/io.l5d.fs");
    await page.fill("#path", "/svc/beta");
    await page.click("#go");
    await page.waitForSelector(`.node[data-type="leaf"] .addr[data-addr="127.0.0.1:${beta.port}"]`);
    assertEquals(await page.locator(`.node.chosen[data-type="leaf"]`).count(), 1);
    // … a neg with its why …
    await page.fill("#path", "/svc/nothing");
    await page.click("#go");
    const why = page.locator(`.node[data-type="neg"] .why`).first();
    await why.waitFor();
    assertStringIncludes((await why.textContent()) ?? "", "io.l5d.fs");
    // … and a dtab of one's own, layered over the router's: gamma now answers for beta.
    await page.fill("#dtab", "/svc/beta => /#/io.l5d.fs/gamma;");
    await page.fill("#path", "/svc/beta");
    await page.click("#go");
    await page.waitForSelector(`.node.chosen .addr[data-addr="127.0.0.1:${gamma.port}"]`);
    assertEquals(await page.locator(`.node[data-type="alt"]`).count(), 1);
    assertStringIncludes(page.url(), "dtab=");
    // An alternative whose first branch is neg: the why, then the branch that binds.
    await page.fill("#dtab", "/svc/beta => /#/io.l5d.fs/nope | /#/io.l5d.fs/gamma;");
    await page.click("#go");
    await page.waitForSelector(`.node[data-type="neg"] .why`);
    assertStringIncludes(
      (await page.locator(`.node[data-type="neg"] .why`).first().textContent()) ?? "",
      "nope",
    );
    await page.waitForSelector(`.node.chosen .addr[data-addr="127.0.0.1:${gamma.port}"]`);
    await screenshot(page, `${OUT}/delegator.png`);
    assertEquals(browser.errors, []);
    // A bad path is an error message (the 400 is logged by Chromium), not a broken page.
    await page.fill("#dtab", "");
    await page.fill("#path", "not a path");
    await page.click("#go");
    assertStringIncludes((await page.locator(".error").textContent()) ?? "", "path");
    assertEquals(browser.errors.filter((e) => e.startsWith("pageerror")), []);
    await Deno.writeTextFile(
      `${OUT}/timings.json`,
      JSON.stringify({ loadsMs: loads, liveUpdateMs: liveMs }, null, 2),
    );
    assert(Math.min(...loads) < LOAD_BUDGET_MS, `dashboard loads took ${loads.join(", ")} ms`);
  } finally {
    await browser?.close();
    await sy.stop();
    await Promise.all([alpha.close(), beta.close(), gamma.close()]);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dashboard: 100 services with traffic render all sections quickly", async () => {
  await Deno.mkdir(OUT, { recursive: true });
  const up = startUpstream("many");
  const names = Array.from({ length: 100 }, (_, i) => `s${String(i).padStart(3, "0")}`);
  const dir = await fsNamerDir(Object.fromEntries(names.map((n) => [n, up.fsLine])));
  const sy = await startSwitchyard(config(dir));
  let browser: Browser | undefined;
  try {
    // Service i gets 1 + i % 3 requests: 199 in all.
    const want = new Map(names.map((n, i) => [n, 1 + (i % 3)]));
    const jobs = names.flatMap((n) => Array.from({ length: want.get(n)! }, () => n));
    using client = Deno.createHttpClient({ proxy: { url: `http://${sy.proxy()}` } });
    let next = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < jobs.length) {
        const host = jobs[next++]!;
        const rsp = await fetch(`http://${host}/`, { client, signal: AbortSignal.timeout(30_000) });
        await rsp.body?.cancel();
        assertEquals(rsp.status, 200);
      }
    }));
    const total = jobs.length;

    browser = await openBrowser(1000);
    const { page } = browser;
    const loads = await timedLoads(page, sy.admin + "/", 3);
    await waitValue(page, `#top [data-k="requests"] b`, total);
    assertEquals(await page.locator(".svc").count(), 100);
    const shown = await page.$$eval(
      `.svc-row [data-k="requests"]`,
      (els) =>
        els.map((
          e,
        ) => [e.closest(".svc")!.getAttribute("data-service"), Number(e.getAttribute("data-v"))]),
    );
    assertEquals(shown.length, 100);
    for (const [name, n] of shown) assertEquals(n, want.get(String(name).slice(4)), String(name));
    // Many services: nothing opens by itself, so the page is 100 rows, not 200 charts.
    assertEquals(await page.locator(".svc.open").count(), 0);
    // Steady state: one poll re-renders everything in well under a frame budget's worth.
    await page.waitForFunction("Number(document.body.dataset.polls) >= 3");
    const renderMs = Number(await page.locator("body").getAttribute("data-render-ms"));

    // Filter, sort and open one section.
    await page.fill("#filter", "s04");
    assertEquals(await page.locator(".svc:not([hidden])").count(), 10);
    await page.fill("#filter", "");
    // Sorted by volume, the service that just got traffic comes first.
    await page.selectOption("#sort", "volume");
    for (const host of ["s050", "s050", "s050", "s050", "s071", "s071"]) {
      const rsp = await fetch(`http://${host}/`, { client, signal: AbortSignal.timeout(30_000) });
      await rsp.body?.cancel();
    }
    await waitValue(page, `${row("s050")} [data-k="requests"]`, want.get("s050")! + 4);
    const firstTwo = async () =>
      (await page.locator(".svc").evaluateAll((els) =>
        els.slice(0, 2).map((e) => e.getAttribute("data-service"))
      )).join(" ");
    assert(
      await eventually(async () => (await firstTwo()) === "svc/s050 svc/s071", 5000),
      `busiest first: ${await firstTwo()}`,
    );
    await page.click(`${svc("s050")} .svc-row`);
    const ep = `${svc("s050")} tr[data-endpoint="127.0.0.1:${up.port}"] [data-k="requests"]`;
    await waitValue(page, ep, want.get("s050")! + 4);
    await page.evaluate("document.getElementById('services').scrollIntoView()");
    await page.waitForTimeout(300);
    await page.screenshot({ path: `${OUT}/dashboard_100.png` });
    // Expand all: sections open, charts only where they are on screen.
    await page.click("#expand-all");
    assertEquals(await page.locator(".svc.open").count(), 100);
    const polled = Number(await page.locator("body").getAttribute("data-polls"));
    await page.waitForFunction(`Number(document.body.dataset.polls) >= ${polled + 2}`);
    const charts = await page.locator(".svc .uplot").count();
    assert(charts >= 2 && charts < 20, `charts only for sections on screen (${charts})`);

    assertEquals(browser.errors, []);
    await Deno.writeTextFile(
      `${OUT}/timings_100.json`,
      JSON.stringify({ loadsMs: loads, renderMs, visibleCharts: charts }, null, 2),
    );
    assert(Math.min(...loads) < LOAD_BUDGET_MS, `dashboard loads took ${loads.join(", ")} ms`);
    assert(renderMs < 100, `one poll's render took ${renderMs} ms`);
  } finally {
    await browser?.close();
    await sy.stop();
    await up.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dashboard: a rejected config reload shows its file:line:column error until a good one applies", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/switchyard.yaml`;
  const sy = await startSwitchyard(config(dir), { configPath: path });
  const b = await openBrowser();
  try {
    await b.page.goto(`${sy.admin}/`);
    await b.page.waitForSelector("body[data-ready='1']", { timeout: 10_000 });
    assert(await b.page.locator("#reload-error").isHidden(), "no banner while the config is good");
    await Deno.writeTextFile(path, config(dir) + "  colour: blue\n");
    await b.page.waitForSelector("#reload-error:not([hidden])", { timeout: 10_000 });
    const text = (await b.page.locator("#reload-error").textContent()) ?? "";
    assertStringIncludes(text, "previous config keeps serving");
    assert(new RegExp(`${path}:\\d+:\\d+: .*colour`).test(text), text);
    await screenshot(b.page, `${OUT}/reload_error.png`);
    await Deno.writeTextFile(path, config(dir, "/svc => /#/io.l5d.fs; /svc/x => /svc/y;"));
    await b.page.waitForSelector("#reload-error[hidden]", { state: "attached", timeout: 10_000 });
    assertEquals(b.errors, []);
  } finally {
    await b.close();
    await sy.stop();
  }
});

/** Routers `labels`, each an http router on port 0 routing through the fs namer. */
function routersConfig(dir: string, labels: readonly string[]): string {
  const dtab = "/svc => /#/io.l5d.fs;";
  const routers = labels.map((l) =>
    `- {protocol: http, label: ${l}, dtab: "${dtab}", servers: [{port: 0}]}`
  );
  return `
admin: {ip: 127.0.0.1, port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
${routers.join("\n")}
`;
}

/** The bound port of a router's first listener, from `/admin/registry.json`. */
async function routerPort(admin: string, label: string): Promise<number | undefined> {
  const rsp = await fetch(`${admin}/admin/registry.json`, { signal: AbortSignal.timeout(10_000) });
  const body = await rsp.json();
  return body.registry.routers[label]?.servers[0]?.bound;
}

Deno.test("dashboard: a reload adding and removing routers redraws them", async () => {
  const up = startUpstream("web");
  const dir = await fsNamerDir({ web: up.fsLine });
  const path = `${dir}/switchyard.yaml`;
  const sy = await startSwitchyard(routersConfig(dir, ["outgoing"]), { configPath: path });
  const b = await openBrowser();
  try {
    await traffic(sy, "web", 3);
    const { page } = b;
    await page.goto(`${sy.admin}/`);
    await waitValue(page, `${svc("web")} > .svc-row [data-k="requests"]`, 3);
    const label = async (router: string) =>
      await page.locator(`.svc[data-router="${router}"] .svc-name .rt:visible`).textContent({
        timeout: 10_000,
      });
    // One router: its services need no router label; a reload adds `spare`, with traffic: now
    // the same name is on two routers, and each row says which.
    await Deno.writeTextFile(path, routersConfig(dir, ["outgoing", "spare"]));
    let spare: number | undefined;
    const loaded = async () => (spare = await routerPort(sy.admin, "spare")) !== undefined;
    assert(await eventually(loaded, 15_000), "the spare router is loaded");
    using client = Deno.createHttpClient({ proxy: { url: `http://127.0.0.1:${spare}` } });
    const rsp = await fetch("http://web/", { client, signal: AbortSignal.timeout(30_000) });
    await rsp.body?.cancel();
    await page.waitForSelector(`.svc[data-router="spare"][data-service="svc/web"]`);
    await page.waitForSelector(`.router[data-router="spare"]`);
    assertEquals(await label("spare"), "spare");
    assertEquals(await label("outgoing"), "outgoing");
    // The reload drops `spare` and adds `fresh`: the page follows, with no reload of its own.
    await Deno.writeTextFile(path, routersConfig(dir, ["outgoing", "fresh"]));
    await page.waitForSelector(`.router[data-router="fresh"]`, { timeout: 15_000 });
    await page.waitForSelector(`.router[data-router="spare"]`, {
      state: "detached",
      timeout: 10_000,
    });
    await page.waitForSelector(`.svc[data-router="spare"]`, { state: "detached", timeout: 10_000 });
    assertEquals(await page.locator(".router").count(), 2);
    // The top line counts the routers now serving: the removed one's request is gone.
    await waitValue(page, `#top [data-k="requests"] b`, 3);
    await waitValue(page, `${svc("web")} > .svc-row [data-k="requests"]`, 3);
    // A bad config: the error with file:line:column, and the page keeps polling.
    await Deno.writeTextFile(path, routersConfig(dir, ["outgoing", "fresh"]) + "bogus: 1\n");
    await page.waitForSelector("#reload-error:not([hidden])", { timeout: 15_000 });
    const text = (await page.locator("#reload-error").textContent()) ?? "";
    assert(new RegExp(`${path}:\\d+:\\d+: .*bogus`).test(text), text);
    const polls = Number(await page.locator("body").getAttribute("data-polls"));
    await traffic(sy, "web", 2);
    await waitValue(page, `${svc("web")} > .svc-row [data-k="requests"]`, 5);
    assert(Number(await page.locator("body").getAttribute("data-polls")) > polls, "still polling");
    assertEquals(await page.locator(".router").count(), 2);
    assertEquals(b.errors, []);
  } finally {
    await b.close();
    await sy.stop();
    await up.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dashboard: a reload that moves a listener shows the new one only", async () => {
  const up = startUpstream("web");
  const dir = await fsNamerDir({ web: up.fsLine });
  const path = `${dir}/switchyard.yaml`;
  const [before, after] = [freePort(), freePort()];
  // An h2 router beside it, unchanged by the reload: its listener stays.
  const yaml = (port: number) =>
    config(dir).replace("servers: [{port: 0}]", `servers: [{port: ${port}}]`) +
    "- {protocol: h2, label: grpc, dtab: /svc => /$/inet/127.0.0.1/1, servers: [{port: 0}]}\n";
  const sy = await startSwitchyard(yaml(before), { configPath: path });
  const b = await openBrowser();
  try {
    await traffic(sy, "web", 2);
    const { page } = b;
    await page.goto(`${sy.admin}/`);
    const rows = `.router[data-router="outgoing"] tr[data-server]`;
    await page.waitForSelector(`${rows}[data-server="127.0.0.1/${before}"]`);
    await Deno.writeTextFile(path, yaml(after));
    const moved = async () => (await routerPort(sy.admin, "outgoing")) === after;
    assert(await eventually(moved, 15_000), "the listener moved");
    using client = Deno.createHttpClient({ proxy: { url: `http://127.0.0.1:${after}` } });
    const rsp = await fetch("http://web/", { client, signal: AbortSignal.timeout(30_000) });
    await rsp.body?.cancel();
    await waitValue(page, `${rows}[data-server="127.0.0.1/${after}"] [data-k="requests"]`, 1);
    // The closed listener is gone (its counters stay in /admin/metrics.json).
    await page.waitForSelector(`${rows}[data-server="127.0.0.1/${before}"]`, {
      state: "detached",
      timeout: 10_000,
    });
    await waitValue(page, `#top [data-k="requests"] b`, 1);
    const h2 = await routerPort(sy.admin, "grpc");
    const h2Rows = `.router[data-router="grpc"] tr[data-server]`;
    assertEquals(await page.locator(h2Rows).count(), 1);
    assertEquals(await page.locator(h2Rows).getAttribute("data-server"), `127.0.0.1/${h2}`);
    assertEquals(b.errors, []);
  } finally {
    await b.close();
    await sy.stop();
    await up.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dashboard: latencies of 10 s and more are shown in ms, as labelled", async () => {
  const up = startUpstream("slow", async () => {
    await new Promise((r) => setTimeout(r, 10_100));
    return new Response("late");
  });
  const dir = await fsNamerDir({ slow: up.fsLine });
  const sy = await startSwitchyard(config(dir));
  const b = await openBrowser();
  try {
    assertEquals(await traffic(sy, "slow", 1), [200]);
    const { page } = b;
    await page.goto(`${sy.admin}/`);
    await waitValue(page, `${row("slow")} [data-k="requests"]`, 1);
    const ep = `${svc("slow")} tr[data-endpoint="127.0.0.1:${up.port}"]`;
    const shown = [
      `#top [data-k="p99"] b`,
      `${row("slow")} [data-k="p99"]`,
      `.router[data-router="outgoing"] [data-k="p99"]`,
      `${ep} [data-k="p99"]`,
    ];
    for (const sel of shown) {
      await page.waitForSelector(sel);
      const text = (await page.locator(sel).first().textContent()) ?? "";
      // 10,100 ms or so: a number of ms (the card's unit and the tables' headers say "ms").
      assert(/^\d{2},\d{3}$/.test(text), `${sel}: "${text}"`);
      assert(Number(await attr(page, sel)) >= 10_000, `${sel}: ${await attr(page, sel)}`);
    }
    assertEquals(await page.locator(`#top [data-k="p99"] i`).textContent(), "ms");
    assertEquals(b.errors, []);
  } finally {
    await b.close();
    await sy.stop();
    await up.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dashboard: the page's memory stays flat over polls under load", async () => {
  const up = startUpstream("web");
  const dir = await fsNamerDir({ web: up.fsLine, api: up.fsLine });
  const sy = await startSwitchyard(config(dir));
  const b = await openBrowser();
  // Both services are known before the page's first poll: only those it sees then open by
  // themselves (on a loaded box the page had loaded before api's first request).
  await traffic(sy, "web", 1, 1);
  await traffic(sy, "api", 1, 1);
  let loading = true;
  const load = (async () => {
    while (loading) {
      await traffic(sy, "web", 2, 1);
      await traffic(sy, "api", 1, 1);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  try {
    const { page } = b;
    await page.goto(`${sy.admin}/`);
    await page.waitForSelector(`${svc("api")}.open .uplot`);
    await page.click(".router details summary");
    const cdp = await b.ctx.newCDPSession(page);
    await cdp.send("Performance.enable");
    const sample = async () => {
      await cdp.send("HeapProfiler.collectGarbage");
      const { metrics } = await cdp.send("Performance.getMetrics");
      const get = (n: string) => metrics.find((m) => m.name === n)?.value ?? NaN;
      return {
        heap: get("JSHeapUsedSize"),
        nodes: get("Nodes"),
        listeners: get("JSEventListeners"),
        polls: Number(await page.locator("body").getAttribute("data-polls")),
      };
    };
    await page.waitForFunction("Number(document.body.dataset.polls) >= 5");
    const first = await sample();
    // 15 polls or more: every poll redraws the cards, tables, sparklines and open charts.
    await page.waitForFunction(`Number(document.body.dataset.polls) >= ${first.polls + 15}`, null, {
      timeout: 60_000,
    });
    const last = await sample();
    const grew = { heap: last.heap - first.heap, nodes: last.nodes - first.nodes };
    console.log(`page memory over ${last.polls - first.polls} polls:`, first, last);
    // The history of each scope grows by one sample a poll (up to 5 minutes): a few KB here.
    assert(grew.heap < 1_000_000, `JS heap grew ${grew.heap} bytes`);
    assert(Math.abs(grew.nodes) <= 40, `DOM nodes ${first.nodes} -> ${last.nodes}`);
    assertEquals(last.listeners, first.listeners, "event listeners");
    assertEquals(b.errors, []);
  } finally {
    loading = false;
    await load;
    await b.close();
    await sy.stop();
    await up.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/** Elements matching `selector` that stick out of the window on the right. */
async function overflowing(page: Page, selector: string): Promise<string[]> {
  return await page.evaluate(`[...document.querySelectorAll(${JSON.stringify(selector)})]
    .filter((e) => e.getBoundingClientRect().right > innerWidth + 1)
    .map((e) => e.tagName + "." + e.className + " right=" + e.getBoundingClientRect().right)`);
}

Deno.test("dashboard: a narrow window (a phone) needs no sideways scrolling", async () => {
  const up = startUpstream("web");
  const dir = await fsNamerDir({ web: up.fsLine });
  const sy = await startSwitchyard(config(dir));
  const b = await openBrowser(800, 375);
  try {
    await traffic(sy, "web", 4);
    const { page } = b;
    const WIDTHS = "[document.documentElement.scrollWidth, innerWidth]";
    const width = async () => (await page.evaluate(WIDTHS)) as [number, number];
    // A phone, a tablet, half a laptop screen.
    for (const w of [375, 800, 900]) {
      await page.setViewportSize({ width: w, height: 800 });
      await page.goto(`${sy.admin}/`);
      await waitValue(page, `${row("web")} [data-k="requests"]`, 4);
      await page.locator(".router details summary").click();
      await page.waitForSelector(`.router tr[data-client]`);
      const [scroll, inner] = await width();
      assert(scroll <= inner, `the dashboard is ${scroll} px wide in a ${inner} px window`);
      // The numbers that matter are on screen, not cut off by the panel's edge.
      const cut = await overflowing(page, `.panel, .card, .svc-row, .svc-row [data-k="sr"]`);
      assertEquals(cut, [], `${w} px`);
      const bar = await overflowing(page, `.svc-row [data-k="p99"], .bar a, #live-text, #proc`);
      assertEquals(bar, [], `${w} px`);
      assert(await page.locator(`${row("web")} [data-k="sr"]`).isVisible(), "success rate");
      await page.screenshot({ path: `${OUT}/dashboard_${w}.png`, fullPage: true });

      await page.goto(`${sy.admin}/delegator?router=outgoing&path=/svc/web`);
      await page.waitForSelector(`.node.chosen .addr[data-addr="127.0.0.1:${up.port}"]`);
      const [dScroll, dInner] = await width();
      assert(dScroll <= dInner, `the playground is ${dScroll} px wide in a ${dInner} px window`);
      assertEquals(await overflowing(page, `.panel, #go, #path, #dtab, .bar a`), [], `${w} px`);
      await page.screenshot({ path: `${OUT}/delegator_${w}.png`, fullPage: true });
    }
    assertEquals(b.errors, []);
  } finally {
    await b.close();
    await sy.stop();
    await up.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dashboard: both pages link the config, logging and help pages, all served", async () => {
  const dir = await Deno.makeTempDir();
  const sy = await startSwitchyard(config(dir));
  const b = await openBrowser();
  try {
    for (const page of ["/", "/delegator"]) {
      await b.page.goto(`${sy.admin}${page}`);
      await b.page.waitForSelector("body[data-ready]");
      const links = await b.page.$$eval(
        ".bar nav a",
        (as) => as.map((a) => a.getAttribute("href")),
      );
      for (const want of ["/", "/delegator", "/config.json", "/logging", "/help"]) {
        assert(links.includes(want), `${page} links ${want}: ${links.join(" ")}`);
      }
      for (const href of links) {
        const rsp = await fetch(`${sy.admin}${href}`, { signal: AbortSignal.timeout(10_000) });
        const text = await rsp.text();
        assertEquals(rsp.status, 200, `${href} from ${page}`);
        if (href === "/config.json") assertStringIncludes(text, `"label":"outgoing"`);
      }
    }
    // Linkerd's dashboard showed the config: one click from the dashboard.
    await b.page.goto(`${sy.admin}/`);
    await b.page.click(`.bar nav a[href="/config.json"]`);
    await b.page.waitForURL(`${sy.admin}/config.json`);
    assertStringIncludes((await b.page.textContent("body")) ?? "", "outgoing");
    assertEquals(b.errors, []);
  } finally {
    await b.close();
    await sy.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dtab playground: /$/nil ends an alternation; no later branch is selected", async () => {
  const up = startUpstream("web");
  const dir = await fsNamerDir({ web: up.fsLine });
  const sy = await startSwitchyard(config(dir));
  const b = await openBrowser();
  try {
    const { page } = b;
    const url = (dtab: string) =>
      `${sy.admin}/delegator?${new URLSearchParams({
        router: "outgoing",
        path: "/svc/web",
        dtab,
      })}`;
    // The router answers a request for this name with no endpoint (Finagle's Alt(Empty, …)) …
    using client = Deno.createHttpClient({ proxy: { url: `http://${sy.proxy()}` } });
    const rsp = await fetch("http://web/", {
      client,
      headers: { "l5d-dtab": "/svc/web => /$/nil" },
      signal: AbortSignal.timeout(30_000),
    });
    await rsp.body?.cancel();
    assert(rsp.status >= 500, `a /$/nil name is not served: ${rsp.status}`);
    // … so the playground must not show the next branch as the one traffic goes to.
    await page.goto(url("/svc/web => /$/nil;"));
    await page.waitForSelector(`.node[data-type="empty"]`);
    await page.waitForFunction("Number(document.body.dataset.runs) >= 1");
    assertEquals(await page.locator(`.node.chosen[data-type="leaf"]`).count(), 0);
    assertEquals(await page.locator(`.node.chosen[data-type="empty"]`).count(), 1);
    assertStringIncludes(
      (await page.locator(`.node[data-type="empty"] .why`).textContent()) ?? "",
      "alternation ends",
    );
    // A neg first still falls through to the branch that binds.
    await page.goto(url("/svc/web => /#/io.l5d.fs/nope;"));
    await page.waitForSelector(`.node.chosen .addr[data-addr="127.0.0.1:${up.port}"]`);
    assertEquals(b.errors, []);
  } finally {
    await b.close();
    await sy.stop();
    await up.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("dtab playground: shows the live interpreter dtab (Consul KV, io.l5d.fs file) before the router's; none for the default interpreter", async () => {
  const a = startUpstream("a");
  const b = startUpstream("b");
  const consul = startFakeConsul();
  consul.setKv("namerd/dtabs/default", `/svc/web => /$/inet/127.0.0.1/${a.port};`);
  const dtabFile = await Deno.makeTempFile({ suffix: ".dtab" });
  await Deno.writeTextFile(dtabFile, `/svc/file => /$/inet/127.0.0.1/${b.port};`);
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  label: kv
  dtab: /svc/own => /$/inet/127.0.0.1/${b.port};
  interpreter: {kind: io.l5d.consul.interpreter, host: 127.0.0.1, port: ${consul.port}}
  servers: [{ip: 127.0.0.1, port: 0}]
- protocol: http
  label: file
  dtab: /svc/own => /$/inet/127.0.0.1/${a.port};
  interpreter: {kind: io.l5d.fs, dtabFile: ${dtabFile}}
  servers: [{ip: 127.0.0.1, port: 0}]
- protocol: http
  label: plain
  dtab: /svc/own => /$/inet/127.0.0.1/${a.port};
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  const browser = await openBrowser();
  try {
    // The endpoint behind it: each router's interpreter dtab (Linkerd's `dtab-data`) and own.
    const dtabs = await (await fetch(`${sy.admin}/delegator/dtabs.json`)).json();
    assertEquals(dtabs.plain, {
      interpreter: "default",
      dtab: [],
      dtabBase: [{ prefix: "/svc/own", dst: `/$/inet/127.0.0.1/${a.port}` }],
    });
    assertEquals(dtabs.file.dtab, [{ prefix: "/svc/file", dst: `/$/inet/127.0.0.1/${b.port}` }]);
    const { page } = browser;
    await page.goto(`${sy.admin}/delegator?router=kv&path=/svc/web`);
    await page.waitForSelector("body[data-ready]");
    const field = page.locator(`#interpreter-field[data-router="kv"]`);
    await field.waitFor();
    assertStringIncludes((await field.textContent()) ?? "", "io.l5d.consul.interpreter");
    const kvDtab = page.locator("#interpreter-dtab");
    assertEquals(
      (await kvDtab.textContent())?.trim(),
      `/svc/web => /$/inet/127.0.0.1/${a.port};`,
    );
    assertStringIncludes((await page.locator("#base-dtab").textContent()) ?? "", "/svc/own");
    await page.waitForSelector(`.node.chosen .addr[data-addr="127.0.0.1:${a.port}"]`);
    // Live: an edit of the key shows with the next tree.
    consul.setKv("namerd/dtabs/default", `/svc/web => /$/inet/127.0.0.1/${b.port};`);
    const live = await eventually(async () => {
      await page.click("#go");
      return ((await kvDtab.textContent()) ?? "").includes(`/${b.port};`);
    }, 8000);
    assert(live, `the edit never showed: ${await kvDtab.textContent()}`);
    await page.waitForSelector(`.node.chosen .addr[data-addr="127.0.0.1:${b.port}"]`);
    // The io.l5d.fs router shows its file's dentries; the default interpreter shows none.
    await page.selectOption("#router", "file");
    await page.locator(`#interpreter-field[data-router="file"]`).waitFor();
    assertStringIncludes((await kvDtab.textContent()) ?? "", "/svc/file");
    assertStringIncludes(
      (await page.locator("#interpreter-kind").textContent()) ?? "",
      "io.l5d.fs",
    );
    await screenshot(page, `${OUT}/delegator_interpreter.png`);
    await page.selectOption("#router", "plain");
    await page.locator("#interpreter-field").waitFor({ state: "hidden" });
    assertEquals(browser.errors, []);
  } finally {
    await browser.close();
    await sy.stop();
    await consul.close();
    await Promise.all([a.close(), b.close()]);
    await Deno.remove(dtabFile);
  }
});
