import { assertEquals } from "../../tests/support/assert.ts";
import { Ctx } from "../../router/core/ctx.ts";
import { systemClock } from "../../router/core/clock.ts";
import { createTracing, tracingSampleRate } from "./tracing.ts";
import { decodeTraceContext } from "./trace_ctx.ts";

Deno.test("tracingSampleRate() takes the largest tracing telemeter rate, undefined without one", () => {
  assertEquals(tracingSampleRate([]), undefined);
  assertEquals(
    tracingSampleRate([{ kind: "io.l5d.prometheus" }, {
      kind: "io.l5d.recentRequests",
      sampleRate: 1,
    }]),
    undefined,
  );
  assertEquals(tracingSampleRate([{ kind: "io.l5d.zipkin" }]), 0.001, "Linkerd's default");
  assertEquals(
    tracingSampleRate([{ kind: "io.l5d.zipkin", sampleRate: 0.2 }, {
      kind: "io.l5d.otlp",
      sampleRate: 0.5,
    }]),
    0.5,
  );
  // L1 TracelogTracer.sampleTrace is None: the tracelog's rate decides only on its own.
  assertEquals(tracingSampleRate([{ kind: "io.l5d.tracelog", sampleRate: 0.2 }]), 0.2);
  assertEquals(tracingSampleRate([{ kind: "io.l5d.tracelog" }]), 1, "tracelog default 1.0");
  assertEquals(
    tracingSampleRate([{ kind: "io.l5d.tracelog", sampleRate: 1 }, { kind: "io.l5d.zipkin" }]),
    0.001,
  );
  assertEquals(
    tracingSampleRate([{ kind: "io.l5d.zipkin", sampleRate: 0 }, {
      kind: "io.l5d.tracelog",
      sampleRate: 1,
    }]),
    0,
  );
});

Deno.test("createTracing() is null without a tracing telemeter", () => {
  assertEquals(createTracing([{ kind: "io.l5d.prometheus" }], { clock: systemClock }), null);
});

Deno.test("createTracing() sends each span to every configured collector, flushing on shutdown", async () => {
  const got: Record<string, unknown[]> = {};
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    (got[new URL(req.url).pathname] ??= []).push(await req.json());
    return new Response(null, { status: 200 });
  });
  const port = server.addr.port;
  try {
    const tracing = createTracing([
      {
        kind: "io.l5d.otlp",
        endpoint: `http://127.0.0.1:${port}/v1/traces`,
        sampleRate: 1,
        serviceName: "sy",
      },
      { kind: "io.l5d.zipkin", host: "127.0.0.1", port, sampleRate: 0.5 },
      {
        kind: "io.l5d.zipkinHttp",
        url: `http://127.0.0.1:${port}/zipkin/api/v2/spans`,
        sampleRate: 0.1,
      },
    ], { clock: systemClock, delayMs: 60_000 })!;
    assertEquals(tracing.sampleRate, 1);
    const ctx = new Ctx({
      url: new URL("http://hello/"),
      router: "outgoing",
      signal: new AbortController().signal,
      startMs: Date.now(),
      host: "hello",
      target: "/",
    });
    decodeTraceContext(new Headers(), ctx, { sampleRate: tracing.sampleRate, random: Math.random });
    await tracing.serverFilter("outgoing")(
      new Request("http://hello/"),
      ctx,
      () => Promise.resolve(new Response("ok")),
    );
    await tracing.shutdown(); // long delay: only shutdown sends
    const otlp = got["/v1/traces"]![0] as {
      resourceSpans: { scopeSpans: { spans: { traceId: string }[] }[] }[];
    };
    assertEquals(
      otlp.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.traceId,
      "0000000000000000" + ctx.traceId,
    );
    for (const path of ["/api/v2/spans", "/zipkin/api/v2/spans"]) {
      const z = got[path]![0] as { traceId: string; localEndpoint: { serviceName: string } }[];
      assertEquals(
        [z[0]!.traceId, z[0]!.localEndpoint.serviceName],
        [ctx.traceId, "outgoing"],
        path,
      );
    }
  } finally {
    await server.shutdown();
  }
});

Deno.test("io.l5d.tracelog writes spans at its level, and none at OFF", async () => {
  for (const [level, want] of [["DEBUG", "debug"], ["WARNING", "warn"], ["OFF", undefined]]) {
    const lines: string[] = [];
    const log = {
      debug: (m: string) => lines.push(`debug ${m}`),
      info: (m: string) => lines.push(`info ${m}`),
      warn: (m: string) => lines.push(`warn ${m}`),
      error: (m: string) => lines.push(`error ${m}`),
      enabled: () => true,
    };
    const tracing = createTracing([{ kind: "io.l5d.tracelog", sampleRate: 1, level }], {
      clock: systemClock,
      log,
      delayMs: 60_000,
    })!;
    const ctx = new Ctx({
      url: new URL("http://hello/"),
      router: "outgoing",
      signal: new AbortController().signal,
      startMs: Date.now(),
      host: "hello",
      target: "/",
    });
    decodeTraceContext(new Headers(), ctx, { sampleRate: 1, random: Math.random });
    await tracing.serverFilter("outgoing")(
      new Request("http://hello/"),
      ctx,
      () => Promise.resolve(new Response("ok")),
    );
    await tracing.shutdown();
    const spans = lines.filter((l) => l.endsWith(" span"));
    assertEquals(spans, want === undefined ? [] : [`${want} span`], level);
  }
});
