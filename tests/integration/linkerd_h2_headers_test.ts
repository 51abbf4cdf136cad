/**
 * Linkerd 1.x's h2 identifier, Forwarded and l5d-header tests, run against the real Switchyard
 * process with nghttp and a real HTTP/2 upstream (`tests/support/h2_peer.ts h2-echo`, which
 * answers with the request's headers as JSON in `x-req`):
 * - linkerd/protocol/h2/src/test/.../HeaderPathIdentifierTest.scala, HeaderTokenIdentifierTest.scala
 *   (and router/h2/src/test/.../HeaderTokenIdentifierTest.scala)
 * - linkerd/protocol/h2/src/test/.../H2AddForwardedHeaderConfigTest.scala and
 *   router/h2/src/test/.../H2AddForwardedHeaderTest.scala
 * - linkerd/protocol/h2/src/main/.../com/twitter/finagle/buoyant/h2/LinkerdHeaders.scala (l5d-dst-*,
 *   l5d-reqid, l5d-err, clearContext's ClearMiscServerFilter)
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { nghttp, startPortPeer } from "../support/h2_peers.ts";

/** One h2 exchange read from `nghttp -v`. */
interface Exchange {
  readonly status?: number;
  /** Response head fields (the last value of a repeated one). */
  readonly headers: Record<string, string>;
  /** The upstream's view of the request headers (`x-req`), when it answered. */
  readonly req?: Record<string, string>;
  readonly reset?: string;
  readonly out: string;
}

