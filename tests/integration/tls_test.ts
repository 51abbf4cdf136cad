/**
 * TLS termination (`servers[].tls`) and origination (`client.tls` with commonName + trusted CA),
 * with certificates made by openssl for the test and real curl.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { IDLE_ROUTER, startSwitchyard } from "../support/switchyard.ts";
import { curl, fsNamerDir } from "../support/upstream.ts";
import { makeCerts, mutualTlsUpstream } from "../support/certs.ts";

Deno.test("tls: terminate at the router, originate to the upstream with commonName + trusted CA", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-tls-" });
  await makeCerts(dir, { world: "DNS:world.svc", router: "DNS:localhost,IP:127.0.0.1" });
  const upstream = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(`${dir}/world.pem`),
    key: await Deno.readTextFile(`${dir}/world.key`),
    onListen() {},
  }, (req) => Response.json({ tls: new URL(req.url).protocol, host: req.headers.get("host") }));
  const port = (upstream.addr as Deno.NetAddr).port;
  const disco = await fsNamerDir({ world: `127.0.0.1 ${port}`, wrong: `127.0.0.1 ${port}` });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${disco}}]
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.fs;
  servers:
  - port: 0
    tls: {certPath: ${dir}/router.pem, keyPath: ${dir}/router.key}
  client:
    kind: io.l5d.static
    configs:
    - prefix: /#/io.l5d.fs/world
      tls: {commonName: world.svc, trustCertsBundle: ${dir}/ca.pem}
    - prefix: /#/io.l5d.fs/wrong
      tls: {commonName: other.svc, trustCertsBundle: ${dir}/ca.pem}
`);
  try {
    const r = await curl([
      "--cacert",
      `${dir}/ca.pem`,
      "-H",
      "Host: world",
      `https://127.0.0.1:${sy.proxy().split(":")[1]}/`,
    ]);
    assertEquals(r.status, 200, r.body);
    assertEquals(JSON.parse(r.body), { tls: "https:", host: "world" });
    // The certificate does not match the configured commonName: 502 with l5d-err, no hang.
    const bad = await curl([
      "--cacert",
      `${dir}/ca.pem`,
      "-H",
      "Host: wrong",
      `https://127.0.0.1:${sy.proxy().split(":")[1]}/`,
    ]);
    assertEquals(bad.status, 502);
    assert(bad.headers.get("l5d-err"), "l5d-err explains the TLS failure");
    // Plain HTTP to the TLS listener is refused.
    const plain = await curl(["-H", "Host: world", `http://${sy.proxy()}/`]);
    assert(plain.status !== 200, "no plaintext on a TLS listener");
  } finally {
    await sy.stop();
    await upstream.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tls: admin.tls serves the admin server over HTTPS only", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-tls-admin-" });
  await makeCerts(dir, { admin: "DNS:localhost,IP:127.0.0.1" });
  const sy = await startSwitchyard(`
admin:
  port: 0
  tls: {certPath: ${dir}/admin.pem, keyPath: ${dir}/admin.key}
${IDLE_ROUTER}`);
  try {
    const https = await curl([
      "--cacert",
      `${dir}/ca.pem`,
      `https://127.0.0.1:${sy.adminPort}/admin/ping`,
    ]);
    assertEquals([https.status, https.body], [200, "pong"]);
    const plain = await curl([`http://127.0.0.1:${sy.adminPort}/admin/ping`]);
    assert(plain.status !== 200, `plain HTTP answered ${plain.status}`);
  } finally {
    await sy.stop();
  }
});

/** SHA-256 of a PEM certificate's DER bytes, upper-case hex (Linkerd's XFCC `Hash=`). */
async function certHash(pemFile: string): Promise<string> {
  const pem = await Deno.readTextFile(pemFile);
  const b64 = pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, "");
  const der = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("").toUpperCase();
}

