/**
 * `--workers 2` with the features that came after it: server certificate reload, a config reload
 * that changes the settings of a kept listener (in place, and by a new socket on the port), the
 * discovery namers and the ConfigMap interpreter with their admin pages, `failures/<class>` stat
 * names merged, `/$/io.buoyant.http.status`, whole traces in `/requests`. Every check opens many
 * new connections, so that the kernel's SO_REUSEPORT hash gives both workers some: no worker may
 * be left serving the old certificate or settings.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, freePort, fsNamerDir, startUpstream } from "../support/upstream.ts";
import { makeCerts } from "../support/certs.ts";
import { configMapVolume } from "../support/configmap.ts";
import { startFakeConsul } from "../support/fake_consul.ts";
import { startFakeMarathon } from "../support/fake_marathon.ts";
import { startFakeK8sApi } from "../../discovery/k8s/fake_api.ts";
import { nghttp, startPeer, startPortPeer } from "../support/h2_peers.ts";

/** New connections per check: all on one of two workers has odds 2^-(N-1). */
const N = 16;

/** The subject CN a new TLS connection to `port` is served ("" when the handshake fails). */
async function servedCN(port: number): Promise<string> {
  const out = await new Deno.Command("bash", {
    args: [
      "-c",
      `openssl s_client -connect 127.0.0.1:${port} -servername foo -alpn http/1.1 </dev/null ` +
      `2>/dev/null | openssl x509 -noout -subject 2>/dev/null`,
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  return /CN\s*=\s*([\w.-]+)/.exec(new TextDecoder().decode(out.stdout))?.[1] ?? "";
}

/** The CNs of N new connections (in parallel), sorted and deduplicated. */
async function cns(port: number): Promise<string[]> {
  const all = await Promise.all(Array.from({ length: N }, () => servedCN(port)));
  return [...new Set(all)].sort();
}

async function json(url: string): Promise<Record<string, unknown>> {
  const r = await curl([url]);
  assertEquals(r.status, 200, `${url}: ${r.body}`);
  return JSON.parse(r.body);
}

/** Server requests per worker, from `/admin/workers.json`. */
async function perWorker(admin: string): Promise<number[]> {
  const list = await json(`${admin}/admin/workers.json`) as unknown as {
    serverRequests: number;
  }[];
  return list.map((w) => w.serverRequests);
}

Deno.test("serve --workers 2: a rotated certificate and a settings reload reach both workers", async () => {
  const certs = await Deno.makeTempDir({ prefix: "sy-wk-tls-" });
  await makeCerts(certs, { foo: "DNS:foo", bar: "DNS:bar" });
  const pem = (name: string) => Deno.readTextFileSync(`${certs}/${name}`);
  const secret = await configMapVolume({ "tls.crt": pem("foo.pem"), "tls.key": pem("foo.key") });
  const up = startUpstream("a");
  const dir = await fsNamerDir({ a: up.fsLine });
  const cfgDir = await Deno.makeTempDir();
  const configPath = `${cfgDir}/switchyard.yaml`;
  const tls = `tls: {certPath: ${secret.dir}/tls.crt, keyPath: ${secret.dir}/tls.key}`;
  const cfg = (server: string) => `
admin: {ip: 127.0.0.1, port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  label: web
  dtab: |
    /svc => /#/io.l5d.fs;
    /svc/foo => /svc/a;
  servers:
  - {ip: 127.0.0.1, port: 0, ${tls}}
  - {ip: 127.0.0.1, port: 0${server}}
`;
  const sy = await startSwitchyard(cfg(""), { configPath, args: ["--workers", "2"] });
  try {
    const [tlsPort, plain] = sy.ports.web!.filter((_, i, a) => a.indexOf(_) === i);
    assertEquals(await cns(tlsPort!), ["foo"]);

    // cert-manager renews the Secret: every worker serves the new one to new connections.
    await secret.update({ "tls.crt": pem("bar.pem"), "tls.key": pem("bar.key") });
    assert(
      await eventually(async () => (await servedCN(tlsPort!)) === "bar", 5000),
      "rotated",
    );
    // Give the other worker's watch the same debounce, then every connection must see bar.
    await new Promise((r) => setTimeout(r, 500));
    assertEquals(await cns(tlsPort!), ["bar"], "no worker left on the old certificate");

    // Requests through both listeners reach both workers.
    const get = (port: number, scheme: string, headers: string[] = []) =>
      curl(["-k", ...headers, "-H", "Host: foo", `${scheme}://127.0.0.1:${port}/`]);
    for (let i = 0; i < N; i++) assertEquals((await get(tlsPort!, "https")).status, 200);
    assert((await perWorker(sy.admin)).every((n) => n > 0), "both workers served");

    // A settings reload in place (timestampHeader): every new connection gets it.
    await Deno.writeTextFile(configPath, cfg(", timestampHeader: x-ts"));
    const reloaded = await curl(["-X", "POST", `${sy.admin}/admin/reload`]);
    assertEquals(reloaded.status, 200, reloaded.body);
    const seen = await Promise.all(
      Array.from({ length: N }, () => get(plain!, "http").then((r) => JSON.parse(r.body))),
    );
    assertEquals(
      seen.filter((b) => b.headers["x-ts"] === undefined).length,
      0,
      "no worker without the new timestampHeader",
    );

    // A reload that opens a new socket on the port (adding tls): no worker's old plaintext
    // server still takes new connections.
    await Deno.writeTextFile(configPath, cfg(`, ${tls}`));
    const again = await curl(["-X", "POST", `${sy.admin}/admin/reload`]);
    assertEquals(again.status, 200, again.body);
    assertEquals(await cns(plain!), ["bar"], "every worker's new socket speaks TLS");
    const https = await Promise.all(Array.from({ length: N }, () => get(plain!, "https")));
    assertEquals(https.map((r) => r.status), https.map(() => 200));
  } finally {
    await sy.stop();
    await up.close();
    await secret.remove();
    await Deno.remove(certs, { recursive: true });
    await Deno.remove(cfgDir, { recursive: true });
  }
});

Deno.test("serve --workers 2: consul, marathon and the configMap interpreter route; their admin pages show the workers' lookups", async () => {
  const a = startUpstream("a");
  const b = startUpstream("b");
  const c = startUpstream("c");
  const consul = startFakeConsul();
  consul.setService("web", [{ port: a.port, address: "127.0.0.1" }]);
  const marathon = startFakeMarathon();
  marathon.setApp("/users", { tasks: [{ host: "127.0.0.1", ports: [b.port] }] });
  const k8s = startFakeK8sApi();
  k8s.setConfigMap("l5d", "dtabs", { "cm.dtab": `/svc/cm => /$/inet/127.0.0.1/${c.port};` });
  k8s.setEndpoints("default", "web", [{ ip: "127.0.0.1" }], [{ name: "http", port: a.port }]);
  const sy = await startSwitchyard(
    `
admin: {ip: 127.0.0.1, port: 0}
namers:
- {kind: io.l5d.consul, host: 127.0.0.1, port: ${consul.port}}
- {kind: io.l5d.marathon, host: 127.0.0.1, port: ${marathon.port}, ttlMs: 200, jitterMs: 20}
- {kind: io.l5d.k8s, host: 127.0.0.1, port: ${k8s.port}}
routers:
- protocol: http
  label: consul
  dtab: /svc => /#/io.l5d.consul/dc1;
  servers: [{ip: 127.0.0.1, port: 0}]
- protocol: http
  label: marathon
  dtab: /svc => /#/io.l5d.marathon;
  servers: [{ip: 127.0.0.1, port: 0}]
- protocol: http
  label: k8s
  dtab: /svc => /#/io.l5d.k8s/default/http;
  servers: [{ip: 127.0.0.1, port: 0}]
- protocol: http
  label: cm
  interpreter:
    kind: io.l5d.k8s.configMap
    experimental: true
    host: 127.0.0.1
    port: ${k8s.port}
    namespace: l5d
    name: dtabs
    filename: cm.dtab
  servers: [{ip: 127.0.0.1, port: 0}]
`,
    { args: ["--workers", "2"] },
  );
  try {
    const names = async (router: string, host: string) => {
      const out = await Promise.all(Array.from({ length: N }, async () => {
        const r = await curl(["-H", `Host: ${host}`, `http://${sy.proxy(router)}/`]);
        return r.status === 200 ? JSON.parse(r.body).name : `${r.status} ${r.body}`;
      }));
      return [...new Set(out)];
    };
    assertEquals(await names("consul", "web"), ["a"]);
    assertEquals(await names("marathon", "users"), ["b"]);
    assertEquals(await names("cm", "cm"), ["c"]);
    assertEquals(await names("k8s", "web"), ["a"]);
    assert((await perWorker(sy.admin)).every((n) => n > 0), "both workers served");

    // No delegator call: what the namers show is what the workers looked up.
    const consulState = await json(`${sy.admin}/namer_state/io.l5d.consul.json`);
    assertEquals(
      (consulState["/dc1/web"] as { state: { type: string } } | undefined)?.state.type,
      "bound",
      JSON.stringify(consulState),
    );
    const marathonState = await json(
      `${sy.admin}/namer_state/io.l5d.marathon.json`,
    ) as unknown as Record<string, unknown>[];
    assert(marathonState.some((e) => "/users" in e), JSON.stringify(marathonState));
    const k8sState = await json(`${sy.admin}/namer_state/io.l5d.k8s.json`) as {
      endpoints: Record<string, unknown>;
    };
    assert("default/web" in k8sState.endpoints, JSON.stringify(k8sState));
    // Linkerd's BoundNamesHandler: the k8s namer enumerates the services it watches (in the
    // workers), marathon the API's apps.
    const bound = await curl([`${sy.admin}/bound-names.json`]);
    assertEquals(JSON.parse(bound.body), [
      "/#/io.l5d.k8s/default/http/web",
      "/#/io.l5d.marathon/users",
    ]);
    const cm = await json(`${sy.admin}/cm/interpreter_state/io.l5d.k8s.configmap.json`) as {
      state: { value: string; running: boolean };
    };
    assertEquals(cm.state.value, `/svc/cm=>/$/inet/127.0.0.1/${c.port}`);

    // An edit of the ConfigMap reaches every worker.
    const d = startUpstream("d");
    try {
      k8s.setConfigMap("l5d", "dtabs", { "cm.dtab": `/svc/cm => /$/inet/127.0.0.1/${d.port};` });
      assert(
        await eventually(async () => (await names("cm", "cm")).join() === "d", 10_000),
        "edited",
      );
      assertEquals(await names("cm", "cm"), ["d"], "no worker on the old dtab");
    } finally {
      await d.close();
    }
  } finally {
    await sy.stop();
    await Promise.all([a.close(), b.close(), c.close(), consul.close(), marathon.close()]);
    await k8s.close();
  }
});

/** A raw HTTP/1.1 upstream answering each whole request with `answer(request)`'s bytes. */
function rawUpstream(answer: (request: string) => string) {
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  const serve = async (c: Deno.Conn) => {
    const buf = new Uint8Array(65536);
    let text = "";
    try {
      for (;;) {
        const n = await c.read(buf);
        if (n === null) return;
        text += dec.decode(buf.subarray(0, n));
        if (!text.includes("\r\n\r\n")) continue;
        const req = text;
        text = "";
        await c.write(enc.encode(answer(req)));
      }
    } catch {
      // the proxy went away
    } finally {
      open.delete(c);
      c.close();
    }
  };
  const accepting = (async () => {
    for await (const c of listener) {
      open.add(c);
      void serve(c);
    }
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      for (const c of open) c.close();
      await accepting;
    },
  };
}

/** Send raw bytes on a new connection and read until Switchyard closes it (at most 5 s). */
async function exchange(port: number, raw: string): Promise<string> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => c.close(), 5000);
  let text = "";
  try {
    await c.write(new TextEncoder().encode(raw));
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await c.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    c.close();
  } catch {
    // closed by the timer
  } finally {
    clearTimeout(timer);
  }
  return text;
}

Deno.test("serve --workers 2: early hints, trailers, http.status, failures/<class> add up, /requests keeps whole traces", async () => {
  const raw = rawUpstream((req) => {
    const path = req.split(" ")[1];
    if (path === "/hints") {
      return "HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n" +
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    }
    if (path === "/trailers") {
      return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: x-checksum\r\n\r\n" +
        "5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n";
    }
    return "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nboom";
  });
  const world = startUpstream("world");
  const deadPort = freePort();
  const sy = await startSwitchyard(
    `
admin: {ip: 127.0.0.1, port: 0}
telemetry: [{kind: io.l5d.recentRequests, sampleRate: 1.0, capacity: 2}]
routers:
- protocol: http
  label: out
  dtab: |
    /svc/raw => /$/inet/127.0.0.1/${raw.port};
    /svc/world => /$/inet/127.0.0.1/${world.port};
    /svc/dead => /$/inet/127.0.0.1/${deadPort};
    /svc/teapot => /$/io.buoyant.http.status/418;
  servers: [{ip: 127.0.0.1, port: 0}]
`,
    { args: ["--workers", "2"] },
  );
  try {
    const port = Number(sy.proxy().split(":")[1]);
    const req = (path: string, host = "raw") =>
      exchange(port, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    const hints = await Promise.all(Array.from({ length: N }, () => req("/hints")));
    for (const r of hints) {
      assert(r.startsWith("HTTP/1.1 103 Early Hints\r\n") && r.endsWith("\r\n\r\nok"), r);
    }
    const trailers = await Promise.all(Array.from({ length: N }, () => req("/trailers")));
    for (const r of trailers) assert(r.endsWith("0\r\nx-checksum: abc\r\n\r\n"), r);
    const teapots = await Promise.all(Array.from({ length: N }, () => req("/", "teapot")));
    for (const r of teapots) assert(r.startsWith("HTTP/1.1 418 "), r);
    const fives = await Promise.all(Array.from({ length: N }, () => req("/five")));
    for (const r of fives) assert(r.startsWith("HTTP/1.1 500 "), r);
    for (let i = 0; i < N; i++) assert((await req("/", "dead")).startsWith("HTTP/1.1 502 "));
    assert((await perWorker(sy.admin)).every((n) => n > 0), "both workers served");

    // Finagle's failures/<exception> names, summed across the workers.
    const m = await json(`${sy.admin}/admin/metrics.json`);
    const SYNTH = "com.twitter.finagle.service.ResponseClassificationSyntheticException";
    const NB = "com.twitter.finagle.naming.buoyant.";
    assertEquals(m[`rt/out/service/svc/raw/failures/${SYNTH}`], N);
    assertEquals(m[`rt/out/client/$/inet/127.0.0.1/${raw.port}/failures/${SYNTH}`], N);
    assertEquals(
      m[`rt/out/service/svc/dead/failures/${NB}RichConnectionFailedExceptionWithPath`],
      N,
    );
    assertEquals(
      m[`rt/out/client/$/inet/127.0.0.1/${deadPort}/failures/${NB}RichConnectionFailedException`],
      N,
    );
    const server = `rt/out/server/127.0.0.1/${port}`;
    assertEquals(m[`${server}/requests`], 5 * N);
    assertEquals(m[`${server}/failures/${SYNTH}`], 2 * N, "500s and 502s");
    assertEquals(m[`${server}/status/418`], N);

    // /requests: capacity 2 counts traces across the workers, each kept whole.
    const send = (trace: string, path: string) =>
      curl([
        "-H",
        `x-b3-traceid: ${trace.repeat(16)}`,
        "-H",
        `x-b3-spanid: ${"1".repeat(16)}`,
        "-H",
        "Host: world",
        `http://${sy.proxy()}/${path}`,
      ]);
    for (let i = 1; i <= 6; i++) await send("a", `a${i}`);
    await send("b", "b1");
    const uris = async () =>
      (JSON.parse((await curl([`${sy.admin}/requests.json`])).body) as { uri: string }[])
        .map((r) => r.uri);
    assertEquals(await uris(), ["world/b1", ...[6, 5, 4, 3, 2, 1].map((i) => `world/a${i}`)]);
    await send("c", "c1");
    assertEquals(await uris(), ["world/c1", "world/b1"]);
  } finally {
    await sy.stop();
    await raw.close();
    await world.close();
  }
});

Deno.test("serve --workers 2: h2 request trailers reach the upstream; an h2 SETTINGS reload reaches both workers", async () => {
  const up = await startPortPeer("h2-trailers-server");
  const cfgDir = await Deno.makeTempDir();
  const configPath = `${cfgDir}/switchyard.yaml`;
  const cfg = (server: string) => `
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: h2
  dtab: /svc/web => /$/inet/127.0.0.1/${up.port};
  servers: [{ip: 127.0.0.1, port: 0${server}}]
`;
  const sy = await startSwitchyard(cfg(""), { configPath, args: ["--workers", "2"] });
  const port = sy.ports.h2![0]!;
  try {
    // Each client is its own process: its own connection, so both workers get some.
    for (let i = 0; i < N / 2; i++) {
      const peer = startPeer(
        "h2-trailers-client",
        `127.0.0.1:${port}`,
        "web",
        `/t${i}`,
        "5",
        JSON.stringify({ "x-checksum": `c${i}` }),
      );
      const result = await peer.next();
      await peer.exited;
      assertEquals(result.status, 200);
    }
    assert((await perWorker(sy.admin)).every((n) => n > 0), "both workers served");
    for (const end = Date.now() + 5000; up.peer.lines.length < N / 2 && Date.now() < end;) {
      await new Promise((r) => setTimeout(r, 100));
    }
    for (let i = 0; i < N / 2; i++) {
      const l = up.peer.lines.find((l) => l.path === `/t${i}`);
      assertEquals((l?.trailers as Record<string, string> | undefined)?.["x-checksum"], `c${i}`);
    }

    // New SETTINGS open a new socket on the port in each worker: every new session gets them.
    await Deno.writeTextFile(configPath, cfg(", maxConcurrentStreamsPerConnection: 77"));
    const r = await curl(["-X", "POST", `${sy.admin}/admin/reload`]);
    assertEquals(r.status, 200, r.body);
    // Each worker binds its new h2 socket asynchronously after the reload answered: a loaded box
    // may still hand a session to an old socket for a moment (a CI run saw 3 of 16), so the
    // sessions are opened again until every one of N has the new SETTINGS (bounded: 10 s).
    let stale = N;
    let example = "";
    for (const end = Date.now() + 10_000; stale > 0 && Date.now() < end;) {
      const outs = await Promise.all(
        Array.from(
          { length: N },
          () => nghttp(["-v", "-H", ":authority: web", `http://127.0.0.1:${port}/`]),
        ),
      );
      const old = outs.filter((o) => !o.includes("SETTINGS_MAX_CONCURRENT_STREAMS(0x03):77"));
      stale = old.length;
      example = old[0] ?? "";
      if (stale > 0) await new Promise((r) => setTimeout(r, 200));
    }
    // On failure, what one stale session printed (old SETTINGS, or no session at all).
    assertEquals(
      stale,
      0,
      `no worker left on the old SETTINGS; one said: ${example.slice(0, 600)}`,
    );
  } finally {
    await sy.stop();
    await up.peer.kill();
    await Deno.remove(cfgDir, { recursive: true });
  }
});
