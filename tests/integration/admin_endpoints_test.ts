/**
 * The twitter-server / Linkerd 1.x admin endpoints of the real process: `GET /admin/shutdown`
 * (405), `/admin/server_info`, `/admin/registry.json`, `/admin/threads`, `/admin/lint`,
 * `/admin/announcer` and `/logging.json` (read and change the log level at runtime).
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { IDLE_ROUTER, startSwitchyard } from "../support/switchyard.ts";
import { curl, fsNamerDir, startUpstream } from "../support/upstream.ts";
import { VERSION } from "../../version.ts";

async function json(url: string): Promise<Record<string, unknown>> {
  const r = await curl([url]);
  assertEquals(r.status, 200, `${url}: ${r.body}`);
  assertStringIncludes(r.headers.get("content-type") ?? "", "application/json");
  return JSON.parse(r.body);
}

Deno.test("admin endpoints: shutdown 405, server_info, registry, threads, lint, announcer, logging", async () => {
  const world = startUpstream("world");
  const dir = await fsNamerDir({ world: world.fsLine });
  const before = Date.now();
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
telemetry: [{kind: io.l5d.prometheus}]
routers:
- protocol: http
  label: outgoing
  identifier: {kind: io.l5d.path, segments: 1}
  dtab: |
    /svc => /#/io.l5d.fs;
    /k8s => /#/io.l5d.k8s;
  servers:
  - {port: 0, announce: [/#/io.l5d.serversets/outgoing]}
`);
  try {
    // 1. GET /admin/shutdown: 405 with allow: POST, and the process keeps serving.
    const get = await curl([`${sy.admin}/admin/shutdown`]);
    assertEquals(get.status, 405);
    assertEquals(get.headers.get("allow"), "POST");
    assertEquals((await curl([`${sy.admin}/admin/ping`])).body, "pong");

    // 2. server_info: this very process.
    const info = await json(`${sy.admin}/admin/server_info`);
    assertEquals(info.name, "switchyard");
    assertEquals(info.version, VERSION);
    assertEquals(info.pid, sy.pid);
    assertEquals(info.deno, Deno.version.deno);
    assertEquals(info.v8, Deno.version.v8);
    assertEquals(info.build, Deno.build.target);
    const start = Date.parse(info.start_time as string);
    assert(start >= before - 1000 && start <= Date.now(), `start_time ${info.start_time}`);
    const uptime = info.uptime as number;
    assert(uptime > 0 && uptime <= Date.now() - before + 1000, `uptime ${uptime}`);
    await new Promise((r) => setTimeout(r, 50));
    const later = await json(`${sy.admin}/admin/server_info`);
    assert((later.uptime as number) >= uptime + 50, "uptime grows");
    assertEquals(later.start_time, info.start_time);

    // 3. registry.json: what the config loaded, with the port the port-0 server got.
    const reg = (await json(`${sy.admin}/admin/registry.json`)).registry as Record<string, never>;
    assertEquals(reg.routers, {
      outgoing: {
        protocol: "http",
        dstPrefix: "/svc",
        identifier: ["io.l5d.path"],
        servers: [{ ip: "127.0.0.1", port: 0, bound: sy.ports.outgoing![0] }],
      },
    });
    assertEquals(reg.namers, { "/io.l5d.fs": { kind: "io.l5d.fs" } });
    assertEquals(reg.telemeters, [{ kind: "io.l5d.prometheus" }]);
    // The bound port really is the router: a request through it reaches world.
    const via = await curl(["-x", `http://${sy.proxy("outgoing")}`, "http://x/world/hi"]);
    assertEquals(via.status, 200, via.body);

    // 4. threads: the main isolate of this process, its live memory.
    const th = (await json(`${sy.admin}/admin/threads`)).threads as Record<string, never>;
    const main = th.main as unknown as {
      thread: string;
      pid: number;
      servesRouters: boolean;
      memory: Deno.MemoryUsage;
    };
    assertEquals(Object.keys(th), ["main"]);
    assertEquals(main.pid, sy.pid);
    assertEquals(main.servesRouters, true);
    assert(main.memory.heapUsed > 0 && main.memory.heapUsed <= main.memory.heapTotal);
    // Its rss is the process's (read from /proc by the test), within 50 %.
    const rss = sy.rss();
    assert(Math.abs(main.memory.rss - rss) < rss / 2, `rss ${main.memory.rss} vs /proc ${rss}`);

    // 5. lint: the warnings `switchyard check` gives for this config.
    const lint = (await json(`${sy.admin}/admin/lint`)).warnings as {
      path: (string | number)[];
      message: string;
    }[];
    const messages = lint.map((w) => w.message).join("\n");
    assertStringIncludes(messages, "/#/io.l5d.k8s refers to no configured namer");
    assertStringIncludes(messages, "announce has no effect");
    assert(
      lint.some((w) => JSON.stringify(w.path) === `["routers",0,"servers",0,"announce"]`),
      JSON.stringify(lint),
    );

    // 6. announcer: nothing supported, so the configured announce name is not announced.
    assertEquals(await json(`${sy.admin}/admin/announcer`), {
      outgoing: {
        announcers: [],
        announce: [{
          server: "127.0.0.1:0",
          name: "/#/io.l5d.serversets/outgoing",
          state: "unsupported",
        }],
      },
    });

    // 7. logging.json: started with --log-level debug; change it at runtime.
    // Linkerd's LoggingApiHandler: a list of {logger, level}, twitter-util level names.
    const root = (level: string): unknown => [{ logger: "root", level }];
    assertEquals(await json(`${sy.admin}/logging.json`) as unknown, root("DEBUG"));
    const toError = await curl(["-d", "logger=root&level=error", `${sy.admin}/logging.json`]);
    assertEquals(toError.status, 200, toError.body);
    assertEquals(JSON.parse(toError.body), root("ERROR"));
    assertEquals(await json(`${sy.admin}/logging.json`) as unknown, root("ERROR"));
    // As Finagle's req.params: the query string works as well as a form.
    const byQuery = await curl([
      "-X",
      "POST",
      `${sy.admin}/logging.json?logger=root&level=WARNING`,
    ]);
    assertEquals(byQuery.status, 200, byQuery.body);
    assertEquals(await json(`${sy.admin}/logging.json`) as unknown, root("WARNING"));
    assertEquals((await curl(["-X", "PUT", `${sy.admin}/logging.json`])).status, 405);
    const toInfo = await curl([
      "-H",
      "content-type: application/json",
      "-d",
      JSON.stringify({ logger: "root", level: "INFO" }),
      `${sy.admin}/logging.json`,
    ]);
    assertEquals(JSON.parse(toInfo.body), root("INFO"));
    // Only the change from warn to info was logged (at info): the logger really filtered by
    // each new level in between.
    const changes = sy.logs.flatMap((l) => {
      try {
        const rec = JSON.parse(l);
        return rec.msg === "log level changed via admin" ? [rec] : [];
      } catch {
        return [];
      }
    });
    assertEquals(changes.map((c) => [c.from, c.to]), [["warn", "info"]]);
    const bad = await curl(["-d", "level=loud", `${sy.admin}/logging.json`]);
    assertEquals(bad.status, 400);
    const other = await curl(["-d", "logger=com.twitter&level=info", `${sy.admin}/logging.json`]);
    assertEquals(other.status, 404);
    assertEquals(await json(`${sy.admin}/logging.json`) as unknown, root("INFO"));

    // POST /admin/shutdown still shuts down.
    assertEquals((await curl(["-X", "POST", `${sy.admin}/admin/shutdown`])).status, 200);
    assertEquals((await sy.exited).code, 0);
  } finally {
    await sy.stop();
    await world.close();
  }
});

Deno.test("admin endpoints: /help lists the endpoints, /logging changes the level, pprof says 501", async () => {
  const sy = await startSwitchyard(`
admin: {port: 0}
${IDLE_ROUTER}`);
  try {
    const help = await curl([`${sy.admin}/help`]);
    assertEquals(help.status, 200);
    for (const p of ["/admin/metrics.json", "/delegator.json", "/logging", "/admin/ping"]) {
      assertStringIncludes(help.body, `<code>${p}</code>`);
    }
    const page = await curl([`${sy.admin}/logging`]);
    assertEquals(page.status, 200);
    assertStringIncludes(page.body, `level <b id="level">debug</b>`);
    // The page's buttons POST to /logging.json; the page then shows the new level.
    const set = await curl([
      "-H",
      "content-type: application/json",
      "-d",
      `{"logger":"root","level":"warn"}`,
      `${sy.admin}/logging.json`,
    ]);
    assertEquals(set.status, 200);
    assertStringIncludes((await curl([`${sy.admin}/logging`])).body, `<b id="level">warn</b>`);
    const pprof = await curl([`${sy.admin}/admin/pprof/heap`]);
    assertEquals(pprof.status, 501);
    assertStringIncludes(pprof.body, "--inspect");
    assertEquals((await curl([`${sy.admin}/admin/tracing?enable=maybe`])).status, 400);
  } finally {
    await sy.stop();
  }
});

Deno.test("admin endpoints: controlEnabled false hides /logging.json and shutdown (404, any method)", async () => {
  const sy = await startSwitchyard(`
admin:
  port: 0
  security: {controlEnabled: false}
${IDLE_ROUTER}`);
  try {
    // Linkerd's SecurityFilter classifies by path: /logging.json is control for GET too.
    const post = await curl(["-d", "logger=root&level=error", `${sy.admin}/logging.json`]);
    assertEquals(post.status, 404);
    assertEquals((await curl([`${sy.admin}/logging.json`])).status, 404);
    assertEquals((await curl([`${sy.admin}/admin/shutdown`])).status, 404);
    assertEquals((await curl(["-X", "POST", `${sy.admin}/admin/shutdown`])).status, 404);
    assertEquals((await curl([`${sy.admin}/admin/server_info`])).status, 200);
    // The level did not change: the page (ui) still shows debug.
    assertStringIncludes((await curl([`${sy.admin}/logging`])).body, `<b id="level">debug</b>`);
    // /admin/tracing is diagnostics in Linkerd, so switching it stays allowed here.
    assertEquals(
      (await curl([`${sy.admin}/admin/tracing?disable=true`])).body,
      "tracing disabled\n",
    );
    assertEquals((await curl([`${sy.admin}/admin/tracing?enable=true`])).body, "tracing enabled\n");
  } finally {
    await sy.stop();
  }
});

Deno.test("admin endpoints: diagnosticsEnabled false, uiEnabled false, whitelist re-enables, blacklist blocks", async () => {
  const sy = await startSwitchyard(`
admin:
  port: 0
  security:
    diagnosticsEnabled: false
    pathWhitelist: ["^/admin/server_info$", "/admin/thr.*"]
    pathBlacklist: ["^/help$"]
${IDLE_ROUTER}`);
  const ui = await startSwitchyard(`
admin:
  port: 0
  security: {uiEnabled: false, pathWhitelist: ["^/config[.]json$"]}
${IDLE_ROUTER}`);
  try {
    const status = async (base: string, path: string, ...args: string[]) =>
      (await curl([...args, `${base}${path}`])).status;
    // Diagnostics off: ping, metrics in Prometheus form, client state are gone (404 as if absent).
    for (const p of ["/admin/ping", "/metrics", "/client_state.json", "/admin/registry.json"]) {
      assertEquals(await status(sy.admin, p), 404, p);
    }
    // The whitelist re-enables a diagnostics path (whole-path regex match).
    assertEquals(await status(sy.admin, "/admin/server_info"), 200);
    assertEquals(await status(sy.admin, "/admin/threads"), 200);
    assertEquals(await status(sy.admin, "/admin/threads.json"), 200);
    // UI stays on; the blacklist blocks one ui page only.
    for (const p of ["/", "/config.json", "/admin/metrics.json", "/delegator", "/logging"]) {
      assertEquals(await status(sy.admin, p), 200, p);
    }
    assertEquals(await status(sy.admin, "/help"), 404);
    // Control stays on: /logging.json answers.
    assertEquals(await status(sy.admin, "/logging.json"), 200);

    // uiEnabled false: the dashboard and its data are gone; the whitelist is no allow-list.
    for (const p of ["/", "/delegator", "/admin/metrics.json", "/logging", "/files/style.css"]) {
      assertEquals(await status(ui.admin, p), 404, p);
    }
    assertEquals(await status(ui.admin, "/config.json"), 200);
    assertEquals((await curl([`${ui.admin}/admin/ping`])).body, "pong");
    assertEquals(await status(ui.admin, "/logging.json"), 200);
  } finally {
    await sy.stop();
    await ui.stop();
  }
});

Deno.test("admin endpoints: read-only endpoints answer any method; POST-only ones keep POST", async () => {
  const sy = await startSwitchyard(`
admin: {port: 0}
${IDLE_ROUTER}`);
  try {
    const req = (method: string, path: string, ...args: string[]) =>
      curl(["-X", method, ...args, `${sy.admin}${path}`]);
    assertEquals((await req("POST", "/admin/ping")).body, "pong");
    assertEquals((await req("PUT", "/admin/ping")).body, "pong");
    const metrics = await req("POST", "/admin/metrics.json");
    assertEquals(metrics.status, 200);
    assert(typeof JSON.parse(metrics.body) === "object");
    const config = await req("POST", "/config.json");
    assertEquals(config.status, 200);
    assertEquals(JSON.parse(config.body).admin, { port: 0 });
    assertEquals((await req("DELETE", "/admin/server_info")).status, 200);
    // Switching tracing with POST, as Linkerd's muxer ignores the method.
    assertEquals((await req("POST", "/admin/tracing?disable=true")).body, "tracing disabled\n");
    assertEquals((await req("POST", "/admin/tracing?enable=true")).body, "tracing enabled\n");
    // HEAD: the status and headers of GET, no body.
    const head = await curl(["-I", `${sy.admin}/admin/ping`]);
    assertEquals(head.status, 200);
    assert(!head.body.includes("pong"), head.body); // -I prints the head only: no body came
    assertEquals((await curl(["-I", `${sy.admin}/config.json`])).status, 200);
    // /delegator.json is Linkerd's DelegateApiHandler: a POST takes a JSON body only (415
    // without one, even with the parameters in the query), other methods get 405.
    assertEquals((await req("POST", "/delegator.json?path=/svc/x&namespace=http")).status, 415);
    assertEquals((await req("PUT", "/delegator.json?path=/svc/x&namespace=http")).status, 405);
    const del = await req(
      "POST",
      "/delegator.json",
      "-H",
      "content-type: application/json",
      "--data-binary",
      '{"namespace":"http","path":"/svc/x","dtab":""}',
    );
    assertEquals(del.status, 200, del.body);
    assertEquals(JSON.parse(del.body).path, "/svc/x");
    // POST-only control endpoints stay as they are: other methods get 405, POST acts.
    for (const m of ["GET", "PUT", "DELETE"]) {
      const r = await req(m, "/admin/shutdown");
      assertEquals(r.status, 405, m);
      assertEquals(r.headers.get("allow"), "POST");
    }
    assertEquals((await req("POST", "/admin/reload")).status, 200);
    assertEquals(
      (await req("GET", "/logging.json")).body,
      JSON.stringify([{ logger: "root", level: "DEBUG" }]),
    );
    const set = await req("POST", "/logging.json", "-d", "logger=root&level=warn");
    assertEquals(set.status, 200, set.body);
    assertEquals(JSON.parse((await req("GET", "/logging.json")).body)[0].level, "WARNING");
    assertEquals((await req("POST", "/no/such/path")).status, 404);
  } finally {
    await sy.stop();
  }
});

Deno.test("admin endpoints: /admin and /admin/index.txt, threads.json, lint.json, /files/ assets", async () => {
  const sy = await startSwitchyard(`
admin: {port: 0}
${IDLE_ROUTER}`);
  try {
    const index = await curl([`${sy.admin}/admin/index.txt`]);
    assertEquals(index.status, 200);
    assertStringIncludes(index.headers.get("content-type") ?? "", "text/plain");
    const paths = index.body.trim().split("\n");
    for (
      const p of [
        "/admin",
        "/admin/index.txt",
        "/admin/ping",
        "/admin/shutdown",
        "/admin/threads.json",
        "/admin/lint.json",
        "/admin/files/",
        "/files/",
        "/delegator.json",
        "/client_state.json",
      ]
    ) assert(paths.includes(p), `${p} in ${index.body}`);
    assertEquals([...paths].sort(), paths, "sorted");
    assertEquals((await curl([`${sy.admin}/admin`])).body, index.body);
    // Every listed path answers something other than 404 (but prefixes, the shutdown and the
    // telemeter renderings, 404 without their telemeter as in Linkerd).
    const skip = [
      "/admin/shutdown",
      "/admin/metrics/prometheus",
      "/admin/metrics/influxdb",
      "/requests",
      "/requests.json",
    ];
    for (const p of paths.filter((p) => !p.endsWith("/") && !skip.includes(p))) {
      assert((await curl([`${sy.admin}${p}`])).status !== 404, p);
    }

    const threads = await json(`${sy.admin}/admin/threads.json`);
    const main = (threads.threads as Record<string, { pid: number }>).main!;
    assertEquals(main.pid, sy.pid);
    assertEquals(await json(`${sy.admin}/admin/lint.json`), await json(`${sy.admin}/admin/lint`));

    const css = await curl([`${sy.admin}/files/style.css`]);
    assertEquals(css.status, 200);
    assertStringIncludes(css.headers.get("content-type") ?? "", "text/css");
    assert(css.body.length > 100, css.body);
    // Linkerd's folder layout (`/admin/files/js/…`) finds the same embedded file.
    const js = await curl([`${sy.admin}/admin/files/js/delegator.js`]);
    assertEquals(js.status, 200);
    assertStringIncludes(js.headers.get("content-type") ?? "", "javascript");
    assertStringIncludes(js.body, "/delegator.json");
    assertEquals((await curl([`${sy.admin}/files/nope.js`])).status, 404);
    assertEquals((await curl([`${sy.admin}/admin/files/`])).status, 404);
  } finally {
    await sy.stop();
  }
});

// Linkerd's docs (linkerd/docs/config.md) list /admin/contention; "Usage" says the payload
// UsageDataTelemeter sends can be seen at /admin/metrics/usage (UsageDataTelemeter.scala
// UsageDataHandler; UsageDataTelemeterTest: enabled by default, orgId configurable, `enabled:
// false` removes it). Switchyard never sends it.
Deno.test("admin endpoints: /admin/contention, /admin/metrics/usage (never sent; 404 when disabled)", async () => {
  const world = startUpstream("world");
  const dir = await fsNamerDir({ world: world.fsLine });
  const sy = await startSwitchyard(`
admin: {port: 0}
usage: {orgId: my-org}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  label: out
  identifier: {kind: io.l5d.path, segments: 1}
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}]
`);
  const off = await startSwitchyard(`
admin: {port: 0}
usage: {enabled: false}
${IDLE_ROUTER}`);
  try {
    const contention = await curl([`${sy.admin}/admin/contention`]);
    assertEquals(contention.status, 200);
    assertStringIncludes(contention.headers.get("content-type") ?? "", "text/plain");
    assertEquals(contention.body, "Blocked:\n\n\nLock Owners:\n");

    for (let i = 0; i < 2; i++) {
      const r = await curl(["-x", `http://${sy.proxy("out")}`, "http://x/world/hi"]);
      assertEquals(r.status, 200, r.body);
    }
    const usage = await json(`${sy.admin}/admin/metrics/usage`);
    assertEquals(usage.orgId, "my-org");
    assertEquals(usage.namers, ["io.l5d.fs"]);
    assertEquals(usage.routers, [{
      protocol: "http",
      interpreter: "default",
      identifiers: ["io.l5d.path"],
      transformers: [],
    }]);
    assertEquals(usage.counters, [{ name: "srv_requests", value: 2 }]);
    assert(/^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/.test(usage.startTime as string), `${usage.startTime}`);
    assert(/^[0-9a-f-]{36}$/.test(usage.pid as string), `${usage.pid}`);
    const gauges = (usage.gauges as { name: string }[]).map((g) => g.name);
    assertEquals(gauges, ["jvm_mem", "jvm/gc/msec", "jvm/uptime", "jvm/num_cpus"]);
    // Same id on every read: one per process.
    assertEquals((await json(`${sy.admin}/admin/metrics/usage`)).pid, usage.pid);

    assertEquals((await curl([`${off.admin}/admin/metrics/usage`])).status, 404);
    assertEquals((await curl([`${off.admin}/admin/contention`])).status, 200);
  } finally {
    await sy.stop();
    await off.stop();
    await world.close();
  }
});

Deno.test("admin endpoints: /admin/lint does not call an admin on 127.0.0.30 reachable from other hosts", async () => {
  const lo = await startSwitchyard(`
admin: {ip: 127.0.0.30, port: 0}
${IDLE_ROUTER}`);
  const wide = await startSwitchyard(`
admin: {ip: 0.0.0.0, port: 0}
${IDLE_ROUTER}`);
  try {
    const lint = await json(`http://127.0.0.30:${lo.adminPort}/admin/lint`);
    assertEquals(lint.warnings, []);
    // Bound to 127.0.0.30 only: the usual 127.0.0.1 does not answer.
    assert((await curl([`http://127.0.0.1:${lo.adminPort}/admin/ping`])).code !== 0);
    // The lint still warns where it should.
    const w = (await json(`http://127.0.0.1:${wide.adminPort}/admin/lint.json`)).warnings as {
      path: string[];
      message: string;
    }[];
    assertEquals(w.map((x) => x.path.join(".")), ["admin.ip"]);
    assertStringIncludes(w[0]!.message, "reachable from other hosts");
  } finally {
    await lo.stop();
    await wide.stop();
  }
});

Deno.test("admin endpoints: with --workers 2 the main isolate says it does not serve the routers", async () => {
  const sy = await startSwitchyard(
    `
admin: {port: 0}
routers:
- protocol: http
  label: edge
  dtab: /svc => /$/inet/127.0.0.1/1;
  servers: [{port: 0}]
`,
    { args: ["--workers", "2"] },
  );
  try {
    const th = (await json(`${sy.admin}/admin/threads`)).threads as Record<string, never>;
    const main = th.main as unknown as { pid: number; servesRouters: boolean };
    assertEquals(main.pid, sy.pid);
    assertEquals(main.servesRouters, false);
    // The main opens no router listener: registry.json has the worker-chosen port, and `bound`
    // is the port the workers listen on.
    const reg = (await json(`${sy.admin}/admin/registry.json`)).registry as {
      routers: Record<string, { servers: { port: number; bound?: number }[] }>;
    };
    const server = reg.routers.edge!.servers[0]!;
    assertEquals(server.bound, server.port);
    // The port the workers listen on (from their "router listening" lines).
    assert(server.port > 0, JSON.stringify(server));
    assertEquals(sy.proxy("edge"), `127.0.0.1:${server.port}`);
  } finally {
    await sy.stop();
  }
});
