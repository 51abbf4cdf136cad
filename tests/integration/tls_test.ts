/**
 * TLS termination (`servers[].tls`) and origination (`client.tls` with commonName + trusted CA),
 * with certificates made by openssl for the test and real curl.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { IDLE_ROUTER, startSwitchyard } from "../support/switchyard.ts";
import { curl, fsNamerDir } from "../support/upstream.ts";
import { makeCerts } from "../support/certs.ts";

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
