/**
 * The raw HTTP/1.1 engine (default for plain-HTTP listeners) with the real process: server
 * `connects`/`connections` stats, malformed requests rejected with a status and `l5d-err`,
 * any `Upgrade` protocol tunnelled to the endpoint, and `engine: serve` still available.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, fsNamerDir, startUpstream } from "../support/upstream.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

async function readUntil(c: Deno.Conn, marker: string, ms = 5000): Promise<string> {
  const buf = new Uint8Array(65536);
  let text = "";
  const deadline = Date.now() + ms;
  while (!text.includes(marker)) {
    if (Date.now() > deadline) throw new Error(`no ${JSON.stringify(marker)} in ${text}`);
    const n = await c.read(buf);
    if (n === null) break;
    text += dec.decode(buf.subarray(0, n));
  }
  return text;
}

async function exchange(port: number, raw: string): Promise<string> {
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await c.write(enc.encode(raw));
    return await readUntil(c, "\r\n\r\n");
  } finally {
    c.close();
  }
}

/** One `edge` router over an fs namer in `dir`; `router` lines go under the router. */
function edgeConfig(dir: string, servers: string, router = ""): string {
  return `
admin: {port: 0}
telemetry: [{kind: io.l5d.prometheus}]
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  label: edge
  dtab: /svc => /#/io.l5d.fs;${router}
  servers: ${servers}
`;
}

function metric(json: Record<string, number>, key: string): number {
  return json[key] ?? -1;
}

Deno.test("engine: server connects/connections count client connections", async () => {
  const up = startUpstream("web");
  const dir = await fsNamerDir({ web: `127.0.0.1 ${up.port}` });
  const sy = await startSwitchyard(edgeConfig(dir, "[{port: 0}]"));
  const conns: Deno.Conn[] = [];
  try {
    const port = Number(sy.proxy().split(":")[1]);
    const base = `rt/edge/server/127.0.0.1/${port}`;
    for (let i = 0; i < 3; i++) {
      const c = await Deno.connect({ hostname: "127.0.0.1", port });
      conns.push(c);
      await c.write(enc.encode("GET / HTTP/1.1\r\nHost: web\r\n\r\n"));
      const head = await readUntil(c, "\r\n\r\n");
      assertStringIncludes(head, "HTTP/1.1 200");
    }
    const open = await (await fetch(`${sy.admin}/admin/metrics.json`)).json();
    assertEquals(metric(open, `${base}/connections`), 3);
    // Finagle's server byte counters: the three request heads in, the three responses out.
    const head = "GET / HTTP/1.1\r\nHost: web\r\n\r\n".length;
    assertEquals(metric(open, `${base}/received_bytes`), 3 * head);
    assert(
      metric(open, `${base}/sent_bytes`) > 3 * 40,
      `sent ${metric(open, `${base}/sent_bytes`)}`,
    );
    assert(metric(open, `${base}/connects`) >= 3, `connects ${metric(open, `${base}/connects`)}`);
    // Finagle's `handletime_us`: one sample per request, the time the router held it (µs), well
    // under the request's whole latency (which includes the upstream's answer).
    assertEquals(metric(open, `${base}/handletime_us.count`), 3);
    const handled = metric(open, `${base}/handletime_us.max`);
    assert(handled > 0 && handled < 1_000_000, `handletime_us.max ${handled}`);
    // The client side: connections open to the endpoint (pooled, kept alive).
    const client = "rt/edge/client/#/io.l5d.fs/web";
    assert(
      metric(open, `${client}/connections`) >= 1,
      `client connections ${open[`${client}/connections`]}`,
    );
    assertEquals(
      metric(open, `${client}/endpoint/127.0.0.1:${up.port}/connections`),
      metric(open, `${client}/connections`),
    );
    const prom = await (await fetch(`${sy.admin}/admin/metrics/prometheus`)).text();
    assertStringIncludes(prom, `rt:server:connections{rt="edge", server="127.0.0.1/${port}"} 3`);
    for (const c of conns.splice(0)) c.close();
    await eventually(async () => {
      const after = await (await fetch(`${sy.admin}/admin/metrics.json`)).json();
      return metric(after, `${base}/connections`) === 0;
    });
  } finally {
    for (const c of conns) c.close();
    await sy.stop();
    await up.close();
  }
});

