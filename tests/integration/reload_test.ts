/**
 * Hot reload of the real process under load: valid versions apply within 5 s, invalid ones
 * change nothing, and no request fails.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, freePort, fsNamerDir, startUpstream } from "../support/upstream.ts";

function cfg(dir: string, target: string, extraRouter = ""): string {
  return `
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  label: outgoing
  dtab: |
    /svc => /#/io.l5d.fs;
    /svc/web => /svc/${target};
  servers: [{port: 0}]
${extraRouter}`;
}

const INVALID = [
  "routers:\n- protocol: http\n  dtab: /svc => => ;\n  servers: [{port: 0}]\n",
  "routers: [\n  - protocol: http\n",
  "admin: {port: 0}\nrouters:\n- protocol: thrift\n  servers: [{port: 0}]\n",
];

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${crypto.randomUUID()}`;
  await Deno.writeTextFile(tmp, text);
  await Deno.rename(tmp, path);
}

Deno.test("reload: 20 rewrites under load — zero failures, valid versions apply within 5 s", async () => {
  const a = startUpstream("a");
  const b = startUpstream("b");
  const dir = await fsNamerDir({ a: a.fsLine, b: b.fsLine });
  const cfgDir = await Deno.makeTempDir();
  const path = `${cfgDir}/switchyard.yaml`;
  const sy = await startSwitchyard(cfg(dir, "a"), { configPath: path });
  using client = Deno.createHttpClient({ allowHost: true });
  const url = `http://${sy.proxy()}/`;
  let last = "a";
  let failures = 0;
  let total = 0;
  let stop = false;
  const deadline = Date.now() + 90_000;
  const worker = async () => {
    while (!stop && Date.now() < deadline && total < 200_000) {
      try {
        const r = await fetch(url, { headers: { host: "web" }, client });
        const j = await r.json();
        total++;
        if (r.status !== 200) failures++;
        else last = j.name;
      } catch {
        failures++;
        total++;
      }
    }
  };
  const workers = Array.from({ length: 4 }, worker);
  const applyTimes: number[] = [];
  try {
    let current = "a";
    for (let i = 0; i < 20; i++) {
      if (i % 3 === 1) {
        const bad = INVALID[i % INVALID.length]!;
        if (i % 2 === 0) await writeAtomic(path, bad);
        else await Deno.writeTextFile(path, bad);
        // The rejection is reported with file:line:column; the old version keeps serving.
        const rejected = await eventually(async () => {
          const s = JSON.parse((await curl([`${sy.admin}/admin/reload`])).body);
          return s.lastAttempt && s.lastAttempt.ok === false;
        }, 5000); // validated in a `config-json` child: see below
        assert(rejected, `invalid version ${i} was reported`);
        const s = JSON.parse((await curl([`${sy.admin}/admin/reload`])).body);
        if (s.lastAttempt.errors.length > 0) {
          const e = s.lastAttempt.errors[0];
          assert(e.line >= 1 && e.column >= 1 && e.file === path, JSON.stringify(e));
        }
        await new Promise((r) => setTimeout(r, 200));
        assertEquals(last, current, "an invalid version changes nothing");
        continue;
      }
      current = current === "a" ? "b" : "a";
      const t0 = performance.now();
      if (i % 2 === 0) await writeAtomic(path, cfg(dir, current));
      else await Deno.writeTextFile(path, cfg(dir, current));
      // 5 s: a reload is validated in a `config-json` child process (issue 6: the serving
      // process never loads the parser): ~0.3 s on an idle box, ~1 s with this test's load on 2
      // cores, over 2 s when the whole suite runs in parallel on them. The median and max are
      // printed below.
      const ok = await eventually(() => last === current, 5000);
      const ms = performance.now() - t0;
      assert(ok, `version ${i} (→ ${current}) applied within 5 s`);
      applyTimes.push(ms);
    }
  } finally {
    stop = true;
    await Promise.all(workers);
  }
  try {
    const status = JSON.parse((await curl([`${sy.admin}/admin/reload`])).body);
    console.log(
      `reload under load: ${total} requests, ${failures} failed; ${status.reloads} reloads, ` +
        `${status.failures} rejected; apply ms max ${Math.max(...applyTimes).toFixed(0)}, ` +
        `median ${applyTimes.sort((x, y) => x - y)[applyTimes.length >> 1]!.toFixed(0)}`,
    );
    assertEquals(failures, 0, "no request failed");
    assert(total > 100, "load ran");
    assert(status.failures >= 6, "invalid versions counted");
    const m = JSON.parse((await curl([`${sy.admin}/admin/metrics.json`])).body);
    assert(m["switchyard/config_reload_failures"] >= 6, "config_reload_failures metric");
    assert(m["switchyard/config_reloads"] >= 13, "config_reloads metric");
  } finally {
    await sy.stop();
    await a.close();
    await b.close();
  }
});

Deno.test("reload: SIGHUP and POST /admin/reload; a new router port starts, a removed one drains", async () => {
  const a = startUpstream("a");
  const b = startUpstream("b");
  const dir = await fsNamerDir({ a: a.fsLine, b: b.fsLine });
  const cfgDir = await Deno.makeTempDir();
  const path = `${cfgDir}/cfg.yaml`;
  const sy = await startSwitchyard(cfg(dir, "a"), { configPath: path });
  try {
    const newPort = freePort();
    const extra = `- protocol: http
  label: extra
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: ${newPort}}]`;
    // Write without waking the watcher too early: the poll or SIGHUP picks it up.
    await Deno.writeTextFile(path, cfg(dir, "a", extra));
    Deno.kill(sy.pid, "SIGHUP");
    assert(
      await eventually(
        async () => (await curl(["-H", "Host: a", `http://127.0.0.1:${newPort}/`])).status === 200,
        3000,
      ),
      "the new router's port serves:\n" + sy.logs.slice(-8).join("\n"),
    );
    // A later reload reaches the listener a reload started (it was pinned to its first snapshot).
    await Deno.writeTextFile(
      path,
      cfg(
        dir,
        "a",
        extra.replace("/svc => /#/io.l5d.fs;", "/svc => /#/io.l5d.fs; /svc/a => /svc/b;"),
      ),
    );
    Deno.kill(sy.pid, "SIGHUP");
    assert(
      await eventually(async () => {
        const r = await curl(["-H", "Host: a", `http://127.0.0.1:${newPort}/`]);
        return r.status === 200 && JSON.parse(r.body).name === "b";
      }, 3000),
      "the new router follows the next reload:\n" + sy.logs.slice(-8).join("\n"),
    );
    // POST /admin/reload with an invalid file: 400 + errors; nothing changes.
    await Deno.writeTextFile(path, "routers: [oops\n");
    const bad = await curl(["-X", "POST", `${sy.admin}/admin/reload`]);
    // (the watcher may have rejected it first, which makes this one "unchanged")
    assert(bad.status === 400 || JSON.parse(bad.body).result.outcome === "unchanged", bad.body);
    assertEquals((await curl(["-H", "Host: a", `http://127.0.0.1:${newPort}/`])).status, 200);
    // Remove the extra router: its port drains and closes.
    await Deno.writeTextFile(path, cfg(dir, "a"));
    const good = await curl(["-X", "POST", `${sy.admin}/admin/reload`]);
    assertStringIncludes(good.body, `"reloads"`);
    assert(
      await eventually(
        async () => (await curl(["-H", "Host: a", `http://127.0.0.1:${newPort}/`])).code !== 0,
        3000,
      ),
      "the removed router's port is closed",
    );
    assertEquals((await curl(["-H", "Host: web", `http://${sy.proxy()}/`])).status, 200);
  } finally {
    await sy.stop();
    await a.close();
    await b.close();
  }
});

Deno.test("reload: a client's load balancer and endpoint state read alive after a reload, not dead", async () => {
  const a = startUpstream("a");
  const b = startUpstream("b");
  const dir = await fsNamerDir({ a: a.fsLine, b: b.fsLine });
  const cfgDir = await Deno.makeTempDir();
  const path = `${cfgDir}/cfg.yaml`;
  const sy = await startSwitchyard(cfg(dir, "a"), { configPath: path });
  const metrics = async () =>
    JSON.parse((await curl([`${sy.admin}/admin/metrics.json`])).body) as Record<string, number>;
  const client = "rt/outgoing/client/#/io.l5d.fs/a";
  const endpoint = `${client}/endpoint/127.0.0.1:${a.port}`;
  try {
    for (let i = 0; i < 3; i++) {
      assertEquals((await curl(["-H", "Host: web", `http://${sy.proxy()}/`])).status, 200);
    }
    const before = await metrics();
    assertEquals(before[`${endpoint}/failure_accrual/dead`], 0);
    assertEquals(before[`${client}/loadbalancer/available`], 1);
    // A reload that changes nothing about this client, and no request since: the old snapshot's
    // client is closed, the new one not yet built. Nothing failed, so nothing reads dead.
    await Deno.writeTextFile(path, cfg(dir, "a", "# a comment changes the version\n"));
    const reloaded = await curl(["-X", "POST", `${sy.admin}/admin/reload`]);
    assertEquals(reloaded.status, 200, reloaded.body);
    await new Promise((r) => setTimeout(r, 300)); // the old snapshot retires
    const after = await metrics();
    assertEquals(after[`${endpoint}/failure_accrual/dead`], 0, "endpoint dead after a reload");
    assertEquals(after[`${client}/loadbalancer/available`], 1, "available after a reload");
    assertEquals(after[`${client}/loadbalancer/panic_mode`], 0, "panic_mode after a reload");
    assertEquals(after[`${client}/requests`], 3, "the counters carry on");
    const prom = (await curl([`${sy.admin}/metrics`])).body;
    assertStringIncludes(
      prom,
      `switchyard_endpoint_failure_accrual_dead{router="outgoing",client="/#/io.l5d.fs/a",` +
        `endpoint="127.0.0.1:${a.port}"} 0\n`,
    );
    // The next request builds the new client on the same handles.
    assertEquals((await curl(["-H", "Host: web", `http://${sy.proxy()}/`])).status, 200);
    const next = await metrics();
    assertEquals(next[`${client}/requests`], 4);
    assertEquals(next[`${endpoint}/failure_accrual/dead`], 0);
  } finally {
    await sy.stop();
    await a.close();
    await b.close();
  }
});

Deno.test("reload: a Kubernetes ConfigMap-style ..data symlink swap is picked up", async () => {
  const a = startUpstream("a");
  const b = startUpstream("b");
  const dir = await fsNamerDir({ a: a.fsLine, b: b.fsLine });
  const cm = await Deno.makeTempDir();
  await Deno.mkdir(`${cm}/..v1`);
  await Deno.writeTextFile(`${cm}/..v1/config.yaml`, cfg(dir, "a"));
  await Deno.symlink("..v1", `${cm}/..data`);
  await Deno.symlink("..data/config.yaml", `${cm}/config.yaml`);
  const sy = await startSwitchyard(cfg(dir, "a"), { configPath: `${cm}/config.yaml` });
  const name = async () => {
    const r = await curl(["-H", "Host: web", `http://${sy.proxy()}/`]);
    return r.status === 200 ? JSON.parse(r.body).name : String(r.status);
  };
  try {
    assertEquals(await name(), "a");
    // What the kubelet does: a new timestamped dir, a temp symlink, an atomic rename over ..data.
    await Deno.mkdir(`${cm}/..v2`);
    await Deno.writeTextFile(`${cm}/..v2/config.yaml`, cfg(dir, "b"));
    await Deno.symlink("..v2", `${cm}/..data_tmp`);
    await Deno.rename(`${cm}/..data_tmp`, `${cm}/..data`);
    await Deno.remove(`${cm}/..v1`, { recursive: true });
    assert(await eventually(async () => (await name()) === "b", 3000), "the swap applied");
  } finally {
    await sy.stop();
    await a.close();
    await b.close();
  }
});

Deno.test("reload: a long download in flight finishes on the config it started with", async () => {
  const slow = startUpstream("slow", () => {
    let n = 0;
    const chunk = new Uint8Array(1024).fill(120);
    return new Response(
      new ReadableStream({
        async pull(c) {
          if (n++ >= 30) return c.close();
          await new Promise((r) => setTimeout(r, 50));
          c.enqueue(chunk);
        },
      }),
      { headers: { "content-length": String(30 * 1024) } },
    );
  });
  const b = startUpstream("b");
  const dir = await fsNamerDir({ a: slow.fsLine, b: b.fsLine });
  const cfgDir = await Deno.makeTempDir();
  const path = `${cfgDir}/cfg.yaml`;
  const sy = await startSwitchyard(cfg(dir, "a"), { configPath: path });
  try {
    using client = Deno.createHttpClient({ allowHost: true });
    const download = fetch(`http://${sy.proxy()}/`, { headers: { host: "web" }, client })
      .then(async (r) => (await r.arrayBuffer()).byteLength);
    await new Promise((r) => setTimeout(r, 300));
    await Deno.writeTextFile(path, cfg(dir, "b"));
    assert(
      await eventually(async () => {
        const r = await curl(["-H", "Host: web", `http://${sy.proxy()}/`]);
        return r.status === 200 && r.body.includes('"name":"b"');
      }, 3000),
      "new requests follow the new config",
    );
    assertEquals(await download, 30 * 1024, "the download that started before finished whole");
  } finally {
    await sy.stop();
    await slow.close();
    await b.close();
  }
});

Deno.test("reload: a routesFile is watched; a good edit applies, a bad one keeps serving with its line:column", async () => {
  const a = startUpstream("a");
  const dir = await fsNamerDir({ a: a.fsLine });
  const cfgDir = await Deno.makeTempDir();
  const routes = `${cfgDir}/routes.yaml`;
  await Deno.writeTextFile(routes, "- match: {path: /one/*}\n  dst: /svc/a\n");
  const sy = await startSwitchyard(
    `
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  label: edge
  dtab: /svc => /#/io.l5d.fs;
  identifier: {kind: switchyard.routes, routesFile: routes.yaml}
  servers: [{port: 0}]
`,
    { configPath: `${cfgDir}/cfg.yaml` },
  );
  const status = async (p: string) => (await curl([`http://${sy.proxy()}${p}`])).status;
  const version = async () =>
    (await (await fetch(`${sy.admin}/admin/reload`)).json()).version as string;
  try {
    assertEquals([await status("/one/x"), await status("/two/x")], [200, 400]);
    const v1 = await version();
    await writeAtomic(routes, "- match: {path: /two/*}\n  dst: /svc/a\n");
    assert(
      await eventually(async () => await status("/two/x") === 200, 5000),
      "the edited route file applies:\n" + sy.logs.slice(-6).join("\n"),
    );
    assertEquals(await status("/one/x"), 400);
    // The config's version covers the route files it includes (issue 5: version and reload time).
    assert(await version() !== v1, "a route-file edit gives a new config version");
    await writeAtomic(routes, "- match: {path: /three/*}\n  dts: /svc/a\n");
    assert(
      await eventually(() => sy.logs.some((l) => l.includes(`${routes}:2:3`)), 5000),
      "the bad route file is reported at its own line:column:\n" + sy.logs.slice(-6).join("\n"),
    );
    assertEquals(await status("/two/x"), 200, "the old routes keep serving");
    // The rejection is a metric in both expositions (issue 5's config_reload_failures; issue 4's
    // switchyard_-prefixed /metrics names, once prefixed).
    const m = JSON.parse((await curl([`${sy.admin}/admin/metrics.json`])).body);
    assertEquals(m["switchyard/config_reload_failures"], 1);
    const native = (await curl([`${sy.admin}/metrics`])).body;
    assert(/^switchyard_config_reload_failures_total 1$/m.test(native), native);
    assert(/^switchyard_config_reloads_total 1$/m.test(native), "one applied reload");
  } finally {
    await sy.stop();
    await a.close();
  }
});
