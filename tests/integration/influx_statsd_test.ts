/**
 * The `io.l5d.influxdb` and `io.l5d.statsd` telemeters on the real process: requests routed to a
 * real upstream show up in `/admin/metrics/influxdb` (InfluxDB line protocol), and as StatsD
 * counter, timer and gauge lines on a UDP socket this test binds.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { udpCollector } from "../support/udp_collector.ts";
import { curl, eventually, fsNamerDir, startUpstream } from "../support/upstream.ts";

const N = 5;

function routerConfig(dir: string, telemetry: string): string {
  return `
admin: {ip: 127.0.0.1, port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
telemetry:
${telemetry}
routers:
- protocol: http
  label: outgoing
  identifier: {kind: io.l5d.path, segments: 1}
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}]
`;
}

Deno.test("io.l5d.influxdb: /admin/metrics/influxdb counts the routed requests", async () => {
  const world = startUpstream("world");
  const dir = await fsNamerDir({ world: world.fsLine });
  const sy = await startSwitchyard(routerConfig(dir, "- kind: io.l5d.influxdb"));
  try {
    for (let i = 0; i < N; i++) {
      const r = await curl([`http://${sy.proxy()}/world/hi`]);
      assertEquals(r.status, 200, r.body);
    }
    const res = await curl([`${sy.admin}/admin/metrics/influxdb`]);
    assertEquals(res.status, 200);
    assertStringIncludes(res.headers.get("content-type") ?? "", "text/plain");
    const lines = res.body.split("\n");
    const host = sy.admin.replace("http://", "");
    const service = lines.find((l) =>
      l.startsWith(`rt:service,host=${host},rt=outgoing,service=svc/world `)
    );
    assert(service, `no rt:service line for svc/world in:\n${res.body}`);
    const fields = new Map(
      service.split(" ")[1]!.split(",").map((f) => f.split("=") as [string, string]),
    );
    assertEquals(fields.get("requests"), String(N));
    assertEquals(fields.get("success"), String(N));
    assertEquals(fields.get("request_latency_ms_count"), String(N));
    assert(fields.has("request_latency_ms_p99"));
    const port = sy.ports.outgoing![0];
    assert(
      lines.some((l) =>
        l.startsWith(`rt:server,host=${host},rt=outgoing,server=127.0.0.1/${port} `) &&
        l.includes(`requests=${N}`)
      ),
      res.body,
    );
    assert(lines.some((l) => /^rt:client,client=#\/io\.l5d\.fs\/world,host=/.test(l)), res.body);
    assert(lines.some((l) => l.startsWith(`rt:service:status,`) && l.includes(` 200=${N},`)));
  } finally {
    await sy.stop();
    await world.close();
  }
});

Deno.test("io.l5d.statsd: counters, timers and gauges of a router arrive over UDP", async () => {
  const collector = await udpCollector();
  const { datagrams, lines } = collector;
  const world = startUpstream("world");
  const dir = await fsNamerDir({ world: world.fsLine });
  const sy = await startSwitchyard(routerConfig(
    dir,
    `- kind: io.l5d.statsd
  experimental: true
  prefix: linkerd
  hostname: 127.0.0.1
  port: ${collector.port}
  gaugeIntervalMs: 200
  sampleRate: 1.0`,
  ));
  try {
    for (let i = 0; i < N; i++) {
      const r = await curl([`http://${sy.proxy()}/world/hi`]);
      assertEquals(r.status, 200, r.body);
    }
    const svc = "linkerd.rt.outgoing.service.svc.world";
    const server = `linkerd.rt.outgoing.server.127_0_0_1.${sy.ports.outgoing![0]}`;
    const count = (line: string) => lines().filter((l) => l === line).length;
    const timer = new RegExp(`^${svc.replaceAll(".", "\\.")}\\.request_latency_ms:[\\d.]+\\|ms$`);
    const ok = await eventually(
      () =>
        count(`${svc}.requests:1|c`) === N && count(`${server}.requests:1|c`) === N &&
        lines().filter((l) => timer.test(l)).length === N &&
        lines().includes(`${svc}.pending:0|g`) &&
        lines().includes(`linkerd.rt.outgoing.client._.io_l5d_fs.world.requests:1|c`),
      5000,
    );
    assert(ok, `statsd lines:\n${lines().join("\n")}`);
    assertEquals(count(`${svc}.success:1|c`), N);
    assertEquals(count(`${svc}.status.200:1|c`), N);
    for (const d of datagrams) assert(new TextEncoder().encode(d).length <= 1432);
    // Without io.l5d.influxdb configured, its admin path is not served.
    assertEquals((await curl([`${sy.admin}/admin/metrics/influxdb`])).status, 404);
  } finally {
    await sy.stop();
    await world.close();
    await collector.close();
  }
});
