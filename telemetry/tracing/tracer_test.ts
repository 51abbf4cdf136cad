import { assert, assertEquals } from "../../tests/support/assert.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags } from "@opentelemetry/api";
import { childOf, createTracerProvider, type FinishedSpan, rootIn } from "./tracer.ts";
import { isValidHexId } from "./ids.ts";

function setup() {
  const clock = new FakeClock();
  const spans: FinishedSpan[] = [];
  const provider = createTracerProvider({ sink: (s) => spans.push(s), clock });
  return { clock, spans, tracer: provider.getTracer("switchyard") };
}

Deno.test("createTracerProvider() spans record name, kind, attributes, status and µs times", () => {
  const { clock, spans, tracer } = setup();
  const span = tracer.startSpan("GET", { kind: SpanKind.SERVER, attributes: { a: "x", n: 3 } });
  clock.advance(2.5);
  span.setAttribute("b", true).updateName("GET /svc/hello");
  span.setStatus({ code: SpanStatusCode.ERROR, message: "boom" });
  span.end();
  span.end(); // a second end is ignored
  span.setAttribute("late", 1);
  assertEquals(spans.length, 1);
  const s = spans[0]!;
  assertEquals(s.name, "GET /svc/hello");
  assertEquals(s.kind, SpanKind.SERVER);
  assertEquals(s.attributes, { a: "x", n: 3, b: true });
  assertEquals(s.status, { code: SpanStatusCode.ERROR, message: "boom" });
  assertEquals(s.endMs - s.startMs, 2.5);
  assertEquals(s.startMs, clock.now() - 2.5, "epoch-anchored");
  assertEquals(s.scope, "switchyard");
  assert(isValidHexId(s.traceId, 32) && isValidHexId(s.spanId, 16));
  assertEquals(s.parentSpanId, "");
});

Deno.test("createTracerProvider() children take the parent's trace id and span id", () => {
  const { spans, tracer } = setup();
  tracer.startSpan("child", {}, childOf("a3ce929d0e0e4736", "00f067aa0ba902b7")).end();
  tracer.startSpan("root", {}, rootIn("a3ce929d0e0e4736")).end();
  assertEquals(spans.map((s) => [s.traceId, s.parentSpanId]), [
    ["0000000000000000a3ce929d0e0e4736", "00f067aa0ba902b7"],
    ["0000000000000000a3ce929d0e0e4736", ""],
  ]);
  // A span made as the parent of another, through the API's context.
  const parent = tracer.startSpan("p");
  tracer.startSpan("c", {}, trace.setSpan(ROOT_CONTEXT, parent)).end();
  parent.end();
  assertEquals(spans[2]!.parentSpanId, parent.spanContext().spanId);
  assertEquals(spans[2]!.traceId, parent.spanContext().traceId);
});

Deno.test("createTracerProvider() gives a non-recording span under an unsampled parent", () => {
  const { spans, tracer } = setup();
  const ctx = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: "0000000000000000a3ce929d0e0e4736",
    spanId: "00f067aa0ba902b7",
    traceFlags: TraceFlags.NONE,
  });
  const span = tracer.startSpan("x", {}, ctx);
  assertEquals(span.isRecording(), false);
  span.end();
  assertEquals(spans.length, 0);
});

Deno.test("createTracerProvider() startActiveSpan() runs fn with the span and records exceptions", () => {
  const { spans, tracer } = setup();
  const out = tracer.startActiveSpan("op", (span) => {
    span.recordException(new TypeError("bad"));
    span.end();
    return 42;
  });
  assertEquals(out, 42);
  assertEquals(spans[0]!.attributes["exception.type"], "TypeError");
  assertEquals(spans[0]!.events.map((e) => e.name), ["exception"]);
});

Deno.test("createTracerProvider() providers are independent and not global", () => {
  const a: FinishedSpan[] = [], b: FinishedSpan[] = [];
  const clock = new FakeClock();
  createTracerProvider({ sink: (s) => a.push(s), clock }).getTracer("t").startSpan("x").end();
  createTracerProvider({ sink: (s) => b.push(s), clock }).getTracer("t").startSpan("y").end();
  assertEquals([a.map((s) => s.name), b.map((s) => s.name)], [["x"], ["y"]]);
  assertEquals(trace.getTracer("t").startSpan("z").isRecording(), false, "global stays no-op");
});