// Socket writes go out in one batch per event-loop turn (router/http/_socket_io.ts): with many
// connections busy at once, every answer must still reach its own connection, whole and in order,
// small ones and ones too large for one send alike.
Deno.test("engine: 16 busy keep-alive connections each get their own answers, small and 256 KiB", async () => {
  const up = startUpstream("web", (req) => {
    const path = new URL(req.url).pathname;
    // Every fifth answer is 256 KiB (more than a socket takes at once), the others a line.
    return new Response(path.endsWith("/big") ? path.padEnd(256 * 1024, ".") : path);
  });
  const dir = await fsNamerDir({ web: `127.0.0.1 ${up.port}` });
  const sy = await startSwitchyard(edgeConfig(dir, "[{port: 0}]"));
  try {
    const conns = 16, per = 20;
    const runs = Array.from({ length: conns }, async (_, c) => {
      const paths = Array.from(
        { length: per },
        (_, i) => `/c${c}/r${i}${i % 5 === 4 ? "/big" : ""}`,
      );
      // One curl, one connection (kept alive), `per` requests in turn.
      const out = await new Deno.Command("curl", {
        args: [
          "-s",
          "-S",
          "-m",
          "30",
          "-H",
          "Host: web",
          "-w",
          "\n<<end %{http_code} %{num_connects}>>\n",
          ...paths.map((p) => `http://${sy.proxy()}${p}`),
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = dec.decode(out.stdout);
      assertEquals(out.code, 0, dec.decode(out.stderr));
      const parts = text.split(/\n<<end (\d+) (\d+)>>\n/);
      const bodies: string[] = [];
      let connects = 0;
      for (let i = 0; i + 2 < parts.length; i += 3) {
        bodies.push(parts[i]!);
        assertEquals(parts[i + 1], "200", `connection ${c}, answer ${bodies.length}`);
        connects += Number(parts[i + 2]);
      }
      assertEquals(bodies.length, per, `connection ${c}: ${bodies.length} answers`);
      for (let i = 0; i < per; i++) {
        const p = paths[i]!;
        const want = p.endsWith("/big") ? p.padEnd(256 * 1024, ".") : p;
        assert(bodies[i] === want, `connection ${c}, answer ${i}: ${bodies[i]!.slice(0, 40)}…`);
      }
      assertEquals(connects, 1, `connection ${c} was not kept alive`);
    });
    await Promise.all(runs);
    assertEquals(up.seen.length, conns * per);
  } finally {
    await sy.stop();
    await up.close();
  }
});

Deno.test("engine: malformed and oversized requests get a status and l5d-err, the server keeps serving", async () => {
  const up = startUpstream("web");
  const dir = await fsNamerDir({ web: `127.0.0.1 ${up.port}` });
  const sy = await startSwitchyard(edgeConfig(dir, "[{port: 0}]", "\n  maxHeadersKB: 1"));
  try {
    const port = Number(sy.proxy().split(":")[1]);
    const cases: [string, string][] = [
      ["GET / HTTP/1.1\r\nHost : web\r\n\r\n", "400"],
      ["GET / HTTP/1.1\nHost: web\n\n", "400"],
      [
        "POST / HTTP/1.1\r\nHost: web\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "400",
      ],
      ["GET / HTTP/1.1\r\nHost: web\r\nX-A: 1\r\n folded\r\n\r\n", "400"],
      ["GET / HTTP/1.1\r\n\r\n", "400"],
      [`GET / HTTP/1.1\r\nHost: web\r\nX-Big: ${"a".repeat(4000)}\r\n\r\n`, "431"],
    ];
    for (const [req, status] of cases) {
      const head = await exchange(port, req);
      assert(head.startsWith(`HTTP/1.1 ${status} `), `${JSON.stringify(req)} → ${head}`);
      assert(/\r\nl5d-err: .+\r\n/.test(head), `no l5d-err in ${head}`);
    }
    const ok = await curl(["-H", "Host: web", `http://${sy.proxy()}/`]);
    assertEquals(ok.status, 200);
    // Requests the parser refused count in the server stats too, as in Linkerd.
    const m = await (await fetch(`${sy.admin}/admin/metrics.json`)).json();
    const base = `rt/edge/server/127.0.0.1/${port}`;
    assertEquals(metric(m, `${base}/requests`), cases.length + 1);
    assertEquals(metric(m, `${base}/status/400`), 5);
    assertEquals(metric(m, `${base}/status/431`), 1);
    assertEquals(metric(m, `${base}/status/200`), 1);
    assertEquals(metric(m, `${base}/pending`), 0);
  } finally {
    await sy.stop();
    await up.close();
  }
});

Deno.test("engine: a GET body is forwarded; a broken request body is the client's 400, never held against the endpoint", async () => {
  // Deno.serve drops a GET body, so the endpoint is a raw listener that answers with the bytes
  // it received after the head (one request per connection).
  const up = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    for await (const c of up) {
      (async () => {
        const text = await readUntil(c, "\r\n\r\n");
        const want = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? 0);
        let got = text.slice(text.indexOf("\r\n\r\n") + 4);
        const buf = new Uint8Array(4096);
        while (got.length < want) {
          const n = await c.read(buf);
          if (n === null) break;
          got += dec.decode(buf.subarray(0, n));
        }
        const out = `${text.split(" ")[0]} ${got}`;
        await c.write(enc.encode(`HTTP/1.1 200 OK\r\ncontent-length: ${out.length}\r\n\r\n${out}`));
        c.close();
      })().catch(() => {});
    }
  })();
  const dir = await fsNamerDir({ web: `127.0.0.1 ${(up.addr as Deno.NetAddr).port}` });
  const sy = await startSwitchyard(edgeConfig(dir, "[{port: 0}]"));
  try {
    const port = Number(sy.proxy().split(":")[1]);
    const get = await curl([
      "-X",
      "GET",
      "-d",
      '{"q":1}',
      "-H",
      "Host: web",
      `http://${sy.proxy()}/`,
    ]);
    assertEquals([get.status, get.body], [200, 'GET {"q":1}']);
    const lower = await exchange(port, "get / HTTP/1.1\r\nHost: web\r\nContent-Length: 0\r\n\r\n");
    assert(lower.startsWith("HTTP/1.1 200 "), lower);
    // Bad chunking, six times: more than failure accrual's five consecutive failures.
    for (let i = 0; i < 6; i++) {
      const head = await exchange(
        port,
        "POST / HTTP/1.1\r\nHost: web\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
      );
      assert(head.startsWith("HTTP/1.1 400 "), head);
      assertStringIncludes(head, "l5d-err: invalid+request+body");
    }
    const m = await (await fetch(`${sy.admin}/admin/metrics.json`)).json();
    const client = "rt/edge/client/#/io.l5d.fs/web";
    assertEquals(metric(m, `${client}/failure_accrual/removals`), 0);
    assertEquals(metric(m, `${client}/loadbalancer/available`), 1);
    const ok = await curl(["-H", "Host: web", `http://${sy.proxy()}/`]);
    assertEquals(ok.status, 200);
  } finally {
    await sy.stop();
    up.close();
    await serving.catch(() => {});
  }
});

