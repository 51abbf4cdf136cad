/**
 * `--workers 2` on the real process: both workers serve one port (SO_REUSEPORT), the admin
 * server's metrics add up exactly across them, a reload reaches both, SIGTERM drains and exits 0.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, fsNamerDir, startUpstream } from "../support/upstream.ts";

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
