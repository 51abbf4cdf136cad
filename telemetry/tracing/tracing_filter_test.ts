import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { Ctx } from "../../router/core/ctx.ts";
import { type Service, stack } from "../../router/core/service.ts";
import { RequestTimeout } from "../../router/core/errors.ts";
import { createTracerProvider, type FinishedSpan } from "./tracer.ts";
import { clientSpan, serverSpan } from "./tracing_filter.ts";
import { decodeTraceContext } from "./trace_ctx.ts";

function setup(headers: HeadersInit = {}, sampleRate = 1) {
  const clock = new FakeClock();
  const spans: FinishedSpan[] = [];
  const tracer = createTracerProvider({ sink: (s) => spans.push(s), clock }).getTracer("sy");
  const ctx = new Ctx({
    url: new URL("http://hello/a?b=1"),
    router: "outgoing",
    signal: new AbortController().signal,
    startMs: clock.now(),
    remoteAddr: "127.0.0.9",
    host: "hello",
    target: "/a?b=1",
  });
  decodeTraceContext(new Headers(headers), ctx, { sampleRate, random: () => clock.random() });
  return { clock, spans, tracer, ctx };
}

const target = { router: "outgoing", client: "/#/io.l5d.fs/hello", host: "127.0.0.1", port: 8080 };

