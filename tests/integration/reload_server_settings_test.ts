/**
 * A config reload applies every server setting of a listener it keeps (same router, address and
 * port): the settings read per request (`timestampHeader`, `addForwardedHeader`, `clearContext`,
 * `timeoutMs`, `maxConcurrentRequests`, the router's `maxHeadersKB`) apply to the next request,
 * on a keep-alive connection opened before the reload too; the ones a socket decides (`engine`,
 * adding or removing `tls`) open a new server on the same port, and the connections of the old
 * one keep working.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, fsNamerDir, startUpstream } from "../support/upstream.ts";
import { makeCerts } from "../support/certs.ts";
import { nghttp } from "../support/h2_peers.ts";
import http2 from "node:http2";

/** One HTTP/1.1 keep-alive connection over a raw socket; requests one at a time. */
class KeepAlive {
  readonly #conn: Deno.Conn;
  #buf = new Uint8Array(0);
  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }
  static async open(port: number): Promise<KeepAlive> {
    return new KeepAlive(await Deno.connect({ hostname: "127.0.0.1", port }));
  }
  /** Send a request; its status, headers and body (Content-Length framed). */
  async request(
    path: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; headers: Headers; body: string }> {
    const lines = [`GET ${path} HTTP/1.1`, "Host: web"];
    for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
    await this.#conn.write(new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n"));
    const deadline = Date.now() + 10_000;
    let headEnd = -1;
    while ((headEnd = find(this.#buf)) < 0) await this.#more(deadline);
    const head = new TextDecoder().decode(this.#buf.subarray(0, headEnd)).split("\r\n");
    const status = Number(head[0]!.split(" ")[1]);
    const h = new Headers();
    for (const l of head.slice(1)) {
      const i = l.indexOf(":");
      h.append(l.slice(0, i).trim(), l.slice(i + 1).trim());
    }
    const len = Number(h.get("content-length") ?? "0");
    while (this.#buf.length < headEnd + 4 + len) await this.#more(deadline);
    const body = new TextDecoder().decode(this.#buf.subarray(headEnd + 4, headEnd + 4 + len));
    this.#buf = this.#buf.slice(headEnd + 4 + len);
    return { status, headers: h, body };
  }
  async #more(deadline: number): Promise<void> {
    if (Date.now() > deadline) throw new Error("keep-alive connection: response timed out");
    const chunk = new Uint8Array(65536);
    const n = await this.#conn.read(chunk);
    if (n === null) throw new Error("keep-alive connection closed");
    const next = new Uint8Array(this.#buf.length + n);
    next.set(this.#buf);
    next.set(chunk.subarray(0, n), this.#buf.length);
    this.#buf = next;
  }
  close(): void {
    try {
      this.#conn.close();
    } catch { /* closed */ }
  }
}

function find(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  }
  return -1;
}

function cfg(dir: string, server: string, router = ""): string {
  return `
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  label: out
  dtab: |
    /svc => /#/io.l5d.fs;
    /svc/web => /svc/a;
${router}
  servers: [{port: 0${server}}]
`;
}

async function reload(
  sy: { admin: string; configPath: string },
  yaml: string,
): Promise<void> {
  await Deno.writeTextFile(sy.configPath, yaml);
  const r = await curl(["-X", "POST", `${sy.admin}/admin/reload`]);
  assertEquals(r.status, 200, `reload: ${r.body}`);
}

/** Upstreams `a` (echo; `/slow` answers after 800 ms) and `b` (echo). */
async function upstreams() {
  const a = startUpstream("a", async (req) => {
    if (new URL(req.url).pathname === "/slow") await new Promise((r) => setTimeout(r, 800));
    const headers: Record<string, string> = {};
    for (const [k, v] of req.headers) headers[k] = v;
    return Response.json({ name: "a", headers });
  });
  const b = startUpstream("b");
  const dir = await fsNamerDir({ a: a.fsLine, b: b.fsLine });
  return { a, b, dir, close: () => Promise.all([a.close(), b.close()]) };
}

Deno.test("reload: a kept listener's per-request settings apply, on open keep-alive connections too", async () => {
  const up = await upstreams();
  const sy = await startSwitchyard(cfg(up.dir, ""));
  const port = sy.ports.out![0]!;
  const ka = await KeepAlive.open(port);
  try {
    // Before: no timestamp, no Forwarded; l5d-dtab is honoured (clearContext: false).
    let r = await ka.request("/");
    assertEquals(r.status, 200);
    let seen = JSON.parse(r.body);
    assertEquals(seen.headers["x-ts"], undefined);
    assertEquals(seen.headers["forwarded"], undefined);
    r = await ka.request("/", { "l5d-dtab": "/svc/web => /svc/b" });
    assertEquals(JSON.parse(r.body).name, "b");
    const big = "x".repeat(10 * 1024);
    assertEquals((await ka.request("/", { "x-big": big })).status, 431);

    await reload(
      sy,
      cfg(
        up.dir,
        ", timestampHeader: x-ts, addForwardedHeader: {by: {kind: static, label: edge}, " +
          "for: {kind: ip}}, clearContext: true, timeoutMs: 300",
        "  maxHeadersKB: 16",
      ),
    );
    // The connection opened before the reload sees every new setting...
    r = await ka.request("/");
    assertEquals(r.status, 200);
    seen = JSON.parse(r.body);
    assert(/^\d+$/.test(seen.headers["x-ts"] ?? ""), `x-ts: ${r.body}`);
    assertEquals(seen.headers["forwarded"], "by=_edge;for=127.0.0.1;host=web");
    r = await ka.request("/", { "l5d-dtab": "/svc/web => /svc/b" });
    assertEquals(JSON.parse(r.body).name, "a", "clearContext: the client's l5d-dtab is dropped");
    assertEquals((await ka.request("/slow")).status, 503, "timeoutMs: 300");
    assertEquals((await ka.request("/", { "x-big": big })).status, 200, "maxHeadersKB: 16");
    // ... and so does a new one.
    const c = await curl(["-H", "Host: web", "-H", `x-big: ${big}`, `http://127.0.0.1:${port}/`]);
    assertEquals(c.status, 200);
    assert(JSON.parse(c.body).headers["x-ts"] !== undefined);

    // maxConcurrentRequests: 1 sheds the second request while one is in flight.
    await reload(sy, cfg(up.dir, ", maxConcurrentRequests: 1"));
    const slow = curl(["-H", "Host: web", `http://127.0.0.1:${port}/slow`]);
    await new Promise((r) => setTimeout(r, 200));
    r = await ka.request("/");
    assertEquals(r.status, 503, "maxConcurrentRequests: 1");
    assertEquals((await slow).status, 200, "the request in flight finished");
    r = await ka.request("/", { "l5d-dtab": "/svc/web => /svc/b" });
    assertEquals(r.status, 200);
    seen = JSON.parse(r.body);
    assertEquals(seen.name, "b", "clearContext is off again");
    assertEquals(seen.headers["x-ts"], undefined, "timestampHeader removed");

    // serverSession.idleTimeMs applies in place: a connection idle 300 ms is closed.
    await reload(sy, cfg(up.dir, ", serverSession: {idleTimeMs: 300}"));
    const idle = await KeepAlive.open(port);
    try {
      assertEquals((await idle.request("/")).status, 200);
      await new Promise((r) => setTimeout(r, 1000));
      let closed = false;
      try {
        await idle.request("/");
      } catch {
        closed = true;
      }
      assert(closed, "serverSession.idleTimeMs: 300 closed the idle connection");
    } finally {
      idle.close();
    }
  } finally {
    ka.close();
    await sy.stop();
    await up.close();
  }
});

Deno.test("reload: engine and tls changes open a new server on the port; open connections go on", async () => {
  const up = await upstreams();
  const certs = await Deno.makeTempDir();
  await makeCerts(certs, { foo: "DNS:foo,IP:127.0.0.1" });
  const tls = `, tls: {certPath: ${certs}/foo.pem, keyPath: ${certs}/foo.key}`;
  const sy = await startSwitchyard(cfg(up.dir, ""));
  const port = sy.ports.out![0]!;
  const plain = ["-H", "Host: web", `http://127.0.0.1:${port}/`];
  const h2c = ["--http2-prior-knowledge", ...plain];
  const https = ["-k", "-H", "Host: web", `https://127.0.0.1:${port}/`];
  const ka = await KeepAlive.open(port);
  try {
    assertEquals((await ka.request("/")).status, 200);
    // The raw engine (the default) does not speak h2c; engine: serve (Deno.serve) does.
    assert((await curl(h2c)).status !== 200, "raw engine: no h2c");
    await reload(sy, cfg(up.dir, ", engine: serve"));
    const h2 = await curl(["-w", "%{http_version}", ...h2c]);
    assertEquals(h2.status, 200, "engine: serve answers h2c prior knowledge");
    assertEquals((await ka.request("/")).status, 200, "the raw connection still serves");

    // Adding tls (engine raw by default): the port speaks TLS; the plaintext connection goes on.
    await reload(sy, cfg(up.dir, tls));
    assertEquals((await curl(https)).status, 200, "tls added");
    assert((await curl(plain)).status !== 200, "no plaintext on the TLS port");
    const r = await ka.request("/");
    assertEquals(r.status, 200, "the connection opened before the reloads still serves");
    assertEquals(JSON.parse(r.body).name, "a");

    // Removing it again.
    await reload(sy, cfg(up.dir, ""));
    assertEquals((await curl(plain)).status, 200, "tls removed");
    assert((await curl(https)).status !== 200, "no TLS on the plaintext port");
    assertEquals((await ka.request("/")).status, 200);
  } finally {
    ka.close();
    await sy.stop();
    await up.close();
    await Deno.remove(certs, { recursive: true });
  }
});

/** GET / with :authority `web` on an open h2 session; status and body. */
function h2Get(session: http2.ClientHttp2Session): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ":path": "/", ":authority": "web" });
    let status = 0;
    let body = "";
    req.setEncoding("utf8");
    req.on("response", (h) => (status = Number(h[":status"])));
    req.on("data", (d: string) => (body += d));
    req.on("end", () => resolve({ status, body }));
    req.on("error", reject);
    req.end();
  });
}

Deno.test("reload: an h2 listener takes new SETTINGS, timestampHeader and tls; its open session goes on", async () => {
  const up = await upstreams();
  const certs = await Deno.makeTempDir();
  await makeCerts(certs, { foo: "DNS:foo,IP:127.0.0.1" });
  const h2cfg = (server: string) => `
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${up.dir}}]
routers:
- protocol: h2
  label: h2
  dtab: |
    /svc => /#/io.l5d.fs;
    /svc/web => /svc/a;
  servers: [{port: 0${server}}]
`;
  const sy = await startSwitchyard(h2cfg(""));
  const port = sy.ports.h2![0]!;
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on("error", () => {});
  try {
    let r = await h2Get(session);
    assertEquals(r.status, 200);
    assertEquals(JSON.parse(r.body).headers["x-ts"], undefined);

    await reload(sy, h2cfg(", timestampHeader: x-ts, maxConcurrentStreamsPerConnection: 77"));
    r = await h2Get(session);
    assertEquals(r.status, 200, "the session opened before the reload");
    assert(/^\d+$/.test(JSON.parse(r.body).headers["x-ts"] ?? ""), r.body);
    const out = await nghttp(["-v", "-H", ":authority: web", `http://127.0.0.1:${port}/`]);
    assert(out.includes("SETTINGS_MAX_CONCURRENT_STREAMS(0x03):77"), out);
    assert(out.includes('"x-ts"'), out);

    await reload(
      sy,
      h2cfg(`, tls: {certPath: ${certs}/foo.pem, keyPath: ${certs}/foo.key}`),
    );
    const https = await curl([
      "-k",
      "--http2",
      "-w",
      "\n%{http_version}",
      "-H",
      "Host: web",
      `https://127.0.0.1:${port}/`,
    ]);
    assertEquals(https.status, 200, "tls added");
    assert(https.body.endsWith("\n2"), https.body);
    r = await h2Get(session);
    assertEquals(r.status, 200, "the h2c session goes on");
    assertEquals(JSON.parse(r.body).headers["x-ts"], undefined, "timestampHeader removed");
  } finally {
    session.close();
    await sy.stop();
    await up.close();
    await Deno.remove(certs, { recursive: true });
  }
});

Deno.test("reload: settings changed in place under load refuse no connection and fail no request", async () => {
  const up = await upstreams();
  const sy = await startSwitchyard(cfg(up.dir, ""));
  const port = sy.ports.out![0]!;
  // A new connection for every request (no pool) and keep-alive ones: while the settings change
  // (none of them needs a new socket), every connection is accepted and every request answered.
  using fresh = Deno.createHttpClient({ allowHost: true, poolMaxIdlePerHost: 0 });
  using pooled = Deno.createHttpClient({ allowHost: true });
  let stop = false;
  let total = 0;
  let phase = "start";
  const failures: string[] = [];
  const deadline = Date.now() + 60_000;
  const worker = (client: Deno.HttpClient) => async () => {
    while (!stop && Date.now() < deadline && total < 50_000) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/`, { headers: { host: "web" }, client });
        await r.body?.cancel();
        if (r.status !== 200) failures.push(`${phase}: status ${r.status}`);
      } catch (e: unknown) {
        failures.push(`${phase}: ${String(e)} ${String((e as Error).cause)}`);
      }
      total++;
    }
  };
  const workers = [worker(fresh), worker(fresh), worker(pooled)].map((w) => w());
  try {
    const variants: [string, string][] = [
      [", timestampHeader: x-ts, clearContext: true", ""],
      [", serverSession: {idleTimeMs: 30000, lifeTimeMs: 60000}", "  maxHeadersKB: 16"],
      [", timeoutMs: 5000, maxConcurrentRequests: 1000", "  maxInitialLineKB: 8"],
      [", addForwardedHeader: {by: {kind: ip}, for: {kind: ip}}", ""],
      ["", ""],
    ];
    for (let i = 0; i < 10; i++) {
      const [server, router] = variants[i % variants.length]!;
      phase = `reload ${i}: ${server} ${router}`;
      await reload(sy, cfg(up.dir, server, router));
      await new Promise((r) => setTimeout(r, 150));
    }
  } finally {
    stop = true;
    await Promise.all(workers);
    await sy.stop();
    await up.close();
  }
  console.log(`in-place reloads under load: ${total} requests, ${failures.length} failed`);
  assert(total > 100, `requests made: ${total}`);
  assertEquals(failures.slice(0, 5), [], `${failures.length} of ${total} failed`);
});
