import { assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import {
  linkerdServiceName,
  linkerdSpanName,
  toZipkinSpan,
  zipkinExporter,
} from "./zipkin_exporter.ts";
import type { FinishedSpan } from "./tracer.ts";

const CLIENT: FinishedSpan = {
  traceId: "0000000000000000a3ce929d0e0e4736",
  spanId: "00f067aa0ba902b7",
  parentSpanId: "1111111111111111",
  name: "GET /#/io.l5d.fs/hello",
  kind: SpanKind.CLIENT,
  startMs: 1_700_000_000_000.5,
  endMs: 1_700_000_000_002.25,
  attributes: { "server.address": "127.0.0.1", "server.port": 8080, "switchyard.retry": 0 },
  status: { code: SpanStatusCode.ERROR, message: "boom" },
  events: [],
  scope: "switchyard",
};

Deno.test("toZipkinSpan() maps to Zipkin v2 with a 64-bit trace id, tags and endpoints", () => {
  assertEquals(toZipkinSpan(CLIENT, "outgoing"), {
    traceId: "a3ce929d0e0e4736",
    id: "00f067aa0ba902b7",
    parentId: "1111111111111111",
    name: "get /#/io.l5d.fs/hello",
    kind: "CLIENT",
    timestamp: 1_700_000_000_000_500,
    duration: 1750,
    localEndpoint: { serviceName: "outgoing" },
    remoteEndpoint: { ipv4: "127.0.0.1", port: 8080 },
    tags: {
      "server.address": "127.0.0.1",
      "server.port": "8080",
      "switchyard.retry": "0",
      error: "boom",
    },
  });
  const server = toZipkinSpan({
    ...CLIENT,
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    parentSpanId: "",
    kind: SpanKind.SERVER,
    attributes: { "client.address": "::1" },
    status: { code: SpanStatusCode.UNSET },
    endMs: CLIENT.startMs,
  }, "incoming");
  assertEquals(server.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
  assertEquals([server.parentId, server.kind, server.duration], [undefined, "SERVER", 1]);
  assertEquals(server.remoteEndpoint, { ipv6: "::1" });
});

Deno.test("zipkinExporter() POSTs a JSON array to a real receiver and rejects on errors", async () => {
  const got: unknown[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    got.push([new URL(req.url).pathname, await req.json()]);
    return new Response(null, { status: got.length === 1 ? 202 : 500 });
  });
  try {
    const e = zipkinExporter({
      url: `http://127.0.0.1:${server.addr.port}/api/v2/spans`,
      serviceName: () => "outgoing",
    });
    await e.export([CLIENT], new AbortController().signal);
    assertEquals(got, [["/api/v2/spans", [toZipkinSpan(CLIENT, "outgoing")]]]);
    await assertRejects(() => e.export([CLIENT], new AbortController().signal), "500");
  } finally {
    await server.shutdown();
  }
  // Nobody listening: a rejection, not a crash.
  const dead = zipkinExporter({ url: "http://127.0.0.1:9/api/v2/spans", serviceName: () => "x" });
  await assertRejects(() => dead.export([CLIENT], new AbortController().signal));
});

Deno.test("linkerdServiceName()/linkerdSpanName(): what Linkerd 1.x's outgoing on 0.0.0.0:4140 shows", () => {
  const server: FinishedSpan = {
    ...CLIENT,
    kind: SpanKind.SERVER,
    name: "GET /svc/hello",
    attributes: {
      "switchyard.router": "outgoing",
      "switchyard.server": "0.0.0.0/4140",
      "router.label": "outgoing",
      service: "/svc/hello",
      "http.req.method": "GET",
    },
  };
  const client: FinishedSpan = {
    ...CLIENT,
    attributes: { "switchyard.client": "/#/io.l5d.fs/hello", "http.req.method": "GET" },
  };
  assertEquals([linkerdServiceName(server), linkerdSpanName(server)], [
    "0.0.0.0/4140",
    "outgoing /svc/hello",
  ]);
  assertEquals([linkerdServiceName(client), linkerdSpanName(client)], ["#/io.l5d.fs/hello", "GET"]);
  // Unidentified (no `service`): the method, as Finagle's Rpc before DstTracing.
  const { service: _, ...bare } = server.attributes;
  assertEquals(linkerdSpanName({ ...server, attributes: bare }), "GET");
  assertEquals(toZipkinSpan(server, linkerdServiceName(server)).name, "outgoing /svc/hello");
});