async function h2(url: string, ...fields: string[]): Promise<Exchange> {
  const out = await nghttp(["-v", ...fields.flatMap((f) => ["-H", f]), url]);
  const headers: Record<string, string> = {};
  for (const m of out.matchAll(/recv \(stream_id=\d+\) (:?[^:\s]+): (.*)$/gm)) {
    headers[m[1]!] = m[2]!;
  }
  const reset = /recv RST_STREAM frame[^\n]*\n\s*\(error_code=([A-Z_]+)/.exec(out)?.[1];
  return {
    ...(headers[":status"] ? { status: Number(headers[":status"]) } : {}),
    headers,
    ...(headers["x-req"] ? { req: JSON.parse(headers["x-req"]) } : {}),
    ...(reset ? { reset } : {}),
    out,
  };
}

async function withRouter(
  router: string,
  f: (url: string, upPort: number) => Promise<void>,
): Promise<void> {
  const up = await startPortPeer("h2-echo");
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: h2
  ${router.replaceAll("UP", String(up.port)).trim().split("\n").join("\n  ")}
`);
  try {
    await f(`http://127.0.0.1:${sy.ports.h2![0]}`, up.port);
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
}

const PATH_ROUTER = (identifier: string) => `
dtab: /svc => /$/inet/127.1/UP;
identifier: ${identifier}
servers: [{port: 0}]`;

Deno.test("linkerd HeaderPathIdentifierTest: identifies requests by header, without segment limit", async () => {
  await withRouter(PATH_ROUTER("{kind: io.l5d.header.path}"), async (url, upPort) => {
    const x = await h2(`${url}/one/two/?q=1`, ":authority: wacky");
    assertEquals(x.status, 200, x.out);
    assertEquals(x.req!["l5d-dst-service"], "/svc/one/two");
    assertEquals(x.req!["l5d-dst-client"], `/$/inet/127.1/${upPort}`);
    assertEquals(x.req!["l5d-dst-residual"], "/one/two");
  });
});

Deno.test("linkerd HeaderPathIdentifierTest: identifies requests by header, with segment limit", async () => {
  await withRouter(
    PATH_ROUTER("{kind: io.l5d.header.path, segments: 1}"),
    async (url, upPort) => {
      const x = await h2(`${url}/one/two`, ":authority: wacky");
      assertEquals(x.status, 200, x.out);
      assertEquals(x.req!["l5d-dst-service"], "/svc/one");
      assertEquals(x.req!["l5d-dst-client"], `/$/inet/127.1/${upPort}`);
      assertEquals(x.req!["l5d-dst-residual"], "/one");
    },
  );
});

// An unidentified h2 request: Linkerd's ErrorReseter turns RoutingFactory.UnknownDst into
// RST_STREAM REFUSED_STREAM (ErrorReseter.scala); it never reaches the upstream.
Deno.test("linkerd HeaderPathIdentifierTest: does not identify requests by header, with path shorter than segment limit", async () => {
  await withRouter(PATH_ROUTER("{kind: io.l5d.header.path, segments: 3}"), async (url) => {
    const x = await h2(`${url}/one/two`, ":authority: wacky");
    assertEquals(x.reset, "REFUSED_STREAM", x.out);
    assertEquals(x.status, undefined, x.out);
    const ok = await h2(`${url}/one/two/three/four`, ":authority: wacky");
    assertEquals(ok.req!["l5d-dst-service"], "/svc/one/two/three", ok.out);
  });
});

Deno.test("linkerd HeaderPathIdentifierTest: identifies requests with arbitrary header (its name lowercased, the last of a repeated one)", async () => {
  await withRouter(PATH_ROUTER("{kind: io.l5d.header.path, header: LOLZ}"), async (url) => {
    const x = await h2(`${url}/one/two`, ":authority: wacky", "lolz: /rofl/hah");
    assertEquals(x.status, 200, x.out);
    assertEquals(x.req!["l5d-dst-service"], "/svc/rofl/hah");
    // HeaderPathIdentifier reads `req.headers.get(header).lastOption`.
    const two = await h2(`${url}/one/two`, ":authority: wacky", "lolz: /a/b", "lolz: /c/d?x=1");
    assertEquals(two.status, 200, two.out);
    assertEquals(two.req!["l5d-dst-service"], "/svc/c/d");
  });
});

Deno.test("linkerd HeaderPathIdentifierTest: does not identify requests by header if header missing (with or without segments)", async () => {
  for (
    const id of [
      "{kind: io.l5d.header.path, header: lolz}",
      "{kind: io.l5d.header.path, header: lolz, segments: 1}",
    ]
  ) {
    await withRouter(PATH_ROUTER(id), async (url) => {
      const x = await h2(`${url}/one/two`, ":authority: wacky");
      assertEquals(x.reset, "REFUSED_STREAM", `${id}\n${x.out}`);
    });
  }
});

Deno.test("linkerd HeaderPathIdentifierConfig: segments below 1 are refused at load", async () => {
  const r = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: h2
  identifier: {kind: io.l5d.header.path, segments: 0}
  servers: [{port: 0}]
`).then(async (sy) => {
      await sy.stop();
      return undefined;
    }, (e: unknown) => String(e));
  assert(r !== undefined && /segments/.test(r), String(r));
});

Deno.test("linkerd HeaderTokenIdentifierTest: identifies requests by header (:authority by default, dstPrefix)", async () => {
  // H2Config: no identifier → h2.HeaderTokenIdentifier on `:authority`, dstPrefix /svc.
  await withRouter(
    "dtab: /svc => /$/inet/127.1/UP;\nservers: [{port: 0}]",
    async (url, upPort) => {
      const x = await h2(`${url}/path`, ":authority: wacky");
      assertEquals(x.status, 200, x.out);
      assertEquals(x.req!["l5d-dst-service"], "/svc/wacky");
      assertEquals(x.req!["l5d-dst-client"], `/$/inet/127.1/${upPort}`);
      assertEquals(x.req!["l5d-dst-residual"], "/wacky");
    },
  );
  await withRouter(
    `dstPrefix: /pfx
dtab: /pfx => /$/inet/127.1/UP;
identifier: {kind: io.l5d.header.token, header: ":authority"}
servers: [{port: 0}]`,
    async (url) => {
      const x = await h2(`${url}/path`, ":authority: wacky:8080");
      assertEquals(x.status, 200, x.out);
      assertEquals(x.req!["l5d-dst-service"], "/pfx/wacky:8080");
    },
  );
});

Deno.test("linkerd HeaderTokenIdentifierTest: does not identify requests by header if header missing; the last of a repeated one", async () => {
  await withRouter(
    `dtab: /svc => /$/inet/127.1/UP;
identifier: {kind: io.l5d.header.token, header: lolz}
servers: [{port: 0}]`,
    async (url) => {
      const missing = await h2(`${url}/path`, ":authority: wacky");
      assertEquals(missing.reset, "REFUSED_STREAM", missing.out);
      // `req.headers.get(header).lastOption`
      const two = await h2(`${url}/path`, ":authority: wacky", "lolz: a", "lolz: b");
      assertEquals(two.req!["l5d-dst-service"], "/svc/b", two.out);
    },
  );
});

/** `by=…;for=…;authority=…;proto=…` → its pairs. */
function pairs(element: string): Record<string, string> {
  return Object.fromEntries(element.split(";").map((p) => p.split(/=(.*)/s).slice(0, 2)));
}

const FWD_ROUTER = (server: string) => `
dtab: /svc => /$/inet/127.1/UP;
servers: [{port: 0, ${server}}]`;

Deno.test("linkerd H2AddForwardedHeaderTest: creates a Forwarded header where none existed", async () => {
  await withRouter(
    FWD_ROUTER("addForwardedHeader: {by: {kind: static, label: linkerd}, for: {kind: 'ip:port'}}"),
    async (url) => {
      const x = await h2(`${url}/Some/Path`, ":authority: svc");
      assertEquals(x.status, 200, x.out);
      const fwd = x.req!["forwarded"]!;
      assert(/^by=_linkerd;for="127\.0\.0\.1:\d+";authority=svc;proto=http$/.test(fwd), fwd);
    },
  );
});

Deno.test("linkerd H2AddForwardedHeaderTest: appends to existing Forwarded headers", async () => {
  await withRouter(
    FWD_ROUTER("addForwardedHeader: {by: {kind: ip}, for: {kind: ip}}"),
    async (url) => {
      const x = await h2(`${url}/Some/Path`, ":authority: svc", "forwarded: for=8.8.4.4");
      assertEquals(x.status, 200, x.out);
      // Two `forwarded` fields on the wire; node:http2 joins them in order.
      assertEquals(
        x.req!["forwarded"],
        "for=8.8.4.4, by=127.0.0.1;for=127.0.0.1;authority=svc;proto=http",
      );
    },
  );
});

Deno.test("linkerd H2AddForwardedHeaderTest: module obfuscates nodes by default (H2AddForwardedHeaderConfigTest: parse empty)", async () => {
  await withRouter(FWD_ROUTER("addForwardedHeader: {}"), async (url) => {
    const x = await h2(`${url}/Some/Path`, ":authority: svc");
    const p = pairs(x.req!["forwarded"]!);
    const obfuscated = /^_[A-Za-z0-9._-]+$/;
    assert(obfuscated.test(p.by!) && obfuscated.test(p.for!), x.req!["forwarded"]);
    assert(p.by !== p.for, x.req!["forwarded"]);
    assertEquals([p.authority, p.proto], ["svc", "http"]);
  });
});

Deno.test("linkerd H2AddForwardedHeaderTest: module uses label overrides (static by, ip for over IPv6)", async () => {
  const up = await startPortPeer("h2-echo");
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: h2
  dtab: /svc => /$/inet/127.1/${up.port};
  servers:
  - ip: "::1"
    port: 0
    addForwardedHeader: {by: {kind: static, label: http}, for: {kind: ip}}
`);
  try {
    const x = await h2(`http://[::1]:${sy.ports.h2![0]}/Some/Path`, ":authority: svc");
    assertEquals(x.status, 200, x.out);
    const p = pairs(x.req!["forwarded"]!);
    assertEquals(p.by, "_http");
    // Linkerd (java.net.Inet6Address) writes the long form, `"[0:0:0:0:0:0:0:1]"`.
    assertEquals(p.for, '"[::1]"');
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});

Deno.test("linkerd H2AddForwardedHeaderConfigTest: by=router for=router, connectionRandom and requestRandom", async () => {
  const up = await startPortPeer("h2-echo");
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: h2
  label: bigfoot
  dtab: /svc => /$/inet/127.1/${up.port};
  servers:
  - port: 0
    addForwardedHeader: {by: {kind: router}, for: {kind: connectionRandom}}
  - port: 0
    addForwardedHeader: {by: {kind: requestRandom}, for: {kind: requestRandom}}
`);
  try {
    const [conn, req] = sy.ports.bigfoot!;
    // nghttp sends its URIs on one connection.
    const fwds = async (port: number) => {
      const out = await nghttp([
        "-v",
        "-H",
        ":authority: svc",
        `http://127.0.0.1:${port}/a`,
        `http://127.0.0.1:${port}/b`,
      ]);
      return [...out.matchAll(/x-req: (\{.*\})$/gm)].map((m) => pairs(JSON.parse(m[1]!).forwarded));
    };
    const c = await fwds(conn!);
    assertEquals(c.length, 2);
    assertEquals([c[0]!.by, c[1]!.by], ["_bigfoot", "_bigfoot"]);
    assert(/^_[A-Za-z0-9]{6}$/.test(c[0]!.for!) && c[0]!.for === c[1]!.for, JSON.stringify(c));
    const r = await fwds(req!);
    assertEquals(r.length, 2);
    assert(r[0]!.by !== r[1]!.by && r[0]!.for !== r[1]!.for, JSON.stringify(r));
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});

