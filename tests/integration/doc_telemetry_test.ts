/**
 * Black-box checks of Linkerd 1.x's `linkerd/docs/telemetry.md` on the real process: the
 * `experimental` key every telemeter takes, the page's six example configs run together, and the
 * statements each kind's section makes that other tests leave out (InfluxDB's `host` tag from the
 * collector's `Host` header, StatsD's `sampleRate`, the TraceLog `level` against the process's log
 * level, Recent Requests' default `capacity` of 10). Kind-by-kind behaviour is tested further in
 * influx_statsd_test.ts, recent_requests_test.ts, tracing_test.ts and viz_prometheus_test.ts.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { runCli, startSwitchyard } from "../support/switchyard.ts";
import { udpCollector } from "../support/udp_collector.ts";
import { curl, eventually, startUpstream } from "../support/upstream.ts";

/** A Zipkin v2 JSON collector on loopback: the spans it was sent. */
function zipkinCollector() {
  const spans: { traceId: string; kind?: string }[] = [];
  const server = startUpstream("zipkin", async (req) => {
    if (req.method === "POST" && new URL(req.url).pathname === "/api/v2/spans") {
      spans.push(...await req.json());
    }
    return new Response(null, { status: 202 });
  });
  return { port: server.port, spans, close: () => server.close() };
}

// The page's examples, each with `experimental: true` ("These parameters are available to the
// telemeter regardless of kind"; Linkerd's TelemeterConfig reads `experimental` on every kind and
// only refuses an experimental one without it), StatsD's and Zipkin's pointed at local sockets.
Deno.test("docs telemetry: the page's six examples run together, each with experimental: true", async () => {
  const statsd = await udpCollector();
  const zipkin = zipkinCollector();
  const app = startUpstream("app");
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: http
  label: web
  dtab: /svc => /$/inet/127.0.0.1/${app.port};
  servers: [{port: 0}]
telemetry:
- kind: io.l5d.prometheus
  experimental: true
- kind: io.l5d.influxdb
  experimental: true
- kind: io.l5d.statsd
  experimental: true
  prefix: linkerd
  hostname: 127.0.0.1
  port: ${statsd.port}
  gaugeIntervalMs: 10000
  sampleRate: 1.0
- kind: io.l5d.tracelog
  experimental: true
  sampleRate: 0.2
  level: TRACE
- kind: io.l5d.recentRequests
  experimental: true
  sampleRate: 1.0
  capacity: 10
- kind: io.l5d.zipkin
  experimental: true
  host: 127.0.0.1
  port: ${zipkin.port}
  sampleRate: 0.02
`);
  try {
    // l5d-sample: 1 puts the request in the tracelog's 20% and Zipkin's 2%.
    const r = await curl(["-H", "Host: hello", "-H", "l5d-sample: 1", `http://${sy.proxy()}/x`]);
    assertEquals(r.status, 200, r.body);
    const trace = app.seen[0]!.headers["x-b3-traceid"]!;

    const prom = await curl([`${sy.admin}/admin/metrics/prometheus`]);
    assertStringIncludes(prom.body, 'rt:service:requests{rt="web", service="svc/hello"} 1');

    // InfluxDB: "Each measurement will have a `host` tag, set from the `Host` header on the
    // collector's incoming request."
    const influx = await curl([
      "-H",
      "Host: telegraf.example:8086",
      `${sy.admin}/admin/metrics/influxdb`,
    ]);
    const line = influx.body.split("\n").find((l) => l.startsWith("rt:service,"));
    assert(line, influx.body);
    assertStringIncludes(line, ",host=telegraf.example:8086,");
    assert(/[ ,]requests=1(,|$)/.test(line), line);

    assert(
      await eventually(() =>
        statsd.lines().includes("linkerd.rt.web.service.svc.hello.requests:1|c")
      ),
      statsd.lines().join("\n"),
    );
    assert(
      await eventually(() => sy.logs.some((l) => l.includes('"msg":"span"') && l.includes(trace))),
      "tracelog span",
    );
    const page = (await curl([`${sy.admin}/requests`])).body;
    assertEquals(page.match(/<tr><td>/g)?.length, 1, page);
    assert(
      await eventually(() => zipkin.spans.filter((s) => s.traceId === trace).length === 2, 10_000),
      JSON.stringify(zipkin.spans),
    );
  } finally {
    await sy.stop();
    await app.close();
    await statsd.close();
    await zipkin.close();
  }
});

