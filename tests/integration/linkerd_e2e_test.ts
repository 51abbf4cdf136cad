/**
 * Scenarios ported from Linkerd 1.x's own end-to-end tests
 * (linkerd/protocol/http/src/e2e/.../HttpEndToEndTest.scala), run against the real process. The
 * upstream is a raw TCP server that records each request head, so the framing Switchyard sends
 * is visible, and bytes a request leaves behind on a kept-alive connection would show up as a
 * garbage head.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { rawUpstream } from "../support/raw_upstream.ts";
import { curl, eventually, startUpstream } from "../support/upstream.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A keep-alive upstream that answers 200, or 500 once after `failNext()`; bodies are not read. */
function recordingUpstream() {
  let failNext = false;
  const up = rawUpstream(async (_head, c) => {
    const status = failNext ? "500 Internal Server Error" : "200 OK";
    failNext = false;
    await c.write(enc.encode(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\n\r\n`));
    return true;
  });
  return {
    port: up.port,
    heads: up.heads,
    failNext() {
      failNext = true;
    },
    close: () => up.close(),
  };
}

async function counters(admin: string): Promise<Record<string, number>> {
  return await (await fetch(`${admin}/admin/metrics.json`)).json();
}

Deno.test("linkerd HttpEndToEndTest 'retries retryableIdempotent5XX': idempotent methods are retried once, others not; bodyless requests go upstream without a body", async () => {
  const up = recordingUpstream();
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: /svc/dog => /$/inet/127.0.0.1/${up.port};
  service:
    responseClassifier:
      kind: io.l5d.http.retryableIdempotent5XX
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  const client = `rt/http/client/$/inet/127.0.0.1/${up.port}`;
  const service = "rt/http/service/svc/dog";
  try {
    const methods = ["GET", "HEAD", "OPTIONS", "TRACE", "DELETE", "PUT", "POST", "PATCH"];
    for (const method of methods) {
      const retryable = method !== "POST" && method !== "PATCH";
      up.failNext();
      const before = await counters(sy.admin);
      const args = method === "HEAD" ? ["-I"] : ["-X", method];
      const r = await curl([...args, "-H", "Host: dog", `http://${sy.proxy()}/`]);
      const after = await counters(sy.admin);
      const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
      assertEquals(r.status, retryable ? 200 : 500, method);
      assertEquals(
        [
          delta(`${client}/requests`),
          delta(`${client}/success`),
          delta(`${client}/failures`),
          delta(`${client}/status/500`),
          delta(`${service}/requests`),
          delta(`${service}/retries/total`),
        ],
        retryable ? [2, 1, 1, 1, 1, 1] : [1, 0, 1, 1, 1, 0],
        method,
      );
    }
    // Every head is a request line (nothing left over from a previous body), and a request sent
    // without content goes upstream without one: no chunked framing, `content-length: 0` only
    // where a body is expected (POST, PUT, PATCH).
    const methodsSeen = up.heads.map((h) => h.split(" ")[0]!);
    assertEquals(methodsSeen.filter((m) => !methods.includes(m)), [], up.heads.join("\n---\n"));
    for (const head of up.heads) {
      const lower = head.toLowerCase();
      assert(!lower.includes("transfer-encoding"), head);
      const m = head.split(" ")[0]!;
      assertEquals(
        lower.includes("\r\ncontent-length: 0"),
        m === "POST" || m === "PUT" || m === "PATCH",
        head,
      );
    }
  } finally {
    await sy.stop();
    await up.close();
  }
});

Deno.test("linkerd HttpEndToEndTest 'dtab read from l5d-dtab/l5d-ctx-dtab header' and 'dtab-local header is ignored'", async () => {
  const dog = startUpstream("dog");
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: /svc/* => /$/inet/127.0.0.1/${dog.port};
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    const get = async (header: string) => {
      const r = await curl(["-H", "Host: dog", "-H", header, `http://${sy.proxy()}/`]);
      assertEquals(r.status, 200, header);
      return (JSON.parse(r.body) as { headers: Record<string, string> }).headers;
    };
    // Either dtab header is read and goes on as l5d-ctx-dtab only.
    for (const name of ["l5d-dtab", "l5d-ctx-dtab"]) {
      const h = await get(`${name}: /a=>/b`);
      assertEquals([h["l5d-ctx-dtab"], h["l5d-dtab"], h["dtab-local"]], [
        "/a=>/b",
        undefined,
        undefined,
      ]);
    }
    // Linkerd removes Finagle's dtab context filter: dtab-local (and X-Dtab) are not read, and
    // pass through untouched; a dtab-local that would send the request nowhere changes nothing.
    const h = await get("dtab-local: /a=>/b");
    assertEquals([h["dtab-local"], h["l5d-ctx-dtab"]], ["/a=>/b", undefined]);
    const nowhere = await get("dtab-local: /svc/dog=>/$/fail");
    assertEquals(nowhere["dtab-local"], "/svc/dog=>/$/fail");
    const x = await get(`x-dtab-00-a: ${btoa("/svc/dog")}`);
    assertEquals([x["x-dtab-00-a"], x["l5d-ctx-dtab"]], [btoa("/svc/dog"), undefined]);
  } finally {
    await sy.stop();
    await dog.close();
  }
});

Deno.test("linkerd HttpEndToEndTest diagnostic trace: TRACE with Max-Forwards and l5d-add-context goes downstream, prints the dtab resolution, discards a chunked answer", async () => {
  const dog = startUpstream("dog", (req) => {
    if (new URL(req.url).pathname === "/chunked") {
      const parts = ["Chunked", "Response"].map((s) => new TextEncoder().encode(s));
      return new Response(ReadableStream.from(parts)); // no length: chunked
    }
    return new Response("response from downstream");
  });
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: |
    /srv => /$/inet/127.0.0.1/${dog.port};
    /svc => /srv;
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  const trace = (path: string) =>
    curl([
      "-X",
      "TRACE",
      "-H",
      "Host: dog",
      "-H",
      "Max-Forwards: 5",
      "-H",
      "l5d-add-context: true",
      `http://${sy.proxy()}${path}`,
    ]);
  try {
    const r = await trace("/");
    assertEquals(r.status, 200);
    assert(r.body.includes("response from downstream"), r.body);
    const seen = dog.seen.at(-1)!;
    assertEquals(
      [seen.method, seen.headers["max-forwards"], seen.headers["l5d-add-context"]],
      ["TRACE", "4", "true"],
    );
    const ep = `127.0.0.1:${dog.port}`;
    assert(
      r.body.includes(
        `client name: /$/inet/127.0.0.1/${dog.port}\naddresses: [${ep}]\nselected address: ${ep}\n` +
          `dtab resolution:\n  /svc/dog\n  /srv/dog (/svc=>/srv)\n` +
          `  /$/inet/127.0.0.1/${dog.port}/dog (/srv=>/$/inet/127.0.0.1/${dog.port})\n`,
      ),
      r.body,
    );
    const chunked = await trace("/chunked");
    assertEquals(chunked.status, 200);
    assert(
      chunked.body.includes(
        "HTTP 200 - OK\nDiagnostic trace encountered chunked response. Response content discarded.",
      ),
      chunked.body,
    );
    assert(!chunked.body.includes("ChunkedResponse"), chunked.body);
    assert(chunked.body.includes("--- Router: http ---"), chunked.body);
  } finally {
    await sy.stop();
    await dog.close();
  }
});

Deno.test("linkerd HttpEndToEndTest 'serverSession lifeTimeMs should close server connections': closed at lifeTimeMs, counted in lifetime", async () => {
  const fox = startUpstream("fox", () => new Response("what does the fox say?"));
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: |
    /p/fox => /$/inet/127.0.0.1/${fox.port} ;
    /svc/century => /p/fox ;
  servers:
  - ip: 127.0.0.1
    port: 0
    serverSession:
      idleTimeMs: 3000
      lifeTimeMs: 1500
`);
  const port = Number(sy.proxy().split(":")[1]);
  const server = `rt/http/server/127.0.0.1/${port}`;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(enc.encode("GET / HTTP/1.1\r\nHost: century\r\n\r\n"));
    const buf = new Uint8Array(4096);
    let text = "";
    while (!text.endsWith("what does the fox say?")) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += dec.decode(buf.subarray(0, n));
    }
    assert(text.startsWith("HTTP/1.1 200 "), text);
    let m = await counters(sy.admin);
    assertEquals([m[`${server}/connects`], m[`${server}/connections`]], [1, 1]);
    // Kept alive and idle: the 1.5 s lifetime closes it before the 3 s idle limit.
    const closed = await conn.read(buf);
    assertEquals(closed, null, "the server closed the connection");
    const want = JSON.stringify([0, 1, 0]);
    const got = async () => {
      m = await counters(sy.admin);
      return JSON.stringify([
        m[`${server}/connections`],
        m[`${server}/lifetime`],
        m[`${server}/idle`],
      ]);
    };
    assert(await eventually(async () => (await got()) === want), await got());
  } finally {
    conn.close();
    await sy.stop();
    await fox.close();
  }
});

Deno.test("linkerd HttpEndToEndTest 'clientSession idleTimeMs should close client connections' (plain and io.l5d.static), and not when unset", async () => {
  const foxes = [0, 1, 2].map(() =>
    startUpstream("fox", () => new Response("what does the fox say?"))
  );
  const router = (label: string, port: number, client: string) => `
- protocol: http
  label: ${label}
  dtab: |
    /p/fox => /$/inet/127.0.0.1/${port} ;
    /svc/century => /p/fox ;
  servers: [{ip: 127.0.0.1, port: 0}]
  client:
${client}`;
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
${router("plain", foxes[0]!.port, "    clientSession: {idleTimeMs: 1500}")}
${
    router(
      "static",
      foxes[1]!.port,
      "    kind: io.l5d.static\n    configs:\n    - prefix: /*\n      clientSession: {idleTimeMs: 1500}",
    )
  }
${router("unset", foxes[2]!.port, "    forwardClientCert: false")}
`);
  const gauge = (m: Record<string, number>, label: string, i: number) =>
    m[`rt/${label}/client/$/inet/127.0.0.1/${foxes[i]!.port}/connections`];
  try {
    for (const label of ["plain", "static", "unset"]) {
      const r = await curl(["-H", "Host: century", `http://${sy.proxy(label)}/`]);
      assertEquals([r.status, r.body], [200, "what does the fox say?"], label);
    }
    const m0 = await counters(sy.admin);
    assertEquals([gauge(m0, "plain", 0), gauge(m0, "static", 1), gauge(m0, "unset", 2)], [1, 1, 1]);
    let m = m0;
    const closed = await eventually(async () => {
      m = await counters(sy.admin);
      return gauge(m, "plain", 0) === 0 && gauge(m, "static", 1) === 0;
    }, 5000);
    assert(closed, JSON.stringify([gauge(m, "plain", 0), gauge(m, "static", 1)]));
    assertEquals(gauge(m, "unset", 2), 1, "no clientSession: the connection stays");
  } finally {
    await sy.stop();
    for (const f of foxes) await f.close();
  }
});

Deno.test("linkerd RetriesEndToEndTest 'requeues' and 'per-client requeue policy': budget gauges per client; a closed downstream is re-dialed 25 times per request (Finagle's acquisition Effort), free of budget", async () => {
  const a = recordingUpstream();
  const b = recordingUpstream();
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: |
    /svc/a => /$/inet/127.0.0.1/${a.port} ;
    /svc/b => /$/inet/127.0.0.1/${b.port} ;
  service:
    retries:
      budget: {minRetriesPerSec: 0, percentCanRetry: 0.0}
  client:
    kind: io.l5d.static
    configs:
    - prefix: /
      failFast: false
      failureAccrual: {kind: none}
    - prefix: /$/inet/127.0.0.1/${a.port}
      requeueBudget: {minRetriesPerSec: 0, percentCanRetry: 1.0, ttlSecs: 10}
    - prefix: /$/inet/127.0.0.1/${b.port}
      requeueBudget: {minRetriesPerSec: 0, percentCanRetry: 0.5, ttlSecs: 10}
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  const stat = (m: Record<string, number>, port: number, k: string) =>
    m[`rt/http/client/$/inet/127.0.0.1/${port}/retries/${k}`] ?? 0;
  const get = (host: string) => curl(["-H", `Host: ${host}`, `http://${sy.proxy()}/`]);
  try {
    // percentCanRetry 1.0: one request earns one requeue; 0.5: two requests do.
    assertEquals((await get("a")).status, 200);
    assertEquals(stat(await counters(sy.admin), a.port, "budget"), 1);
    assertEquals((await get("b")).status, 200);
    assertEquals(stat(await counters(sy.admin), b.port, "budget"), 0);
    assertEquals((await get("b")).status, 200);
    let m = await counters(sy.admin);
    assertEquals(
      ["budget", "requeues", "request_limit"].map((k) => stat(m, b.port, k)),
      [1, 0, 0],
    );
    // Close b: every dial is refused. Finagle re-acquires the connection 25 times without
    // touching the budget, then the request fails ("tried 25 times for service acquisition").
    await b.close();
    const r = await get("b");
    assertEquals([r.status, r.headers.get("l5d-retryable")], [502, "true"]);
    m = await counters(sy.admin);
    assertEquals(
      ["requeues", "request_limit", "budget_exhausted"].map((k) => stat(m, b.port, k)),
      [25, 0, 0],
    );
    // The budget was not asked: it still holds at least the requeue the two successes earned.
    assert(stat(m, b.port, "budget") >= 1, "the budget is untouched");
    assertEquals((await get("b")).status, 502);
    m = await counters(sy.admin);
    assertEquals(["requeues", "request_limit"].map((k) => stat(m, b.port, k)), [50, 0]);
    // a's budget is its own.
    assertEquals(stat(m, a.port, "budget"), 1);
    assertEquals(stat(m, a.port, "requeues"), 0);
  } finally {
    await sy.stop();
    await a.close();
  }
});

Deno.test("linkerd ResponseClassificationEndToEndTest 'per service classification' and 'client stats use service response classifier': server, service and client/<id>/service/<svc> stats follow each service's classifier", async () => {
  const up = recordingUpstream();
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: /svc/* => /$/inet/127.0.0.1/${up.port}
  service:
    kind: io.l5d.static
    configs:
    - prefix: /svc/a
      responseClassifier: {kind: io.l5d.http.retryableRead5XX}
    - prefix: /svc/b
      responseClassifier: {kind: io.l5d.http.nonRetryable5XX}
    - prefix: /svc/c
      responseClassifier: {kind: io.l5d.http.allSuccessful}
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  const port = Number(sy.proxy().split(":")[1]);
  const client = `rt/http/client/$/inet/127.0.0.1/${up.port}`;
  const server = `rt/http/server/127.0.0.1/${port}`;
  const sf = (
    m: Record<string, number>,
    scope: string,
  ) => [m[`${scope}/success`] ?? 0, m[`${scope}/failures`] ?? 0];
  const send = (host: string, method = "GET") =>
    curl(["-X", method, "-H", `Host: ${host}`, `http://${sy.proxy()}/`]);
  try {
    // a: retryable, succeeds after one failure.
    up.failNext();
    assertEquals((await send("a")).status, 200);
    let m = await counters(sy.admin);
    assertEquals(sf(m, server), [1, 0]);
    assertEquals(sf(m, "rt/http/service/svc/a"), [1, 0]);
    assertEquals(sf(m, `${client}/service/svc/a`), [1, 1]);
    // b: not retryable, fails once.
    up.failNext();
    assertEquals((await send("b")).status, 500);
    m = await counters(sy.admin);
    assertEquals(sf(m, server), [1, 1]);
    assertEquals(sf(m, "rt/http/service/svc/b"), [0, 1]);
    assertEquals(sf(m, `${client}/service/svc/b`), [0, 1]);
    // c: allSuccessful makes a 500 to a POST a success everywhere, the client's stats included.
    up.failNext();
    assertEquals((await send("c", "POST")).status, 500);
    m = await counters(sy.admin);
    assertEquals(sf(m, server), [2, 1]);
    assertEquals(sf(m, "rt/http/service/svc/c"), [1, 0]);
    assertEquals(sf(m, `${client}/service/svc/c`), [1, 0]);
  } finally {
    await sy.stop();
    await up.close();
  }
});
