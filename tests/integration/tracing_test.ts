/**
 * Black-box tracing: two real Switchyard processes (outgoing → incoming → upstream app) export
 * to a local collector that decodes OTLP/HTTP JSON and Zipkin v2 JSON on its own, and the test
 * checks the trace tree, the retry spans and the headers the app receives.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { type Running, startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, freePort, startUpstream } from "../support/upstream.ts";

/** One span as the collector decoded it, from either wire format. */
interface Got {
  format: "otlp" | "zipkin";
  service: string;
  traceId: string;
  spanId: string;
  parentId: string;
  kind: "SERVER" | "CLIENT" | "OTHER";
  name: string;
  attrs: Record<string, string>;
  /** Zipkin v2 `debug`. */
  debug?: unknown;
}

/** An OTLP AnyValue (`{stringValue}`, `{intValue}`, ...) as a string. */
const otlpValue = (v: Record<string, unknown>) => String(Object.values(v)[0] ?? "");

/** A collector on loopback: `/v1/traces` (OTLP JSON) and `/api/v2/spans` (Zipkin v2). */
function startCollector() {
  const spans: Got[] = [];
  const bad: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (req.headers.get("content-type") !== "application/json") bad.push(`content-type on ${path}`);
    const body = await req.json();
    if (path === "/v1/traces") {
      for (const rs of body.resourceSpans) {
        const res: Record<string, string> = {};
        for (const kv of rs.resource.attributes) res[kv.key] = otlpValue(kv.value);
        for (const ss of rs.scopeSpans) {
          for (const s of ss.spans) {
            const attrs: Record<string, string> = {};
            for (const kv of s.attributes ?? []) attrs[kv.key] = otlpValue(kv.value);
            if (
              !/^\d+$/.test(s.startTimeUnixNano) ||
              BigInt(s.endTimeUnixNano) < BigInt(s.startTimeUnixNano)
            ) {
              bad.push(`otlp times ${s.startTimeUnixNano} ${s.endTimeUnixNano}`);
            }
            spans.push({
              format: "otlp",
              service: res["service.name"] ?? "",
              traceId: s.traceId,
              spanId: s.spanId,
              parentId: s.parentSpanId ?? "",
              kind: s.kind === 2 ? "SERVER" : s.kind === 3 ? "CLIENT" : "OTHER",
              name: s.name,
              attrs,
            });
          }
        }
      }
    } else if (path === "/api/v2/spans") {
      for (const s of body) {
        if (!(s.timestamp > 1.6e15) || !(s.duration >= 1)) bad.push(`zipkin times ${s.timestamp}`);
        spans.push({
          format: "zipkin",
          service: s.localEndpoint?.serviceName ?? "",
          traceId: s.traceId,
          spanId: s.id,
          parentId: s.parentId ?? "",
          kind: s.kind ?? "OTHER",
          name: s.name,
          attrs: s.tags ?? {},
          debug: s.debug,
        });
      }
    } else bad.push(`unexpected path ${path}`);
    return new Response(null, { status: 202 });
  });
  return { port: server.addr.port, spans, bad, close: () => server.shutdown() };
}

function config(label: string, dst: number, collector: number, extra = "", zipkin = collector) {
  return `
admin: {ip: 127.0.0.1, port: 0}
telemetry:
- kind: io.l5d.otlp
  endpoint: http://127.0.0.1:${collector}/v1/traces
  serviceName: ${label}-svc
  sampleRate: 1.0
- kind: io.l5d.zipkin
  host: 127.0.0.1
  port: ${zipkin}
  sampleRate: 1.0
routers:
- protocol: http
  label: ${label}
  dtab: /svc => /$/inet/127.0.0.1/${dst};
  servers: [{ip: 127.0.0.1, port: 0}]
${extra}
`;
}

/** l5d-ctx-trace decoded here, independently of the product code (Finagle's layout). */
function l5dTrace(b64: string) {
  const bin = atob(b64);
  const hex = (from: number) => {
    let s = "";
    for (let i = from; i < from + 8; i++) s += bin.charCodeAt(i).toString(16).padStart(2, "0");
    return s;
  };
  const [span, parent, trace] = [hex(0), hex(8), hex(16)];
  return { len: bin.length, span, parent, trace, flags: bin.charCodeAt(31) };
}

const pad = (t: string) => t.padStart(32, "0");

