/**
 * Black-box checks of Linkerd 1.x's `linkerd/docs/tracer.md`: the top-level `tracers` section
 * with its one kind, `io.l5d.zipkin` (`host` localhost, `port` 9410, `sampleRate` 0.001,
 * `debugTrace`). Linkerd 1.0 removed that section for the `io.l5d.zipkin` telemeter with the same
 * keys (linkerd/linkerd PR #1048; `telemetry/zipkin/.../ZipkinInitializer.scala` `ZipkinConfig`
 * takes `host`, `port`, `sampleRate` and nothing else), and its LinkerConfig has no `tracers`
 * field, so the page's example is refused; the check says where the keys live now.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { runCli, startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, startUpstream } from "../support/upstream.ts";

// The page's example, verbatim.
const EXAMPLE = `tracers:
- kind: io.l5d.zipkin
  host: localhost
  port: 9410
  sampleRate: 0.02
  debugTrace: true
`;

Deno.test("docs tracer: the page's tracers example is refused, naming its Linkerd 1.x telemeter", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-doc-tracer-" });
  try {
    const file = `${dir}/l5d.yaml`;
    await Deno.writeTextFile(
      file,
      `routers:
- protocol: http
  dtab: /svc => /$/inet/127.1/1;
  servers: [{port: 0}]
${EXAMPLE}`,
    );
    const r = await runCli("check", file);
    const out = r.stdout + r.stderr;
    assertEquals(r.code, 1, out);
    assertStringIncludes(
      out,
      `${file}:5:1: tracers: unknown key "tracers" here (Linkerd 1.x uses telemetry: ` +
        "[{kind: io.l5d.zipkin, host, port, sampleRate}]; tracers went in 1.0)",
    );

    // Moved under `telemetry`, `debugTrace` is the one key the telemeter does not take.
    await Deno.writeTextFile(
      file,
      `routers:
- protocol: http
  dtab: /svc => /$/inet/127.1/1;
  servers: [{port: 0}]
${EXAMPLE.replace("tracers:", "telemetry:")}`,
    );
    const moved = await runCli("check", file);
    assertEquals(moved.code, 1, moved.stdout + moved.stderr);
    assertStringIncludes(
      moved.stdout + moved.stderr,
      `${file}:10:3: telemetry[0].debugTrace: unknown key "debugTrace" here (Linkerd 1.x uses ` +
        "an io.l5d.tracelog telemeter, which logs the spans)",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// The example's host, port and sampleRate as the io.l5d.zipkin telemeter: requests are traced at
// the rate given (here forced by `l5d-sample: 1`, which Linkerd's sampler honours) and the spans
// go to host:port (as Zipkin v2 JSON to /api/v2/spans; see README "Known differences").
Deno.test("docs tracer: the example's zipkin host, port and sampleRate work as a telemeter", async () => {
  const spans: { traceId: string; kind?: string; name?: string }[] = [];
  const collector = startUpstream("zipkin", async (req) => {
    if (req.method === "POST" && new URL(req.url).pathname === "/api/v2/spans") {
      spans.push(...await req.json());
    }
    return new Response(null, { status: 202 });
  });
  const app = startUpstream("app");
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: http
  label: traced
  dtab: /svc => /$/inet/127.0.0.1/${app.port};
  servers: [{port: 0}]
telemetry:
- kind: io.l5d.zipkin
  host: 127.0.0.1
  port: ${collector.port}
  sampleRate: 0.02
`);
  try {
    const r = await curl(["-H", "Host: web", "-H", "l5d-sample: 1", `http://${sy.proxy()}/x`]);
    assertEquals(r.status, 200, r.body);
    const traceId = app.seen[0]!.headers["x-b3-traceid"];
    assert(traceId, "the upstream request carries the trace");
    const ok = await eventually(
      () => spans.filter((s) => s.traceId === traceId).length >= 2,
      10_000,
    );
    assert(ok, `spans at the collector: ${JSON.stringify(spans)}`);
    const kinds = spans.filter((s) => s.traceId === traceId).map((s) => s.kind).sort();
    assertEquals(kinds, ["CLIENT", "SERVER"]);
  } finally {
    await sy.stop();
    await app.close();
    await collector.close();
  }
});
