/**
 * `--workers 2` on the real process: both workers serve one port (SO_REUSEPORT), the admin
 * server's metrics add up exactly across them, a reload reaches both, SIGTERM drains and exits 0.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { MAIN, ROOT, runCli, startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, freePort, fsNamerDir, startUpstream } from "../support/upstream.ts";

function cfg(dir: string, target: string): string {
  return `
admin: {port: 0}
telemetry: [{kind: io.l5d.prometheus}]
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  label: outgoing
  dtab: |
    /svc => /#/io.l5d.fs;
    /svc/x => /svc/${target};
  servers: [{port: 0}]
`;
}

/** One request on a new connection (a new curl process): the kernel picks the worker. */
async function get(proxy: string): Promise<{ status: number; name: string }> {
  const r = await curl(["-x", `http://${proxy}`, "http://x/"]);
  return { status: r.status, name: r.status === 200 ? JSON.parse(r.body).name : "" };
}

async function json(url: string): Promise<Record<string, unknown>> {
  const r = await curl([url]);
  assertEquals(r.status, 200, `${url}: ${r.body}`);
  return JSON.parse(r.body);
}

Deno.test("serve --workers 2: both serve, metrics add up exactly, reload reaches both, SIGTERM exits 0", async () => {
  const a = startUpstream("a");
  const b = startUpstream("b");
  const dir = await fsNamerDir({ a: a.fsLine, b: b.fsLine });
  const cfgDir = await Deno.makeTempDir();
  const path = `${cfgDir}/switchyard.yaml`;
  const sy = await startSwitchyard(cfg(dir, "a"), { configPath: path, args: ["--workers", "2"] });
  let stopped = false;
  try {
    // Two workers listen on the same port.
    const listening = sy.logs.map((l) => JSON.parse(l)).filter((r) => r.msg === "router listening");
    assertEquals(listening.map((r) => r.worker).sort(), [1, 2]);
    assertEquals(new Set(listening.map((r) => r.port)).size, 1);

    const K = 40;
    for (let i = 0; i < K; i++) {
      const r = await get(sy.proxy());
      assertEquals(r.status, 200);
      assertEquals(r.name, "a");
    }
    // Each worker served some (40 new connections spread by the kernel's 4-tuple hash).
    const per = await json(`${sy.admin}/admin/workers.json`) as unknown as {
      worker: number;
      serverRequests: number;
    }[];
    assertEquals(per.length, 2);
    assert(per.every((w) => w.serverRequests > 0), JSON.stringify(per));
    assertEquals(per[0]!.serverRequests + per[1]!.serverRequests, K);

    // The admin server's metrics are the workers' metrics, summed exactly.
    const m = await json(`${sy.admin}/admin/metrics.json`);
    assertEquals(m["rt/outgoing/service/svc/x/requests"], K);
    assertEquals(m["rt/outgoing/service/svc/x/success"], K);
    assertEquals(m["rt/outgoing/service/svc/x/request_latency_ms.count"], K);
    assertEquals(m["rt/outgoing/client/#/io.l5d.fs/a/requests"], K);
    assertEquals(m["rt/outgoing/service/svc/x/pending"], 0);
    const prom = (await curl([`${sy.admin}/admin/metrics/prometheus`])).body;
    assertStringIncludes(prom, `rt:service:requests{rt="outgoing", service="svc/x"} ${K}\n`);
    const native = (await curl([`${sy.admin}/metrics`])).body;
    assert(
      native.split("\n").some((l) =>
        l.includes("svc/x") && l.includes("request") && l.endsWith(` ${K}`)
      ),
      native.slice(0, 2000),
    );
    const summary = await curl([`${sy.admin}/admin/api/summary.json`]);
    assertEquals(summary.status, 200);
    assertStringIncludes(summary.body, "outgoing");
    const config = await json(`${sy.admin}/config.json`);
    assertEquals((config.routers as { label: string }[])[0]!.label, "outgoing");
    const d = await curl([`${sy.admin}/delegator.json?namespace=outgoing&path=/svc/x`]);
    assertEquals(d.status, 200);
    assertStringIncludes(d.body, `"port":${a.port}`);

    // Reload: the main validates once and tells both workers.
    await Deno.writeTextFile(path, cfg(dir, "b"));
    assert(await eventually(async () => (await get(sy.proxy())).name === "b", 5000), "reloaded");
    for (let i = 0; i < 20; i++) assertEquals((await get(sy.proxy())).name, "b");
    const after = await json(`${sy.admin}/admin/metrics.json`);
    assertEquals(after["switchyard/config_reloads"], 1);
    // The main trims glibc's free memory (every worker thread's arena), from its first second on.
    assert(
      await eventually(async () => {
        const t = (await json(`${sy.admin}/admin/metrics.json`))["process/malloc_trims"];
        return typeof t === "number" && t >= 1;
      }, 5000),
      "process/malloc_trims",
    );
    const d2 = await curl([`${sy.admin}/delegator.json?namespace=outgoing&path=/svc/x`]);
    assertStringIncludes(d2.body, `"port":${b.port}`);

    // A rejected config is rejected once, by the main; every worker keeps serving b.
    const failuresBefore = after["switchyard/config_reload_failures"] as number;
    await Deno.writeTextFile(`${cfgDir}/bad.yaml`, "routers: [\n  - protocol: http\n");
    await Deno.rename(`${cfgDir}/bad.yaml`, path);
    assert(
      await eventually(async () => {
        const s = await json(`${sy.admin}/admin/reload`);
        return (s.lastAttempt as { ok: boolean } | undefined)?.ok === false;
      }, 5000),
      "rejected",
    );
    const rejected = await json(`${sy.admin}/admin/metrics.json`);
    const failures = (rejected["switchyard/config_reload_failures"] as number) - failuresBefore;
    assertEquals(failures, 1, "one failure, not one per worker");
    assertEquals(rejected["switchyard/config_reloads"], 1);
    for (let i = 0; i < 10; i++) assertEquals((await get(sy.proxy())).name, "b");

    // SIGTERM: both workers drain, the process exits 0.
    stopped = true;
    assertEquals(await sy.stop(), 0);
    const logs = sy.logs.map((l) => JSON.parse(l));
    assertEquals(
      logs.filter((r) => r.msg === "shutting down" && r.worker !== undefined).length,
      2,
    );
  } finally {
    if (!stopped) await sy.stop();
    await a.close();
    await b.close();
  }
});