Deno.test("tracing: two hops share one trace, retries are extra client spans, the app sees the same ids", async (t) => {
  const collector = startCollector();
  const calls = new Map<string, number>();
  const app = startUpstream("app", (req) => {
    const path = new URL(req.url).pathname;
    const n = (calls.get(path) ?? 0) + 1;
    calls.set(path, n);
    // `/flaky` fails its first attempt so the incoming router retries it.
    if (path === "/flaky" && n === 1) return new Response("try again", { status: 503 });
    return new Response("ok " + path);
  });
  const retrying = "  service: {responseClassifier: {kind: io.l5d.http.retryableRead5XX}}";
  const hop2 = await startSwitchyard(config("incoming", app.port, collector.port, retrying));
  let started: Running | undefined;
  try {
    const hop1 = started = await startSwitchyard(
      config("outgoing", hop2.ports.incoming![0]!, collector.port),
    );
    await t.step("a sampled request through both hops, retried at the second", async () => {
      const r = await curl(["-H", "Host: hello", `http://${hop1.proxy()}/flaky`]);
      assertEquals([r.status, r.body], [200, "ok /flaky"]);
      const seen = app.seen.filter((s) => new URL(s.url).pathname === "/flaky");
      assertEquals(seen.length, 2, "the app got the first attempt and the retry");
      const h = seen[1]!.headers;
      const trace = h["l5d-reqid"]!;
      assert(/^[0-9a-f]{16}$/.test(trace), `l5d-reqid ${trace}`);
      const mine = (f: Got["format"]) =>
        collector.spans.filter((s) =>
          s.format === f && s.traceId === (f === "otlp" ? pad(trace) : trace)
        );
      assert(
        await eventually(() => mine("otlp").length >= 5 && mine("zipkin").length >= 5, 10_000),
        `spans: ${JSON.stringify(collector.spans)}`,
      );
      for (const format of ["otlp", "zipkin"] as const) {
        const spans = mine(format);
        assertEquals(spans.length, 5, `${format}: 2 server + 3 client spans`);
        const is = (svc: string, kind: string) =>
          spans.filter((s) => s.service === svc && s.kind === kind);
        // OTLP: the configured serviceName. Zipkin: what Linkerd 1.x's Finagle stacks label
        // them, the server `<ip>/<port>` and the client id without its leading `/`.
        const [port1, port2] = [hop1.ports.outgoing![0]!, hop2.ports.incoming![0]!];
        const names = format === "otlp"
          ? ["outgoing-svc", "outgoing-svc", "incoming-svc", "incoming-svc"]
          : [
            `127.0.0.1/${port1}`,
            `$/inet/127.0.0.1/${port2}`,
            `127.0.0.1/${port2}`,
            `$/inet/127.0.0.1/${app.port}`,
          ];
        const [s1] = is(names[0]!, "SERVER"), [c1] = is(names[1]!, "CLIENT");
        const [s2] = is(names[2]!, "SERVER"), c2 = is(names[3]!, "CLIENT");
        assert(s1 && c1 && s2 && c2.length === 2, `${format} shape: ${JSON.stringify(spans)}`);
        assertEquals(s1.parentId, "", `${format}: hop 1 starts the trace`);
        assertEquals(c1.parentId, s1.spanId, `${format}: hop 1 client ← hop 1 server`);
        assertEquals(s2.parentId, c1.spanId, `${format}: hop 2 server ← hop 1 client`);
        c2.sort((a, b) =>
          Number(a.attrs["switchyard.retry"]) - Number(b.attrs["switchyard.retry"])
        );
        for (const c of c2) {
          assertEquals(c.parentId, s2.spanId, `${format}: hop 2 client ← hop 2 server`);
        }
        assertEquals(c2.map((c) => c.attrs["switchyard.retry"]), ["0", "1"]);
        assertEquals(c2.map((c) => c.attrs["http.response.status_code"]), ["503", "200"]);
        assertEquals(c2.map((c) => c.attrs["switchyard.classification"]), [
          "retryable_failure",
          "success",
        ]);
        assertEquals(s2.attrs["switchyard.retries"], "1");
        // Zipkin names are Linkerd's last Rpc annotation: DstTracing's "<router> <service>" on a
        // server span, the method on a client span (lower-cased, as Zipkin stores names).
        assertEquals(
          [s1.name, c1.name, s1.attrs["switchyard.service"]],
          format === "otlp"
            ? ["GET /svc/hello", "GET /$/inet/127.0.0.1/" + port2, "/svc/hello"]
            : ["outgoing /svc/hello", "get", "/svc/hello"],
        );
        assertEquals(s1.attrs["switchyard.router"], "outgoing");
        assertEquals(s1.attrs["http.request.method"], "GET");
        assertEquals(c1.attrs["switchyard.endpoint"], `127.0.0.1:${hop2.ports.incoming![0]}`);
        assertEquals(c1.attrs["switchyard.client"], `/$/inet/127.0.0.1/${hop2.ports.incoming![0]}`);
        assertEquals(c2[1]!.attrs["switchyard.endpoint"], `127.0.0.1:${app.port}`);
        if (format === "zipkin") {
          assert(c2[0]!.attrs.error !== undefined, "a 503 attempt is an error");
        }

        // What the app received names hop 2's last client span, in every format.
        const last = c2[1]!, first = c2[0]!;
        assertEquals(h["traceparent"], `00-${pad(trace)}-${last.spanId}-01`);
        assertEquals(h["b3"], `${trace}-${last.spanId}-1-${s2.spanId}`);
        assertEquals(
          [h["x-b3-traceid"], h["x-b3-spanid"], h["x-b3-parentspanid"], h["x-b3-sampled"]],
          [trace, last.spanId, s2.spanId, "1"],
        );
        assertEquals(l5dTrace(h["l5d-ctx-trace"]!), {
          len: 32,
          span: last.spanId,
          parent: s2.spanId,
          trace,
          flags: 6, // SamplingKnown | Sampled
        });
        assertEquals(
          seen[0]!.headers["x-b3-spanid"],
          first.spanId,
          "the 503 attempt had its own span",
        );
      }
      assertEquals(h["l5d-sample"], undefined);
    });

    await t.step(
      "a W3C caller's trace and a Linkerd 1.x caller's l5d-ctx-trace are continued",
      async () => {
        const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        const r = await curl([
          "-H",
          "Host: hello",
          "-H",
          `traceparent: ${tp}`,
          `http://${hop1.proxy()}/w3c`,
        ]);
        assertEquals(r.status, 200);
        const l5d = "vYKCjy8tCNLy/XgAXXVrDvL9eABddWsOAAAAAAAAAAA="; // from a Linkerd 1.x hop
        const r2 = await curl([
          "-H",
          "Host: hello",
          "-H",
          `l5d-ctx-trace: ${l5d}`,
          `http://${hop1.proxy()}/l5d`,
        ]);
        assertEquals(r2.status, 200);
        const server = (traceId: string) =>
          collector.spans.find((s) =>
            s.format === "otlp" && s.traceId === traceId && s.kind === "SERVER" &&
            s.service === "outgoing-svc"
          );
        assert(
          await eventually(
            () => !!server("4bf92f3577b34da6a3ce929d0e0e4736") && !!server(pad("f2fd78005d756b0e")),
            10_000,
          ),
        );
        assertEquals(server("4bf92f3577b34da6a3ce929d0e0e4736")!.parentId, "00f067aa0ba902b7");
        assertEquals(server(pad("f2fd78005d756b0e"))!.parentId, "bd82828f2f2d08d2");
        const w3c = app.seen.find((s) => s.url.endsWith("/w3c"))!.headers;
        assertEquals(
          w3c["l5d-reqid"],
          "4bf92f3577b34da6a3ce929d0e0e4736",
          "128-bit id kept end to end",
        );
        assertEquals(
          l5dTrace(w3c["l5d-ctx-trace"]!).len,
          40,
          "128-bit ids use Finagle's 40-byte form",
        );
        assertEquals(
          app.seen.find((s) => s.url.endsWith("/l5d"))!.headers["l5d-reqid"],
          "f2fd78005d756b0e",
        );
      },
    );

    await t.step("l5d-sample: 0 records nothing, yet the decision travels on", async () => {
      const r = await curl([
        "-H",
        "Host: hello",
        "-H",
        "l5d-sample: 0",
        `http://${hop1.proxy()}/quiet`,
      ]);
      assertEquals(r.status, 200);
      const h = app.seen.find((s) => s.url.endsWith("/quiet"))!.headers;
      const quiet = h["l5d-reqid"]!;
      assert(
        h["traceparent"]!.startsWith(`00-${pad(quiet)}-`) && h["traceparent"]!.endsWith("-00"),
      );
      assertEquals([h["x-b3-sampled"], l5dTrace(h["l5d-ctx-trace"]!).flags], ["0", 2]);
      assertEquals(h["l5d-sample"], undefined, "l5d-sample is not forwarded");
      // Export is FIFO: once a later sampled request's spans are in, the quiet one's would be too.
      const r2 = await curl(["-H", "Host: hello", `http://${hop1.proxy()}/after`]);
      const after = app.seen.find((s) => s.url.endsWith("/after"))!.headers["l5d-reqid"]!;
      assertEquals(r2.status, 200);
      assert(
        await eventually(
          () =>
            collector.spans.filter((s) => s.traceId === after || s.traceId === pad(after)).length >=
              8,
          10_000,
        ),
      );
      assertEquals(
        collector.spans.filter((s) => s.traceId === quiet || s.traceId === pad(quiet)),
        [],
      );
    });
    assertEquals(collector.bad, [], "the collector could decode everything");
  } finally {
    await started?.stop();
    await hop2.stop();
    await app.close();
    await collector.close();
  }
});