Deno.test("linkerd H2AddForwardedHeaderConfigTest: by=illegal and for=illegal fail", async () => {
  for (const cfg of ["{by: {kind: illegal}}", "{for: {kind: illegal}}"]) {
    const r = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: h2
  servers: [{port: 0, addForwardedHeader: ${cfg}}]
`).then(async (sy) => {
      await sy.stop();
      return undefined;
    }, (e: unknown) => String(e));
    assert(r !== undefined && /illegal/.test(r), `${cfg}: ${r}`);
  }
});

Deno.test("linkerd h2 LinkerdHeaders: l5d-dst-* set (inbound ones replaced), l5d-reqid the trace id, l5d-ctx-deadline passed on", async () => {
  await withRouter(
    "dtab: /svc => /$/inet/127.1/UP;\nservers: [{port: 0}]",
    async (url, upPort) => {
      const now = BigInt(Date.now()) * 1_000_000n;
      const deadline = now + 60_000_000_000n;
      const x = await h2(
        `${url}/path`,
        ":authority: dog",
        "l5d-dst-service: /svc/forged",
        "l5d-dst-client: /forged",
        "l5d-dst-residual: /forged",
        `l5d-ctx-deadline: ${now} ${deadline}`,
      );
      assertEquals(x.status, 200, x.out);
      assertEquals(x.req!["l5d-dst-service"], "/svc/dog");
      assertEquals(x.req!["l5d-dst-client"], `/$/inet/127.1/${upPort}`);
      assertEquals(x.req!["l5d-dst-residual"], "/dog");
      // l5d-reqid: the trace id (TraceId.traceId.toString, 16 hex digits), bytes 16..24 of the
      // base64 l5d-ctx-trace (spanId, parentId, traceId, flags).
      const reqid = x.req!["l5d-reqid"]!;
      assert(/^[0-9a-f]{16}$/.test(reqid), reqid);
      const trace = Uint8Array.from(atob(x.req!["l5d-ctx-trace"]!), (c) => c.charCodeAt(0));
      const traceId = [...trace.slice(16, 24)].map((b) => b.toString(16).padStart(2, "0")).join("");
      assertEquals(reqid, traceId);
      const [, d] = x.req!["l5d-ctx-deadline"]!.split(" ");
      assert(BigInt(d!) <= deadline, x.req!["l5d-ctx-deadline"]);
    },
  );
});

Deno.test("linkerd h2 LinkerdHeaders: an unparsable l5d-dtab is a 400 with a URL-encoded l5d-err, text/plain", async () => {
  await withRouter(
    "dtab: /svc => /$/inet/127.1/UP;\nservers: [{port: 0}]",
    async (url) => {
      const x = await h2(`${url}/path`, ":authority: dog", "l5d-dtab: /foo=>/bar;/baz=");
      assertEquals(x.status, 400, x.out);
      const err = x.headers["l5d-err"]!;
      assert(err && !/[ ;\/]/.test(err), err); // URLEncoder.encode(msg, ISO_8859_1)
      const msg = decodeURIComponent(err.replaceAll("+", " "));
      assert(x.out.includes(msg), x.out);
      assertEquals(x.headers["content-type"], "text/plain");
    },
  );
});

// clearContext on an h2 server: Linkerd's H2Config.clearServerContext swaps in
// LinkerdHeaders.Ctx.clearServerModule: the deadline, dtab, sample and trace headers are dropped,
// and ClearMiscServerFilter removes every other `l5d-*` request header and every `l5d-*` response
// header; a response carrying `l5d-err` (a router behind this one failed) loses its body and its
// content-length/content-type.
Deno.test("linkerd h2 LinkerdHeaders clearServerModule (clearContext): l5d-* request and response headers cleared, l5d-err responses emptied", async () => {
  const up = await startPortPeer("h2-echo");
  const inner = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: h2
  dtab: /svc => /$/inet/127.1/${up.port};
  servers: [{port: 0, timeoutMs: 200}]
`);
  const edge = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: h2
  dtab: /svc/dog => /$/inet/127.1/${up.port}; /svc/inner => /$/inet/127.1/${inner.ports.h2![0]};
  servers: [{port: 0, clearContext: true}]
`);
  const url = `http://127.0.0.1:${edge.ports.h2![0]}`;
  try {
    const trace = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)));
    const x = await h2(
      `${url}/path`,
      ":authority: dog",
      "l5d-dtab: /svc/dog => /$/inet/127.1/1",
      "l5d-ctx-dtab: /svc/dog => /$/inet/127.1/1",
      "l5d-sample: 1.0",
      `l5d-ctx-trace: ${trace}`,
      "l5d-foo: bar",
      "x-respond-l5d: hi",
    );
    assertEquals(x.status, 200, x.out); // the inbound dtabs were not used
    for (const k of ["l5d-dtab", "l5d-ctx-dtab", "l5d-sample", "l5d-foo"]) {
      assertEquals(x.req![k], undefined, k);
    }
    assert(x.req!["l5d-ctx-trace"] && x.req!["l5d-ctx-trace"] !== trace, x.req!["l5d-ctx-trace"]);
    assertEquals(x.headers["l5d-echo"], undefined, x.out);
    assert(!Object.keys(x.headers).some((k) => k.startsWith("l5d-")), x.out);

    // Through the inner router, whose server times the request out: 503 + l5d-err + body there.
    const direct = await h2(`http://127.0.0.1:${inner.ports.h2![0]}/delay/2000`, ":authority: dog");
    assertEquals(direct.status, 503, direct.out);
    assert(direct.headers["l5d-err"], direct.out);
    const e = await h2(`${url}/delay/2000`, ":authority: inner");
    assertEquals(e.status, 503, e.out);
    for (const k of ["l5d-err", "content-type", "content-length"]) {
      assertEquals(e.headers[k], undefined, `${k}\n${e.out}`);
    }
    assert(!/recv DATA frame <length=[1-9]/.test(e.out), e.out);
  } finally {
    await edge.stop();
    await inner.stop();
    await up.peer.kill();
  }
});