Deno.test("engine: an upstream body whose framing breaks before anything was sent is 502 + l5d-err", async () => {
  const up = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = (async () => {
    for await (const c of up) {
      (async () => {
        await readUntil(c, "\r\n\r\n");
        await c.write(enc.encode(
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
        ));
        c.close();
      })().catch(() => {});
    }
  })();
  const dir = await fsNamerDir({ bad: `127.0.0.1 ${(up.addr as Deno.NetAddr).port}` });
  const sy = await startSwitchyard(edgeConfig(dir, "[{port: 0}]"));
  try {
    const r = await curl(["-H", "Host: bad", `http://${sy.proxy()}/`]);
    assertEquals(r.status, 502);
    assertStringIncludes(r.headers.get("l5d-err") ?? "", "chunk+size+is+not+hex");
  } finally {
    await sy.stop();
    up.close();
    await serving.catch(() => {});
  }
});

/** An endpoint that switches any `Upgrade: echo` request to a byte echo. */
function echoProtocolServer(): { port: number; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const c of listener) {
      (async () => {
        try {
          const head = await readUntil(c, "\r\n\r\n");
          if (!/\r\nupgrade: echo\r\n/i.test(head)) {
            await c.write(
              enc.encode("HTTP/1.1 426 Upgrade Required\r\ncontent-length: 4\r\n\r\nnope"),
            );
            return c.close();
          }
          const dst = /\r\nl5d-dst-service: ([^\r]*)/i.exec(head)?.[1] ?? "";
          await c.write(
            enc.encode(
              `HTTP/1.1 101 Switching Protocols\r\nupgrade: echo\r\nconnection: upgrade\r\nx-dst: ${dst}\r\n\r\n`,
            ),
          );
          const buf = new Uint8Array(4096);
          for (;;) {
            const n = await c.read(buf);
            if (n === null) break;
            await c.write(enc.encode(dec.decode(buf.subarray(0, n)).toUpperCase()));
          }
          c.close();
        } catch { /* client went away */ }
      })();
    }
  })().catch(() => {});
  return { port: (listener.addr as Deno.NetAddr).port, close: () => listener.close() };
}