Deno.test("tracing: a hung or refused collector never fails or slows requests, nor stops shutdown", async () => {
  const app = startUpstream("app");
  // A collector that accepts connections and never answers (OTLP), and a closed port (Zipkin).
  const hole = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const c of hole) held.push(c);
  })();
  const refused = freePort();
  const sy = await startSwitchyard(config("outgoing", app.port, hole.addr.port, "", refused));
  try {
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      const r = await curl(["-H", "Host: hello", `http://${sy.proxy()}/x${i}`]);
      times.push(performance.now() - t0);
      assertEquals(r.status, 200);
    }
    times.sort((a, b) => a - b);
    assert(times[times.length - 1]! < 5000, `no request waits for the 10 s export: ${times}`);
    assert(
      await eventually(() => sy.logs.some((l) => l.includes("trace exporter failing")), 10_000),
      "the failure is logged",
    );
    assert(held.length > 0, "the hung collector was reached");
  } finally {
    const t0 = performance.now();
    assertEquals(await sy.stop(), 0);
    assert(performance.now() - t0 < 8000, "shutdown gives up on the hung collector");
    await app.close();
    hole.close();
    await accepting.catch(() => {});
    for (const c of held) c.close();
  }
});

Deno.test("tracing: spans still queued at shutdown are flushed before the process exits", async () => {
  const collector = startCollector();
  const app = startUpstream("app");
  const sy = await startSwitchyard(config("outgoing", app.port, collector.port));
  try {
    const r = await curl(["-H", "Host: hello", `http://${sy.proxy()}/last`]);
    assertEquals(r.status, 200);
    const trace = app.seen[0]!.headers["l5d-reqid"]!;
    assertEquals(await sy.stop(), 0); // well inside the 1 s batch delay
    const mine = collector.spans.filter((s) => s.traceId === trace || s.traceId === pad(trace));
    assertEquals(mine.length, 4, "server + client span, in both formats");
  } finally {
    await app.close();
    await collector.close();
  }
});

