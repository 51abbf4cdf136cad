import { assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { otlpExporter, otlpTraceRequest } from "./otlp_exporter.ts";
import type { FinishedSpan } from "./tracer.ts";

const SPAN: FinishedSpan = {
  traceId: "0000000000000000a3ce929d0e0e4736",
  spanId: "00f067aa0ba902b7",
  parentSpanId: "1111111111111111",
  name: "GET /#/io.l5d.fs/hello",
  kind: SpanKind.CLIENT,
  startMs: 1_700_000_000_000.5,
  endMs: 1_700_000_000_002.25,
  attributes: {
    "switchyard.retry": 1,
    "switchyard.client": "/#/io.l5d.fs/hello",
    ok: true,
    f: 0.5,
  },
  status: { code: SpanStatusCode.ERROR, message: "boom" },
  events: [{ name: "exception", timeMs: 1_700_000_000_001 }],
  scope: "switchyard",
};

Deno.test("otlpTraceRequest() follows the OTLP JSON mapping", () => {
  const body = otlpTraceRequest([SPAN], { serviceName: "sy" });
  assertEquals(body, {
    resourceSpans: [{
      resource: { attributes: [{ key: "service.name", value: { stringValue: "sy" } }] },
      scopeSpans: [{
        scope: { name: "switchyard" },
        spans: [{
          traceId: "0000000000000000a3ce929d0e0e4736",
          spanId: "00f067aa0ba902b7",
          parentSpanId: "1111111111111111",
          name: "GET /#/io.l5d.fs/hello",
          kind: 3, // SPAN_KIND_CLIENT
          startTimeUnixNano: "1700000000000500000",
          endTimeUnixNano: "1700000000002250000",
          attributes: [
            { key: "switchyard.retry", value: { intValue: "1" } },
            { key: "switchyard.client", value: { stringValue: "/#/io.l5d.fs/hello" } },
            { key: "ok", value: { boolValue: true } },
            { key: "f", value: { doubleValue: 0.5 } },
          ],
          status: { code: 2, message: "boom" },
          events: [{ timeUnixNano: "1700000000001000000", name: "exception" }],
        }],
      }],
    }],
  });
  const root = otlpTraceRequest(
    [{ ...SPAN, parentSpanId: "", kind: SpanKind.SERVER, events: [] }],
    {
      serviceName: "sy",
    },
  );
  const s = (root.resourceSpans[0]!.scopeSpans as { spans: Record<string, unknown>[] }[])[0]!
    .spans[0]!;
  assertEquals([s.parentSpanId, s.kind, s.events], [undefined, 2, undefined]);
});

Deno.test("otlpExporter() POSTs JSON with the configured headers to a real receiver", async () => {
  const got: { path: string; type: string | null; auth: string | null; body: unknown }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    got.push({
      path: new URL(req.url).pathname,
      type: req.headers.get("content-type"),
      auth: req.headers.get("authorization"),
      body: await req.json(),
    });
    return new Response("{}", { status: got.length === 1 ? 200 : 503 });
  });
  try {
    const e = otlpExporter({
      endpoint: `http://127.0.0.1:${server.addr.port}/v1/traces`,
      resource: { serviceName: "sy" },
      headers: { authorization: "Bearer t" },
    });
    await e.export([SPAN], new AbortController().signal);
    assertEquals(got[0]!.path, "/v1/traces");
    assertEquals(got[0]!.type, "application/json");
    assertEquals(got[0]!.auth, "Bearer t");
    assertEquals(got[0]!.body, otlpTraceRequest([SPAN], { serviceName: "sy" }));
    await assertRejects(() => e.export([SPAN], new AbortController().signal), "503");
  } finally {
    await server.shutdown();
  }
});
