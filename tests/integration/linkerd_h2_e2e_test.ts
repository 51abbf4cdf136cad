/**
 * Scenarios of Linkerd 1.x's h2 end-to-end tests (`H2EndToEndTest`,
 * `StreamClassificationEndToEndTest`) run against the real Switchyard process: an HTTP/2
 * upstream peer (`tests/support/h2_peer.ts`, a child process) and nghttp as the client.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { adminMetrics, startSwitchyard } from "../support/switchyard.ts";
import { nghttp, startPeer, startPortPeer } from "../support/h2_peers.ts";
import { freePort } from "../support/upstream.ts";

/** nghttp -v's received fields, split at the first END_HEADERS: `[head, trailers]`. */
function headAndTrailers(verbose: string): [string[], string[]] {
  const head: string[] = [];
  const trailers: string[] = [];
  let inHead = true;
  let seenHead = false;
  for (const line of verbose.split("\n")) {
    const m = /recv \(stream_id=\d+\) (\S+: .*)$/.exec(line);
    if (m) {
      if (seenHead) inHead = false;
      (inHead ? head : trailers).push(m[1]!);
    } else if (/recv HEADERS frame/.test(line) && head.length > 0) seenHead = true;
  }
  return [head, trailers];
}

async function waitFor(f: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await f()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

Deno.test("linkerd H2EndToEndTest: clientSession idleTimeMs closes h2 client connections (global and io.l5d.static), none without it", async () => {
  const up = await startPortPeer("h2-server");
  const dst = `/$/inet/127.0.0.1/${up.port}`;
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: h2
  label: idle
  dtab: /svc/dog => ${dst};
  servers: [{port: 0}]
  client:
    clientSession: {idleTimeMs: 1500}
- protocol: h2
  label: static
  dtab: /svc/dog => ${dst};
  servers: [{port: 0}]
  client:
    kind: io.l5d.static
    configs:
    - prefix: /*
      clientSession: {idleTimeMs: 1500}
- protocol: h2
  label: kept
  dtab: /svc/dog => ${dst};
  servers: [{port: 0}]
  client: {forwardClientCert: false}
`);
  try {
    for (const label of ["idle", "static", "kept"]) {
      const out = await nghttp([
        "-H",
        ":authority: dog",
        `http://127.0.0.1:${sy.ports[label]![0]}/`,
      ]);
      assert(out.includes("path=/ "), out);
    }
    const gauge = (m: Record<string, number>, label: string) =>
      m[`rt/${label}/client/${dst.slice(1)}/connections`];
    const now = await adminMetrics(sy.admin);
    for (const label of ["idle", "static", "kept"]) assertEquals(gauge(now, label), 1, label);
    assert(
      await waitFor(async () => {
        const m = await adminMetrics(sy.admin);
        return gauge(m, "idle") === 0 && gauge(m, "static") === 0;
      }, 5000),
      "idle h2 client connections were not closed after idleTimeMs",
    );
    assertEquals(gauge(await adminMetrics(sy.admin), "kept"), 1);
    // A closed session is reopened by the next request.
    const again = await nghttp(["-H", ":authority: dog", `http://127.0.0.1:${sy.ports.idle![0]}/`]);
    assert(again.includes("path=/ "), again);
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});

// routers.md `clientSession.lifeTimeMs` on an h2 client: Linkerd's H2 client is a Finagle
// StackClient (finagle/h2/.../buoyant/H2.scala: `StackClient.newStack`), whose ExpiringService
// retires a session once that old, after the streams open on it.
Deno.test("linkerd clientSession lifeTimeMs: an h2 client session is retired once that old, its stream in flight finishes", async () => {
  const up = await startPortPeer("h2-server");
  const dst = `/$/inet/127.0.0.1/${up.port}`;
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: h2
  dtab: /svc/dog => ${dst};
  servers: [{port: 0}]
  client:
    clientSession: {lifeTimeMs: 1000}
`);
  const url = `http://127.0.0.1:${sy.ports.h2![0]}`;
  const client = `rt/h2/client/${dst.slice(1)}`;
  try {
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) {
      const out = await nghttp(["-H", ":authority: dog", `${url}/${i}`]);
      assert(out.includes(`path=/${i} `), out);
    }
    let m = await adminMetrics(sy.admin);
    assertEquals([m[`${client}/connects`], m[`${client}/connections`]], [1, 1], "reused");
    // A stream that is open when the session reaches its life time (/slow ends 300 ms after its
    // head) finishes whole, with its trailers.
    await new Promise((r) => setTimeout(r, Math.max(0, 850 - (performance.now() - t0))));
    const [head, trailers] = headAndTrailers(
      await nghttp(["-v", "-H", ":authority: dog", `${url}/slow`]),
    );
    assert(head.includes(":status: 200"), head.join("\n"));
    assert(trailers.includes("grpc-status: 14"), trailers.join("\n"));
    assert(performance.now() - t0 > 1000, "the stream outlived the session's life time");
    assert(
      await waitFor(
        async () => (await adminMetrics(sy.admin))[`${client}/connections`] === 0,
        3000,
      ),
      "the h2 client session was not closed after lifeTimeMs",
    );
    // The next request opens a new session.
    const again = await nghttp(["-H", ":authority: dog", `${url}/again`]);
    assert(again.includes("path=/again "), again);
    m = await adminMetrics(sy.admin);
    assertEquals([m[`${client}/connects`], m[`${client}/connections`]], [2, 1]);
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});

Deno.test("linkerd StreamClassificationEndToEndTest: l5d-success-class in the trailers of a stream, in the head of an empty or failed one", async () => {
  const up = await startPortPeer("h2-server");
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: h2
  label: all
  dtab: /svc/* => /$/inet/127.0.0.1/${up.port};
  service: {responseClassifier: {kind: io.l5d.h2.allSuccessful}}
  servers: [{port: 0}]
- protocol: h2
  label: five
  dtab: /svc/* => /$/inet/127.0.0.1/${up.port};
  service: {responseClassifier: {kind: io.l5d.h2.nonRetryable5XX}}
  servers: [{port: 0}]
`);
  const get = async (label: string, path: string) =>
    headAndTrailers(
      await nghttp([
        "-v",
        "-H",
        ":authority: foo",
        `http://127.0.0.1:${sy.ports[label]![0]}${path}`,
      ]),
    );
  try {
    // "classifier filter sets l5d-success-class headers in stream trailers": a body.
    const [head, trailers] = await get("all", "/stream");
    assert(head.includes(":status: 200"), head.join("\n"));
    assert(!head.some((f) => f.startsWith("l5d-success-class")), head.join("\n"));
    assert(trailers.includes("l5d-success-class: 1.0"), trailers.join("\n"));
    assert(trailers.includes("x-checksum: abc123"), trailers.join("\n"));
    // "classifier filter sets l5d-success-class headers": an empty stream.
    const [emptyHead] = await get("all", "/empty");
    assert(emptyHead.includes("l5d-success-class: 1.0"), emptyHead.join("\n"));
    // allSuccessful never classifies on the head: a 500 with a body gets it in its trailers.
    const [allHead, allTrailers] = await get("all", "/500");
    assert(allHead.includes(":status: 500"), allHead.join("\n"));
    assert(allTrailers.includes("l5d-success-class: 1.0"), allTrailers.join("\n"));
    // The 5XX classifiers classify a 5XX on its head.
    const [failHead] = await get("five", "/500");
    assert(failHead.includes("l5d-success-class: 0.0"), failHead.join("\n"));
    const [okHead, okTrailers] = await get("five", "/x");
    assert(!okHead.some((f) => f.startsWith("l5d-success-class")), okHead.join("\n"));
    assert(okTrailers.includes("l5d-success-class: 1.0"), okTrailers.join("\n"));
    const m = await adminMetrics(sy.admin);
    assertEquals(m["rt/all/service/svc/foo/success"], 3);
    assertEquals(m["rt/five/service/svc/foo/failures"], 1);
    assertEquals(m["rt/five/service/svc/foo/success"], 1);
    // The server's stats read the class as Linkerd's h2 SuccessClassClassifier does, from the
    // head or else the trailers: allSuccessful's 500 is a success there too (it was a failure).
    const server = (label: string) => `rt/${label}/server/127.0.0.1/${sy.ports[label]![0]}`;
    assertEquals([m[`${server("all")}/success`], m[`${server("all")}/failures`] ?? 0], [3, 0]);
    assertEquals([m[`${server("five")}/success`], m[`${server("five")}/failures`]], [1, 1]);
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});

// ClassifierFilter (linkerd/router/h2/.../ClassifierFilter.scala) *sets* l5d-success-class in a
// stream's trailers: through a chain of routers the client gets one value, this hop's.
Deno.test("linkerd h2 ClassifierFilter: through two routers a stream's trailers carry one l5d-success-class", async () => {
  const up = await startPortPeer("h2-server");
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: h2
  label: inner
  dtab: /svc/dog => /$/inet/127.0.0.1/${up.port};
  servers: [{port: 0}]
- protocol: h2
  label: outer
  dtab: /svc/dog => /svc/cat;
  servers: [{port: 0}]
`);
  try {
    const inner = sy.ports.inner![0];
    const [head, trailers] = headAndTrailers(
      await nghttp([
        "-v",
        "-H",
        ":authority: dog",
        "-H",
        // Outer: /svc/dog => /svc/cat => inner; inner (the override goes along) sends dog on.
        `l5d-dtab: /svc/cat => /$/inet/127.0.0.1/${inner}`,
        `http://127.0.0.1:${sy.ports.outer![0]}/stream`,
      ]),
    );
    assert(head.includes("via: h2 linkerd, h2 linkerd"), head.join("\n"));
    assert(trailers.includes("x-checksum: abc123"), trailers.join("\n"));
    assertEquals(trailers.filter((f) => f.startsWith("l5d-success-class")), [
      "l5d-success-class: 1.0",
    ]);
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});

// Linkerd's h2 ClassifierFilter `set`s l5d-success-class on a stream's Trailers, replacing the
// one an upstream linker sent (router/h2/.../ClassifierFilter.scala): through three h2 routers
// the caller gets one field, and each hop reads a class it can parse.
Deno.test("h2 linker chain: each hop replaces the upstream's l5d-success-class trailer, never adds one", async () => {
  const up = await startPortPeer("h2-server");
  const ports = [freePort(), freePort(), freePort()];
  const hop = (i: number) => `
- protocol: h2
  label: hop${i}
  dtab: /svc/* => /$/inet/127.0.0.1/${i < 2 ? ports[i + 1] : up.port};
  servers: [{port: ${ports[i]}}]`;
  const sy = await startSwitchyard(`admin: {port: 0}\nrouters:${hop(0)}${hop(1)}${hop(2)}\n`);
  try {
    const [head, trailers] = headAndTrailers(
      await nghttp(["-v", "-H", ":authority: foo", `http://127.0.0.1:${ports[0]}/stream`]),
    );
    assert(head.includes(":status: 200"), head.join("\n"));
    const classes = [...head, ...trailers].filter((f) => f.startsWith("l5d-success-class"));
    assertEquals(classes, ["l5d-success-class: 1.0"]);
    const m = await adminMetrics(sy.admin);
    for (let i = 0; i < 3; i++) {
      const server = `rt/hop${i}/server/127.0.0.1/${ports[i]}`;
      assertEquals([m[`${server}/success`], m[`${server}/failures`] ?? 0], [1, 0], `hop${i}`);
    }
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});

/** The error code of the RST_STREAM nghttp -v received, or undefined. */
function resetCode(verbose: string): string | undefined {
  return /recv RST_STREAM frame[^\n]*\n\s*\(error_code=([A-Z_]+)/.exec(verbose)?.[1];
}

// H2EndToEndTest "server resets client stream" and Netty4ServerDispatcher: a stream the upstream
// resets is reset downstream with the same code (Linkerd's `Reset` kinds; any other code becomes
// INTERNAL_ERROR), before the response head or in the body, never answered with l5d-err; and
// "client resets server stream": the client's reset reaches the upstream with its code.
Deno.test("linkerd H2EndToEndTest: upstream RST_STREAM codes reach the client; a client reset reaches the upstream", async () => {
  const up = await startPortPeer("h2-reset");
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: h2
  dtab: /svc/* => /$/inet/127.0.0.1/${up.port};
  servers: [{port: 0}]
`);
  const port = sy.ports.h2![0];
  const get = (path: string) =>
    nghttp(["-v", "-H", ":authority: dog", `http://127.0.0.1:${port}${path}`]);
  try {
    for (
      const [code, name] of [
        [8, "CANCEL"],
        [2, "INTERNAL_ERROR"],
        [11, "ENHANCE_YOUR_CALM"],
        [1, "PROTOCOL_ERROR"],
        [7, "REFUSED_STREAM"],
        [3, "INTERNAL_ERROR"], // FLOW_CONTROL_ERROR: Linkerd has no Reset for it
      ] as const
    ) {
      const before = await get(`/rst/${code}`);
      assertEquals(resetCode(before), name, before);
      assert(!before.includes(":status:"), before);
      assert(!before.includes("l5d-err"), before);
    }
    // In the body: after the head went out, or while the router held it for classification
    // (ClassifiedRetryFilter returns the head, then the stream fails).
    for (
      const [path, name] of [
        ["/mid/8", "CANCEL"],
        ["/mid/1", "PROTOCOL_ERROR"],
        ["/early/8", "CANCEL"],
        ["/early/11", "ENHANCE_YOUR_CALM"],
      ] as const
    ) {
      const mid = await get(path);
      assert(mid.includes(":status: 200"), mid);
      assert(mid.includes("partial"), mid);
      assertEquals(resetCode(mid), name, mid);
    }
    // The client resets its stream once the body has started: the upstream stream is reset
    // with the client's code.
    for (const code of [8, 11]) {
      const client = startPeer("h2-reset-client", `127.0.0.1:${port}`, "dog", "/hold", `${code}`);
      assertEquals((await client.next()).status, 200);
      await client.exited;
      assert(
        await waitFor(
          () =>
            Promise.resolve(up.peer.lines.some((l) => l.closed === "/hold" && l.rstCode === code)),
          5000,
        ),
        `the upstream did not see RST_STREAM ${code}: ${JSON.stringify(up.peer.lines)}`,
      );
      up.peer.lines.length = 0;
    }
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});