// Finagle's Debug flag (B3 `x-b3-flags: 1`) is Zipkin v2's `debug`: the collector keeps the span
// whatever its sampling. Only a debug trace's spans carry it.
Deno.test("tracing: a debug trace's Zipkin spans say debug: true", async () => {
  const collector = startCollector();
  const app = startUpstream("app");
  const sy = await startSwitchyard(config("outgoing", app.port, collector.port));
  try {
    const dbg = "00000000000000000000000000000d06";
    const r = await curl([
      "-H",
      "Host: hello",
      "-H",
      `x-b3-traceid: ${dbg}`,
      "-H",
      "x-b3-spanid: 1111111111111111",
      "-H",
      "x-b3-flags: 1",
      `http://${sy.proxy()}/debug`,
    ]);
    assertEquals(r.status, 200);
    assertEquals((await curl(["-H", "Host: hello", `http://${sy.proxy()}/plain`])).status, 200);
    const plain = app.seen[1]!.headers["l5d-reqid"]!;
    assertEquals(await sy.stop(), 0); // flushes the queue
    const zipkin = (t: string) =>
      collector.spans.filter((s) => s.format === "zipkin" && (s.traceId === t));
    const debug = zipkin("0000000000000d06"), other = zipkin(plain);
    assertEquals(debug.map((s) => [s.kind, s.debug]).sort(), [["CLIENT", true], ["SERVER", true]]);
    assertEquals(other.map((s) => s.debug), [undefined, undefined]);
    assert(debug.every((s) => !("switchyard.debug" in s.attrs)), "a field, not a tag");
  } finally {
    await app.close();
    await collector.close();
  }
});

