import { assert, assertEquals } from "../../tests/support/assert.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";
import { Ctx } from "../../router/core/ctx.ts";
import {
  decodeTraceContext,
  encodeTraceHeaders,
  parseB3Multi,
  parseB3Single,
  parseTraceparent,
  readInboundTrace,
} from "./trace_ctx.ts";
import { decodeL5dCtxTrace, encodeL5dCtxTrace } from "./l5d_ctx_trace.ts";
import { isValidHexId } from "./ids.ts";

const TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

function newCtx(): Ctx {
  return new Ctx({
    url: new URL("http://hello/a"),
    router: "outgoing",
    signal: new AbortController().signal,
    startMs: 0,
    host: "hello",
    target: "/a",
  });
}

Deno.test("parseTraceparent() reads version 00 and ignores malformed values", () => {
  assertEquals(parseTraceparent(TP), {
    traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    spanId: "00f067aa0ba902b7",
    sampled: true,
  });
  assertEquals(parseTraceparent(TP.replace(/01$/, "00"))?.sampled, false);
  assertEquals(parseTraceparent(TP.replace(/01$/, "03"))?.sampled, true, "other flag bits ignored");
  assertEquals(
    parseTraceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra")?.spanId,
    "00f067aa0ba902b7",
    "a later version with more fields is read as 00",
  );
  for (
    const bad of [
      "",
      TP + "-extra", // version 00 has exactly 4 fields
      TP.toUpperCase(),
      "ff" + TP.slice(2),
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
      "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x",
      "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
    ]
  ) assertEquals(parseTraceparent(bad), undefined, bad);
});

Deno.test("parseB3Single() reads ids, sampling state and the decision-only form", () => {
  assertEquals(
    parseB3Single("80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90"),
    {
      traceId: "80f198ee56343ba864fe8b2a57d3eff7",
      spanId: "e457b5a2e4d86bd1",
      sampled: true,
    },
  );
  assertEquals(parseB3Single("a3ce929d0e0e4736-e457b5a2e4d86bd1"), {
    traceId: "a3ce929d0e0e4736",
    spanId: "e457b5a2e4d86bd1",
    sampled: undefined,
  });
  assertEquals(parseB3Single("a3ce929d0e0e4736-e457b5a2e4d86bd1-d")?.sampled, true, "debug");
  assertEquals(parseB3Single("0"), { traceId: "", spanId: "", sampled: false });
  for (
    const bad of [
      "",
      "x",
      "a3ce929d0e0e4736",
      "a3ce929d0e0e4736-zz",
      "a3ce929d0e0e4736-e457b5a2e4d86bd1-2",
    ]
  ) assertEquals(parseB3Single(bad), undefined, bad);
});

Deno.test("parseB3Multi() reads x-b3-* and treats x-b3-flags: 1 as sampled", () => {
  assertEquals(
    parseB3Multi(
      new Headers({
        "x-b3-traceid": "A3CE929D0E0E4736",
        "x-b3-spanid": "e457b5a2e4d86bd1",
        "x-b3-sampled": "0",
      }),
    ),
    { traceId: "a3ce929d0e0e4736", spanId: "e457b5a2e4d86bd1", sampled: false },
  );
  assertEquals(
    parseB3Multi(
      new Headers({
        "x-b3-traceid": "a3ce929d0e0e4736",
        "x-b3-spanid": "e457b5a2e4d86bd1",
        "x-b3-flags": "1",
      }),
    )
      ?.sampled,
    true,
  );
  assertEquals(parseB3Multi(new Headers()), undefined);
  assertEquals(
    parseB3Multi(new Headers({ "x-b3-traceid": "a3ce929d0e0e4736" })),
    undefined,
    "no span id",
  );
});

