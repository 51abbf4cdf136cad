/**
 * Server certificates reload without a restart, as Linkerd 1.x's Finagle server reads
 * `certPath`/`keyPath` for each new connection (linkerd/linkerd `TlsCertReloadingTest`): every
 * kind of TLS listener Switchyard has (`Deno.serve`, the raw engine on `Deno.listenTls` and on
 * node:tls, an h2 router by ALPN, `admin.tls`) serves a rotated certificate to new connections,
 * keeps open connections (raw and h2 engines), and keeps the old certificate when the new pair is
 * bad. The certificates live in a Kubernetes Secret-style volume updated as kubelet's atomic
 * writer does it (`..data` symlink swap, `tests/support/configmap.ts`).
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl } from "../support/upstream.ts";
import { makeCerts } from "../support/certs.ts";
import { configMapVolume } from "../support/configmap.ts";
import http2 from "node:http2";

/** The subject CN a new TLS connection to `port` is served ("" when the handshake fails). */
async function servedCN(port: number, alpn = "http/1.1"): Promise<string> {
  const out = await new Deno.Command("bash", {
    args: [
      "-c",
      `openssl s_client -connect 127.0.0.1:${port} -servername foo -alpn ${alpn} </dev/null ` +
      `2>/dev/null | openssl x509 -noout -subject 2>/dev/null`,
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  return /CN\s*=\s*([\w.-]+)/.exec(new TextDecoder().decode(out.stdout))?.[1] ?? "";
}

/** Poll until new connections to `port` are served `want` (at most 5 s); the last CN seen. */
async function untilCN(port: number, want: string, alpn?: string): Promise<string> {
  let got = "";
  for (const end = Date.now() + 5000; Date.now() < end;) {
    got = await servedCN(port, alpn);
    if (got === want) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return got;
}

/** One HTTP/1.1 keep-alive TLS connection (openssl s_client), requests sent one at a time. */
class KeepAlive {
  readonly #proc: Deno.ChildProcess;
  readonly #w: WritableStreamDefaultWriter<Uint8Array>;
  readonly #r: ReadableStreamDefaultReader<Uint8Array>;
  constructor(port: number) {
    this.#proc = new Deno.Command("openssl", {
      args: ["s_client", "-connect", `127.0.0.1:${port}`, "-quiet", "-alpn", "http/1.1"],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    this.#w = this.#proc.stdin.getWriter();
    this.#r = this.#proc.stdout.getReader();
  }
  /** GET / with Host `foo`; the response text once it holds `body` ("" when it closes first). */
  async get(body: string): Promise<string> {
    await this.#w.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: foo\r\n\r\n"));
    let text = "";
    const dec = new TextDecoder();
    const end = Date.now() + 5000;
    while (!text.includes(`\r\n\r\n${body}`) && Date.now() < end) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const r = await Promise.race([
        this.#r.read(),
        new Promise<{ done: true }>((res) => timer = setTimeout(() => res({ done: true }), 5000)),
      ]);
      clearTimeout(timer);
      if (r.done) return "";
      text += dec.decode(r.value);
    }
    return text;
  }
  async close(): Promise<void> {
    try {
      await this.#w.close();
    } catch { /* closed */ }
    try {
      this.#proc.kill();
    } catch { /* ended */ }
    await this.#r.cancel().catch(() => {});
    await this.#proc.status;
  }
}

/** GET / on an h2 session: the status. */
function h2Get(session: http2.ClientHttp2Session): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ":path": "/", ":authority": "foo" });
    let status = 0;
    req.on("response", (h) => (status = Number(h[":status"])));
    req.on("data", () => {});
    req.on("end", () => resolve(status));
    req.on("error", reject);
    req.end();
  });
}

