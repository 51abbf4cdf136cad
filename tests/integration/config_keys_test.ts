/**
 * Config keys that Switchyard accepted and ignored, now applied as Linkerd documents them (the
 * real process; loopback only).
 *
 * @module
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, freePort, fsNamerDir, startUpstream } from "../support/upstream.ts";
import { rawUpstream } from "../support/raw_upstream.ts";

/**
 * An upstream that reads each request and never answers (until `release()`), and a Switchyard
 * routing to it with `shutdownGraceMs: 300`: its drain can only end by the grace.
 */
async function silentSetup() {
  let held = 0;
  let release!: () => void;
  const released = new Promise<void>((r) => release = r);
  const up = rawUpstream(async () => {
    held++;
    await released;
    return false;
  });
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0, shutdownGraceMs: 300}
routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/${up.port};
  servers: [{port: 0}]
`);
  return { up, sy, held: () => held, release };
}

Deno.test("admin.shutdownGraceMs bounds the drain of a request that never ends", async () => {
  const { up, sy, held, release } = await silentSetup();
  try {
    const pending = curl(["-m", "15", "-H", "Host: slow", `http://${sy.proxy()}/`]);
    assert(await eventually(() => held() > 0, 10_000), "the request reached the upstream");
    const t0 = Date.now();
    assertEquals((await curl(["-X", "POST", `${sy.admin}/admin/shutdown`])).status, 200);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const exited = await Promise.race([
      sy.exited.then(() => true),
      new Promise<false>((r) => timer = setTimeout(() => r(false), 8_000)),
    ]);
    clearTimeout(timer);
    assert(exited, "the process exits once shutdownGraceMs has passed");
    assert(Date.now() - t0 >= 250, "it waited for the grace period first");
    await pending;
  } finally {
    release();
    await sy.stop();
    await up.close();
  }
});

// The requests cut at the end of the grace fail, and five failures mark the endpoint dead for
// failure accrual's backoff (5 s at first, up to 5 min): that timer kept the process alive after
// its shutdown, past `shutdownGraceMs`. `serve` now exits once it has shut down.
Deno.test("admin.shutdownGraceMs: timers left armed (an accrual backoff) do not delay the exit", async () => {
  const { up, sy, held, release } = await silentSetup();
  try {
    const pending = Array.from(
      { length: 6 },
      () => curl(["-m", "15", "-H", "Host: slow", `http://${sy.proxy()}/`]),
    );
    assert(
      await eventually(() => held() >= 6, 10_000),
      `6 requests reached the upstream: ${held()}`,
    );
    const t0 = Date.now();
    assertEquals((await curl(["-X", "POST", `${sy.admin}/admin/shutdown`])).status, 200);
    await sy.exited;
    const took = Date.now() - t0;
    // 300 ms of grace, then the exit: well before the 5 s accrual backoff it waited for.
    assert(took < 3_500, `exited ${took} ms after the shutdown request`);
    for (const r of await Promise.all(pending)) assertEquals(r.status, 502, r.body);
  } finally {
    release();
    await sy.stop();
    await up.close();
  }
});

/** An upstream answering every request `ok` on a kept-alive connection; counts connections. */
function keepAliveUpstream() {
  return rawUpstream(async (_head, conn) => {
    const body = "ok";
    await conn.write(
      new TextEncoder().encode(`HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`),
    );
    return true;
  });
}

/** Two requests through a router with `pool`, 700 ms apart; the upstream connections used. */
async function connectionsFor(pool: string): Promise<number> {
  const up = keepAliveUpstream();
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/${up.port};
  servers: [{port: 0}]
  client: {hostConnectionPool: ${pool}}
`);
  try {
    for (let i = 0; i < 2; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 700));
      const r = await curl(["-H", "Host: web", `http://${sy.proxy()}/`]);
      assertEquals(r.status, 200);
    }
    return up.connections();
  } finally {
    await sy.stop();
    await up.close();
  }
}