Deno.test("tls: requireClientAuth refuses clients without a certificate; forwardClientCert sends x-forwarded-client-cert", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-mtls-" });
  await makeCerts(dir, {
    router: "DNS:localhost,IP:127.0.0.1",
    app: "URI:spiffe://cluster.local/ns/default/sa/app,DNS:app.svc",
  });
  // A plain origin that shows what it was sent.
  const origin = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => Response.json({ xfcc: req.headers.get("x-forwarded-client-cert") }),
  );
  const port = (origin.addr as Deno.NetAddr).port;
  const disco = await fsNamerDir({ fwd: `127.0.0.1 ${port}`, nofwd: `127.0.0.1 ${port}` });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${disco}}]
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.fs;
  servers:
  - port: 0
    tls:
      certPath: ${dir}/router.pem
      keyPath: ${dir}/router.key
      requireClientAuth: true
      caCertPath: ${dir}/ca.pem
  - {ip: 127.0.0.2, port: 0}
  client:
    kind: io.l5d.static
    configs:
    - prefix: /#/io.l5d.fs/fwd
      forwardClientCert: true
`);
  try {
    const [mtlsPort, plainPort] = Object.values(sy.ports)[0]!;
    const https = (host: string, extra: string[]) =>
      curl([
        "--cacert",
        `${dir}/ca.pem`,
        ...extra,
        "-H",
        `Host: ${host}`,
        `https://127.0.0.1:${mtlsPort}/`,
      ]);
    const withCert = ["--cert", `${dir}/app.pem`, "--key", `${dir}/app.key`];
    // No client certificate: the handshake fails, no request reaches the router.
    const none = await https("fwd", []);
    assert(none.code !== 0 && none.status === 0, `answered without a certificate: ${none.status}`);
    // A certificate from another CA: refused too.
    const otherDir = await Deno.makeTempDir({ prefix: "sy-mtls-other-" });
    await makeCerts(otherDir, { app: "DNS:app.svc" });
    const foreign = await https("fwd", [
      "--cert",
      `${otherDir}/app.pem`,
      "--key",
      `${otherDir}/app.key`,
    ]);
    assert(foreign.code !== 0 && foreign.status === 0, "a certificate of another CA is refused");
    await Deno.remove(otherDir, { recursive: true });
    // With the certificate: forwarded as Linkerd's ForwardClientCertFilter writes it.
    const fwd = await https("fwd", [...withCert, "-H", "x-forwarded-client-cert: spoofed"]);
    assertEquals(fwd.status, 200, fwd.body);
    assertEquals(
      JSON.parse(fwd.body).xfcc,
      [
        `Hash=${await certHash(`${dir}/app.pem`)}`,
        "SAN=spiffe://cluster.local/ns/default/sa/app",
        "DNS=app.svc",
        'Subject="CN=app"',
      ].join(";"),
    );
    // A client without forwardClientCert drops the header, a spoofed one included.
    const nofwd = await https("nofwd", [...withCert, "-H", "x-forwarded-client-cert: spoofed"]);
    assertEquals([nofwd.status, JSON.parse(nofwd.body).xfcc], [200, null]);
    // On a listener without client certificates, a spoofed header never passes.
    const plain = await curl([
      "-H",
      "Host: fwd",
      "-H",
      'x-forwarded-client-cert: Hash=00;Subject="CN=admin"',
      `http://127.0.0.2:${plainPort}/`,
    ]);
    assertEquals([plain.status, JSON.parse(plain.body).xfcc], [200, null]);
  } finally {
    await sy.stop();
    await origin.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tls: clientAuth presents a client certificate to an upstream that requires one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-mtls-client-" });
  await makeCerts(dir, { world: "DNS:world.svc", linkerd: "DNS:linkerd.svc" });
  // The upstream: TLS that requires a client certificate from the test CA (node:https).
  const upstream = await mutualTlsUpstream({
    cert: await Deno.readTextFile(`${dir}/world.pem`),
    key: await Deno.readTextFile(`${dir}/world.key`),
    ca: await Deno.readTextFile(`${dir}/ca.pem`),
  });
  const port = upstream.port;
  const disco = await fsNamerDir({ mtls: `127.0.0.1 ${port}`, nocert: `127.0.0.1 ${port}` });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${disco}}]
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}]
  client:
    kind: io.l5d.static
    configs:
    - prefix: /#/io.l5d.fs/mtls
      tls:
        commonName: world.svc
        trustCertsBundle: ${dir}/ca.pem
        clientAuth: {certPath: ${dir}/linkerd.pem, keyPath: ${dir}/linkerd.key}
    - prefix: /#/io.l5d.fs/nocert
      tls: {commonName: world.svc, trustCertsBundle: ${dir}/ca.pem}