Deno.test("readInboundTrace() takes the first valid header, an l5d-ctx-trace of another trace first", () => {
  const l5d = encodeL5dCtxTrace({
    traceId: "1111111111111111",
    spanId: "2222222222222222",
    parentSpanId: "",
    sampled: true,
  });
  const all = {
    traceparent: TP,
    b3: "3333333333333333-4444444444444444-1",
    "x-b3-traceid": "5555555555555555",
    "x-b3-spanid": "6666666666666666",
    "l5d-ctx-trace": l5d,
  };
  const { "l5d-ctx-trace": _, ...others } = all;
  assertEquals(readInboundTrace(new Headers(others))?.spanId, "00f067aa0ba902b7");
  assertEquals(
    readInboundTrace(new Headers({ ...others, traceparent: "junk" }))?.spanId,
    "4444444444444444",
  );
  assertEquals(
    readInboundTrace(new Headers({ ...others, traceparent: "junk", b3: "junk" }))?.spanId,
    "6666666666666666",
  );
  assertEquals(readInboundTrace(new Headers({ "l5d-ctx-trace": l5d }))?.spanId, "2222222222222222");
  // io.l5d.default: an l5d-ctx-trace of another trace wins (Linkerd reads only it); of the same
  // trace, the W3C/B3 span an app between two hops wrote is the parent.
  assertEquals(readInboundTrace(new Headers(all))?.spanId, "2222222222222222");
  const sameTrace = { ...all, b3: "1111111111111111-4444444444444444-1", traceparent: "junk" };
  assertEquals(readInboundTrace(new Headers(sameTrace))?.spanId, "4444444444444444");
  // io.l5d.zipkin: b3 first, then x-b3-*, as Linkerd's ZipkinTrace.get.
  assertEquals(readInboundTrace(new Headers(all), "io.l5d.zipkin")?.spanId, "4444444444444444");
  assertEquals(
    readInboundTrace(new Headers({ ...all, b3: "junk" }), "io.l5d.zipkin")?.spanId,
    "6666666666666666",
  );
  assertEquals(readInboundTrace(new Headers({ "l5d-ctx-trace": "junk" })), undefined);
});

