/**
 * routers.md "Static Service Config" / "Static Client Config" and the router keys `dstPrefix` and
 * `bindingTimeoutMs`, with real traffic: each matching `io.l5d.static` entry applies in file order
 * (later entries win, whatever their specificity: Linkerd's `PerPathParams.paramsFor` /
 * `PerClientParams.paramsFor` fold every match with `Stack.Params ++`, router/core Router.scala),
 * `*` is one segment and `{var}` a capture (finagle/buoyant PathMatcher.scala), and a name that
 * no prefix matches keeps the defaults.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { adminMetrics, startSwitchyard } from "../support/switchyard.ts";
import { curl, fsNamerDir, startUpstream } from "../support/upstream.ts";

/** An upstream that answers after `?ms=` milliseconds. */
function delayed(name: string) {
  return startUpstream(name, async (req) => {
    const ms = Number(new URL(req.url).searchParams.get("ms") ?? "0");
    await new Promise((r) => setTimeout(r, ms));
    return new Response(`${name} ${new URL(req.url).pathname}`);
  });
}

/** The `l5d-err` text (Linkerd URL-encodes it). */
function l5dErr(headers: Headers): string {
  return decodeURIComponent((headers.get("l5d-err") ?? "").replace(/\+/g, " "));
}

Deno.test("io.l5d.static service configs: later entries win over earlier (not the most specific), * and {capture} prefixes, dstPrefix names", async () => {
  const up = delayed("up");
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dstPrefix: /walruses/http
  identifier: {kind: io.l5d.path, segments: 2}
  dtab: /walruses/http => /$/inet/127.0.0.1/${up.port}
  service:
    kind: io.l5d.static
    configs:
    - prefix: /walruses/http/slow
      totalTimeoutMs: 150
    - prefix: /walruses/http
      totalTimeoutMs: 5000
    - prefix: /walruses/http/*/fast
      totalTimeoutMs: 150
    - prefix: /walruses/http/{team}-t
      totalTimeoutMs: 150
    - prefix: /svc
      totalTimeoutMs: 150
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  const get = async (path: string) => {
    const t0 = Date.now();
    const r = await curl([`http://${sy.proxy()}${path}?ms=600`]);
    return { ...r, ms: Date.now() - t0 };
  };
  try {
    // /walruses/http (later) overrides /walruses/http/slow (earlier, more specific).
    const slow = await get("/slow/x");
    assertEquals([slow.status, slow.body], [200, "up /slow/x"]);
    // `*` is one whole segment: /walruses/http/a/fast, not /walruses/http/a/fastest.
    const fast = await get("/a/fast");
    assertEquals(fast.status, 503);
    assertStringIncludes(
      l5dErr(fast.headers),
      "150 ms total timeout (totalTimeoutMs) to /walruses/http/a/fast",
    );
    assert(fast.ms < 550, `${fast.ms} ms`);
    assertEquals((await get("/a/fastest")).status, 200);
    // A capture matches the segment around its literal part: blue-t, not blue-tx.
    assertEquals((await get("/blue-t/y")).status, 503);
    assertEquals((await get("/blue-tx/y")).status, 200);
    const m = await adminMetrics(sy.admin);
    assertEquals(m["rt/http/service/walruses/http/a/fast/failures"], 1);
    assertEquals(m["rt/http/service/walruses/http/slow/x/success"], 1);
    assertEquals(m["rt/http/service/walruses/http/blue-tx/y/success"], 1);
  } finally {
    await sy.stop();
    await up.close();
  }
});

Deno.test("io.l5d.static client configs: per-prefix requestAttemptTimeoutMs and hostConnectionPool, later entries winning; an unmatched client keeps the defaults", async () => {
  const up = delayed("up");
  const dir = await fsNamerDir({
    impatient: up.fsLine + "\n",
    patient: up.fsLine + "\n",
    one: up.fsLine + "\n",
  });
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers:
- kind: io.l5d.fs
  rootDir: ${dir}
routers:
- protocol: http
  dtab: |
    /svc => /#/io.l5d.fs;
    /svc/direct => /$/inet/127.0.0.1/${up.port};
  client:
    kind: io.l5d.static
    configs:
    - prefix: /#/io.l5d.fs
      requestAttemptTimeoutMs: 150
    - prefix: /#/io.l5d.fs/patient
      requestAttemptTimeoutMs: 5000
    - prefix: /#/io.l5d.fs/one
      requestAttemptTimeoutMs: 5000
    - prefix: /#/io.l5d.fs/{name}
      hostConnectionPool: {maxSize: 1, maxWaiters: 0}
    - prefix: /#/io.l5d.fs/impatient
      hostConnectionPool: {}
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  const get = (host: string, ms: number) =>
    curl(["-H", `Host: ${host}`, `http://${sy.proxy()}/?ms=${ms}`]);
  try {
    const impatient = await get("impatient", 600);
    assertEquals(impatient.status, 503);
    assertStringIncludes(l5dErr(impatient.headers), "requestAttemptTimeoutMs");
    assertEquals((await get("patient", 600)).status, 200);
    // No prefix matches /$/inet/...: no attempt timeout, no pool bound.
    assertEquals((await get("direct", 600)).status, 200);
    // {name} gave every fs client a one-connection pool without waiters; the later `impatient`
    // entry gave that client the default pool back.
    const one = await Promise.all([get("one", 800), get("one", 800)]);
    assertEquals(one.map((r) => r.status).sort(), [200, 503]);
    const shed = one.find((r) => r.status === 503)!;
    assertStringIncludes(l5dErr(shed.headers), "hostConnectionPool");
    const two = await Promise.all([get("impatient", 50), get("impatient", 50)]);
    assertEquals(two.map((r) => r.status), [200, 200]);
  } finally {
    await sy.stop();
    await up.close();
    await Deno.remove(dir, { recursive: true });
  }
});

// routers.md: `bindingTimeoutMs` "The maximum amount of time in milliseconds to spend binding a
// path"; Linkerd's DstBindingFactory raises a RequestTimeoutException, a TimeoutException that
// ErrorResponder answers with 503 + l5d-err.
Deno.test("bindingTimeoutMs: a name whose namer never answers fails with 503 + l5d-err after that long", async () => {
  // A Kubernetes API that accepts connections and never answers: the k8s namer stays pending.
  const api = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  const accepting = (async () => {
    try {
      for await (const c of api) conns.push(c);
    } catch {
      // closed
    }
  })();
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers:
- kind: io.l5d.k8s
  host: 127.0.0.1
  port: ${(api.addr as Deno.NetAddr).port}
routers:
- protocol: http
  bindingTimeoutMs: 300
  dtab: /svc => /#/io.l5d.k8s/default/http
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    const t0 = Date.now();
    const r = await curl(["-H", "Host: web", `http://${sy.proxy()}/`]);
    const ms = Date.now() - t0;
    assertEquals(r.status, 503);
    assertStringIncludes(l5dErr(r.headers), "/svc/web");
    assert(ms >= 280 && ms < 3000, `${ms} ms`);
    const m = await adminMetrics(sy.admin);
    assertEquals(m["rt/http/service/svc/web/failures"], 1);
  } finally {
    await sy.stop();
    api.close();
    for (const c of conns) c.close();
    await accepting;
  }
});
