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