// StatsD: "experimental | _required_ | ... you must set this to `true` to use it" (Linkerd:
// "The ... telemeter is experimental and must be explicitly enabled by setting the
// `experimental' parameter to `true'"); `kind` is required of every telemeter.
Deno.test("docs telemetry: statsd without experimental: true, or a telemeter without kind, is refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-doc-telemetry-" });
  try {
    const file = `${dir}/l5d.yaml`;
    await Deno.writeTextFile(
      file,
      `routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/1;
  servers: [{port: 0}]
telemetry:
- kind: io.l5d.statsd
  experimental: false
- sampleRate: 1.0
`,
    );
    const r = await runCli("check", file);
    const out = r.stdout + r.stderr;
    assertEquals(r.code, 1, out);
    assertStringIncludes(
      out,
      `${file}:7:17: telemetry[0].experimental: io.l5d.statsd is experimental; set experimental: true`,
    );
    assertStringIncludes(out, `${file}:8:3: telemetry[1].kind: kind is required`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// StatsD: "Counters and timers/histograms are exported immediately, based on sample rate": at
// 0.5 about half the counter events are sent, each tagged with its rate (Linkerd's Metric.Counter
// calls the timgroup client's count(name, delta, sampleRate), which writes `|@0.5`).
Deno.test("docs telemetry: statsd sampleRate sends that share of counter events, tagged |@rate", async () => {
  const statsd = await udpCollector();
  const app = startUpstream("app");
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: http
  label: web
  dtab: /svc => /$/inet/127.0.0.1/${app.port};
  servers: [{port: 0}]
telemetry:
- kind: io.l5d.statsd
  experimental: true
  hostname: 127.0.0.1
  port: ${statsd.port}
  sampleRate: 0.5
`);
  const N = 40;
  try {
    for (let i = 0; i < N; i++) {
      assertEquals((await curl(["-H", "Host: hello", `http://${sy.proxy()}/`])).status, 200);
    }
    const name = "linkerd.rt.web.service.svc.hello.requests";
    // Wait for the batcher's flush, then count.
    await eventually(() => statsd.lines().some((l) => l.startsWith(name)), 3000);
    await new Promise((r) => setTimeout(r, 500));
    const sent = statsd.lines().filter((l) => l.startsWith(`${name}:`));
    assert(sent.every((l) => l === `${name}:1|c|@0.5`), sent.join("\n"));
    // P(all or none of 40 at 0.5) is 2^-39.
    assert(sent.length > 0 && sent.length < N, `${sent.length} of ${N} sent`);
  } finally {
    await sy.stop();
    await app.close();
    await statsd.close();
  }
});

// TraceLog: `level` "should be equal (or greater) to the linkerd log level": at the process's
// default INFO level, the default `level: INFO` logs each span and `level: TRACE` logs none.
Deno.test("docs telemetry: tracelog's level is filtered by the process's log level", async () => {
  const app = startUpstream("app");
  const run = async (level: string) => {
    const sy = await startSwitchyard(
      `
admin: {port: 0}
routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/${app.port};
  servers: [{port: 0}]
telemetry:
- kind: io.l5d.tracelog
${level}`,
      { args: ["--log-level", "info"] },
    );
    try {
      assertEquals((await curl(["-H", "Host: a", `http://${sy.proxy()}/`])).status, 200);
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await sy.stop();
    }
    return sy.logs.filter((l) => l.includes('"msg":"span"')).map((l) => JSON.parse(l).level);
  };
  try {
    const info = await run(""); // sampleRate 1.0, level INFO
    assertEquals(info.length, 2, "a server and a client span");
    assert(info.every((l) => l === "info"), JSON.stringify(info));
    assertEquals(await run("  level: TRACE\n"), []);
  } finally {
    await app.close();
  }
});

// Recent Requests: `capacity` "The maximum number of recent traces to store", default 10.
Deno.test("docs telemetry: recentRequests keeps the last 10 traces by default", async () => {
  const app = startUpstream("app");
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/${app.port};
  servers: [{port: 0}]
telemetry:
- kind: io.l5d.recentRequests
  sampleRate: 1.0
`);
  try {
    for (let i = 1; i <= 12; i++) {
      const r = await curl(["-H", "Host: hello", `http://${sy.proxy()}/r${i}`]);
      assertEquals(r.status, 200);
    }
    const page = (await curl([`${sy.admin}/requests`])).body;
    const rows = page.match(/<tr><td>.*?<\/tr>/gs) ?? [];
    assertEquals(rows.length, 10, page);
    assertStringIncludes(rows[0]!, "/r12");
    assert(!page.includes("/r2<"), "the two oldest traces are gone");
  } finally {
    await sy.stop();
    await app.close();
  }
});
