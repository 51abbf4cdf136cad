/**
 * Linkerd 1.x's HTTP TLS integration tests, ported to the real process with openssl-made
 * certificates (`tests/support/certs.ts`) and real TLS peers:
 * `linkerd/protocol/http/src/integration/scala/io/buoyant/linkerd/protocol/` ClientAuthTest,
 * TlsNoValidationTest, TlsStaticValidationTest, TlsBoundPathTest ('multiple name patterns',
 * 'wrong common name'), TlsTerminationTest, TlsCertReloadingTest. ForwardClientCertTest and the
 * other TlsBoundPathTest cases are in `tls_test.ts`.
 */
import { assertEquals } from "../support/assert.ts";
import { type Running, startSwitchyard } from "../support/switchyard.ts";
import { curl, fsNamerDir } from "../support/upstream.ts";
import { makeCerts } from "../support/certs.ts";

/** A TLS origin answering `body`, serving `<dir>/<cert>.pem`. */
async function tlsOrigin(dir: string, cert: string, body: string): Promise<Deno.HttpServer> {
  return Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(`${dir}/${cert}.pem`),
    key: await Deno.readTextFile(`${dir}/${cert}.key`),
    onListen() {},
  }, () => new Response(body));
}

function portOf(s: Deno.HttpServer): number {
  return (s.addr as Deno.NetAddr).port;
}

/** A plain origin answering `body`. */
function plainOrigin(body: string): Deno.HttpServer {
  return Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response(body));
}

/** GET with a Host through a router's first listener: [status, body]. */
async function via(sy: Running, host: string): Promise<[number, string]> {
  const r = await curl(["-H", `Host: ${host}`, `http://${sy.proxy()}/`]);
  return [r.status, r.body];
}

