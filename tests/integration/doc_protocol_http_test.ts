/**
 * Black-box checks of Linkerd 1.x's `linkerd/docs/protocol-http.md`, each from one of the page's
 * own YAML or curl examples (adapted to port 0, 127.0.0.1 and local upstreams) against the real
 * process and curl. The page's size limits and `streamingEnabled` are checked in
 * `protocol_http_doc_test.ts`; the labelers, identifiers, access log and compression in their own
 * test files.
 *
 * @module
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { runCli, startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, fsNamerDir, startUpstream } from "../support/upstream.ts";

/** `by=…;for=…;host=…` → its pairs. */
function pairs(element: string): Record<string, string> {
  return Object.fromEntries(element.split(";").map((p) => p.split(/=(.*)/s).slice(0, 2)));
}

// The page's first example: an access log, io.l5d.methodAndHost, the size keys at their defaults,
// and `addForwardedHeader` with `by: ip:port` (the router's server) and `for: ip` (the client).
Deno.test("docs protocol-http: the page's first example names /svc/1.1/GET/<host>, logs and adds Forwarded", async () => {
  const up = startUpstream("web");
  const dir = await Deno.makeTempDir({ prefix: "sy-doc-http-" });
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  httpAccessLog: ${dir}/access.log
  httpAccessLogRollPolicy: daily
  httpAccessLogAppend: true
  httpAccessLogRotateCount: -1
  identifier:
    kind: io.l5d.methodAndHost
  maxHeadersKB: 8
  maxInitialLineKB: 4
  maxErrResponseKB: 5120
  dtab: /svc/1.1/GET => /$/inet/127.0.0.1/${up.port};
  servers:
  - port: 0
    ip: 127.0.0.1
    addForwardedHeader:
      by: {kind: "ip:port"}
      for: {kind: ip}
`);
  try {
    const r = await curl(["-H", "Host: web.example", `http://${sy.proxy()}/some/path`]);
    assertEquals(r.status, 200, r.body);
    const seen = JSON.parse(r.body);
    assertEquals(seen.headers["l5d-dst-service"], "/svc/1.1/GET/web.example");
    assertEquals(new URL(seen.url).pathname, "/some/path");
    assertEquals(pairs(seen.headers["forwarded"]), {
      by: `"127.0.0.1:${sy.ports["http"]![0]}"`,
      for: "127.0.0.1",
      host: "web.example",
    });
    // A POST is another name, which this dtab does not bind.
    const post = await curl(["-d", "x", "-H", "Host: web.example", `http://${sy.proxy()}/`]);
    assertEquals(post.status, 502);
    let log = "";
    assert(
      await eventually(async () => {
        log = await Deno.readTextFile(`${dir}/access.log`).catch(() => "");
        return log.trim().split("\n").length >= 2;
      }),
      `access log: ${JSON.stringify(log)}`,
    );
    assertStringIncludes(log, '"GET /some/path HTTP/1.1" 200');
    assertStringIncludes(log, '"POST / HTTP/1.1" 502');
  } finally {
    await sy.stop();
    await up.close();
    await Deno.remove(dir, { recursive: true });
  }
});

// "Path Identifier": "a request to `:5000/true/love/waits.php` will be mapped to `/svc/true/love`
// ... requests will be proxied to the destination service with `/waits.php` as the path".
Deno.test("docs protocol-http: the io.l5d.path example maps /true/love/waits.php to /svc/true/love and sends /waits.php", async () => {
  const up = startUpstream("love");
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  identifier:
    kind: io.l5d.path
    segments: 2
    consume: true
  dtab: /svc/true/love => /$/inet/127.0.0.1/${up.port};
  servers:
  - port: 0
    ip: 127.0.0.1
`);
  try {
    const r = await curl([`http://${sy.proxy()}/true/love/waits.php`]);
    assertEquals(r.status, 200, r.body);
    const seen = JSON.parse(r.body);
    assertEquals(seen.headers["l5d-dst-service"], "/svc/true/love");
    assertEquals(new URL(seen.url).pathname, "/waits.php");
  } finally {
    await sy.stop();
    await up.close();
  }
});