Deno.test("serve --workers 2: client_state, requests, registry read the workers", async () => {
  const a = startUpstream("a");
  const dir = await fsNamerDir({ a: a.fsLine });
  const config = cfg(dir, "a").replace(
    "telemetry: [{kind: io.l5d.prometheus}]",
    "telemetry: [{kind: io.l5d.recentRequests, sampleRate: 1.0, capacity: 5}]",
  );
  const sy = await startSwitchyard(config, { args: ["--workers", "2"] });
  try {
    const K = 20;
    for (let i = 0; i < K; i++) assertEquals((await get(sy.proxy())).name, "a");
    const per = await json(`${sy.admin}/admin/workers.json`) as unknown as {
      serverRequests: number;
    }[];
    assert(per.every((w) => w.serverRequests > 0), JSON.stringify(per));
    // The main routes nothing: these come from the workers (they were `{}` and `[]`).
    assertEquals(await json(`${sy.admin}/client_state.json`), {
      "/#/io.l5d.fs/a": { state: "bound", addresses: [`127.0.0.1:${a.port}`] },
    });
    const recent = (await curl([`${sy.admin}/requests.json`])).body;
    const list = JSON.parse(recent) as { timestamp: string; endpoint: string }[];
    assertEquals(list.length, 5, "the telemeter's capacity, across the workers");
    assert(list.every((r) => r.endpoint === `127.0.0.1:${a.port}`), recent);
    const times = list.map((r) => r.timestamp);
    assertEquals(times, [...times].sort().reverse(), "newest first");
    const page = (await curl([`${sy.admin}/requests`])).body;
    assertEquals(page.split("<tr><td>").length - 1, 5);
    // The registry says where the router listens, as in one process.
    const reg = await json(`${sy.admin}/admin/registry.json`) as {
      registry: { routers: Record<string, { servers: { bound?: number }[] }> };
    };
    assertEquals(reg.registry.routers.outgoing!.servers[0]!.bound, sy.ports.outgoing![0]);
    // The merged endpoint-set gauges add up as one worker's do.
    const m = await json(`${sy.admin}/admin/metrics.json`);
    const lb = (k: string) => m[`rt/outgoing/client/#/io.l5d.fs/a/loadbalancer/${k}`];
    assertEquals(lb("size"), 1);
    assertEquals(
      (lb("available") as number) + (lb("busy") as number) + (lb("closed") as number),
      1,
    );
  } finally {
    await sy.stop();
    await a.close();
  }
});