// h2 LinkerdHeaders has `l5d-err` (Err.respond: URL-encoded, text/plain, content-length, the
// message as body) but, unlike the HTTP/1 stack, no `l5d-retryable`.
Deno.test("linkerd h2 LinkerdHeaders: a failed connection is a 502 with a URL-encoded l5d-err, a content-length and no l5d-retryable", async () => {
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: h2
  dtab: /svc/dog => /$/inet/127.1/1;
  servers: [{port: 0}]
`);
  try {
    const x = await h2(`http://127.0.0.1:${sy.ports.h2![0]}/x`, ":authority: dog");
    assertEquals(x.status, 502, x.out);
    const err = x.headers["l5d-err"]!;
    assert(err && !/[ :\/]/.test(err), err);
    assert(x.out.includes(decodeURIComponent(err.replaceAll("+", " "))), x.out);
    assertEquals(x.headers["content-type"], "text/plain");
    assertEquals(x.headers["l5d-retryable"], undefined, x.out);
    const body = new TextEncoder().encode(decodeURIComponent(err.replaceAll("+", " ")));
    assertEquals(x.headers["content-length"], String(body.length), x.out);
  } finally {
    await sy.stop();
  }
});

// finagle/h2 AccessLogger (linkerd's h2AccessLog): `<authority> <remote ip> - - [dd/MM/yyyy:HH:mm:ss
// Z] "<METHOD> <:path> HTTP/2" <status> - "<referer>" "<user-agent>"`, `-` for a missing field.
Deno.test("linkerd H2AccessLogger: the line has the authority, remote host, :path with its query, referer and user-agent", async () => {
  const up = await startPortPeer("h2-echo");
  const dir = await Deno.makeTempDir();
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: h2
  h2AccessLog: ${dir}/access.log
  dtab: /svc/dog => /$/inet/127.1/${up.port};
  servers: [{port: 0}]
`);
  try {
    const url = `http://127.0.0.1:${sy.ports.h2![0]}`;
    const a = await h2(
      `${url}/a/b?c=1`,
      ":authority: dog",
      "referer: http://ref/",
      "user-agent: ua/1",
    );
    assertEquals(a.status, 200, a.out);
    let text = "";
    for (let i = 0; i < 50 && !text.includes("\n"); i++) {
      await new Promise((r) => setTimeout(r, 100));
      text = await Deno.readTextFile(`${dir}/access.log`).catch(() => "");
    }
    const line = text.split("\n")[0]!;
    const re =
      /^dog 127\.0\.0\.1 - - \[\d\d\/\d\d\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/a\/b\?c=1 HTTP\/2" 200 - "http:\/\/ref\/" "ua\/1"$/;
    assert(re.test(line), line);
  } finally {
    await sy.stop();
    await up.peer.kill();
    await Deno.remove(dir, { recursive: true });
  }
});

// LinkerdHeaders.Ctx.Dtab: l5d-dtab is appended to l5d-ctx-dtab (user delegations win), both
// are cleared and the local dtab goes on as one l5d-ctx-dtab.
Deno.test("linkerd h2 LinkerdHeaders: l5d-ctx-dtab then l5d-dtab, the later wins, sent on as one l5d-ctx-dtab", async () => {
  await withRouter(
    "dtab: /svc => /$/inet/127.1/1;\nservers: [{port: 0}]",
    async (url, upPort) => {
      const x = await h2(
        `${url}/x`,
        ":authority: dog",
        "l5d-ctx-dtab: /svc/dog => /$/inet/127.1/2",
        `l5d-dtab: /svc/dog => /$/inet/127.1/${upPort}`,
      );
      assertEquals(x.status, 200, x.out);
      assertEquals(
        x.req!["l5d-ctx-dtab"],
        `/svc/dog=>/$/inet/127.1/2;/svc/dog=>/$/inet/127.1/${upPort}`,
      );
      assertEquals(x.req!["l5d-dtab"], undefined);
      assertEquals(x.req!["l5d-dst-client"], `/$/inet/127.1/${upPort}`);
    },
  );
});