Deno.test("engine: any Upgrade protocol is tunnelled to the routed endpoint; a refusal is relayed", async () => {
  const echo = echoProtocolServer();
  const dir = await fsNamerDir({ echo: `127.0.0.1 ${echo.port}` });
  const sy = await startSwitchyard(edgeConfig(dir, "[{port: 0}]"));
  try {
    const port = Number(sy.proxy().split(":")[1]);
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await c.write(
        enc.encode("GET /x HTTP/1.1\r\nHost: echo\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n"),
      );
      const head = await readUntil(c, "\r\n\r\n");
      assert(head.startsWith("HTTP/1.1 101 "), head);
      assertStringIncludes(head.toLowerCase(), "x-dst: /svc/echo");
      assertStringIncludes(head.toLowerCase(), "via: 1.1 linkerd\r\n");
      for (const word of ["hello", "tunnel"]) {
        await c.write(enc.encode(word));
        assertEquals(await readUntil(c, word.toUpperCase()), word.toUpperCase());
      }
    } finally {
      c.close();
    }
    const refused = await exchange(
      port,
      "GET /x HTTP/1.1\r\nHost: echo\r\nConnection: Upgrade\r\nUpgrade: other\r\n\r\n",
    );
    assert(refused.startsWith("HTTP/1.1 426 "), refused);
  } finally {
    await sy.stop();
    echo.close();
  }
});

/**
 * An upstream that never upgrades: `/chunked` answers chunked, `/close` to the close, `/big`
 * 200 KiB by length after a 103; POST bodies are echoed back with the upgrade header it saw.
 */
function decliningServer(): { port: number; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const c of listener) {
      (async () => {
        try {
          const head = await readUntil(c, "\r\n\r\n");
          const path = head.split(" ")[1];
          if (path === "/chunked") {
            await c.write(enc.encode("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"));
            for (const w of ["one ", "two ", "three"]) {
              await c.write(enc.encode(`${w.length.toString(16)}\r\n${w}\r\n`));
            }
            await c.write(enc.encode("0\r\n\r\n"));
          } else if (path === "/close") {
            await c.write(enc.encode("HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nto the close"));
          } else if (path === "/big") {
            await c.write(enc.encode("HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n"));
            await c.write(enc.encode("HTTP/1.1 200 OK\r\ncontent-length: 204800\r\n\r\n"));
            await c.write(new Uint8Array(204800).fill(97));
          } else {
            const len = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
            let body = head.slice(head.indexOf("\r\n\r\n") + 4);
            if (body.length < len) body += await readUntil(c, "!");
            const up = /\r\nupgrade: ([^\r]*)/i.exec(head)?.[1] ?? "none";
            const out = `${body} upgrade=${up}`;
            await c.write(
              enc.encode(`HTTP/1.1 200 OK\r\ncontent-length: ${out.length}\r\n\r\n${out}`),
            );
          }
          c.close();
        } catch { /* client went away */ }
      })();
    }
  })().catch(() => {});
  return { port: (listener.addr as Deno.NetAddr).port, close: () => listener.close() };
}