Deno.test("linkerd TlsNoValidationTest: tls router + plain upstream without validation", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-l5d-tls-" });
  // The origin's certificate is signed by a CA the router was never told of.
  await makeCerts(dir, { linkerd: "DNS:linkerd" });
  const dog = await tlsOrigin(dir, "linkerd", "woof");
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: |
    /p/dog => /$/inet/127.1/${portOf(dog)} ;
    /svc/clifford => /p/dog ;
  servers: [{ip: 127.0.0.1, port: 0}]
  client:
    tls:
      disableValidation: true
`);
  try {
    assertEquals(await via(sy, "clifford"), [200, "woof"]);
  } finally {
    await sy.stop();
    await dog.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("linkerd TlsStaticValidationTest: trustCertsBundle, trustCerts, incorrect common name", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-l5d-tls-" });
  await makeCerts(dir, { linkerd: "DNS:linkerd" });
  const dog = await tlsOrigin(dir, "linkerd", "woof");
  const router = (tls: string) => `
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: |
    /p/dog => /$/inet/127.1/${portOf(dog)} ;
    /svc/clifford => /p/dog ;
  servers: [{ip: 127.0.0.1, port: 0}]
  service:
    retries: {budget: {minRetriesPerSec: 0, percentCanRetry: 0.0}}
  client:
    tls:
${tls}
`;
  const cases: [string, string, [number, string] | number][] = [
    [
      "with static validation and trustCertsBundle",
      `      commonName: linkerd\n      trustCertsBundle: ${dir}/ca.pem`,
      [200, "woof"],
    ],
    [
      "with static validation and trustCerts",
      `      commonName: linkerd\n      trustCerts:\n      - ${dir}/ca.pem`,
      [200, "woof"],
    ],
    [
      "with static validation and incorrect common name",
      `      commonName: wrong\n      trustCertsBundle: ${dir}/ca.pem`,
      502,
    ],
  ];
  try {
    for (const [name, tls, want] of cases) {
      const sy = await startSwitchyard(router(tls));
      try {
        const got = await via(sy, "clifford");
        if (typeof want === "number") assertEquals(got[0], want, `${name}: ${got[1]}`);
        else assertEquals(got, want, name);
      } finally {
        await sy.stop();
      }
    }
  } finally {
    await dog.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("linkerd TlsTerminationTest: tls server + plain backend", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-l5d-tls-" });
  await makeCerts(dir, { linkerd: "DNS:linkerd" });
  const dog = plainOrigin("woof");
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: |
    /p/dog => /$/inet/127.1/${portOf(dog)} ;
    /svc/clifford => /p/dog ;
  servers:
  - port: 0
    tls:
      certPath: ${dir}/linkerd.pem
      keyPath: ${dir}/linkerd.key
`);
  try {
    const port = sy.proxy().split(":")[1];
    const r = await curl([
      ...["--cacert", `${dir}/ca.pem`, "--resolve", `linkerd:${port}:127.0.0.1`],
      ...["-H", "Host: clifford", `https://linkerd:${port}/`],
    ]);
    assertEquals([r.status, r.body], [200, "woof"]);
  } finally {
    await sy.stop();
    await dog.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

// Two routers, as the Linkerd test has them: an incoming one that terminates TLS and requires a
// client certificate, an outgoing one that originates TLS to it.
Deno.test("linkerd ClientAuthTest: client auth, require client auth", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-l5d-tls-" });
  await makeCerts(dir, { client: "DNS:client", server: "DNS:server" });
  const downstream = plainOrigin("foo");
  const server = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers: []
routers:
- protocol: http
  dtab: /svc/* => /$/inet/127.1/${portOf(downstream)} ;
  servers:
  - port: 0
    tls:
      requireClientAuth: true
      certPath: ${dir}/server.pem
      keyPath: ${dir}/server.key
      caCertPath: ${dir}/ca.pem
`);
  const serverPort = Object.values(server.ports)[0]![0]!;
  const outgoing = (clientAuth: string) => `
admin: {ip: 127.0.0.1, port: 0}
namers: []
routers:
- protocol: http
  dtab: /svc/* => /$/inet/127.1/${serverPort} ;
  servers: [{port: 0}]
  client:
    tls:
      commonName: server
      trustCertsBundle: ${dir}/ca.pem
${clientAuth}
`;
  try {
    // 'client auth': the outgoing router presents its certificate.
    const withCert = await startSwitchyard(outgoing(`      clientAuth:
        certPath: ${dir}/client.pem
        keyPath: ${dir}/client.key`));
    try {
      assertEquals(await via(withCert, "foo"), [200, "foo"]);
    } finally {
      await withCert.stop();
    }
    // 'require client auth': without one the incoming router refuses the handshake: 502.
    const withoutCert = await startSwitchyard(outgoing(""));
    try {
      assertEquals((await via(withoutCert, "foo"))[0], 502);
    } finally {
      await withoutCert.stop();
    }
  } finally {
    await server.stop();
    await downstream.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("linkerd TlsBoundPathTest: multiple name patterns, wrong common name", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-l5d-tls-" });
  await makeCerts(dir, {
    excellent: "DNS:excellent",
    righteous: "DNS:righteous",
    "bill.buoyant.io": "DNS:bill.buoyant.io",
    "ted.buoyant.io": "DNS:ted.buoyant.io",
  });
  try {
    // 'multiple name patterns': one static prefix per backend, each with its commonName.
    {
      const bill = await tlsOrigin(dir, "excellent", "whoa");
      const ted = await tlsOrigin(dir, "righteous", "dude");
      const disco = await fsNamerDir({
        bill: `127.1 ${portOf(bill)}`,
        ted: `127.1 ${portOf(ted)}`,
      });
      const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers:
- kind: io.l5d.fs
  rootDir: ${disco}
routers:
- protocol: http
  dtab: |
    /svc => /#/io.l5d.fs ;
  servers: [{port: 0}]
  client:
    kind: io.l5d.static
    configs:
    - prefix: "/#/io.l5d.fs/bill"
      tls:
        commonName: excellent
        trustCertsBundle: ${dir}/ca.pem
    - prefix: "/#/io.l5d.fs/ted"
      tls:
        commonName: righteous
        trustCertsBundle: ${dir}/ca.pem
`);
      try {
        assertEquals(await via(sy, "bill"), [200, "whoa"]);
        assertEquals(await via(sy, "ted"), [200, "dude"]);
      } finally {
        await sy.stop();
        await Promise.all([bill.shutdown(), ted.shutdown()]);
        await Deno.remove(disco, { recursive: true });
      }
    }
    // 'wrong common name': each backend serves the other's certificate, so the commonName the
    // {host} capture gives never matches: 502, retries off.
    {
      const bill = await tlsOrigin(dir, "ted.buoyant.io", "whoa");
      const ted = await tlsOrigin(dir, "bill.buoyant.io", "dude");
      const disco = await fsNamerDir({
        bill: `127.1 ${portOf(bill)}`,
        ted: `127.1 ${portOf(ted)}`,
      });
      const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers:
- kind: io.l5d.fs
  rootDir: ${disco}
routers:
- protocol: http
  dtab: |
    /svc => /#/io.l5d.fs ;
  servers: [{port: 0}]
  service:
    retries:
      budget:
        minRetriesPerSec: 0
        percentCanRetry: 0.0
  client:
    kind: io.l5d.static
    configs:
    - prefix: "/#/io.l5d.fs/{host}"
      tls:
        commonName: "{host}.buoyant.io"
        trustCertsBundle: ${dir}/ca.pem
`);
      try {
        assertEquals((await via(sy, "bill"))[0], 502);
        assertEquals((await via(sy, "ted"))[0], 502);
      } finally {
        await sy.stop();
        await Promise.all([bill.shutdown(), ted.shutdown()]);
        await Deno.remove(disco, { recursive: true });
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// The incoming router serves `foo`'s certificate; the outgoing one expects `bar`. Linkerd reads a
// server's certificate files for each new connection, so once bar's certificate and key are moved
// over foo's files the next request succeeds with no restart. Switchyard watches the files and
// serves the new pair to new connections within about 0.1 s (the poll bounds a missed event: 1 s).
Deno.test("linkerd TlsCertReloadingTest: cert reloading", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-l5d-tls-" });
  await makeCerts(dir, { foo: "DNS:foo", bar: "DNS:bar" });
  const downstream = plainOrigin("foo");
  const incoming = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers: []
routers:
- protocol: http
  dtab: /svc/* => /$/inet/127.1/${portOf(downstream)} ;
  servers:
  - port: 0
    tls:
      certPath: ${dir}/foo.pem
      keyPath: ${dir}/foo.key
      caCertPath: ${dir}/ca.pem
`);
  const outgoing = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers: []
routers:
- protocol: http
  dtab: /svc/* => /$/inet/127.1/${incoming.ports.http![0]} ;
  servers: [{port: 0}]
  service:
    retries: {budget: {minRetriesPerSec: 0, percentCanRetry: 0.0}}
  client:
    failureAccrual: {kind: none}
    tls:
      commonName: bar
      trustCertsBundle: ${dir}/ca.pem
`);
  try {
    // before renaming certs
    assertEquals((await via(outgoing, "foo"))[0], 502);
    // renaming certs
    await Deno.remove(`${dir}/foo.pem`);
    await Deno.remove(`${dir}/foo.key`);
    await Deno.rename(`${dir}/bar.pem`, `${dir}/foo.pem`);
    await Deno.rename(`${dir}/bar.key`, `${dir}/foo.key`);
    // after renaming certs: no restart (Linkerd reads the files per connection; Switchyard's
    // watch takes a moment, so look for up to 5 s)
    let got: [number, string] = [0, ""];
    for (const end = Date.now() + 5000; Date.now() < end;) {
      got = await via(outgoing, "foo");
      if (got[0] === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assertEquals(got, [200, "foo"]);
  } finally {
    await outgoing.stop();
    await incoming.stop();
    await downstream.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
