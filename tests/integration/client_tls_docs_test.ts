/**
 * The examples of Linkerd's `linkerd/docs/client_tls.md`, run as written (paths aside): client
 * TLS per static prefix, and "Client TLS and transformers", whose prefix
 * `/%/io.l5d.port/4141/#/io.l5d.fs/` ends with a `/` (Linkerd's PathMatcher ignores it).
 */
import { assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, fsNamerDir } from "../support/upstream.ts";
import { makeCerts } from "../support/certs.ts";

Deno.test("client_tls.md 'Client TLS and transformers': a /%/io.l5d.port/<port>/#/io.l5d.fs/ prefix (trailing /) gets TLS", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-tls-xf-" });
  await makeCerts(dir, { hello: "DNS:linkerd.io" });
  const upstream = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(`${dir}/hello.pem`),
    key: await Deno.readTextFile(`${dir}/hello.key`),
    onListen() {},
  }, (req) => Response.json([new URL(req.url).protocol, req.headers.get("l5d-dst-client")]));
  const tlsPort = (upstream.addr as Deno.NetAddr).port;
  // The file names a port nothing listens on: the io.l5d.port transformer moves it to tlsPort.
  const disco = await fsNamerDir({ hello: "127.0.0.1 9" });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${disco}}]
routers:
- protocol: http
  servers: [{port: 0}]
  interpreter:
      kind: default
      transformers:
      - kind: io.l5d.port
        port: ${tlsPort}
  dtab: |
    /svc => /#/io.l5d.fs;
  client:
    kind: io.l5d.static
    configs:
    - prefix: /%/io.l5d.port/${tlsPort}/#/io.l5d.fs/
      tls:
        commonName: "linkerd.io"
        trustCerts:
        - ${dir}/ca.pem
`);
  try {
    const r = await curl(["-H", "Host: hello", `http://${sy.proxy()}/`]);
    assertEquals(r.status, 200, r.body);
    // "the transformed client name becomes /%/io.l5d.port/4141/#/io.l5d.fs/<client name>"
    assertEquals(JSON.parse(r.body), ["https:", `/%/io.l5d.port/${tlsPort}/#/io.l5d.fs/hello`]);
  } finally {
    await sy.stop();
    await upstream.shutdown();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(disco, { recursive: true });
  }
});