Deno.test("engine: a declined Upgrade relays the whole answer; with content it goes plain", async () => {
  const up = decliningServer();
  const dir = await fsNamerDir({ web: `127.0.0.1 ${up.port}` });
  const sy = await startSwitchyard(edgeConfig(dir, "[{port: 0}]"));
  try {
    const url = `http://${sy.proxy()}`;
    const upgrade = ["-H", "Host: web", "-H", "Connection: Upgrade", "-H", "Upgrade: h2c"];
    const chunked = await curl([...upgrade, `${url}/chunked`]);
    assertEquals([chunked.status, chunked.body], [200, "one two three"]);
    const close = await curl([...upgrade, `${url}/close`]);
    assertEquals([close.status, close.body], [200, "to the close"]);
    const big = await curl([...upgrade, `${url}/big`]);
    assertEquals([big.status, big.body.length], [200, 204800]);
    // A body with the upgrade (curl --http2 sends one with a POST) reaches the upstream as a
    // plain request, without the Upgrade field.
    const post = await curl([...upgrade, "-d", "hello!", `${url}/post`]);
    assertEquals([post.status, post.body], [200, "hello! upgrade=none"]);
  } finally {
    await sy.stop();
    up.close();
  }
});

Deno.test("engine: `engine: serve` runs the listener on Deno.serve", async () => {
  const up = startUpstream("web");
  const dir = await fsNamerDir({ web: `127.0.0.1 ${up.port}` });
  const sy = await startSwitchyard(edgeConfig(dir, "[{port: 0, engine: serve}]"));
  try {
    const r = await curl(["-H", "Host: web", `http://${sy.proxy()}/hi`]);
    assertEquals(r.status, 200);
    assertEquals(new URL(JSON.parse(r.body).url).pathname, "/hi");
    const port = Number(sy.proxy().split(":")[1]);
    const m = await (await fetch(`${sy.admin}/admin/metrics.json`)).json();
    assertEquals(m[`rt/edge/server/127.0.0.1/${port}/connects`], undefined);
    assertEquals(m[`rt/edge/server/127.0.0.1/${port}/requests`], 1);
  } finally {
    await sy.stop();
    await up.close();
  }
});

Deno.test("engine: `engine: serve` logs no error for a body cut by upstream or client", async () => {
  // Upstream: a chunked head and a first chunk, then `/cut` closes the connection and `/hold`
  // waits (for the client to go away).
  const up = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const serving = (async () => {
    for await (const c of up) {
      (async () => {
        const head = await readUntil(c, "\r\n\r\n");
        await c.write(
          enc.encode("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"),
        );
        if (head.startsWith("GET /cut")) c.close();
        else held.push(c);
      })().catch(() => {});
    }
  })();
  const dir = await fsNamerDir({ web: `127.0.0.1 ${(up.addr as Deno.NetAddr).port}` });
  const sy = await startSwitchyard(edgeConfig(dir, "[{port: 0, engine: serve}]"));
  try {
    const port = Number(sy.proxy().split(":")[1]);
    const cutConn = await Deno.connect({ hostname: "127.0.0.1", port });
    await cutConn.write(enc.encode("GET /cut HTTP/1.1\r\nHost: web\r\n\r\n"));
    // The last chunk never comes: the listener ends the connection once the body breaks.
    const cut = await readUntil(cutConn, "\r\n0\r\n\r\n");
    cutConn.close();
    assertStringIncludes(cut, "HTTP/1.1 200");
    assert(!cut.includes("\r\n0\r\n\r\n"), cut);
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    await c.write(enc.encode("GET /hold HTTP/1.1\r\nHost: web\r\n\r\n"));
    assertStringIncludes(await readUntil(c, "hello"), "HTTP/1.1 200");
    c.close();
    const failed = () => sy.logs.filter((l) => l.includes("response body failed")).length;
    assert(await eventually(() => failed() >= 2, 10_000), sy.logs.join("\n"));
    assertEquals(sy.logs.filter((l) => l.includes('"level":"error"')), []);
  } finally {
    await sy.stop();
    up.close();
    for (const c of held) c.close();
    await serving.catch(() => {});
  }
});

