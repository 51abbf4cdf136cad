/**
 * L1 `linkerd/docs/client_tls.md`, read as a black-box spec against the real process: the keys
 * the earlier tests (`client_tls_docs_test.ts`, `tls_test.ts`, `linkerd_tls_test.ts`) leave out —
 * `intermediateCertsPath` on a server and in a client's `clientAuth`, and `commonName` sent as SNI
 * also with `disableValidation: true`.
 *
 * @module
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, fsNamerDir } from "../support/upstream.ts";
import { mutualTlsUpstream } from "../support/certs.ts";

async function sh(cmd: string, cwd: string): Promise<void> {
  const out = await new Deno.Command("bash", { args: ["-c", cmd], cwd, stderr: "piped" }).output();
  if (out.code !== 0) throw new Error(`${cmd}: ${new TextDecoder().decode(out.stderr)}`);
}

/**
 * `root.pem` (self-signed), `inter.pem` (a CA signed by root) and, per leaf, `<name>.pem` signed by
 * the intermediate (not by root) with the given subjectAltName, in `dir`.
 */
async function chainCerts(dir: string, leaves: Record<string, string>): Promise<void> {
  await sh(
    "openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem -days 2 " +
      "-subj /CN=test-root 2>/dev/null && " +
      "openssl req -newkey rsa:2048 -nodes -keyout inter.key -out inter.csr -subj /CN=test-inter " +
      "2>/dev/null && printf 'basicConstraints=critical,CA:TRUE\\nkeyUsage=keyCertSign,cRLSign' " +
      "> inter.ext && openssl x509 -req -in inter.csr -CA root.pem -CAkey root.key " +
      "-CAcreateserial -out inter.pem -days 2 -extfile inter.ext 2>/dev/null",
    dir,
  );
  for (const [name, san] of Object.entries(leaves)) {
    await sh(
      `openssl req -newkey rsa:2048 -nodes -keyout ${name}.key -out ${name}.csr -subj /CN=${name} ` +
        `2>/dev/null && printf 'subjectAltName=${san}' > ${name}.ext && ` +
        `openssl x509 -req -in ${name}.csr -CA inter.pem -CAkey inter.key -CAcreateserial ` +
        `-out ${name}.pem -days 2 -extfile ${name}.ext 2>/dev/null`,
      dir,
    );
  }
}