Deno.test("tracing: /admin/tracing?disable=true stops span recording, ?enable=true resumes it", async () => {
  const collector = startCollector();
  const app = startUpstream("app");
  const sy = await startSwitchyard(config("outgoing", app.port, collector.port));
  try {
    assertEquals((await curl([`${sy.admin}/admin/tracing`])).body, "tracing enabled\n");
    assertEquals(
      (await curl([`${sy.admin}/admin/tracing?disable=true`])).body,
      "tracing disabled\n",
    );
    const off = await curl(["-H", "Host: hello", `http://${sy.proxy()}/off`]);
    assertEquals(off.status, 200);
    const offTrace = app.seen[0]!.headers["l5d-reqid"]!;
    assert(offTrace, "context still propagated while disabled");
    assertEquals((await curl([`${sy.admin}/admin/tracing?enable=true`])).body, "tracing enabled\n");
    const on = await curl(["-H", "Host: hello", `http://${sy.proxy()}/on`]);
    assertEquals(on.status, 200);
    const onTrace = app.seen[1]!.headers["l5d-reqid"]!;
    assertEquals(await sy.stop(), 0); // flushes the queue
    const of = (t: string) =>
      collector.spans.filter((s) => s.traceId === t || s.traceId === pad(t)).length;
    assertEquals(
      [of(offTrace), of(onTrace)],
      [0, 4],
      "no spans while disabled; 2 × 2 formats after",
    );
  } finally {
    await app.close();
    await collector.close();
  }
});

Deno.test("tracing: without a tracing telemeter a router records nothing and stays transparent", async () => {
  const app = startUpstream("app");
  const sy = await startSwitchyard(
    config("plain", app.port, 1).replace(/telemetry:[\s\S]*?routers:/, "routers:"),
  );
  try {
    const tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    await curl([
      "-H",
      "Host: hello",
      "-H",
      `traceparent: ${tp}`,
      "-H",
      "tracestate: v=1",
      `http://${sy.proxy()}/a`,
    ]);
    await curl(["-H", "Host: hello", `http://${sy.proxy()}/b`]);
    const [a, b] = [app.seen[0]!.headers, app.seen[1]!.headers];
    assertEquals([a["traceparent"], a["tracestate"], a["x-b3-spanid"]], [
      tp,
      "v=1",
      "00f067aa0ba902b7",
    ]);
    assertEquals([b["traceparent"], b["b3"], b["x-b3-sampled"]], [undefined, undefined, undefined]);
    const { span, ...rest } = l5dTrace(b["l5d-ctx-trace"]!);
    assertEquals(rest, {
      len: 32,
      parent: b["l5d-reqid"]!, // Finagle's root server span (span = trace)
      trace: b["l5d-reqid"]!,
      flags: 0, // no sampling decision: the next Linkerd hop decides, as with Linkerd 1.x
    });
    // The request's own span, a child of the root, as Finagle's client TraceInitializerFilter.
    assert(/^[0-9a-f]{16}$/.test(span) && span !== b["l5d-reqid"], span);
  } finally {
    await sy.stop();
    await app.close();
  }
});