Deno.test("engine: CONNECT (https_proxy) is routed by host:port and tunnelled to the endpoint", async () => {
  const up = startUpstream("tunnelled");
  const dir = await fsNamerDir({ "web.local:443": `127.0.0.1 ${up.port}` });
  const sy = await startSwitchyard(edgeConfig(dir, "[{port: 0}]"));
  try {
    // curl --proxytunnel: CONNECT web.local:443 through the router, then HTTP inside the tunnel.
    for (let i = 0; i < 2; i++) {
      const r = await curl(["-p", "-x", `http://${sy.proxy()}`, "http://web.local:443/inside"]);
      assertEquals(r.status, 200);
      const body = JSON.parse(r.body);
      assertEquals(body.name, "tunnelled");
      assertEquals(new URL(body.url).pathname, "/inside");
    }
    const m = await (await fetch(`${sy.admin}/admin/metrics.json`)).json();
    assertEquals(m["rt/edge/service/svc/web.local:443/requests"], 2);
    assertEquals(
      m["rt/edge/client/#/io.l5d.fs/web.local:443/requests"],
      2,
    );
    const missing = await exchange(
      Number(sy.proxy().split(":")[1]),
      "CONNECT nowhere:443 HTTP/1.1\r\nHost: nowhere:443\r\n\r\n",
    );
    assert(missing.startsWith("HTTP/1.1 502 "), missing);
  } finally {
    await sy.stop();
    await up.close();
  }
});

Deno.test("engine: `engine: raw` terminates TLS too (HTTP/1.1 by ALPN) and counts its connections", async () => {
  const up = startUpstream("web");
  const dir = await fsNamerDir({ web: `127.0.0.1 ${up.port}` });
  const certs = await Deno.makeTempDir();
  const made = await new Deno.Command("openssl", {
    args: [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      `${certs}/router.key`,
      "-out",
      `${certs}/router.pem`,
      "-days",
      "2",
      "-subj",
      "/CN=web",
      "-addext",
      "subjectAltName=DNS:web,IP:127.0.0.1",
    ],
    stdout: "null",
    stderr: "null",
  }).output();
  assert(made.success, "openssl made a certificate");
  const sy = await startSwitchyard(edgeConfig(
    dir,
    `[{port: 0, engine: raw, tls: {certPath: ${certs}/router.pem, keyPath: ${certs}/router.key}}]`,
  ));
  try {
    const port = Number(sy.proxy().split(":")[1]);
    const r = await curl([
      "--cacert",
      `${certs}/router.pem`,
      "--resolve",
      `web:${port}:127.0.0.1`,
      "-H",
      "Host: web",
      "-w",
      "%{http_version}",
      `https://web:${port}/secure`,
    ]);
    assertEquals(r.status, 200, `${r.headers.get("l5d-err")} ${r.body}`);
    assertStringIncludes(r.body, '"name":"web"');
    assert(r.body.endsWith("1.1"), `HTTP version ${r.body.slice(-3)}`);
    const bad = await curl([
      "--cacert",
      `${certs}/router.pem`,
      "--resolve",
      `web:${port}:127.0.0.1`,
      "-H",
      "Host: web",
      "-H",
      "X-Bad: a\u0001b",
      `https://web:${port}/`,
    ]);
    assertEquals(bad.status, 400);
    assert(bad.headers.get("l5d-err"), "l5d-err on a malformed request over TLS");
    const m = await (await fetch(`${sy.admin}/admin/metrics.json`)).json();
    assert(m[`rt/edge/server/127.0.0.1/${port}/connects`] >= 2, "TLS connections counted");
  } finally {
    await sy.stop();
    await up.close();
  }
});