Deno.test("serverSpan() and clientSpan() link server → client and hand the client span to the transport", async () => {
  const { spans, tracer, ctx } = setup({
    traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  });
  const seen: string[][] = [];
  const transport: Service = (_req, c) => {
    seen.push([c.spanId, c.parentSpanId]);
    return Promise.resolve(new Response("ok", { status: 201 }));
  };
  const client = stack([clientSpan(tracer, target)], transport);
  const route: Service = (req, c) => {
    c.dstStr = "/svc/hello";
    c.classification = "success";
    return client(req, c);
  };
  const svc = stack([serverSpan(tracer, "outgoing")], route);
  const rsp = await svc(new Request("http://hello/a?b=1"), ctx);
  assertEquals(rsp.status, 201);
  const [cl, sv] = spans as [FinishedSpan, FinishedSpan];
  assertEquals([sv.kind, cl.kind], [SpanKind.SERVER, SpanKind.CLIENT]);
  assertEquals(sv.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
  assertEquals(sv.parentSpanId, "00f067aa0ba902b7", "server span is the caller's child");
  assertEquals([cl.traceId, cl.parentSpanId], [sv.traceId, sv.spanId]);
  assertEquals(seen, [[cl.spanId, sv.spanId]], "transport encodes the client span");
  assertEquals([ctx.spanId, ctx.parentSpanId], [sv.spanId, "00f067aa0ba902b7"], "restored");
  assertEquals(sv.name, "GET /svc/hello");
  assertEquals(sv.attributes, {
    "switchyard.router": "outgoing",
    "http.request.method": "GET",
    "url.path": "/a",
    "server.address": "hello",
    "client.address": "127.0.0.9",
    "router.label": "outgoing",
    "http.uri": "/a?b=1",
    "http.req.method": "GET",
    "http.req.host": "hello",
    "switchyard.service": "/svc/hello",
    "switchyard.retries": 0,
    "dtab.base": "",
    "dtab.local": "",
    "namer.dtab.base": "",
    "namer.dtab.local": "",
    service: "/svc/hello",
    "namer.path": "/svc/hello",
    "http.rsp.status": 201,
    "http.rsp.content-type": "text/plain;charset=UTF-8",
    "http.response.status_code": 201,
    "http.status_code": 201,
    "switchyard.classification": "success",
  });
  assertEquals(cl.attributes["switchyard.endpoint"], "127.0.0.1:8080");
  assertEquals(cl.attributes["switchyard.client"], "/#/io.l5d.fs/hello");
  assertEquals(cl.attributes["switchyard.service"], "/svc/hello");
  assertEquals(cl.attributes["switchyard.retry"], 0);
  assertEquals(cl.status.code, SpanStatusCode.UNSET);
});

// Linkerd's TracingFilterTest ("tracing filter"): the HTTP binary annotations of the request and
// the response, on the server span and on the client span.
Deno.test("serverSpan() and clientSpan() carry Linkerd's http.req.* / http.rsp.* annotations", async () => {
  const { spans, tracer, ctx } = setup();
  const transport: Service = () =>
    Promise.resolve(
      new Response("x", {
        status: 402,
        headers: { "content-type": "application/json", "content-length": "304374" },
      }),
    );
  const svc = stack([serverSpan(tracer, "outgoing"), clientSpan(tracer, target)], transport);
  const req = new Request("http://monkeys/foo?bar=bah", {
    method: "POST",
    body: "y",
    headers: { "content-type": "text/plain", "content-length": "94114", host: "monkeys" },
  });
  ctx.host = "monkeys";
  ctx.target = "/foo?bar=bah";
  await svc(req, ctx);
  assertEquals(spans.length, 2);
  for (const span of spans) {
    const a = span.attributes;
    assertEquals(a["http.uri"], "/foo?bar=bah");
    assertEquals(a["http.req.method"], "POST");
    assertEquals(a["http.req.host"], "monkeys");
    assertEquals(a["http.req.content-type"], "text/plain");
    assertEquals(a["http.req.content-length"], 94114);
    assertEquals(a["http.rsp.status"], 402);
    assertEquals(a["http.rsp.content-type"], "application/json");
    assertEquals(a["http.rsp.content-length"], 304374);
  }
});

Deno.test("clientSpan() makes one span per attempt, numbered by retry", async () => {
  const { spans, tracer, ctx } = setup();
  let n = 0;
  const client = stack(
    [clientSpan(tracer, target)],
    () => Promise.resolve(new Response(null, { status: n++ === 0 ? 503 : 200 })),
  );
  const retrying: Service = async (req, c) => {
    const first = await client(req, c);
    if (first.status < 500) return first;
    c.attempt++;
    c.retries++;
    return client(req, c);
  };
  const svc = stack([serverSpan(tracer, "outgoing")], retrying);
  await svc(new Request("http://hello/"), ctx);
  const server = spans.find((s) => s.kind === SpanKind.SERVER)!;
  const attempts = spans.filter((s) => s.kind === SpanKind.CLIENT);
  assertEquals(attempts.map((s) => s.attributes["switchyard.retry"]), [0, 1]);
  assertEquals(attempts.map((s) => s.attributes["http.response.status_code"]), [503, 200]);
  assertEquals(attempts.map((s) => s.attributes["switchyard.classification"]), [
    "failure",
    "success",
  ]);
  assertEquals(attempts.map((s) => s.status.code), [SpanStatusCode.ERROR, SpanStatusCode.UNSET]);
  assert(attempts.every((s) => s.parentSpanId === server.spanId));
  assertEquals(server.attributes["switchyard.retries"], 1);
  assertEquals(server.parentSpanId, "", "a new trace starts at the server span");
});

Deno.test("serverSpan() and clientSpan() cost nothing for unsampled requests", async () => {
  const { spans, tracer, ctx } = setup({ "l5d-sample": "0" });
  const before = [ctx.spanId, ctx.parentSpanId];
  const p = Promise.resolve(new Response("ok"));
  const next: Service = () => p;
  const req = new Request("http://hello/");
  assert(serverSpan(tracer, "r")(req, ctx, next) === p, "next's promise, not a wrapper");
  assert(clientSpan(tracer, target)(req, ctx, next) === p);
  await p;
  assertEquals(spans.length, 0);
  assertEquals([ctx.spanId, ctx.parentSpanId], before);
});

Deno.test("serverSpan() and clientSpan() record typed errors with the status the client gets", async () => {
  const { spans, tracer, ctx } = setup();
  const client = stack(
    [clientSpan(tracer, { ...target, classify: () => "retryable_failure" })],
    () => Promise.reject(new RequestTimeout("exceeded 10ms")),
  );
  const svc = stack([serverSpan(tracer, "outgoing")], client);
  await assertRejects(() => svc(new Request("http://hello/"), ctx), "exceeded");
  for (const s of spans) {
    assertEquals(s.attributes["http.response.status_code"], 503, s.name);
    assertEquals(s.attributes["error.type"], "RequestTimeout");
    assertEquals(s.status, { code: SpanStatusCode.ERROR, message: "exceeded 10ms" });
  }
  assertEquals(spans[0]!.attributes["switchyard.classification"], "retryable_failure");
  assertEquals(spans[1]!.attributes["switchyard.classification"], "failure");
});