// L1 `protocol-http.md`, "Zipkin Trace Propagator": `tracePropagator: {kind: io.l5d.zipkin}`
// "writes Zipkin B3 trace headers to outgoing requests" (`x-b3-traceid` and `x-b3-spanid` are
// required) and "processes B3 headers received from upstream as well". Linkerd's
// ZipkinTracePropagator writes them on every request, with no tracer configured too.
Deno.test("tracing: the io.l5d.zipkin trace propagator writes B3 headers on every upstream request", async () => {
  const app = startUpstream("app");
  const sy = await startSwitchyard(
    config("zipkin", app.port, 1)
      .replace(/telemetry:[\s\S]*?routers:/, "routers:")
      .replace(
        "- protocol: http\n",
        "- protocol: http\n  tracePropagator: {kind: io.l5d.zipkin}\n",
      ),
  );
  try {
    const fresh = await curl(["-H", "Host: hello", `http://${sy.proxy()}/a`]);
    assertEquals(fresh.status, 200);
    const a = app.seen[0]!.headers;
    assert(/^[0-9a-f]{16}([0-9a-f]{16})?$/.test(a["x-b3-traceid"] ?? ""), a["x-b3-traceid"]);
    assert(/^[0-9a-f]{16}$/.test(a["x-b3-spanid"] ?? ""), a["x-b3-spanid"]);
    assertEquals(a["x-b3-sampled"], "0"); // no tracer, no decision: Linkerd writes 0
    // From upstream: the caller's trace goes on.
    const traceId = "463ac35c9f6413ad48485a3953bb6124";
    const joined = await curl([
      "-H",
      "Host: hello",
      "-H",
      `x-b3-traceid: ${traceId}`,
      "-H",
      "x-b3-spanid: a2fb4a1d1a96d312",
      "-H",
      "x-b3-sampled: 1",
      `http://${sy.proxy()}/b`,
    ]);
    assertEquals(joined.status, 200);
    const b = app.seen[1]!.headers;
    assertEquals([b["x-b3-traceid"], b["x-b3-sampled"]], [traceId, "1"]);
    assert(/^[0-9a-f]{16}$/.test(b["x-b3-spanid"] ?? ""), b["x-b3-spanid"]);
  } finally {
    await sy.stop();
    await app.close();
  }
});

/** A Zipkin v2 collector on loopback keeping each span as posted (tags and annotations). */
function rawZipkin() {
  const spans: {
    kind?: string;
    tags?: Record<string, string>;
    annotations?: { value: string }[];
  }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    spans.push(...await req.json());
    return new Response(null, { status: 202 });
  });
  return { port: server.addr.port, spans, close: () => server.shutdown() };
}

// Linkerd's routing annotations on a request's spans (L1 `DstTracing`, `RoutingFactory`,
// `ClassifiedTracing`; HttpEndToEndTest "linking" and the retry tests): `router.label`,
// `service`, `dtab.base`/`.local`, `client`, `residual` (and their pre-1.0 names `namer.path`,
// `namer.dtab.base`/`.local`, `dst.id`, `dst.path`), and per attempt `l5d.success`
// or the `l5d.failure` annotation; `http.status_code` as Finagle's HttpTracingFilter.
Deno.test("tracing: spans carry Linkerd's router.label, service, client, residual, dtab.* and l5d.* annotations", async () => {
  const zipkin = rawZipkin();
  let flaky = 0;
  const app = startUpstream("app", (req) => {
    const path = new URL(req.url).pathname;
    const fail = path === "/fail" || (path === "/flaky" && flaky++ < 2);
    return new Response("x", { status: fail ? 500 : 200 });
  });
  const dtab = `/svc => /$/inet/127.0.0.1/${app.port}`;
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
telemetry:
- {kind: io.l5d.zipkin, host: 127.0.0.1, port: ${zipkin.port}, sampleRate: 1.0}
routers:
- protocol: http
  label: out
  dtab: ${dtab};
  servers: [{ip: 127.0.0.1, port: 0}]
- protocol: http
  label: retrying
  dtab: ${dtab};
  service: {responseClassifier: {kind: io.l5d.http.retryableRead5XX}}
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    const ok = await curl([
      "-H",
      "Host: hello",
      "-H",
      "l5d-dtab: /x=>/y",
      `http://${sy.proxy()}/a`,
    ]);
    assertEquals(ok.status, 200);
    assert(await eventually(() => zipkin.spans.length >= 2, 5000), "no spans");
    const server = zipkin.spans.find((s) => s.kind === "SERVER")!.tags!;
    const client = zipkin.spans.find((s) => s.kind === "CLIENT")!;
    const bound = `/$/inet/127.0.0.1/${app.port}`;
    assertEquals(
      [server["router.label"], server["namer.path"], server["dst.id"], server["dst.path"]],
      ["out", "/svc/hello", bound, "/hello"],
    );
    assertEquals([server["namer.dtab.base"], server["namer.dtab.local"]], [
      dtab.replace(" => ", "=>"), // Finagle's Dtab.show
      "/x=>/y",
    ]);
    // The names since Linkerd 1.0.0 (CHANGES.md: "Rename the namer.path trace annotation to
    // service", dst.id to client, dst.path to residual; DstTracing.scala, HttpEndToEndTest).
    assertEquals(
      [server["service"], server["client"], server["residual"], server["dtab.local"]],
      ["/svc/hello", bound, "/hello", "/x=>/y"],
    );
    assertEquals(server["dtab.base"], dtab.replace(" => ", "=>"));
    assertEquals([client.tags!["service"], client.tags!["client"]], ["/svc/hello", bound]);
    assertEquals([server["http.status_code"], server["http.uri"]], ["200", "/a"]);
    assertEquals([client.tags!["dst.id"], client.tags!["l5d.success"]], [bound, "1.0"]);
    zipkin.spans.length = 0;
    const failed = await curl(["-H", "Host: hello", `http://${sy.proxy()}/fail`]);
    assertEquals(failed.status, 500);
    assert(await eventually(() => zipkin.spans.length >= 2, 5000), "no spans");
    const attempt = zipkin.spans.find((s) => s.kind === "CLIENT")!;
    assertEquals(attempt.annotations?.map((a) => a.value), ["l5d.failure"]);
    assertEquals([attempt.tags!["l5d.success"], attempt.tags!["http.status_code"]], [
      undefined,
      "500",
    ]);
    // Linkerd's ClassifiedRetries records `finagle.retry` on the trace once per retry: the
    // server span of a request retried twice carries two.
    zipkin.spans.length = 0;
    const retried = await curl(["-H", "Host: hello", `http://${sy.proxy("retrying")}/flaky`]);
    assertEquals(retried.status, 200);
    assert(await eventually(() => zipkin.spans.length >= 4, 5000), "no spans");
    const retriedServer = zipkin.spans.find((s) => s.kind === "SERVER")!;
    assertEquals(
      (retriedServer.annotations ?? []).filter((a) => a.value === "finagle.retry").length,
      2,
      JSON.stringify(retriedServer),
    );
  } finally {
    await sy.stop();
    await app.close();
    await zipkin.close();
  }
});