Deno.test("decodeTraceContext() continues an inbound trace with a new server span id", () => {
  const clock = new FakeClock();
  const ctx = newCtx();
  decodeTraceContext(new Headers({ traceparent: TP }), ctx, {
    sampleRate: 0,
    random: () => clock.random(),
  });
  assertEquals(ctx.traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
  assertEquals(ctx.parentSpanId, "00f067aa0ba902b7");
  assert(isValidHexId(ctx.spanId, 16) && ctx.spanId !== ctx.parentSpanId);
  assertEquals(ctx.sampled, true, "the caller's decision wins over sampleRate 0");
});

Deno.test("decodeTraceContext() starts a 64-bit trace and samples by l5d-sample, else sampleRate", () => {
  const clock = new FakeClock();
  const opts = { sampleRate: 1, random: () => clock.random() };
  const a = newCtx();
  decodeTraceContext(new Headers(), a, opts);
  assert(isValidHexId(a.traceId, 16), a.traceId);
  assertEquals([a.parentSpanId, a.sampled], ["", true]);
  const b = newCtx();
  decodeTraceContext(new Headers({ "l5d-sample": "0" }), b, opts);
  assertEquals(b.sampled, false, "l5d-sample: 0 beats sampleRate 1");
  const c = newCtx();
  decodeTraceContext(new Headers({ "l5d-sample": "1.5" }), c, { ...opts, sampleRate: 0 });
  assertEquals(c.sampled, true, "clamped to 1");
  const d = newCtx();
  decodeTraceContext(new Headers({ "x-b3-sampled": "0" }), d, opts);
  assertEquals(d.sampled, false, "an inbound decision is honoured");
  const o = newCtx();
  decodeTraceContext(new Headers({ "l5d-sample": "1", "x-b3-sampled": "0" }), o, opts);
  assertEquals(o.sampled, true, "l5d-sample overrides it, as Linkerd's TraceInitializer");
  const e = newCtx();
  decodeTraceContext(new Headers({ "l5d-sample": "junk" }), e, { ...opts, sampleRate: 0 });
  assertEquals(e.sampled, false, "a junk l5d-sample falls back to sampleRate");
});

Deno.test("encodeTraceHeaders() writes every format for the same span", () => {
  const ctx = newCtx();
  ctx.traceId = "a3ce929d0e0e4736";
  ctx.spanId = "00f067aa0ba902b7";
  ctx.parentSpanId = "1111111111111111";
  ctx.sampled = true;
  const h = new Headers({ "x-b3-flags": "1", traceparent: "stale", tracestate: "vendor=x" });
  encodeTraceHeaders(h, ctx);
  assertEquals(h.get("traceparent"), "00-0000000000000000a3ce929d0e0e4736-00f067aa0ba902b7-01");
  assertEquals(h.get("tracestate"), "vendor=x", "tracestate passes through");
  assertEquals(h.get("b3"), "a3ce929d0e0e4736-00f067aa0ba902b7-1-1111111111111111");
  assertEquals(h.get("x-b3-traceid"), "a3ce929d0e0e4736");
  assertEquals(h.get("x-b3-spanid"), "00f067aa0ba902b7");
  assertEquals(h.get("x-b3-parentspanid"), "1111111111111111");
  assertEquals(h.get("x-b3-sampled"), "1");
  assertEquals(h.get("x-b3-flags"), null);
  assertEquals(h.get("l5d-reqid"), "a3ce929d0e0e4736");
  assertEquals(decodeL5dCtxTrace(h.get("l5d-ctx-trace")!), {
    traceId: "a3ce929d0e0e4736",
    spanId: "00f067aa0ba902b7",
    parentSpanId: "1111111111111111",
    sampled: true,
  });
});

Deno.test("encodeTraceHeaders() then decodeTraceContext() agree whichever header the next hop reads", () => {
  const clock = new FakeClock({ seed: 9 });
  const random = () => clock.random();
  for (const traceId of ["a3ce929d0e0e4736", "4bf92f3577b34da6a3ce929d0e0e4736"]) {
    for (const sampled of [true, false]) {
      const up = newCtx();
      Object.assign(up, { traceId, spanId: "00f067aa0ba902b7", parentSpanId: "", sampled });
      const h = new Headers();
      encodeTraceHeaders(h, up);
      assertEquals(h.get("x-b3-parentspanid"), null, "no parent header for a root span");
      for (const only of ["traceparent", "b3", "x-b3-*", "l5d-ctx-trace"]) {
        const sub = new Headers();
        for (const [k, v] of h) {
          if (k === only || (only === "x-b3-*" && k.startsWith("x-b3-"))) sub.set(k, v);
        }
        const down = newCtx();
        decodeTraceContext(sub, down, { sampleRate: sampled ? 0 : 1, random });
        assertEquals(
          [down.traceId, down.parentSpanId, down.sampled],
          [traceId, "00f067aa0ba902b7", sampled],
          `${only} ${traceId} ${sampled}`,
        );
      }
    }
  }
});

// The B3 spec: a debug id is written as `x-b3-flags: 1` without `x-b3-sampled` (Linkerd's
// ZipkinTrace.set writes both: see the io.l5d.zipkin propagator test);
// Finagle's TraceId keeps Flags.Debug across hops, and reads it as sampled ahead of `l5d-sample`.
Deno.test("a debug trace stays debug in every format, whichever header carried it in", () => {
  const clock = new FakeClock({ seed: 3 });
  const opts = { sampleRate: 0, random: () => clock.random() };
  const inbound = [
    { "x-b3-traceid": "a3ce929d0e0e4736", "x-b3-spanid": "e457b5a2e4d86bd1", "x-b3-flags": "1" },
    { b3: "a3ce929d0e0e4736-e457b5a2e4d86bd1-d" },
    {
      "l5d-ctx-trace": encodeL5dCtxTrace({
        traceId: "a3ce929d0e0e4736",
        spanId: "e457b5a2e4d86bd1",
        parentSpanId: "",
        sampled: undefined,
        debug: true,
      }),
    },
  ];
  for (const hdrs of inbound) {
    const ctx = newCtx();
    decodeTraceContext(new Headers({ ...hdrs, "l5d-sample": "0" }), ctx, opts);
    const what = Object.keys(hdrs)[0];
    assertEquals(
      [ctx.traceId, ctx.sampled, ctx.traceDebug],
      ["a3ce929d0e0e4736", true, true],
      what,
    );
    const h = new Headers({ "x-b3-sampled": "0" });
    encodeTraceHeaders(h, ctx);
    assertEquals([h.get("x-b3-flags"), h.get("x-b3-sampled")], ["1", null], what);
    assertEquals(h.get("b3"), `a3ce929d0e0e4736-${ctx.spanId}-d-${ctx.parentSpanId}`, what);
    assert(h.get("traceparent")!.endsWith("-01"), what);
    const l5d = decodeL5dCtxTrace(h.get("l5d-ctx-trace")!);
    assertEquals([l5d?.sampled, l5d?.debug], [true, true], what);
    assertEquals(atob(h.get("l5d-ctx-trace")!).charCodeAt(31), 7, "Debug|SamplingKnown|Sampled");
  }
});

Deno.test("decodeTraceContext() without a tracer keeps the caller's span as the parent downstream", () => {
  const clock = new FakeClock();
  const opts = { sampleRate: undefined, random: () => clock.random() };
  const ctx = newCtx();
  decodeTraceContext(new Headers({ traceparent: TP, tracestate: "v=1" }), ctx, opts);
  assertEquals([ctx.traceId, ctx.spanId, ctx.parentSpanId, ctx.sampled], [
    "4bf92f3577b34da6a3ce929d0e0e4736",
    "00f067aa0ba902b7",
    "",
    true,
  ]);
  const h = new Headers({ traceparent: TP, tracestate: "v=1" });
  encodeTraceHeaders(h, ctx);
  assertEquals(h.get("traceparent"), TP, "the app sees what the caller sent");
  assertEquals(h.get("tracestate"), "v=1");
  assertEquals(h.get("l5d-reqid"), "4bf92f3577b34da6a3ce929d0e0e4736");
});

Deno.test("decodeTraceContext() without a tracer starts an undecided Linkerd trace, the request a child of its root", () => {
  const clock = new FakeClock();
  const ctx = newCtx();
  decodeTraceContext(new Headers(), ctx, { sampleRate: undefined, random: () => clock.random() });
  assertEquals([ctx.spanId, ctx.sampled], ["", false]);
  const h = new Headers();
  encodeTraceHeaders(h, ctx);
  assertEquals([...h.keys()].sort(), ["l5d-ctx-trace", "l5d-reqid"], "no W3C/B3 decision imposed");
  assertEquals(h.get("l5d-reqid"), ctx.traceId);
  // Finagle's root server span has span = trace; the request's client span is its child.
  assert(isValidHexId(ctx.l5dSpanId, 16) && ctx.l5dSpanId !== ctx.traceId);
  assertEquals(decodeL5dCtxTrace(h.get("l5d-ctx-trace")!), {
    traceId: ctx.traceId,
    spanId: ctx.l5dSpanId,
    parentSpanId: ctx.traceId,
    sampled: undefined,
  });
  // An explicit l5d-sample still decides, and then every format carries it.
  const forced = newCtx();
  decodeTraceContext(new Headers({ "l5d-sample": "1" }), forced, {
    sampleRate: undefined,
    random: () => clock.random(),
  });
  assertEquals(forced.sampled, true);
  assert(isValidHexId(forced.spanId, 16));
});

Deno.test("decodeTraceContext() without a tracer: the upstream l5d-ctx-trace is a child of the caller's span", () => {
  // Linkerd's HttpTraceInitializerTest 'parent/child requests are assigned linked request ids':
  // Finagle's client TraceInitializerFilter gives each request a new span under the caller's.
  const clock = new FakeClock();
  const caller = "AAAAAAAAAAEAAAAAAAAAAgAAAAAAAAADAAAAAAAAAAA="; // span 1, parent 2, trace 3, undecided
  const ctx = newCtx();
  decodeTraceContext(new Headers({ "l5d-ctx-trace": caller }), ctx, {
    sampleRate: undefined,
    random: () => clock.random(),
  });
  const h = new Headers();
  encodeTraceHeaders(h, ctx);
  const out = decodeL5dCtxTrace(h.get("l5d-ctx-trace")!)!;
  assertEquals([out.traceId, out.parentSpanId, out.sampled], [
    "0000000000000003",
    "0000000000000001",
    undefined, // no decision came in, none goes out
  ]);
  assert(isValidHexId(out.spanId, 16) && out.spanId !== "0000000000000001");
  assertEquals(h.get("l5d-reqid"), "0000000000000003");
  // A decision that came in goes on.
  const decided = newCtx();
  decodeTraceContext(new Headers({ "l5d-ctx-trace": caller, "l5d-sample": "1" }), decided, {
    sampleRate: undefined,
    random: () => clock.random(),
  });
  const h2 = new Headers();
  encodeTraceHeaders(h2, decided);
  assertEquals(decodeL5dCtxTrace(h2.get("l5d-ctx-trace")!)!.sampled, true);
});
