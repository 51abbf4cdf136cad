/**
 * Black-box: Switchyard out of file descriptors (a surge of client connections past its
 * `RLIMIT_NOFILE`). Connections it already has keep working, a connect it cannot make is a local
 * 503 that failure accrual does not count, the fs namer keeps its last scan, and once the surge
 * ends everything works again. The process runs with a limit of {@link LIMIT} descriptors; the
 * test holds enough idle connections to it to use up the rest, and talks HTTP/1.1 over sockets it
 * opened before.
 *
 * @module
 */
import { assert, assertEquals } from "../support/assert.ts";
import { adminMetrics, startSwitchyard } from "../support/switchyard.ts";
import { fsNamerDir, startUpstream } from "../support/upstream.ts";

const LIMIT = 192;

/** A kept-alive HTTP/1.1 connection to the proxy, one request at a time. */
async function keepAlive(port: number) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const enc = new TextEncoder(), dec = new TextDecoder();
  let buf = new Uint8Array(0);
  const more = async () => {
    const chunk = new Uint8Array(16384);
    const n = await conn.read(chunk);
    if (n === null) throw new Error("the proxy closed the connection");
    const next = new Uint8Array(buf.length + n);
    next.set(buf);
    next.set(chunk.subarray(0, n), buf.length);
    buf = next;
  };
  return {
    /** GET / with `Host: host`: status, headers (lower-case names) and body. */
    async get(
      host: string,
    ): Promise<{ status: number; headers: Map<string, string>; body: string }> {
      await conn.write(enc.encode(`GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`));
      let end: number;
      while ((end = dec.decode(buf).indexOf("\r\n\r\n")) < 0) await more();
      const head = dec.decode(buf.subarray(0, end)).split("\r\n");
      const status = Number(head[0]!.split(" ")[1]);
      const headers = new Map<string, string>();
      for (const line of head.slice(1)) {
        const i = line.indexOf(":");
        headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
      }
      const len = Number(headers.get("content-length") ?? "0");
      while (buf.length < end + 4 + len) await more();
      const body = dec.decode(buf.subarray(end + 4, end + 4 + len));
      buf = buf.slice(end + 4 + len);
      return { status, headers, body };
    },
    close: () => conn.close(),
  };
}

function openFds(pid: number): number {
  let n = 0;
  for (const _ of Deno.readDirSync(`/proc/${pid}/fd`)) n++;
  return n;
}

Deno.test("out of file descriptors: open connections keep working, connects fail as a local 503, no endpoint is marked dead", async () => {
  const a = startUpstream("a"), b = startUpstream("b");
  const dir = await fsNamerDir({ a: a.fsLine, b: b.fsLine });
  const sy = await startSwitchyard(
    `
admin: {ip: 127.0.0.1, port: 0}
namers:
- kind: io.l5d.fs
  rootDir: ${dir}
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.fs;
  servers:
  - {port: 0, ip: 127.0.0.1}
`,
    { fdLimit: LIMIT },
  );
  const port = sy.ports["http"]![0]!;
  const hogs: Deno.TcpConn[] = [];
  const conns: Awaited<ReturnType<typeof keepAlive>>[] = [];
  try {
    // Three kept-alive client connections; one upstream connection to `a` (pooled), none to `b`.
    const [k1, k2, k3] = [await keepAlive(port), await keepAlive(port), await keepAlive(port)];
    conns.push(k1!, k2!, k3!);
    assertEquals((await k1!.get("a")).status, 200);
    // Use up the process's descriptors with idle connections (the kernel completes their
    // handshakes whether or not the proxy can accept them).
    const deadline = Date.now() + 10_000;
    while (openFds(sy.pid) < LIMIT - 1 && Date.now() < deadline) {
      for (let i = 0; i < 16; i++) hogs.push(await Deno.connect({ hostname: "127.0.0.1", port }));
      await new Promise((r) => setTimeout(r, 20));
    }
    assert(openFds(sy.pid) >= LIMIT - 1, `the proxy holds ${openFds(sy.pid)} descriptors`);
    // Past the fs namer's 2 s poll: its directory scan fails for want of a descriptor, and it
    // must keep its last scan (it switched to "rootDir: Too many open files" and every name
    // failed with 502 before).
    await new Promise((r) => setTimeout(r, 2500));
    // Two requests for `a` at once: one takes the pooled connection; the other cannot connect,
    // so it waits for that connection to be released instead of failing.
    const both = await Promise.all([k1!.get("a"), k3!.get("a")]);
    assertEquals(both.map((r) => r.status), [200, 200], both.map((r) => r.body).join(" | "));
    assertEquals(both.map((r) => JSON.parse(r.body).name), ["a", "a"]);
    // `b` has no connection to wait for: a 503 naming the local limit, six times over (more than
    // failure accrual's five consecutive failures).
    for (let i = 0; i < 6; i++) {
      const r = await k2!.get("b");
      assertEquals(r.status, 503, r.body);
      const err = decodeURIComponent(r.headers.get("l5d-err") ?? "").replaceAll("+", " ");
      assert(err.includes("Too many open files"), err);
      assert(err.includes("not the endpoint's failure"), err);
    }
    // The surge ends: the proxy gets its descriptors back as it sees the hogs close.
    for (const h of hogs.splice(0)) h.close();
    const freed = Date.now() + 10_000;
    while (openFds(sy.pid) > LIMIT / 2 && Date.now() < freed) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const rb = await k2!.get("b");
    assertEquals(rb.status, 200, rb.body);
    assertEquals(JSON.parse(rb.body).name, "b");
    const m = await adminMetrics(sy.admin);
    assertEquals(m["rt/http/client/#/io.l5d.fs/b/failure_accrual/removals"], 0);
    assertEquals(m["rt/http/client/#/io.l5d.fs/a/failure_accrual/removals"], 0);
    assertEquals(m["rt/http/client/#/io.l5d.fs/b/status/503"], undefined); // a local failure
    assertEquals(sy.logs.filter((l) => l.includes("endpoint marked dead")), []);
  } finally {
    for (const h of hogs) h.close();
    for (const c of conns) c.close();
    await sy.stop();
    await a.close();
    await b.close();
  }
});