// L1 TracelogTracer: "This tracer doesn't influence downstream tracing" (`sampleTrace` is None);
// it logs what the other tracers sampled. A tracelog at 1.0 beside a Zipkin tracer at 0 neither
// exports nor logs, and `l5d-sample: 1` turns both on.
Deno.test("tracing: io.l5d.tracelog's sampleRate does not override io.l5d.zipkin's", async () => {
  const zipkin = rawZipkin();
  const app = startUpstream("app");
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
telemetry:
- {kind: io.l5d.tracelog, sampleRate: 1.0}
- {kind: io.l5d.zipkin, host: 127.0.0.1, port: ${zipkin.port}, sampleRate: 0.0}
routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/${app.port};
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  const spanLogs = () => sy.logs.filter((l) => l.includes('"msg":"span"')).length;
  try {
    for (let i = 0; i < 5; i++) {
      assertEquals((await curl(["-H", "Host: hello", `http://${sy.proxy()}/a`])).status, 200);
    }
    const sampled = await curl([
      "-H",
      "Host: hello",
      "-H",
      "l5d-sample: 1",
      `http://${sy.proxy()}/b`,
    ]);
    assertEquals(sampled.status, 200);
    assert(await eventually(() => zipkin.spans.length >= 2 && spanLogs() >= 2, 5000));
    await new Promise((r) => setTimeout(r, 1500)); // a batch of unsampled spans would be out
    assertEquals([zipkin.spans.length, spanLogs()], [2, 2], "only the l5d-sample: 1 request");
  } finally {
    await sy.stop();
    await app.close();
    await zipkin.close();
  }
});

/** An `l5d-ctx-trace` value: a root span of `trace` (16 hex digits) with Finagle `flags`. */
function l5dCtx(span: string, trace: string, flags: number): string {
  const hex = span + span + trace + flags.toString(16).padStart(16, "0");
  return btoa(String.fromCharCode(...hex.match(/../g)!.map((b) => parseInt(b, 16))));
}

