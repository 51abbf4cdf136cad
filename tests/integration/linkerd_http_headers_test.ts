/**
 * Linkerd 1.x's HTTP header and error-response unit tests, ported to the real process (a real
 * upstream that records what it was sent, curl in front):
 *
 * - `linkerd/protocol/http/src/test/scala/com/twitter/finagle/buoyant/linkerd/HeadersTest.scala`
 * - `linkerd/protocol/http/src/test/scala/io/buoyant/linkerd/protocol/http/ErrorResponderTest.scala`
 *
 * Each step names the Linkerd test case it follows.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, freePort, startUpstream } from "../support/upstream.ts";
import { rawUpstream } from "../support/raw_upstream.ts";

const enc = new TextEncoder();

/** Java's `URLEncoder.encode(s, ISO_8859_1)`: what Linkerd's `Headers.Err.respond` writes. */
function javaUrlEncode(s: string): string {
  let out = "";
  for (const ch of s) {
    const b = ch.codePointAt(0)!;
    if (/[A-Za-z0-9.*_-]/.test(ch)) out += ch;
    else if (b === 0x20) out += "+";
    else if (b > 0xff) out += "%3F";
    else out += "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/** The trace id inside a Finagle `l5d-ctx-trace` (span, parent, trace, flags: 8 bytes each). */
function ctxTraceId(b64: string): string {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return [...bytes.slice(16, 24)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("linkerd HeadersTest", async (t) => {
  const app = startUpstream("app");
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
telemetry:
- kind: io.l5d.recentRequests
  sampleRate: 1.0
routers:
- protocol: http
  label: plain
  dtab: |
    /svc/a => /$/inet/127.0.0.1/${app.port};
    /svc/c => /$/inet/127.0.0.1/${app.port}/c;
    /svc/d => /$/inet/127.0.0.1/${app.port}/d;
  servers: [{ip: 127.0.0.1, port: 0}]
- protocol: http
  label: timed
  dtab: /svc/a => /$/inet/127.0.0.1/${app.port};
  service: {totalTimeoutMs: 1000}
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  /** Send through a router; the headers the app saw (each name's values joined by curl). */
  const via = async (headers: string[], router = "plain", path = "/") => {
    const before = app.seen.length;
    const args = headers.flatMap((h) => ["-H", h]);
    const r = await curl([...args, `http://${sy.proxy(router)}${path}`]);
    return { r, seen: app.seen.length > before ? app.seen.at(-1)!.headers : undefined };
  };
  const ns = (ms: number) => BigInt(ms) * 1_000_000n;
  try {
    await t.step("linkerd HeadersTest: round trip encoding for request id header", async () => {
      const { r, seen } = await via(["Host: a"]);
      assertEquals(r.status, 200);
      // l5d-reqid is the trace id the l5d-ctx-trace header carries.
      assertEquals(seen!["l5d-reqid"], ctxTraceId(seen!["l5d-ctx-trace"]!));
    });

    await t.step("linkerd HeadersTest: only extract valid sample header values", async () => {
      // The sampled flag goes on in x-b3-sampled; the telemeter's rate is 1.0, so a value that
      // does not parse ("yes") leaves it sampled, and l5d-sample itself never goes upstream.
      const sampled = async (value: string) => {
        const { r, seen } = await via(["Host: a", `l5d-sample: ${value}`]);
        assertEquals(r.status, 200);
        assertEquals(seen!["l5d-sample"], undefined);
        return seen!["x-b3-sampled"];
      };
      assertEquals(await sampled("-3"), "0", "-3 is clamped to 0");
      assertEquals(await sampled("0"), "0");
      assertEquals(await sampled("1"), "1");
      assertEquals(await sampled("1.5"), "1", "1.5 is clamped to 1");
      // "yes" is no number: the header is ignored, not read as 0.
      const { seen } = await via(["Host: a", "l5d-sample: yes"]);
      assert(seen!["x-b3-sampled"] !== "0", `yes is ignored: ${seen!["x-b3-sampled"]}`);
    });

    await t.step("linkerd HeadersTest: Headers.Ctx.serverModule sets Dtab.local", async () => {
      // The local dtab is l5d-ctx-dtab, then l5d-dtab: the last rule for /svc/a wins (/svc/d).
      const { r, seen } = await via([
        "Host: a",
        "l5d-dtab: /svc/a => /svc/d",
        "l5d-ctx-dtab: /svc/a => /svc/c",
      ]);
      assertEquals(r.status, 200);
      assertEquals(seen!["l5d-dst-residual"], "/d", "bound through /svc/d");
      // Both inbound headers are consumed; the Dtab.ClientFilter writes the whole local dtab
      // on as l5d-ctx-dtab.
      assertEquals([seen!["l5d-dtab"], seen!["l5d-ctx-dtab"]], [
        undefined,
        "/svc/a=>/svc/c;/svc/a=>/svc/d",
      ]);
    });

    await t.step(
      "linkerd HeadersTest: Headers.Ctx.serverModule errors on invalid dtab",
      async () => {
        const { r, seen } = await via(["Host: a", "l5d-dtab: i am not a dtab"]);
        assertEquals([r.status, seen], [400, undefined]);
        assert(r.headers.get("l5d-err")?.startsWith("Invalid+l5d-dtab+header"), r.body);
      },
    );

    await t.step("linkerd HeadersTest: Headers.Ctx.serverModule sets Deadline", async () => {
      // One inbound deadline goes on as it came (Finagle's Deadline, written back by the
      // clientModule in nanoseconds).
      const t0 = Date.now();
      const dl = `${ns(t0) + 123n} ${ns(t0 + 5000) + 456789n}`;
      const { r, seen } = await via(["Host: a", `l5d-ctx-deadline: ${dl}`]);
      assertEquals(r.status, 200);
      assertEquals(seen!["l5d-ctx-deadline"], dl);
    });

    await t.step(
      "linkerd HeadersTest: Headers.Ctx.serverModule uses strictest Deadline",
      async () => {
        // Two inbound deadlines combine as Finagle's Deadline.combined: the latest timestamp and
        // the earliest deadline.
        const t0 = Date.now();
        const { r, seen } = await via([
          "Host: a",
          `l5d-ctx-deadline: ${ns(t0 + 1000)} ${ns(t0 + 10_000)}`,
          `l5d-ctx-deadline: ${ns(t0 + 2000)} ${ns(t0 + 8000)}`,
        ]);
        assertEquals(r.status, 200);
        assertEquals(seen!["l5d-ctx-deadline"], `${ns(t0 + 2000)} ${ns(t0 + 8000)}`);
        // A stricter local deadline (totalTimeoutMs 1000 → now + 1 s) combines the same way: its
        // deadline, and the inbound timestamp where that is the later one.
        const t1 = Date.now();
        const later = await via(
          ["Host: a", `l5d-ctx-deadline: ${ns(t1 + 2000)} ${ns(t1 + 8000)}`],
          "timed",
        );
        assertEquals(later.r.status, 200);
        const [ts, deadline] = later.seen!["l5d-ctx-deadline"]!.split(" ").map(BigInt);
        assertEquals(ts, ns(t1 + 2000), "the later timestamp is kept");
        const leftMs = Number(deadline! - ns(t1)) / 1e6;
        assert(leftMs > 900 && leftMs <= 1100, `the local 1 s deadline: ${leftMs} ms`);
      },
    );

    await t.step(
      "linkerd HeadersTest: Headers.Ctx.clientModule omits Deadline if not set",
      async () => {
        const { r, seen } = await via(["Host: a"]);
        assertEquals([r.status, seen!["l5d-ctx-deadline"]], [200, undefined]);
      },
    );

    await t.step(
      "linkerd HeadersTest: PathFilter and BoundFilter encode Dst on requests",
      async () => {
        // 'BoundFilter encodes Dst.Bound on downstream requests': /svc/c binds with residual /c.
        const c = await via(["Host: c"]);
        assertEquals(
          [c.seen!["l5d-dst-service"], c.seen!["l5d-dst-client"], c.seen!["l5d-dst-residual"]],
          ["/svc/c", `/$/inet/127.0.0.1/${app.port}`, "/c"],
        );
        // '... omits empty residual'.
        const a = await via(["Host: a"]);
        assertEquals(
          [a.seen!["l5d-dst-service"], a.seen!["l5d-dst-client"], a.seen!["l5d-dst-residual"]],
          ["/svc/a", `/$/inet/127.0.0.1/${app.port}`, undefined],
        );
        // Inbound l5d-dst-* headers are this hop's to write, not passed on.
        const spoofed = await via(["Host: a", "l5d-dst-residual: /x", "l5d-dst-service: /svc/x"]);
        assertEquals(
          [spoofed.seen!["l5d-dst-service"], spoofed.seen!["l5d-dst-residual"]],
          ["/svc/a", undefined],
        );
      },
    );
  } finally {
    await sy.stop();
    await app.close();
  }
});

Deno.test("linkerd ErrorResponderTest", async (t) => {
  const slow = startUpstream("slow", async (req) => {
    await new Promise((r) => setTimeout(r, Number(new URL(req.url).searchParams.get("ms"))));
    return new Response("late");
  });
  // An upstream whose answer is badly framed (two Content-Length values).
  const malframed = rawUpstream(async (_head, c) => {
    await c.write(
      enc.encode("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!"),
    );
    return false;
  });
  const closedPort = freePort();
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  identifier: {kind: io.l5d.path, segments: 2}
  dtab: |
    /svc/slow => /$/inet/127.0.0.1/${slow.port};
    /svc/bad => /$/inet/127.0.0.1/${malframed.port};
    /svc/down => /$/inet/127.0.0.1/${closedPort};
  servers: [{ip: 127.0.0.1, port: 0}]
  client:
    requestAttemptTimeoutMs: 300
    failureAccrual: {kind: none}
  service:
    totalTimeoutMs: 600
`);
  const get = (path: string) => curl([`http://${sy.proxy()}${path}`]);
  try {
    await t.step(
      "linkerd ErrorResponderTest: returns BadRequest for UnknownDst exception",
      async () => {
        // io.l5d.path with segments: 2 cannot name a one-segment path: UnknownDst.
        const r = await get("/one");
        assertEquals(r.status, 400);
        assert(r.headers.get("l5d-err"), "l5d-err is set");
      },
    );

    await t.step("linkerd ErrorResponderTest: correctly encodes error headers", async () => {
      // l5d-err is the body (the message) as Java's URLEncoder writes it: no raw space, slash or
      // control character, `+` for a space.
      for (const path of ["/one", "/nobody/x", "/down/x", "/slow/x?ms=2000", "/bad/x"]) {
        const r = await get(path);
        const err = r.headers.get("l5d-err") ?? "";
        assertEquals(err, javaUrlEncode(r.body), `${path}: ${r.status} ${r.body}`);
        assert(!/[\s/]/.test(err), err);
        assertEquals(r.headers.get("content-type"), "text/plain", path);
      }
    });

    await t.step(
      "linkerd ErrorResponderTest: marks retryable errors with l5d-retryable",
      async () => {
        // The connection was refused: the request was never written, so it is safe to retry.
        const r = await get("/down/x");
        assertEquals([r.status, r.headers.get("l5d-retryable")], [502, "true"]);
        // An answer the upstream did send is no write failure: no l5d-retryable.
        const bad = await get("/bad/x");
        assertEquals([bad.status, bad.headers.get("l5d-retryable")], [502, null]);
      },
    );

    await t.step(
      "linkerd ErrorResponderTest: returns ServiceUnavailable for request attempt timeouts",
      async () => {
        // requestAttemptTimeoutMs 300 < the 450 ms upstream < totalTimeoutMs 600.
        const r = await get("/slow/x?ms=450");
        assertEquals(r.status, 503, r.body);
        assert(r.headers.get("l5d-err"), "l5d-err is set");
      },
    );

    await t.step(
      "linkerd ErrorResponderTest: returns ServiceUnavailable for total timeouts",
      async () => {
        const r = await get("/slow/x?ms=2000");
        assertEquals(r.status, 503, r.body);
        assert(r.headers.get("l5d-err"), "l5d-err is set");
      },
    );

    await t.step(
      "linkerd ErrorResponderTest: returns BadGateway for FramingException",
      async () => {
        const r = await get("/bad/x");
        assertEquals(r.status, 502, r.body);
        assert(r.headers.get("l5d-err"), "l5d-err is set");
      },
    );
  } finally {
    await sy.stop();
    await slow.close();
    await malframed.close();
  }
});

/** The ids and flags of a Finagle `l5d-ctx-trace` (span, parent, trace, flags: 8 bytes each). */
function ctxTrace(b64: string) {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const hex = (from: number) =>
    [...bytes.slice(from, from + 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return { span: hex(0), parent: hex(8), trace: hex(16), flags: bytes[31]! };
}

// `linkerd/protocol/http/src/test/scala/com/twitter/finagle/buoyant/linkerd/
// HttpTraceInitializerTest.scala` (Linkerd 0.x–1.0; the trace initializer became
// LinkerdTracePropagator): what a router with no tracer sends upstream in l5d-ctx-trace.
Deno.test("linkerd HttpTraceInitializerTest", async (t) => {
  const app = startUpstream("app");
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: /svc/a => /$/inet/127.0.0.1/${app.port};
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  const upstreamTrace = async (headers: string[] = []) => {
    const r = await curl([
      ...headers.flatMap((h) => ["-H", h]),
      "-H",
      "Host: a",
      `http://${sy.proxy()}/`,
    ]);
    assertEquals(r.status, 200);
    const raw = app.seen.at(-1)!.headers["l5d-ctx-trace"]!;
    return { raw, ...ctxTrace(raw) };
  };
  // Finagle's Flags: SamplingKnown = 2, Sampled = 4.
  try {
    await t.step(
      "linkerd HttpTraceInitializerTest: does not set sampled on trace when sample header is not set",
      async () => {
        assertEquals((await upstreamTrace()).flags, 0);
      },
    );
    await t.step(
      "linkerd HttpTraceInitializerTest: does not trace when sample header is set to 0",
      async () => {
        assertEquals((await upstreamTrace(["l5d-sample: 0"])).flags, 2);
      },
    );
    await t.step(
      "linkerd HttpTraceInitializerTest: traces when sample header is set to 1",
      async () => {
        assertEquals((await upstreamTrace(["l5d-sample: 1"])).flags, 6);
      },
    );
    await t.step(
      "linkerd HttpTraceInitializerTest: parent/child requests are assigned linked request ids",
      async () => {
        const id1 = await upstreamTrace();
        // The request's span is a child of the trace's root.
        assertEquals(id1.parent, id1.trace);
        assert(id1.span !== id1.parent, "a span of its own");
        // The next hop: same trace, a new span whose parent is the caller's.
        const id2 = await upstreamTrace([`l5d-ctx-trace: ${id1.raw}`]);
        assertEquals([id2.trace, id2.parent], [id1.trace, id1.span]);
        assert(id2.span !== id2.parent && id2.span !== id1.span, "a new span");
        assertEquals(id2.flags, 0, "still undecided");
      },
    );
    await t.step(
      "linkerd HttpTraceInitializerTest: independent requests are assigned different request ids",
      async () => {
        const [a, b] = [await upstreamTrace(), await upstreamTrace()];
        assert(a.trace !== b.trace && a.span !== b.span && a.parent !== b.parent);
        assertEquals(app.seen.at(-1)!.headers["l5d-reqid"], b.trace);
      },
    );
  } finally {
    await sy.stop();
    await app.close();
  }
});

// `linkerd/protocol/http/src/test/scala/io/buoyant/linkerd/protocol/http/
// ZipkinTracePropagatorTest.scala`: `tracePropagator: {kind: io.l5d.zipkin}`, no tracer. The
// inbound x-b3-* (any case) give the trace; the upstream request gets Linkerd's ZipkinTrace.set:
// its own span under the caller's, x-b3-sampled and x-b3-flags on every request.
Deno.test("linkerd ZipkinTracePropagatorTest", async (t) => {
  const app = startUpstream("app");
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  tracePropagator: {kind: io.l5d.zipkin}
  dtab: /svc/a => /$/inet/127.0.0.1/${app.port};
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  const b3 = async (headers: string[]) => {
    const r = await curl([
      ...headers.flatMap((h) => ["-H", h]),
      "-H",
      "Host: a",
      `http://${sy.proxy()}/`,
    ]);
    assertEquals(r.status, 200);
    const h = app.seen.at(-1)!.headers;
    return {
      trace: h["x-b3-traceid"],
      span: h["x-b3-spanid"]!,
      parent: h["x-b3-parentspanid"],
      sampled: h["x-b3-sampled"],
      flags: h["x-b3-flags"],
    };
  };
  const inbound = (sampled: string[], upper = false) =>
    [
      "x-b3-traceid: 80f198ee56343ba8",
      "x-b3-spanid: 05e3ac9a4f6e3b90",
      ...sampled,
      "x-b3-parentspanid: e457b5a2e4d86bd1",
    ].map((h) => upper ? h.replace(/^[^:]+/, (n) => n.toUpperCase()) : h);
  /** The caller's trace goes on, in a span of this request's own under the caller's span. */
  const child = (got: Awaited<ReturnType<typeof b3>>) => {
    assertEquals([got.trace, got.parent], ["80f198ee56343ba8", "05e3ac9a4f6e3b90"]);
    assert(/^[0-9a-f]{16}$/.test(got.span) && got.span !== "05e3ac9a4f6e3b90", got.span);
  };
  try {
    await t.step(
      "linkerd ZipkinTracePropagatorTest: get traceid from multi x-b3 headers, 64bit trace id, sampled, UPPER CASE header doesn't matter",
      async () => {
        const lower = await b3(inbound(["x-b3-sampled: 1"]));
        const upper = await b3(inbound(["x-b3-sampled: 1"], true));
        for (const got of [lower, upper]) {
          child(got);
          assertEquals([got.sampled, got.flags], ["1", "0"]);
        }
      },
    );
    await t.step(
      "linkerd ZipkinTracePropagatorTest: get traceid from multi x-b3 headers, 64bit trace id, do not sample decision set",
      async () => {
        const got = await b3(inbound(["x-b3-sampled: 0"]));
        child(got);
        assertEquals([got.sampled, got.flags], ["0", "0"]);
      },
    );
    await t.step(
      "linkerd ZipkinTracePropagatorTest: get traceid from multi x-b3 headers, 64bit trace id, no sampling decision present",
      async () => {
        const got = await b3(inbound([]));
        child(got);
        assertEquals([got.sampled, got.flags], ["0", "0"], "ZipkinTrace.set writes 0");
      },
    );
    await t.step(
      "linkerd ZipkinTracePropagatorTest: get traceid from multi x-b3 headers, 64bit trace id, debug flags set",
      async () => {
        const got = await b3(inbound(["x-b3-flags: 1"]));
        child(got);
        // Finagle reads a debug id as sampled: ZipkinTrace.set writes both.
        assertEquals([got.sampled, got.flags], ["1", "1"]);
      },
    );
    await t.step("linkerd ZipkinTracePropagatorTest: setContext on a new trace", async () => {
      // x-b3-traceid, -spanid, -flags, -sampled and -parentspanid: the request's span is a
      // child of the new trace's root, whose id is the trace id.
      const got = await b3([]);
      assert(/^[0-9a-f]{16}$/.test(got.trace ?? ""), got.trace);
      assertEquals([got.parent, got.sampled, got.flags], [got.trace, "0", "0"]);
      assert(got.span !== got.trace, "a span of its own");
    });
  } finally {
    await sy.stop();
    await app.close();
  }
});