// "Header Identifier" / "Header Token Identifier" / "Static Identifier" examples, with the
// page's Dtab Path Formats: `/ dstPrefix [*headerValue]`, `/ dstPrefix / [headerValue]`,
// `/ dstPrefix / *path`.
Deno.test("docs protocol-http: the header, header.token and static identifier examples", async () => {
  const up = startUpstream("up");
  const router = (label: string, identifier: string) => `
- protocol: http
  label: ${label}
  identifier: ${identifier}
  dtab: /svc => /$/inet/127.0.0.1/${up.port};
  servers: [{ip: 127.0.0.1, port: 0}]`;
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:${router("header", "{kind: io.l5d.header, header: my-header}")}${
    router("token", "{kind: io.l5d.header.token, header: my-header}")
  }${router("static", "{kind: io.l5d.static, path: /foo/bar}")}
`);
  const name = async (label: string, headers: string[] = []) => {
    const r = await curl([
      ...headers.flatMap((h) => ["-H", h]),
      `http://127.0.0.1:${sy.ports[label]![0]}/`,
    ]);
    return r.status === 200 ? JSON.parse(r.body).headers["l5d-dst-service"] : r.status;
  };
  try {
    assertEquals(await name("header", ["my-header: /one/two"]), "/svc/one/two");
    assertEquals(await name("token", ["my-header: one"]), "/svc/one");
    assertEquals(await name("static"), "/svc/foo/bar");
    // Without the header, neither header identifier names the request: 400.
    assertEquals(await name("header"), 400);
    assertEquals(await name("token"), 400);
  } finally {
    await sy.stop();
    await up.close();
  }
});

// "User Headers": `curl -H 'l5d-dtab: /host/web => /host/web-v2' "localhost:5000"` appends a dtab
// override for this request; Linkerd does not forward `l5d-dtab` and carries it as `l5d-ctx-dtab`.
// "Informational Response Headers": `l5d-err` marks a Linkerd-generated error only; an
// application's own error has none.
Deno.test("docs protocol-http: the l5d-dtab example overrides this request's routing; app errors have no l5d-err", async () => {
  const v1 = startUpstream(
    "web-v1",
    (req) =>
      new URL(req.url).pathname === "/fail"
        ? new Response("app error", { status: 500 })
        : Response.json({ name: "web-v1" }),
  );
  const v2 = startUpstream("web-v2");
  const dir = await fsNamerDir({ web: v1.fsLine, "web-v2": v2.fsLine });
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers:
- kind: io.l5d.fs
  rootDir: ${dir}
routers:
- protocol: http
  dtab: |
    /host => /#/io.l5d.fs;
    /svc => /host;
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    const plain = await curl(["-H", "Host: web", `http://${sy.proxy()}/`]);
    assertEquals(JSON.parse(plain.body).name, "web-v1");
    const over = await curl([
      "-H",
      "Host: web",
      "-H",
      "l5d-dtab: /host/web => /host/web-v2",
      `http://${sy.proxy()}/`,
    ]);
    assertEquals(over.status, 200, over.body);
    const seen = JSON.parse(over.body);
    assertEquals(seen.name, "web-v2");
    assertEquals(seen.headers["l5d-dtab"], undefined);
    assertEquals(seen.headers["l5d-ctx-dtab"], "/host/web=>/host/web-v2");
    assertEquals(seen.headers["l5d-dst-client"], "/#/io.l5d.fs/web-v2");

    const app = await curl(["-H", "Host: web", `http://${sy.proxy()}/fail`]);
    assertEquals([app.status, app.body, app.headers.get("l5d-err")], [500, "app error", null]);
    const ours = await curl(["-H", "Host: nowhere", `http://${sy.proxy()}/`]);
    assertEquals(ours.status, 502);
    assert(ours.headers.get("l5d-err"), "a Linkerd-generated error carries l5d-err");
  } finally {
    await sy.stop();
    await v1.close();
    await v2.close();
  }
});

// "Istio Identifier (Deprecated)": its example config. Switchyard has no Istio Pilot client: the
// kind is refused by name at its line (README "Known differences").
Deno.test("docs protocol-http: the deprecated io.l5d.k8s.istio identifier is refused at its line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-doc-http-" });
  try {
    const path = `${dir}/istio.yaml`;
    await Deno.writeTextFile(
      path,
      `routers:
- protocol: http
  identifier:
    kind: io.l5d.k8s.istio
  servers: [{port: 0}]
`,
    );
    const r = await runCli("check", path);
    assertEquals(r.code, 1);
    assertStringIncludes(
      r.stdout + r.stderr,
      `${path}:4:11: routers[0].identifier.kind: io.l5d.k8s.istio is not supported`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