Deno.test("tls: rotated server certificates reach new connections on every TLS listener, open ones stay, a bad pair is refused", async () => {
  const certs = await Deno.makeTempDir({ prefix: "sy-tls-reload-" });
  await makeCerts(certs, { foo: "DNS:foo", bar: "DNS:bar" });
  const pem = (name: string) => Deno.readTextFileSync(`${certs}/${name}`);
  const secret = await configMapVolume({ "tls.crt": pem("foo.pem"), "tls.key": pem("foo.key") });
  const origin = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => {
    return new Response("ok");
  });
  const tls = `{certPath: ${secret.dir}/tls.crt, keyPath: ${secret.dir}/tls.key}`;
  const tls12 =
    `{certPath: ${secret.dir}/tls.crt, keyPath: ${secret.dir}/tls.key, protocols: [TLSv1.2]}`;
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0, tls: ${tls}}
routers:
- protocol: http
  label: web
  dtab: /svc/* => /$/inet/127.1/${origin.addr.port} ;
  servers:
  - {ip: 127.0.0.1, port: 0, tls: ${tls}}
  - {ip: 127.0.0.1, port: 0, engine: raw, tls: ${tls}}
  - {ip: 127.0.0.1, port: 0, tls: ${tls12}}
- protocol: h2
  label: grpc
  dtab: /svc/* => /$/inet/127.1/${origin.addr.port} ;
  servers:
  - {ip: 127.0.0.1, port: 0, tls: ${tls}}
`);
  const [serve, raw, nodeTls] = sy.ports.web!;
  const h2 = sy.ports.grpc![0]!;
  const listeners: [string, number, string?][] = [
    ["engine: serve", serve!],
    ["engine: raw", raw!],
    ["raw on node:tls (protocols)", nodeTls!],
    ["h2 by ALPN", h2, "h2"],
    ["admin.tls", sy.adminPort],
  ];
  const rawConn = new KeepAlive(raw!);
  const nodeConn = new KeepAlive(nodeTls!);
  const session = http2.connect(`https://127.0.0.1:${h2}`, { rejectUnauthorized: false });
  session.on("error", () => {});
  try {
    for (const [what, port, alpn] of listeners) {
      assertEquals(await servedCN(port, alpn), "foo", what);
    }
    assert((await rawConn.get("ok")).startsWith("HTTP/1.1 200"), "raw keep-alive, first");
    assert((await nodeConn.get("ok")).startsWith("HTTP/1.1 200"), "node:tls keep-alive, first");
    assertEquals(await h2Get(session), 200, "h2 session, first");

    // cert-manager renews the Secret: kubelet swaps `..data`
    await secret.update({ "tls.crt": pem("bar.pem"), "tls.key": pem("bar.key") });
    for (const [what, port, alpn] of listeners) {
      assertEquals(await untilCN(port, "bar", alpn), "bar", `${what}: rotated, no restart`);
    }
    // connections opened before the rotation go on
    assert((await rawConn.get("ok")).startsWith("HTTP/1.1 200"), "raw keep-alive, after");
    assert((await nodeConn.get("ok")).startsWith("HTTP/1.1 200"), "node:tls keep-alive, after");
    assertEquals(await h2Get(session), 200, "h2 session, after");
    const r = await curl(["-k", "-H", "Host: foo", `https://127.0.0.1:${serve}/`]);
    assertEquals([r.status, r.body], [200, "ok"]);

    // a bad pair (foo's certificate, bar's key): refused, logged, the old certificate serves
    const before = sy.logs.length;
    await secret.update({ "tls.crt": pem("foo.pem"), "tls.key": pem("bar.key") });
    const failed = () =>
      sy.logs.slice(before).filter((l) => l.includes("TLS certificate reload failed"));
    for (const end = Date.now() + 5000; failed().length < listeners.length && Date.now() < end;) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assertEquals(failed().length, listeners.length, sy.logs.slice(before).join("\n"));
    assert(failed()[0]!.includes("the private key does not match the certificate"), failed()[0]);
    for (const [what, port, alpn] of listeners) {
      assertEquals(await servedCN(port, alpn), "bar", `${what}: a bad pair keeps the old one`);
    }
    const r2 = await curl(["-k", "-H", "Host: foo", `https://127.0.0.1:${raw}/`]);
    assertEquals([r2.status, r2.body], [200, "ok"]);

    // an unreadable PEM, then a good pair again
    const before2 = sy.logs.length;
    await secret.update({ "tls.crt": "not a certificate\n", "tls.key": pem("bar.key") });
    const unparsed = () =>
      sy.logs.slice(before2).filter((l) => l.includes("the certificate does not parse"));
    for (const end = Date.now() + 5000; unparsed().length < listeners.length && Date.now() < end;) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assertEquals(unparsed().length, listeners.length, sy.logs.slice(before2).join("\n"));
    for (const [what, port, alpn] of listeners) {
      assertEquals(await servedCN(port, alpn), "bar", `${what}: unreadable PEM keeps the old one`);
    }
    await secret.update({ "tls.crt": pem("foo.pem"), "tls.key": pem("foo.key") });
    for (const [what, port, alpn] of listeners) {
      assertEquals(await untilCN(port, "foo", alpn), "foo", `${what}: good pair after bad`);
    }
  } finally {
    session.close();
    await rawConn.close();
    await nodeConn.close();
    await sy.stop();
    await origin.shutdown();
    await secret.remove();
    await Deno.remove(certs, { recursive: true });
  }
});

Deno.test("tls: a config reload that points a running listener at other certificate files serves them", async () => {
  const certs = await Deno.makeTempDir({ prefix: "sy-tls-reload-" });
  await makeCerts(certs, { foo: "DNS:foo", bar: "DNS:bar" });
  const configPath = await Deno.makeTempFile({ suffix: ".yaml" });
  const config = (name: string) => `
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: /svc/* => /$/inet/127.1/1 ;
  servers:
  - {ip: 127.0.0.1, port: 0, tls: {certPath: ${certs}/${name}.pem, keyPath: ${certs}/${name}.key}}
  - {ip: 127.0.0.1, port: 0, engine: raw, tls: {certPath: ${certs}/${name}.pem, keyPath: ${certs}/${name}.key}}
`;
  const sy = await startSwitchyard(config("foo"), { configPath });
  try {
    const ports = sy.ports.http!;
    for (const port of ports) assertEquals(await servedCN(port), "foo");
    await Deno.writeTextFile(configPath, config("bar"));
    // the same listeners (same ports), the files the new config names
    for (const port of ports) assertEquals(await untilCN(port, "bar"), "bar", `port ${port}`);
  } finally {
    await sy.stop();
    await Deno.remove(configPath);
    await Deno.remove(certs, { recursive: true });
  }
});