Deno.test("serve --workers auto: one worker per CPU, statuses add up exactly", async () => {
  const statuses = [200, 404, 500];
  const up = startUpstream("s", (req) => {
    const s = Number(new URL(req.url).searchParams.get("s") ?? "200");
    return new Response("body", { status: s });
  });
  const dir = await fsNamerDir({ s: up.fsLine });
  const sy = await startSwitchyard(cfg(dir, "s"), { args: ["--workers", "auto"] });
  try {
    const cpus = Math.max(1, navigator.hardwareConcurrency || 1);
    const listening = sy.logs.map((l) => JSON.parse(l)).filter((r) => r.msg === "router listening");
    assertEquals(listening.length, cpus, "one listener per CPU");
    // Interleaved, so that no worker sees 5 failures in a row (failure accrual stays out of it).
    const K = 30;
    for (let i = 0; i < K; i++) {
      const r = await curl(["-x", `http://${sy.proxy()}`, `http://x/?s=${statuses[i % 3]}`]);
      assertEquals(r.status, statuses[i % 3]);
    }
    const per = await json(`${sy.admin}/admin/workers.json`).catch(() => undefined);
    if (cpus > 1) {
      const list = per as unknown as { serverRequests: number }[];
      assertEquals(list.reduce((n, w) => n + w.serverRequests, 0), K);
    }
    const m = await json(`${sy.admin}/admin/metrics.json`);
    for (const scope of ["rt/outgoing/service/svc/x", "rt/outgoing/client/#/io.l5d.fs/s"]) {
      assertEquals(m[`${scope}/requests`], K, scope);
      assertEquals(m[`${scope}/success`], 20, scope);
      assertEquals(m[`${scope}/failures`], 10, scope);
      assertEquals(m[`${scope}/request_latency_ms.count`], K, scope);
      for (const s of statuses) assertEquals(m[`${scope}/status/${s}`], 10, `${scope} ${s}`);
      assertEquals(m[`${scope}/status/2XX`], 10, scope);
      assertEquals(m[`${scope}/status/5XX`], 10, scope);
    }
    const server = `rt/outgoing/server/127.0.0.1/${sy.ports.outgoing![0]}`;
    assertEquals(m[`${server}/requests`], K);
    assertEquals(m[`${server}/status/500`], 10);
    assertEquals(m[`${server}/handletime_us.count`], K);
    const prom = (await curl([`${sy.admin}/admin/metrics/prometheus`])).body;
    const svc = `{rt="outgoing", service="svc/x"}`;
    assertStringIncludes(prom, `rt:service:requests${svc} ${K}\n`);
    assertStringIncludes(prom, `rt:service:status:404${svc} 10\n`);
    assertStringIncludes(prom, `rt:service:status:500${svc} 10\n`);
    assertStringIncludes(prom, `rt:service:request_latency_ms_count${svc} ${K}\n`);
  } finally {
    await sy.stop();
    await up.close();
  }
});

Deno.test("serve --workers: 0, -1, abc, 1.5 and 2000 are usage errors", async () => {
  const dir = await fsNamerDir({ s: "127.0.0.1 1" });
  const path = await Deno.makeTempFile({ suffix: ".yaml" });
  await Deno.writeTextFile(path, cfg(dir, "s"));
  for (const bad of ["0", "-1", "abc", "1.5"]) {
    const r = await runCli("serve", "--workers", bad, path);
    assertEquals(r.code, 1, `${bad}: ${r.stderr}`);
    assertStringIncludes(r.stderr, `--workers must be a positive integer or auto, not ${bad}`);
  }
  const r = await runCli("serve", "--workers", "2000", path);
  assertEquals(r.code, 1, r.stderr);
  assertStringIncludes(r.stderr, "--workers must be at most 1024, not 2000");
});

Deno.test("demo --workers 2: says it runs one worker, and serves", async () => {
  const [r, a, h, w] = [freePort(), freePort(), freePort(), freePort()];
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "--log-format", "json", "demo", "--workers", "2"].concat(
      ["--router-port", `${r}`, "--admin-port", `${a}`, "--hello-port", `${h}`],
      ["--world-port", `${w}`],
    ),
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const stdout = new Response(child.stdout).text();
  const stderr = new Response(child.stderr).text();
  try {
    const ok = await eventually(async () => {
      const c = await curl(["-x", `http://127.0.0.1:${r}`, "http://hello"]).catch(() => undefined);
      return c?.body === "Hello (127.0.0.1) world (127.0.0.1)!!";
    }, 20_000);
    assert(ok, "the demo serves");
  } finally {
    child.kill("SIGTERM");
    await child.status;
  }
  assertStringIncludes(await stdout + await stderr, "the demo runs one worker");
});
