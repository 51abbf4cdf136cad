/**
 * Linkerd 1.x's `router/core/src/test/scala/com/twitter/finagle/buoyant/TraceInitializerTest.scala`
 * against the real process: the trace id an upstream receives in `l5d-ctx-trace` (Finagle's
 * 32-byte TraceId: span, parent, trace, flags; flags 2 = SamplingKnown, 4 = Sampled). Linkerd's
 * `TraceInitializer.ServerFilter` decides sampling only from `l5d-sample` (HTTP passes no default
 * sampler) and a configured tracer's `sampleTrace`; with neither, the caller's undecided trace
 * stays undecided. Loopback only.
 *
 * @module
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, startUpstream } from "../support/upstream.ts";

/** l5d-ctx-trace decoded here, independently of the product code. */
function ctxTrace(b64: string) {
  const bin = atob(b64);
  const hex = (from: number) =>
    [...bin.slice(from, from + 8)].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0"))
      .join("");
  return { span: hex(0), parent: hex(8), trace: hex(16), flags: bin.charCodeAt(31) };
}

/** An l5d-ctx-trace for span/parent/trace ids (16 hex digits) and flags. */
function encode(span: string, parent: string, trace: string, flags: number): string {
  const bytes = [span, parent, trace, flags.toString(16).padStart(16, "0")]
    .flatMap((h) => h.match(/../g)!.map((b) => String.fromCharCode(parseInt(b, 16))));
  return btoa(bytes.join(""));
}

async function upstreamIds(telemetry: string, headers: string[][]) {
  const app = startUpstream("app");
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
${telemetry}
routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/${app.port};
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    const out = [];
    for (const hs of headers) {
      const r = await curl([
        "-H",
        "Host: a",
        ...hs.flatMap((h) => ["-H", h]),
        `http://${sy.proxy()}/`,
      ]);
      assertEquals(r.status, 200);
      out.push(ctxTrace(app.seen.at(-1)!.headers["l5d-ctx-trace"]!));
    }
    return out;
  } finally {
    await sy.stop();
    await app.close();
  }
}

const ZIPKIN = (rate: number) =>
  `telemetry: [{kind: io.l5d.zipkin, host: 127.0.0.1, port: 9, sampleRate: ${rate}}]`;

Deno.test("linkerd TraceInitializerTest: does not set sampled on trace when sampler is not present", async () => {
  const caller = encode("00000000000000aa", "0000000000000099", "0000000000000099", 0);
  const [fresh, forwarded] = await upstreamIds("", [[], [`l5d-ctx-trace: ${caller}`]]);
  assertEquals(fresh!.flags, 0, "a new trace: no decision");
  assertEquals(forwarded!.trace, "0000000000000099");
  assertEquals(forwarded!.flags, 0, "the caller's undecided trace stays undecided");
});

Deno.test("linkerd TraceInitializerTest: sets sampled on trace to false when sampler is 0.0, true at 1.0", async () => {
  const [off] = await upstreamIds(ZIPKIN(0), [[]]);
  assertEquals(off!.flags, 2, "SamplingKnown, not Sampled");
  const [on] = await upstreamIds(ZIPKIN(1), [[]]);
  assertEquals(on!.flags, 6, "SamplingKnown | Sampled");
  // l5d-sample decides without a tracer too (Linkerd's ServerFilter sampler(req)).
  const [byHeader] = await upstreamIds("", [["l5d-sample: 1.0"]]);
  assertEquals(byHeader!.flags, 6);
});

Deno.test("linkerd TraceInitializerTest: parent/child requests share the trace id; independent ones do not", async () => {
  const [first, independent] = await upstreamIds(ZIPKIN(1), [[], []]);
  const caller = encode(first!.span, first!.parent, first!.trace, first!.flags);
  const [child] = await upstreamIds(ZIPKIN(1), [[`l5d-ctx-trace: ${caller}`]]);
  assertEquals(child!.trace, first!.trace);
  assert(child!.span !== first!.span && child!.parent !== first!.parent, "a new span below");
  assert(independent!.trace !== first!.trace && independent!.span !== first!.span);
});
