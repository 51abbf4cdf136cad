/**
 * `protocol: h2` routers (L1 `protocol-h2.md`): a real gRPC client and server (`@grpc/grpc-js`)
 * through Switchyard, nghttp (h2c prior knowledge) and curl (h2 by ALPN over TLS), with HTTP/2
 * upstreams on loopback. The gRPC and HTTP/2 peers run as child processes
 * (`tests/support/h2_peer.ts`): Deno's node:http2 has aborted a process on closing sessions.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { adminMetrics, startSwitchyard } from "../support/switchyard.ts";
import { curl, fsNamerDir } from "../support/upstream.ts";
import { grpcCalls, nghttp, startPortPeer } from "../support/h2_peers.ts";
import { makeCerts } from "../support/certs.ts";

Deno.test("h2: gRPC routed by service with io.l5d.header.path, grpc.default retries UNAVAILABLE only", async () => {
  const up = await startPortPeer("grpc-server");
  const disco = await fsNamerDir({ "hello.Greeter": `127.0.0.1 ${up.port}` });
  const accessLog = `${await Deno.makeTempDir()}/access.log`;
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${disco}}]
routers:
- protocol: h2
  label: grpc
  experimental: true
  h2AccessLog: ${accessLog}
  identifier: {kind: io.l5d.header.path, segments: 1}
  dtab: /svc => /#/io.l5d.fs;
  service:
    responseClassifier: {kind: io.l5d.h2.grpc.default}
    retries:
      budget: {minRetriesPerSec: 5, percentCanRetry: 0.0}
  servers: [{port: 0}]
`);
  const address = `127.0.0.1:${sy.ports.grpc![0]}`;
  // The upstream's calls, read from its output as they come.
  const calls = async (message: string) => {
    await new Promise((r) => setTimeout(r, 200)); // its last lines
    return up.peer.lines.filter((l) => l.call === message);
  };
  try {
    const results = await grpcCalls(address, ["bob", "fail", "bad", "@300000"]);
    assertEquals(results[0], { text: "hi bob" });
    const seen = (await calls("bob"))[0]!.metadata as Record<string, string>;
    assertEquals(seen["l5d-dst-service"], "/svc/hello.Greeter");
    assertEquals(seen["l5d-dst-client"], "/#/io.l5d.fs/hello.Greeter");
    // Linkerd's h2 ViaHeaderFilter appends "h2 linkerd" (not http's "1.1 linkerd").
    assertEquals(seen["via"], "h2 linkerd");

    // UNAVAILABLE (14) is retryable under io.l5d.h2.grpc.default: retried within the budget,
    // and the client still gets the upstream's status from the trailers.
    assertEquals(results[1], { code: 14 }); // UNAVAILABLE
    const fails = (await calls("fail")).length;
    // The budget holds minRetriesPerSec × ttlSecs (10 s) = 50 retries.
    assert(fails > 1 && fails <= 51, `"fail" reached the upstream ${fails} times`);
    // INVALID_ARGUMENT (3) is a failure that is not retried.
    assertEquals(results[2], { code: 3 }); // INVALID_ARGUMENT
    assertEquals((await calls("bad")).length, 1);

    // A message larger than the response buffer and the stream window streams through.
    assertEquals(results[3], { text: "len 300003" });

    const m = await adminMetrics(sy.admin);
    const svc = "rt/grpc/service/svc/hello.Greeter";
    assertEquals(m[`${svc}/requests`], 4);
    assertEquals(m[`${svc}/success`], 2);
    assertEquals(m[`${svc}/failures`], 2);
    assertEquals(m[`${svc}/retries/total`], fails - 1);
    assertEquals(m["rt/grpc/client/#/io.l5d.fs/hello.Greeter/requests"], 3 + fails);
    // The server level counts the class the service's classifier gave (l5d-success-class), as
    // Linkerd's SuccessClassClassifier: gRPC failures are failures there too, not 200 successes.
    const server = `rt/grpc/server/127.0.0.1/${sy.ports.grpc![0]}`;
    assertEquals(m[`${server}/requests`], 4);
    assertEquals([m[`${server}/success`], m[`${server}/failures`]], [2, 2]);

    // An unroutable request is refused with RST_STREAM REFUSED_STREAM (Linkerd's ErrorReseter),
    // which a gRPC client sees as UNAVAILABLE, not as an HTTP 400.
    const refused = await nghttp(["-v", `http://127.0.0.1:${sy.ports.grpc![0]}/`]);
    assert(/RST_STREAM[\s\S]*REFUSED_STREAM/.test(refused), refused);

    // h2AccessLog: Linkerd's h2 AccessLogger layout (`+0000`, `HTTP/2`, no byte count).
    const logged = (await Deno.readTextFile(accessLog)).split("\n")[0]!;
    assert(
      new RegExp(
        String.raw`^127\.0\.0\.1:\d+ 127\.0\.0\.1 - - \[\d\d/\d\d/\d{4}:\d\d:\d\d:\d\d \+0000\] ` +
          String.raw`"POST /hello\.Greeter/Say HTTP/2" 200 - "-" "grpc-node-js/[^"]+"$`,
      ).test(logged),
      logged,
    );
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});

Deno.test("h2: nghttp prior knowledge routed by :authority; trailers forwarded; l5d-err on no hosts", async () => {
  const up = await startPortPeer("h2-server");
  const dying = await startPortPeer("h2-dying");
  const limited = await startPortPeer("h2-limited");
  const disco = await fsNamerDir({
    web: `127.0.0.1 ${up.port}`,
    rpc: `127.0.0.1 ${up.port}`,
    dying: `127.0.0.1 ${dying.port}`,
    limited: `127.0.0.1 ${limited.port}`,
  });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${disco}}]
routers:
- protocol: h2
  dtab: /svc => /#/io.l5d.fs;
  service:
    kind: io.l5d.static
    configs:
    - prefix: /svc/rpc
      responseClassifier: {kind: io.l5d.h2.grpc.default}
  servers: [{port: 0}]
- protocol: h2
  label: hdr
  identifier: {kind: io.l5d.header.token, header: x-svc}
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}]
`);
  const port = sy.ports.h2![0];
  try {
    const ok = await nghttp(["-v", "-H", ":authority: web", `http://127.0.0.1:${port}/a/b?c=1`]);
    assert(ok.includes(":status: 200"), ok);
    assert(ok.includes("path=/a/b?c=1 via=h2 linkerd authority=web"), ok);
    assert(ok.includes("x-checksum: abc123"), `trailer forwarded:\n${ok}`);
    // A repeated header names by its last value on h2 (protocol-h2.md).
    const twice = await nghttp([
      "-H",
      "x-svc: nowhere",
      "-H",
      "x-svc: web",
      `http://127.0.0.1:${sy.ports.hdr![0]}/twice`,
    ]);
    assert(twice.includes("path=/twice"), twice);
    const none = await nghttp(["-v", "-H", ":authority: nowhere", `http://127.0.0.1:${port}/`]);
    assert(/:status: 5\d\d/.test(none), none);
    assert(none.includes("l5d-err:"), none);
    // A stream still flowing after classificationTimeoutMs is classified when it ends, on its
    // trailers: a failure in the stats, and l5d-success-class goes out as a trailer.
    const slow = await nghttp(["-v", "-H", ":authority: rpc", `http://127.0.0.1:${port}/slow`]);
    assert(slow.includes("part two"), slow);
    assert(slow.includes("grpc-status: 14"), slow);
    assert(slow.includes("l5d-success-class: 0.0"), `success class in the trailers:\n${slow}`);
    // A body cut short by an upstream process that dies is reset downstream, not ended cleanly.
    const cut = await curl([
      "--http2-prior-knowledge",
      "-H",
      "Host: dying",
      `http://127.0.0.1:${port}/`,
    ]);
    assert(cut.code !== 0, `curl saw the truncated stream as complete: ${cut.code} ${cut.body}`);
    // The bytes that came before the break go on, unless the reset overtakes them: once in a
    // fresh-clone CI run (parallel suite, loaded box) curl saw the reset with no body. Either way
    // the client does not take the stream as complete, which is what this checks.
    assert(cut.body === "" || cut.body.startsWith("partial"), `body: ${JSON.stringify(cut.body)}`);
    // 30 streams at once to an upstream that allows 5: the client waits for free streams
    // instead of having them refused (REFUSED_STREAM would be 5xx and mark the endpoint dead).
    const burst = await new Deno.Command("h2load", {
      args: [
        "-n",
        "30",
        "-c",
        "1",
        "-m",
        "30",
        "-H",
        ":authority: limited",
        `http://127.0.0.1:${port}/`,
      ],
      stdout: "piped",
    }).output();
    const summary = new TextDecoder().decode(burst.stdout);
    assert(summary.includes("status codes: 30 2xx"), summary);
    const m = await adminMetrics(sy.admin);
    assertEquals(m["rt/h2/service/svc/rpc/failures"], 1);
    assertEquals(m["rt/h2/service/svc/rpc/success"] ?? 0, 0);
    assertEquals(m["rt/h2/service/svc/web/requests"], 1);
    assertEquals(m[`rt/h2/server/127.0.0.1/${port}/connects`], 5);
    assertEquals(m["rt/h2/client/#/io.l5d.fs/limited/failures"] ?? 0, 0);
  } finally {
    await sy.stop();
    await up.peer.kill();
    await dying.peer.kill();
    await limited.peer.kill();
  }
});

Deno.test("h2: TLS termination by ALPN and TLS origination to an h2 upstream with commonName", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-h2-tls-" });
  await makeCerts(dir, { world: "DNS:world.svc", router: "IP:127.0.0.1" });
  const upstream = await startPortPeer("h2-server", `${dir}/world.pem`, `${dir}/world.key`);
  const upPort = upstream.port;
  const disco = await fsNamerDir({ world: `127.0.0.1 ${upPort}` });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${disco}}]
routers:
- protocol: h2
  dtab: /svc => /#/io.l5d.fs;
  servers:
  - port: 0
    tls: {certPath: ${dir}/router.pem, keyPath: ${dir}/router.key}
  client:
    tls: {commonName: world.svc, trustCertsBundle: ${dir}/ca.pem}
`);
  try {
    const r = await curl([
      "--http2",
      "--cacert",
      `${dir}/ca.pem`,
      "-H",
      "Host: world",
      "-w",
      "\nversion=%{http_version}",
      `https://127.0.0.1:${sy.ports.h2![0]}/`,
    ]);
    assertEquals(r.status, 200, r.body);
    assert(r.body.includes("authority=world"), r.body);
    assert(r.body.includes("version=2"), `ALPN negotiated h2: ${r.body}`);
  } finally {
    await sy.stop();
    await upstream.peer.kill();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("h2: requireClientAuth, forwardClientCert and clientAuth end to end (mutual TLS both ways)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-h2-mtls-" });
  await makeCerts(dir, {
    world: "DNS:world.svc",
    router: "IP:127.0.0.1",
    app: "URI:spiffe://cluster.local/app,DNS:app.svc",
    linkerd: "DNS:linkerd.svc",
  });
  // The upstream requires a client certificate from the test CA and echoes who presented one.
  const upstream = await startPortPeer(
    "h2-server",
    `${dir}/world.pem`,
    `${dir}/world.key`,
    `${dir}/ca.pem`,
  );
  const disco = await fsNamerDir({ world: `127.0.0.1 ${upstream.port}` });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${disco}}]
routers:
- protocol: h2
  dtab: /svc => /#/io.l5d.fs;
  servers:
  - port: 0
    tls: {certPath: ${dir}/router.pem, keyPath: ${dir}/router.key, requireClientAuth: true, caCertPath: ${dir}/ca.pem}
  client:
    forwardClientCert: true
    tls:
      commonName: world.svc
      trustCertsBundle: ${dir}/ca.pem
      clientAuth: {certPath: ${dir}/linkerd.pem, keyPath: ${dir}/linkerd.key}
`);
  const call = (extra: string[]) =>
    curl([
      "--http2",
      "--cacert",
      `${dir}/ca.pem`,
      ...extra,
      "-H",
      "Host: world",
      `https://127.0.0.1:${sy.ports.h2![0]}/`,
    ]);
  try {
    const none = await call([]);
    assert(none.code !== 0 && none.status === 0, `answered without a certificate: ${none.status}`);
    const r = await call(["--cert", `${dir}/app.pem`, "--key", `${dir}/app.key`]);
    assertEquals(r.status, 200, r.body);
    // The upstream saw Switchyard's certificate, and the client's in x-forwarded-client-cert.
    assert(r.body.includes("peer=linkerd "), r.body);
    assert(
      /xfcc=Hash=[0-9A-F]{64};SAN=spiffe:\/\/cluster\.local\/app;DNS=app\.svc;Subject="CN=app"\n/
        .test(r.body),
      r.body,
    );
  } finally {
    await sy.stop();
    await upstream.peer.kill();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("h2: a plaintext h2 server takes prior knowledge and HTTP/1.1 Upgrade: h2c (curl, nghttp -u)", async () => {
  // The upstream: Deno.serve speaks h2c with prior knowledge, as the h2 router's client does.
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) =>
      Response.json({
        method: req.method,
        body: await req.text(),
        test: req.headers.get("x-test"),
        upgrade: req.headers.get("upgrade"),
      }),
  );
  const port = (upstream.addr as Deno.NetAddr).port;
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: h2
  dtab: /svc/* => /$/inet/127.0.0.1/${port};
  servers: [{port: 0}]
`);
  const url = `http://127.0.0.1:${sy.ports.h2![0]}/u`;
  try {
    // curl --http2 on http:// sends the request as HTTP/1.1 with Upgrade: h2c.
    const up = await curl(["--http2", "-H", "x-test: 1", "-w", "\nversion=%{http_version}", url]);
    assertEquals(up.status, 200, up.body);
    const [json, version] = up.body.split("\n");
    assertEquals(JSON.parse(json!), { method: "GET", body: "", test: "1", upgrade: null });
    assertEquals(version, "version=2", "answered over HTTP/2 after 101");
    // A small body is read before the switch and sent on as stream 1's DATA.
    const post = await curl(["--http2", "-d", "hello", url]);
    assertEquals(JSON.parse(post.body), {
      method: "POST",
      body: "hello",
      test: null,
      upgrade: null,
    });
    // nghttp's HTTP Upgrade, and prior knowledge as before.
    assert((await nghttp(["-u", url])).includes('"method":"GET"'));
    const pk = await curl(["--http2-prior-knowledge", "-w", "\nversion=%{http_version}", url]);
    assertEquals(pk.body.split("\n")[1], "version=2");
    // HTTP/1.1 without the upgrade: a clear refusal, not a reset.
    const plain = await curl([url]);
    assertEquals(plain.status, 505);
    assertEquals(
      decodeURIComponent(plain.headers.get("l5d-err")!.replaceAll("+", " ")),
      "this listener speaks HTTP/2: use prior knowledge or Upgrade: h2c",
    );
  } finally {
    await sy.stop();
    await upstream.shutdown();
  }
});

// protocol-h2.md's server and client parameters configure the SETTINGS each side sends
// (Linkerd's Netty4H2Settings): the server's seen by nghttp, the client's by the upstream.
Deno.test("h2: server and client SETTINGS from initialStreamWindowBytes, maxFrameBytes, … are sent", async () => {
  const up = await startPortPeer("h2-settings-server");
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: h2
  dtab: /svc/dog => /$/inet/127.0.0.1/${up.port};
  servers:
  - port: 0
    initialStreamWindowBytes: 1048576
    maxConcurrentStreamsPerConnection: 77
    maxFrameBytes: 32768
    maxHeaderListBytes: 9000
    headerTableBytes: 2048
  client:
    initialStreamWindowBytes: 524288
    maxFrameBytes: 65536
    maxHeaderListByts: 7000
    headerTableBytes: 1024
`);
  try {
    const out = await nghttp([
      "-v",
      "-H",
      ":authority: dog",
      `http://127.0.0.1:${sy.ports.h2![0]}/`,
    ]);
    const at = out.indexOf("recv SETTINGS frame <length=");
    const recv = out.slice(at, out.indexOf("\n[", at + 1));
    for (
      const s of [
        "SETTINGS_HEADER_TABLE_SIZE(0x01):2048",
        "SETTINGS_INITIAL_WINDOW_SIZE(0x04):1048576",
        "SETTINGS_MAX_FRAME_SIZE(0x05):32768",
        "SETTINGS_MAX_CONCURRENT_STREAMS(0x03):77",
        "SETTINGS_MAX_HEADER_LIST_SIZE(0x06):9000",
      ]
    ) assert(recv.includes(s), `${s} not in the server's SETTINGS:\n${out}`);
    assert(out.includes("ok"), out);
    const { settings } = await up.peer.next();
    const got = settings as Record<string, number>;
    assertEquals(
      [got.initialWindowSize, got.maxFrameSize, got.maxHeaderListSize, got.headerTableSize],
      [524288, 65536, 7000, 1024],
    );
  } finally {
    await sy.stop();
    await up.peer.kill();
  }
});