`);
  try {
    for (let i = 0; i < 3; i++) { // the pooled connection is reused
      const r = await curl(["-H", "Host: mtls", `http://${sy.proxy()}/`]);
      assertEquals([r.status, r.body], [200, JSON.stringify({ peer: "linkerd" })]);
    }
    // Without clientAuth the upstream refuses the handshake: 502 with l5d-err, no hang.
    const bad = await curl(["-H", "Host: nocert", `http://${sy.proxy()}/`]);
    assertEquals(bad.status, 502, bad.body);
    assert(bad.headers.get("l5d-err"), "l5d-err explains the TLS failure");
  } finally {
    await sy.stop();
    await upstream.close();
    await Deno.remove(dir, { recursive: true });
  }
});

// Linkerd's TlsBoundPathTest ("tls router + 2 tls backends", "mix of tls and plain backends"):
// an io.l5d.static prefix captures `{host}` and the client's commonName uses it, so each backend
// is verified under its own name; a backend no prefix matches is reached in plain HTTP.
Deno.test("tls: commonName from a bound-path capture ({host}.buoyant.io), beside a plain backend", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-tls-bound-" });
  await makeCerts(dir, { bill: "DNS:bill.buoyant.io", ted: "DNS:ted.buoyant.io" });
  const tlsUpstream = async (name: string, body: string) =>
    Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      cert: await Deno.readTextFile(`${dir}/${name}.pem`),
      key: await Deno.readTextFile(`${dir}/${name}.key`),
      onListen() {},
    }, () => new Response(body));
  const bill = await tlsUpstream("bill", "whoa");
  const ted = await tlsUpstream("ted", "dude");
  const plain = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response("party on"),
  );
  const port = (s: Deno.HttpServer) => (s.addr as Deno.NetAddr).port;
  const disco = await fsNamerDir({
    bill: `127.1 ${port(bill)}`,
    ted: `127.1 ${port(ted)}`,
    wyld: `127.1 ${port(plain)}`,
  });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${disco}}]
routers:
- protocol: http
  dtab: |
    /svc => /srv ;
    /srv => /#/io.l5d.fs
  servers: [{port: 0}]
  client:
    kind: io.l5d.static
    configs:
    - prefix: "/#/io.l5d.fs/{host}"
      tls:
        commonName: "{host}.buoyant.io"
        trustCertsBundle: ${dir}/ca.pem
    - prefix: "/#/io.l5d.fs/wyld"
      tls: {enabled: false}
`);
  try {
    for (const [host, body] of [["bill", "whoa"], ["ted", "dude"], ["wyld", "party on"]]) {
      const r = await curl(["-H", `Host: ${host}`, `http://${sy.proxy()}/`]);
      assertEquals([r.status, r.body], [200, body], host);
    }
  } finally {
    await sy.stop();
    await Promise.all([bill.shutdown(), ted.shutdown(), plain.shutdown()]);
    await Deno.remove(dir, { recursive: true });
  }
});

// routers.md "Server TLS": `protocols` is "The list of TLS protocols to enable (TLSv1.2)"
// (Linkerd's TlsServerConfig: `Protocols.Enabled`). A client that offers only another version
// fails the handshake, on an http router's listener (node:tls) and an h2 router's.
Deno.test("tls: a server's tls.protocols limits its TLS versions (http and h2)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-tls-" });
  await makeCerts(dir, { router: "DNS:localhost,IP:127.0.0.1" });
  const tls = (protocols: string) =>
    `{certPath: ${dir}/router.pem, keyPath: ${dir}/router.key, protocols: ${protocols}}`;
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: http
  label: only12
  dtab: /svc => /$/nil;
  servers: [{port: 0, tls: ${tls("[TLSv1.2]")}}]
- protocol: http
  label: both
  dtab: /svc => /$/nil;
  servers: [{port: 0, tls: ${tls("[TLSv1.2, TLSv1.3]")}}]
- protocol: h2
  label: h2only13
  dtab: /svc => /$/nil;
  servers: [{port: 0, tls: ${tls("[TLSv1.3]")}}]
