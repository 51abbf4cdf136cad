/**
 * Bad input against the real process over loopback: each is answered with a status and
 * `l5d-err` (or refused at once), and other clients keep being served.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, startUpstream } from "../support/upstream.ts";

/** Write `raw`, optionally half-close, and read until the server closes or `ms` pass. */
async function exchange(
  port: number,
  raw: string,
  opts: { halfClose?: boolean; ms?: number } = {},
): Promise<{ text: string; closed: boolean; ms: number }> {
  const t0 = performance.now();
  const c = await Deno.connect({ hostname: "127.0.0.1", port });
  const timer = setTimeout(() => c.close(), opts.ms ?? 5000);
  await c.write(new TextEncoder().encode(raw));
  if (opts.halfClose) await c.closeWrite();
  let text = "", closed = false;
  const buf = new Uint8Array(16384);
  try {
    for (;;) {
      const n = await c.read(buf);
      if (n === null) {
        closed = true;
        break;
      }
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
  } catch { /* closed by the timer */ }
  clearTimeout(timer);
  try {
    c.close();
  } catch { /* closed */ }
  return { text, closed, ms: performance.now() - t0 };
}

/** A router on a free port whose every name goes to the upstream on `port`. */
function routerTo(port: number, server = ""): string {
  return `
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/${port};
  servers: [{ip: 127.0.0.1, port: 0${server}}]
`;
}

Deno.test("bad input: raw engine answers HTTP/0.9 `GET /` at once", async () => {
  const up = startUpstream("up");
  const sy = await startSwitchyard(routerTo(up.port));
  try {
    const port = sy.ports["http"]![0]!;
    // Netty's decoder refuses `GET /` (no version) as soon as the line ends.
    const r = await exchange(port, "GET /\r\n");
    assertStringIncludes(r.text, "HTTP/1.1 400 ");
    assertStringIncludes(r.text, "l5d-err: ");
    assert(r.closed && r.ms < 3000, `closed after ${r.ms} ms`);
    // A head whose valid request line came alone is still served.
    const c = await Deno.connect({ hostname: "127.0.0.1", port });
    await c.write(new TextEncoder().encode("GET /split HTTP/1.1\r\n"));
    await new Promise((res) => setTimeout(res, 200));
    await c.write(new TextEncoder().encode("Host: a\r\nConnection: close\r\n\r\n"));
    let text = "";
    const buf = new Uint8Array(16384);
    for (let n; (n = await c.read(buf)) !== null;) {
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    c.close();
    assertStringIncludes(text, "HTTP/1.1 200 ");
  } finally {
    await sy.stop();
    await up.close();
  }
});

Deno.test("bad input: an exponentially branching l5d-dtab fails fast", async () => {
  const up = startUpstream("up");
  const sy = await startSwitchyard(routerTo(up.port));
  try {
    // ~500 bytes: 2^30 leaves if every branch were bound.
    const dentries = ["/svc=>/l0"];
    for (let i = 0; i < 30; i++) dentries.push(`/l${i}=>/l${i + 1}|/l${i + 1}`);
    dentries.push(`/l30=>/$/inet/127.0.0.1/${up.port}`);
    const t0 = performance.now();
    const bad = await curl(["-H", `l5d-dtab: ${dentries.join(";")}`, `http://${sy.proxy()}/x`]);
    assertEquals(bad.status, 502);
    assertStringIncludes(bad.headers.get("l5d-err") ?? "", "Max+lookups");
    assert(performance.now() - t0 < 5000, "answered quickly");
    const ok = await curl([`http://${sy.proxy()}/x`]);
    assertEquals(ok.status, 200);
    assert(sy.rss() < 512 * 1024 * 1024, `rss ${sy.rss()}`);
  } finally {
    await sy.stop();
    await up.close();
  }
});

Deno.test("bad input: engine serve: bad Host 400; broken body 400, no endpoint dead", async () => {
  // Reads the whole body first, so a broken one never gets an answer from here.
  const up = startUpstream("up", async (req) => new Response(`${req.method} ${await req.text()}`));
  const sy = await startSwitchyard(routerTo(up.port, ", engine: serve"));
  try {
    const port = sy.ports["http"]![0]!;
    for (const host of ["a:99999", "a b"]) {
      const r = await exchange(
        port,
        `GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      assertStringIncludes(r.text, "HTTP/1.1 400 ", host);
      assertStringIncludes(r.text, "l5d-err: ", host);
    }
    // A valid (lowercase) method with hyper's empty body is forwarded, not a 502.
    const lower = await exchange(port, "get / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    assertStringIncludes(lower.text, "HTTP/1.1 200 ");
    // The client closes inside its body, more times than failure accrual's 5.
    for (let i = 0; i < 7; i++) {
      const r = await exchange(
        port,
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc",
        { halfClose: true },
      );
      assertStringIncludes(r.text, "HTTP/1.1 400 ");
      assertStringIncludes(r.text, "l5d-err: ");
    }
    const m = await (await fetch(`${sy.admin}/admin/metrics.json`)).json();
    const removals = Object.entries(m).filter(([k]) => k.endsWith("failure_accrual/removals"));
    assert(removals.length > 0 && removals.every(([, v]) => v === 0), JSON.stringify(removals));
  } finally {
    await sy.stop();
    await up.close();
  }
});

Deno.test("bad input: admin POST body over 5 MB is 413", async () => {
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: /svc => /$/nil;
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    const big = new Uint8Array(6 * 1024 * 1024);
    // (/delegator.json takes a JSON body only, as Linkerd's DelegateApiHandler)
    for (
      const [path, type] of [
        ["/logging.json", "application/x-www-form-urlencoded"],
        ["/delegator.json", "application/json"],
      ]
    ) {
      const rsp = await fetch(sy.admin + path, {
        method: "POST",
        headers: { "content-type": type! },
        body: big,
      });
      assertEquals(rsp.status, 413, path);
      await rsp.body?.cancel();
    }
    const ok = await fetch(`${sy.admin}/logging.json`, { method: "POST", body: "level=info" });
    assertEquals(ok.status, 200);
    await ok.body?.cancel();
  } finally {
    await sy.stop();
  }
});