// client_tls.md "Server TLS": "intermediateCertsPath | none | Path to a file containing a CA
// certificate chain to support the server certificate." A client that trusts only the root CA
// verifies a leaf signed by an intermediate when the server sends that intermediate too.
Deno.test("docs client_tls: a server's intermediateCertsPath is sent with its certificate (http and h2)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-doc-tls-inter-" });
  await chainCerts(dir, { sy: "DNS:linkerd.io" });
  const sy = await startSwitchyard(`
admin: {port: 0}
routers:
- protocol: http
  label: chain
  dtab: /svc => /$/inet/127.0.0.1/9;
  servers:
  - port: 0
    tls: {certPath: ${dir}/sy.pem, keyPath: ${dir}/sy.key, intermediateCertsPath: ${dir}/inter.pem}
- protocol: http
  label: leaf
  dtab: /svc => /$/inet/127.0.0.1/9;
  servers:
  - port: 0
    tls: {certPath: ${dir}/sy.pem, keyPath: ${dir}/sy.key}
- protocol: h2
  label: h2chain
  dtab: /svc => /$/inet/127.0.0.1/9;
  servers:
  - port: 0
    tls: {certPath: ${dir}/sy.pem, keyPath: ${dir}/sy.key, intermediateCertsPath: ${dir}/inter.pem}
`);
  const get = (label: string, extra: string[] = []) => {
    const port = sy.proxy(label).split(":").pop();
    return curl([
      ...extra,
      "--cacert",
      `${dir}/root.pem`,
      "--resolve",
      `linkerd.io:${port}:127.0.0.1`,
      `https://linkerd.io:${port}/`,
    ]);
  };
  try {
    // The handshake verifies (root → inter → sy); nothing listens upstream: a routed 502.
    const ok = await get("chain");
    assertEquals(ok.code, 0);
    assertEquals(ok.status, 502, ok.body);
    assert(ok.headers.get("l5d-err"), "the router answered");
    const h2 = await get("h2chain", ["--http2"]);
    assertEquals(h2.code, 0);
    assertEquals(h2.status, 502, h2.body);
    // Without the intermediate the root alone cannot verify the leaf: curl's code 60.
    const bad = await get("leaf");
    assertEquals(bad.code, 60, "no chain: certificate verification fails");
  } finally {
    await sy.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

// client_tls.md "Client TLS", the client auth object: "intermediateCertsPath | none | Path to a
// file containing a CA certificate chain to support the client certificate." An upstream that
// trusts only the root CA accepts the client certificate when its intermediate is sent with it.
Deno.test("docs client_tls: clientAuth.intermediateCertsPath completes the client certificate's chain", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-doc-tls-cauth-" });
  await chainCerts(dir, { world: "DNS:world.svc", linkerd: "DNS:linkerd.svc" });
  const upstream = await mutualTlsUpstream({
    cert: (await Deno.readTextFile(`${dir}/world.pem`)) + (await Deno.readTextFile(
      `${dir}/inter.pem`,
    )),
    key: await Deno.readTextFile(`${dir}/world.key`),
    ca: await Deno.readTextFile(`${dir}/root.pem`),
  });
  const port = upstream.port;
  const disco = await fsNamerDir({ chain: `127.0.0.1 ${port}`, leaf: `127.0.0.1 ${port}` });
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
    - prefix: /#/io.l5d.fs/{service}
      tls:
        commonName: world.svc
        trustCertsBundle: ${dir}/root.pem
        clientAuth:
          certPath: ${dir}/linkerd.pem
          keyPath: ${dir}/linkerd.key
          intermediateCertsPath: ${dir}/inter.pem
    - prefix: /#/io.l5d.fs/leaf
      tls:
        commonName: world.svc
        trustCertsBundle: ${dir}/root.pem
        clientAuth: {certPath: ${dir}/linkerd.pem, keyPath: ${dir}/linkerd.key}
`);
  try {
    const r = await curl(["-H", "Host: chain", `http://${sy.proxy()}/`]);
    assertEquals([r.status, r.body], [200, JSON.stringify({ peer: "linkerd" })]);
    // The same certificate without its intermediate: the upstream refuses the handshake.
    const bad = await curl(["-H", "Host: leaf", `http://${sy.proxy()}/`]);
    assertEquals(bad.status, 502, bad.body);
  } finally {
    await sy.stop();
    await upstream.close();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(disco, { recursive: true });
  }
});

// client_tls.md: "commonName | The common name to use for all TLS requests. Make sure to set it
// (even when `disableValidation: true`) if your server requires SNI". The upstream sees the
// commonName (with the static prefix's capture filled in) as its TLS server name.
Deno.test("docs client_tls: commonName is the SNI, also with disableValidation: true", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sy-doc-tls-sni-" });
  await chainCerts(dir, { world: "DNS:world.svc" });
  const https = await import("node:https");
  const names: (string | false | null)[] = [];
  const upstream = https.createServer({
    cert: await Deno.readTextFile(`${dir}/world.pem`),
    key: await Deno.readTextFile(`${dir}/world.key`),
  }, (req, res) => {
    names.push((req.socket as import("node:tls").TLSSocket).servername);
    res.end("ok");
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", () => r()));
  const port = (upstream.address() as { port: number }).port;
  const disco = await fsNamerDir({ hello: `127.0.0.1 ${port}`, anon: `127.0.0.1 ${port}` });
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
    - prefix: /#/io.l5d.fs/{service}
      tls:
        disableValidation: true
        commonName: "{service}.linkerd.io"
    - prefix: /#/io.l5d.fs/anon
      tls: {disableValidation: true}
`);
  try {
    const r = await curl(["-H", "Host: hello", `http://${sy.proxy()}/`]);
    assertEquals([r.status, r.body], [200, "ok"]);
    assertEquals(names, ["hello.linkerd.io"]);
    // No commonName: the handshake still succeeds (nothing is validated); no name is asked for.
    const anon = await curl(["-H", "Host: anon", `http://${sy.proxy()}/`]);
    assertEquals([anon.status, anon.body], [200, "ok"]);
    assertEquals(names.length, 2);
    assert(names[1] !== "hello.linkerd.io", `anon SNI: ${names[1]}`);
  } finally {
    await sy.stop();
    await new Promise((r) => upstream.close(r));
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(disco, { recursive: true });
  }
});