`);
  // curl with exactly one TLS version; code 0 and any HTTP status = handshake done
  const hello = async (label: string, version: "1.2" | "1.3") => {
    const r = await curl([
      "--cacert",
      `${dir}/ca.pem`,
      `--tlsv${version}`,
      "--tls-max",
      version,
      `https://127.0.0.1:${sy.ports[label]![0]}/`,
    ]);
    return r.code === 0 && r.status > 0;
  };
  try {
    assertEquals(await hello("only12", "1.2"), true);
    assertEquals(await hello("only12", "1.3"), false, "TLSv1.3 refused by [TLSv1.2]");
    assertEquals(await hello("both", "1.2"), true);
    assertEquals(await hello("both", "1.3"), true);
    assertEquals(await hello("h2only13", "1.3"), true);
    assertEquals(await hello("h2only13", "1.2"), false, "TLSv1.2 refused by [TLSv1.3]");
  } finally {
    await sy.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

// client_tls.md / linkerd1.md §7: `client.tls.protocols` lists the TLS versions the client
// offers (Linkerd's TlsClientConfig `protocols`). The upstream takes TLS 1.2 and 1.3 and answers
// with the version it negotiated: an http router's client and an h2 router's offer only 1.2.
Deno.test("tls: a client's tls.protocols limits the TLS versions it offers (http and h2)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-tls-client-versions-" });
  await makeCerts(dir, { world: "DNS:world.svc" });
  const cert = await Deno.readTextFile(`${dir}/world.pem`);
  const key = await Deno.readTextFile(`${dir}/world.key`);
  type TlsSocket = import("node:tls").TLSSocket;
  const https = await import("node:https");
  const h1 = https.createServer({ cert, key }, (req, res) => {
    res.end((req.socket as TlsSocket).getProtocol() ?? "none");
  });
  const http2 = await import("node:http2");
  const h2 = http2.createSecureServer({ cert, key }, (req, res) => {
    res.end((req.stream.session?.socket as TlsSocket | undefined)?.getProtocol() ?? "none");
  });
  const listen = (s: typeof h1 | typeof h2) =>
    new Promise<number>((r) =>
      s.listen(0, "127.0.0.1", () => r((s.address() as { port: number }).port))
    );
  const [p1, p2] = [await listen(h1), await listen(h2)];
  const disco = await fsNamerDir({
    v12: `127.0.0.1 ${p1}`,
    any: `127.0.0.1 ${p1}`,
    h2v12: `127.0.0.1 ${p2}`,
    h2any: `127.0.0.1 ${p2}`,
  });
  const tls = (protocols: string) =>
    `{commonName: world.svc, trustCertsBundle: ${dir}/ca.pem${protocols}}`;
  const client = (a: string, b: string) => `
  client:
    kind: io.l5d.static
    configs:
    - prefix: /#/io.l5d.fs/${a}
      tls: ${tls(", protocols: [TLSv1.2]")}
    - prefix: /#/io.l5d.fs/${b}
      tls: ${tls("")}`;
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${disco}}]
routers:
- protocol: http
  label: h1
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}]${client("v12", "any")}
- protocol: h2
  label: h2
  dtab: /svc => /#/io.l5d.fs;
  identifier: {kind: io.l5d.header.token, header: ":authority"}
  servers: [{port: 0}]${client("h2v12", "h2any")}
`);
  try {
    const get = async (label: string, host: string, h2c = false) => {
      const r = await curl([
        ...(h2c ? ["--http2-prior-knowledge"] : []),
        "-H",
        `Host: ${host}`,
        `http://127.0.0.1:${sy.ports[label]![0]}/`,
      ]);
      return [r.status, r.body];
    };
    assertEquals(await get("h1", "v12"), [200, "TLSv1.2"]);
    assertEquals(await get("h1", "any"), [200, "TLSv1.3"]);
    assertEquals(await get("h2", "h2v12", true), [200, "TLSv1.2"]);
    assertEquals(await get("h2", "h2any", true), [200, "TLSv1.3"]);
  } finally {
    await sy.stop();
    await new Promise((r) => h1.close(r));
    await new Promise((r) => h2.close(r));
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(disco, { recursive: true });
  }
});