Deno.test("hostConnectionPool.idleTimeMs closes idle connections beyond minSize", async () => {
  // routers.md "Host Connection Pool": idleTimeMs is "the amount of idle time for which a
  // connection is cached … Only applied to connections that number greater than minSize".
  assertEquals(await connectionsFor("{}"), 1, "kept by default");
  assertEquals(await connectionsFor("{idleTimeMs: 200}"), 2, "closed after 200 ms idle");
  assertEquals(await connectionsFor("{idleTimeMs: 200, minSize: 1}"), 1, "minSize keeps one");
});

/**
 * Open a plaintext HTTP/2 connection (preface and an empty SETTINGS), send nothing more, and
 * read until the server ends it: whether it sent GOAWAY and closed within `ms`.
 */
async function h2ConnectionEnds(port: number, ms: number): Promise<boolean> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => conn.close(), ms);
  const preface = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  let goaway = false;
  try {
    await conn.write(new Uint8Array([...preface, 0, 0, 0, 4, 0, 0, 0, 0, 0]));
    let buf = new Uint8Array(0);
    const chunk = new Uint8Array(4096);
    for (;;) {
      const n = await conn.read(chunk);
      if (n === null) break;
      buf = new Uint8Array([...buf, ...chunk.subarray(0, n)]);
      while (buf.length >= 9) { // frames: 3-byte length, type, flags, stream id
        const len = (buf[0]! << 16) | (buf[1]! << 8) | buf[2]!;
        if (buf.length < 9 + len) break;
        if (buf[3] === 7) goaway = true;
        buf = buf.subarray(9 + len);
      }
    }
    return goaway;
  } catch {
    return false; // closed by the timer: the server kept the connection
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed already
    }
  }
}

Deno.test("h2 servers apply serverSession.idleTimeMs and lifeTimeMs (routers.md)", async () => {
  const [idle, life, plain] = [freePort(), freePort(), freePort()];
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: h2
  dtab: /svc => /$/inet/127.0.0.1/1;
  servers:
  - {port: ${idle}, serverSession: {idleTimeMs: 300}}
  - {port: ${life}, serverSession: {lifeTimeMs: 300}}
  - {port: ${plain}}
`);
  try {
    assert(await h2ConnectionEnds(idle, 5_000), "closed with GOAWAY after 300 ms idle");
    assert(await h2ConnectionEnds(life, 5_000), "closed with GOAWAY at 300 ms of life");
    assert(!await h2ConnectionEnds(plain, 1_000), "kept without serverSession");
    const m = JSON.parse((await curl([`${sy.admin}/admin/metrics.json`])).body);
    assertEquals(m[`rt/h2/server/127.0.0.1/${idle}/idle`], 1);
    assertEquals(m[`rt/h2/server/127.0.0.1/${life}/lifetime`], 1);
  } finally {
    await sy.stop();
  }
});

// routers.md: `servers` is a list; each `port: 0` server binds an ephemeral port of its own.
// Two of them in one router were taken for one listener (the same `ip:0` key), and only one
// started.
Deno.test("servers: two port-0 servers of one router are two listeners, each serving", async () => {
  const up = startUpstream("web");
  const disco = await fsNamerDir({ web: `127.0.0.1 ${up.port}` });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${disco}}]
routers:
- protocol: http
  label: two
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}, {port: 0}]
`);
  try {
    const ports = sy.ports.two ?? [];
    assertEquals(ports.length, 2, `listeners: ${ports}`);
    assert(ports[0] !== ports[1], `distinct ports: ${ports}`);
    for (const p of ports) {
      const r = await curl(["-H", "Host: web", `http://127.0.0.1:${p}/`]);
      assertEquals(r.status, 200, r.body);
    }
    const reg = await (await fetch(`${sy.admin}/admin/registry.json`)).json();
    assertEquals(
      reg.registry.routers.two.servers.map((s: { bound?: number }) => s.bound),
      ports,
    );
  } finally {
    await sy.stop();
    await up.close();
    await Deno.remove(disco, { recursive: true });
  }
});
