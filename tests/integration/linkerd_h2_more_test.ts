/**
 * More of Linkerd 1.x's HTTP/2 tests, run against the real Switchyard process with real HTTP/2
 * peers (`tests/support/h2_peer.ts` child processes, nghttp):
 * - linkerd/protocol/h2/src/e2e/.../H2EndToEndTest.scala
 * - router/h2/src/e2e/.../RouterEndToEndTest.scala, FlowControlEndToEndTest.scala,
 *   LargeStreamEndToEndTest.scala, ConcurrentStreamsEndToEndTest.scala
 * - finagle/h2/src/test/.../netty4/Netty4StreamTransportTest.scala (connection-specific fields)
 */
import { assert, assertEquals } from "../support/assert.ts";
import { adminMetrics, startSwitchyard } from "../support/switchyard.ts";
import { nghttp, startPeer, startPortPeer } from "../support/h2_peers.ts";

async function waitFor(f: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await f()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** The error code of the RST_STREAM nghttp -v received, or undefined. */
function resetCode(verbose: string): string | undefined {
  return /recv RST_STREAM frame[^\n]*\n\s*\(error_code=([A-Z_]+)/.exec(verbose)?.[1];
}

/** One peer client run to its `{"done"}` line; its other lines. */
async function run(mode: string, ...args: string[]): Promise<Record<string, unknown>[]> {
  const peer = startPeer(mode, ...args);
  const lines: Record<string, unknown>[] = [];
  for (;;) {
    const l = await peer.next(40_000);
    if (l.done) break;
    lines.push(l);
  }
  await peer.exited;
  return lines;
}

async function h2Router(upstreamPort: number, extra = "") {
  return await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: h2
  dtab: /svc/dog => /$/inet/127.1/${upstreamPort};
  servers: [{port: 0}]
${extra}`);
}

Deno.test("linkerd H2EndToEndTest: single and concurrent requests multiplex over one client connection, answered out of order", async () => {
  const up = await startPortPeer("h2-echo");
  const sy = await h2Router(up.port);
  const url = `http://127.0.0.1:${sy.ports.h2![0]}`;
  try {
    // nghttp sends its URIs concurrently on one connection; the slow one is answered last.
    const out = await nghttp([
      "-v",
      "-H",
      ":authority: dog",
      `${url}/delay/800`,
      `${url}/delay/50`,
    ]);
    const fast = out.indexOf("delayed 50");
    const slow = out.indexOf("delayed 800");
    assert(fast >= 0 && slow > fast, out);
    const m = await adminMetrics(sy.admin);
    assertEquals(m[`rt/h2/client/$/inet/127.1/${up.port}/connects`], 1);
    assertEquals(m[`rt/h2/client/$/inet/127.1/${up.port}/requests`], 2);
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});

Deno.test("linkerd H2EndToEndTest: context headers: l5d-dtab reaches the upstream as l5d-ctx-dtab, with l5d-ctx-trace", async () => {
  const up = await startPortPeer("h2-echo");
  const sy = await h2Router(up.port);
  try {
    const out = await nghttp([
      "-v",
      "-H",
      ":authority: dog",
      "-H",
      "l5d-dtab: /foo=>/bar",
      `http://127.0.0.1:${sy.ports.h2![0]}/`,
    ]);
    const m = /x-req: (\{.*\})/.exec(out);
    assert(m, out);
    const req = JSON.parse(m[1]!);
    assertEquals(req["l5d-ctx-dtab"], "/foo=>/bar");
    assertEquals(req["l5d-dtab"], undefined);
    assert(typeof req["l5d-ctx-trace"] === "string" && req["l5d-ctx-trace"].length > 0, m[1]);
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});

Deno.test("linkerd H2EndToEndTest: diagnostic tracing with h2 request (TRACE + l5d-add-context)", async () => {
  const up = await startPortPeer("h2-echo");
  const sy = await h2Router(up.port);
  try {
    const out = await nghttp([
      "-H",
      ":method: TRACE",
      "-H",
      ":authority: dog",
      "-H",
      "l5d-add-context: true",
      `http://127.0.0.1:${sy.ports.h2![0]}/`,
    ]);
    const content = [
      "service name: /svc/dog",
      `client name: /$/inet/127.1/${up.port}`,
      `addresses: [127.0.0.1:${up.port}]`,
      `selected address: 127.0.0.1:${up.port}`,
      "dtab resolution:",
      "  /svc/dog",
      `  /$/inet/127.1/${up.port} (/svc/dog=>/$/inet/127.1/${up.port})`,
      "",
    ].join("\n");
    assert(out.includes(content), out);
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});

Deno.test("linkerd H2EndToEndTest: returns 400 for requests that have more than allowed hops", async () => {
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: h2
  servers:
  - port: 0
    maxCallDepth: 2
`);
  try {
    const out = await nghttp([
      "-v",
      "-H",
      ":authority: dog",
      "-H",
      "via: hop1, hop2, hop3",
      "-H",
      "l5d-dtab: /foo=>/bar",
      `http://127.0.0.1:${sy.ports.h2![0]}/`,
    ]);
    assert(out.includes(":status: 400"), out);
    assert(
      out.includes("Maximum number of calls (2) has been exceeded. Please check for proxy loops."),
      out,
    );
  } finally {
    await sy.stop();
  }
});

/** The error code of the GOAWAY nghttp -v received, or undefined. */
function goAwayCode(verbose: string): string | undefined {
  return /recv GOAWAY frame[^\n]*\n\s*\(last_stream_id=\d+, error_code=([A-Z_]+)/.exec(verbose)
    ?.[1];
}

// RouterEndToEndTest "fails requests with connection-headers" and Netty4StreamTransportTest
// "fails request with `te: chunked, trailers`" / "allows request with `te: trailers`": a request
// carrying an HTTP/1 connection-specific field is malformed (RFC 9113 §8.2.2) and never reaches
// the upstream. Linkerd (Netty's HPACK decoder) resets that stream with PROTOCOL_ERROR;
// Switchyard's HTTP/2 stack (Deno's node:http2) fails the connection with GOAWAY PROTOCOL_ERROR
// (README, Known differences).
Deno.test("linkerd RouterEndToEndTest: fails requests with connection-headers (PROTOCOL_ERROR); te: trailers passes", async () => {
  const up = await startPortPeer("h2-echo");
  const sy = await h2Router(up.port);
  const url = `http://127.0.0.1:${sy.ports.h2![0]}/path`;
  try {
    for (const field of ["connection: close", "te: chunked, trailers", "keep-alive: 5"]) {
      const out = await nghttp(["-v", "-H", ":authority: dog", "-H", field, url]);
      assertEquals(resetCode(out) ?? goAwayCode(out), "PROTOCOL_ERROR", `${field}\n${out}`);
      assert(!out.includes(":status:"), out);
    }
    const ok = await nghttp(["-v", "-H", ":authority: dog", "-H", "te: trailers", url]);
    assert(ok.includes(":status: 200"), ok);
    assert(await waitFor(() => up.peer.lines.some((l) => l.closed), 3000));
    assertEquals(up.peer.lines.filter((l) => l.closed).length, 1, JSON.stringify(up.peer.lines));
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});

// RouterEndToEndTest "resets downstream on upstream disconnect": a client whose request stream
// fails mid-way (the stream is reset with INTERNAL_ERROR) gets the upstream's stream reset with
// INTERNAL_ERROR. On the wire: the client's RST_STREAM INTERNAL_ERROR reaches the upstream as it
// is; a client whose TCP connection is lost gets its streams reset with CANCEL (Linkerd's
// Netty4DispatcherBase: a failed connection `goAway`s, `resetStreams(Reset.Cancel)`).
Deno.test("linkerd RouterEndToEndTest: resets downstream on upstream disconnect", async () => {
  const up = await startPortPeer("h2-reset");
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: h2
  dtab: /svc/dog => /$/inet/127.1/${up.port};
  servers: [{port: 0}]
`);
  const addr = `127.0.0.1:${sy.ports.h2![0]}`;
  const closed = async (path: string) => {
    assert(
      await waitFor(() => up.peer.lines.some((l) => l.closed === path), 5000),
      JSON.stringify(up.peer.lines),
    );
    return up.peer.lines.find((l) => l.closed === path)!.rstCode;
  };
  try {
    const client = startPeer("h2-reset-client", addr, "dog", "/hold", "2");
    assertEquals((await client.next()).status, 200);
    await client.exited;
    assertEquals(await closed("/hold"), 2);
    up.peer.lines.length = 0;
    const lines = await run("h2-disconnect", addr, "dog", "/hold");
    assertEquals(lines[0]?.status, 200);
    assertEquals(await closed("/hold"), 8);
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});

Deno.test("linkerd ConcurrentStreamsEndToEndTest: 8 concurrent echo streams, lock-step, 1 B and 96 KiB", async () => {
  const up = await startPortPeer("h2-echo");
  const sy = await h2Router(up.port);
  try {
    for (const len of [1, 98304]) {
      const lines = await run(
        "h2-lockstep",
        `127.0.0.1:${sy.ports.h2![0]}`,
        "dog",
        "8",
        `${len}`,
        "8192",
      );
      assertEquals(lines, [{ ok: true, bytes: Array(8).fill(len) }]);
    }
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});

Deno.test("linkerd FlowControlEndToEndTest / LargeStreamEndToEndTest: request and response streams larger than the window", async () => {
  const up = await startPortPeer("h2-echo");
  const sy = await h2Router(up.port);
  const addr = `127.0.0.1:${sy.ports.h2![0]}`;
  try {
    // Response flow control: three windows' worth.
    const big = 3 * 65535;
    const out = await nghttp(["-H", ":authority: dog", `http://${addr}/big/${big}`]);
    assertEquals(out.length, big);
    // Request flow control: the upstream answered (and ended its response) before it read the
    // request body, which keeps streaming to it.
    const lines = await run("h2-upload", addr, "dog", "/drain", `${2 * 65536}`);
    assertEquals(lines[0]?.status, 200);
    assert(
      await waitFor(() => up.peer.lines.some((l) => l.drained !== undefined), 5000),
      JSON.stringify(up.peer.lines),
    );
    assertEquals(up.peer.lines.find((l) => l.drained !== undefined)!.drained, 2 * 65536);
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});

Deno.test("linkerd H2EndToEndTest: logs to correct files (h2AccessLog per router)", async () => {
  const up = await startPortPeer("h2-echo");
  const dir = await Deno.makeTempDir();
  const router = (i: number) => `
- protocol: h2
  label: router${i}
  h2AccessLog: ${dir}/access${i}.log
  dtab: /svc/dog => /$/inet/127.1/${up.port};
  servers: [{port: 0}]`;
  const sy = await startSwitchyard(`admin: {port: 0}\nrouters:${router(0)}${router(1)}\n`);
  try {
    for (const [i, path] of ["/path0", "/path1", "/path2", "/path3"].entries()) {
      const port = sy.ports[`router${i % 2}`]![0];
      const out = await nghttp(["-v", "-H", ":authority: dog", `http://127.0.0.1:${port}${path}`]);
      assert(out.includes(":status: 200"), out);
    }
    const read = async (i: number) => {
      let text = "";
      await waitFor(async () => {
        text = await Deno.readTextFile(`${dir}/access${i}.log`).catch(() => "");
        return text.split("\n").filter((l) => l).length >= 2;
      }, 5000);
      return text;
    };
    const [log0, log1] = [await read(0), await read(1)];
    for (const path of ["/path0", "/path2"]) assert(log0.includes(path) && !log1.includes(path));
    for (const path of ["/path1", "/path3"]) assert(log1.includes(path) && !log0.includes(path));
  } finally {
    await sy.stop();
    await up.peer.kill();
    await Deno.remove(dir, { recursive: true });
  }
});

// H2DiagnosticTracerTest and H2DiagnosticTracer.scala: TRACE requests and Max-Forwards.
Deno.test("linkerd H2DiagnosticTracerTest: TRACE passes through; Max-Forwards 0, decremented, or unparsable", async () => {
  const up = await startPortPeer("h2-echo");
  const sy = await h2Router(up.port);
  const trace = (...fields: string[]) =>
    nghttp([
      "-v",
      "-H",
      ":method: TRACE",
      "-H",
      ":authority: dog",
      ...fields.flatMap((f) => ["-H", f]),
      `http://127.0.0.1:${sy.ports.h2![0]}/`,
    ]);
  const reached = () => up.peer.lines.filter((l) => l.closed === "/").length;
  try {
    // "pass through TRACE requests without l5d-add-context header"
    const plain = await trace();
    assert(plain.includes(":status: 200") && plain.includes("x-req:"), plain);
    assert(!plain.includes("service name:"), plain);
    assert(await waitFor(() => reached() === 1, 3000));
    // "returns 'bad request' response when unparsable Max-Forwards header is sent", with or
    // without l5d-add-context
    for (const extra of [["l5d-add-context: true"], []]) {
      const bad = await trace("max-forwards: 31qe", ...extra);
      assert(bad.includes(":status: 400"), bad);
      assert(bad.includes("Invalid value for max-forwards header"), bad);
    }
    // Max-Forwards 0: answered here, with the router context only when asked for.
    const zero = await trace("max-forwards: 0");
    assert(zero.includes(":status: 200") && !zero.includes("x-req:"), zero);
    assert(!zero.includes("service name:"), zero);
    const zeroCtx = await trace("max-forwards: 0", "l5d-add-context: true");
    assert(zeroCtx.includes(":status: 200") && !zeroCtx.includes("x-req:"), zeroCtx);
    assert(zeroCtx.includes("service name: /svc/dog"), zeroCtx);
    // Max-Forwards N > 0 goes upstream as N - 1.
    const fwd = await trace("max-forwards: 3");
    const req = JSON.parse(/x-req: (\{.*\})/.exec(fwd)?.[1] ?? "{}");
    assertEquals(req["max-forwards"], "2", fwd);
    await new Promise((r) => setTimeout(r, 200));
    assertEquals(reached(), 2, JSON.stringify(up.peer.lines));
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});

// Deno 2.9's node:http2 aborted a process with two h2 routers right after its first request
// (nghttp2 `find_stream_on_goaway_func`, denoland/deno#36788) in 3–7 of 30 fresh processes; the
// routers now share one plaintext Http2Server (router/http/h2/h2_server.ts). Each of these fresh
// processes serves requests on both routers and must still be running afterwards.
Deno.test("h2: fresh processes with two h2 routers serve both and keep running", async () => {
  const up = await startPortPeer("h2-echo");
  const router = (i: number) => `
- protocol: h2
  label: router${i}
  dtab: /svc/dog => /$/inet/127.1/${up.port};
  servers: [{port: 0}]`;
  try {
    for (let run = 0; run < 8; run++) {
      const sy = await startSwitchyard(`admin: {port: 0}\nrouters:${router(0)}${router(1)}\n`);
      let ended = false;
      sy.exited.then(() => (ended = true));
      try {
        for (const [i, path] of ["/a", "/b", "/c"].entries()) {
          const port = sy.ports[`router${i % 2}`]![0];
          const out = await nghttp([
            "-v",
            "-H",
            ":authority: dog",
            `http://127.0.0.1:${port}${path}`,
          ]);
          assert(out.includes(":status: 200"), `run ${run} ${path}: ${out}`);
        }
        await new Promise((r) => setTimeout(r, 300)); // an abort follows the connection's close
        assert(!ended, `run ${run}: the process ended while serving`);
      } finally {
        await sy.stop();
      }
    }
  } finally {
    await up.peer.kill();
  }
});