// Linkerd's TraceInitializer.ServerFilter sets the sampling from `l5d-sample` whatever the inbound
// id says (LinkerdHeaders.Sample: "At 1.0, the trace is marked as sampled on all downstream
// requests"); a debug id goes on as the B3 spec has it, `x-b3-flags: 1` without `x-b3-sampled`
// (Linkerd's ZipkinTrace.set, with io.l5d.zipkin, writes both), and Finagle keeps the Debug flag
// on every next id; io.l5d.default reads only `l5d-ctx-trace`.
Deno.test("tracing: over two hops l5d-sample overrides the caller, debug stays debug, l5d-ctx-trace beats another trace's traceparent", async () => {
  const zipkin = rawZipkin();
  const app = startUpstream("app");
  const cfg = (label: string, dst: number) => `
admin: {ip: 127.0.0.1, port: 0}
telemetry:
- {kind: io.l5d.zipkin, host: 127.0.0.1, port: ${zipkin.port}, sampleRate: 0.0}
routers:
- protocol: http
  label: ${label}
  dtab: /svc => /$/inet/127.0.0.1/${dst};
  servers: [{ip: 127.0.0.1, port: 0}]
`;
  const hop2 = await startSwitchyard(cfg("incoming", app.port));
  let hop1: Running | undefined;
  try {
    hop1 = await startSwitchyard(cfg("outgoing", hop2.ports.incoming![0]!));
    const proxy = hop1.proxy();
    const get = async (path: string, headers: string[]) => {
      const r = await curl([
        ...headers.flatMap((h) => ["-H", h]),
        "-H",
        "Host: hello",
        proxy + path,
      ]);
      assertEquals(r.status, 200);
      return app.seen.find((s) => new URL(s.url).pathname === path)!.headers;
    };
    const tp = (trace: string) => `traceparent: 00-${trace}-00f067aa0ba902b7-01`;
    const quiet = await get("/quiet", [tp("1111111111111111aaaaaaaaaaaaaaaa"), "l5d-sample: 0"]);
    assertEquals([quiet["x-b3-sampled"], l5dTrace(quiet["l5d-ctx-trace"]!).flags], ["0", 2]);

    const forced = await get("/forced", [
      `l5d-ctx-trace: ${l5dCtx("abababababababab", "2222222222222222", 2)}`, // not sampled
      "l5d-sample: 1",
    ]);
    assertEquals(forced["l5d-reqid"], "2222222222222222");
    assertEquals([forced["x-b3-sampled"], l5dTrace(forced["l5d-ctx-trace"]!).flags], ["1", 6]);

    const debug = await get("/debug", [
      "x-b3-traceid: 3333333333333333",
      "x-b3-spanid: abababababababab",
      "x-b3-flags: 1",
    ]);
    assertEquals(debug["l5d-reqid"], "3333333333333333");
    assertEquals([debug["x-b3-flags"], debug["x-b3-sampled"]], ["1", undefined]);
    assert(debug["b3"]!.startsWith(`3333333333333333-${debug["x-b3-spanid"]}-d-`), debug["b3"]);
    assertEquals(l5dTrace(debug["l5d-ctx-trace"]!).flags, 7, "Debug|SamplingKnown|Sampled");
    assert(debug["traceparent"]!.endsWith("-01"));

    const linkerd = await get("/linkerd", [
      `l5d-ctx-trace: ${l5dCtx("abababababababab", "4444444444444444", 6)}`,
      tp("4bf92f3577b34da6a3ce929d0e0e4736"), // an app's own, unrelated trace
    ]);
    assertEquals(linkerd["l5d-reqid"], "4444444444444444");

    const of = (t: string) =>
      zipkin.spans.filter((s) => (s as { traceId?: string }).traceId === t).length;
    assert(
      await eventually(
        () =>
          of("2222222222222222") >= 4 && of("3333333333333333") >= 4 && of("4444444444444444") >= 4,
        10_000,
      ),
      `spans: ${JSON.stringify(zipkin.spans)}`,
    );
    assertEquals(
      ["2222222222222222", "3333333333333333", "4444444444444444"].map(of),
      [4, 4, 4],
      "2 server + 2 client spans each, at sampleRate 0",
    );
    // Export is FIFO: the quiet request's spans would be in by now.
    assertEquals(
      [of("1111111111111111aaaaaaaaaaaaaaaa"), of("4bf92f3577b34da6a3ce929d0e0e4736")],
      [0, 0],
    );
  } finally {
    await hop1?.stop();
    await hop2.stop();
    await app.close();
    await zipkin.close();
  }
});
