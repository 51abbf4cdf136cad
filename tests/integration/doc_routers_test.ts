/**
 * Black-box checks of Linkerd 1.x's `linkerd/docs/routers.md`, each from one of the page's own YAML
 * examples (adapted to port 0, 127.0.0.1 and local upstreams) against the real process and curl.
 * The page's other keys are checked in `docs_routers_telemetry_test.ts`, `static_params_test.ts`,
 * `linkerd_failure_accrual_test.ts` and the config tests.
 *
 * @module
 */
import { assert, assertEquals } from "../support/assert.ts";
import { adminMetrics, startSwitchyard } from "../support/switchyard.ts";
import { curl, fsNamerDir, startUpstream } from "../support/upstream.ts";

// "Router Parameters": the example router (label myPackIce, dstPrefix /walruses/http, a dtab through
// /host to io.l5d.fs, originator, bindingTimeoutMs) with the "Binding Cache" example's sizes.
Deno.test("docs routers: the Router Parameters example names /walruses/http/<host> and binds it through io.l5d.fs", async () => {
  const up = startUpstream("foo");
  const dir = await fsNamerDir({ foo: up.fsLine });
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers:
- kind: io.l5d.fs
  rootDir: ${dir}
routers:
- protocol: http
  label: myPackIce
  dstPrefix: /walruses/http
  dtab: |
    /host                => /#/io.l5d.fs;
    /walruses/http => /host;
  originator: true
  bindingTimeoutMs: 5000
  bindingCache:
    paths: 100
    trees: 100
    bounds: 100
    clients: 10
    idleTtlSecs: 3600
  servers:
  - port: 0
    ip: 127.0.0.1
`);
  try {
    const r = await curl(["-H", "Host: foo", `http://${sy.proxy("myPackIce")}/x`]);
    assertEquals(r.status, 200, r.body);
    const seen = JSON.parse(r.body).headers;
    assertEquals(seen["l5d-dst-service"], "/walruses/http/foo");
    assertEquals(seen["l5d-dst-client"], "/#/io.l5d.fs/foo");
    // A name the namer does not have: no hosts, a 502 with l5d-err naming the prefixed path.
    const miss = await curl(["-H", "Host: bar", `http://${sy.proxy("myPackIce")}/`]);
    assertEquals(miss.status, 502);
    assert(
      decodeURIComponent(miss.headers.get("l5d-err") ?? "").includes("/walruses/http/bar"),
      miss.headers.get("l5d-err") ?? "no l5d-err",
    );
    // Stats are under the router's label, with the originator gauge.
    const m = await adminMetrics(sy.admin);
    assertEquals(m["rt/myPackIce/originator"], 1);
    assertEquals(m["rt/myPackIce/client/#/io.l5d.fs/foo/requests"], 1);
    assertEquals(m["rt/http/originator"], undefined);
  } finally {
    await sy.stop();
    await up.close();
  }
});

// "Binding Cache": the sizes bound what is cached, not what can be served. More active clients than
// `clients` (each used again before the next is made) must each be served: the new client is not
// the one its own insertion evicts (it was, and the request failed "endpoint … is closed").
Deno.test("docs routers: more active names than bindingCache.clients are all served", async () => {
  const names = ["a", "b", "c", "d"];
  const ups = names.map((n) => startUpstream(n));
  const dir = await fsNamerDir(Object.fromEntries(ups.map((u, i) => [`s${i}`, u.fsLine])));
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers:
- kind: io.l5d.fs
  rootDir: ${dir}
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.fs;
  bindingCache: {paths: 2, trees: 2, bounds: 2, clients: 2}
  servers:
  - {port: 0, ip: 127.0.0.1}
`);
  try {
    const seen: string[] = [];
    for (let round = 0; round < 3; round++) {
      // Each name twice: the second request marks its client used, so when the next name's
      // client is made every cached one has been used since it was considered.
      for (let i = 0; i < names.length * 2; i++) {
        const host = `s${i >> 1}`;
        const r = await curl(["-H", `Host: ${host}`, `http://${sy.proxy("http")}/`]);
        assertEquals(r.status, 200, `${host}: ${r.headers.get("l5d-err") ?? r.body}`);
        if (i % 2 === 0) seen.push(JSON.parse(r.body).name);
      }
    }
    assertEquals(seen, [...names, ...names, ...names]);
  } finally {
    await sy.stop();
    await Promise.all(ups.map((u) => u.close()));
  }
});

// Past `bindingCache.paths`, a name's path stack leaves the cache, and its metrics with it: a
// client sending ever new Host values (a scanner, random subdomains) must not grow the metrics
// (and the memory under them) without bound. Measured before: 50 000 distinct Hosts in 15 s left
// 2.45 million metrics and 768 MiB of RSS.
Deno.test("docs routers: a name evicted from bindingCache.paths takes its service metrics with it", async () => {
  const up = startUpstream("any");
  const dir = await fsNamerDir({ any: up.fsLine });
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers:
- kind: io.l5d.fs
  rootDir: ${dir}
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.fs/any;
  bindingCache: {paths: 2}
  servers:
  - {port: 0, ip: 127.0.0.1}
`);
  try {
    for (const host of ["h0", "h1", "h2", "h3", "h4"]) {
      const r = await curl(["-H", `Host: ${host}`, `http://${sy.proxy("http")}/`]);
      assertEquals(r.status, 200, r.body);
    }
    const m = await adminMetrics(sy.admin);
    const services = (prefix: string) =>
      Object.keys(m).filter((k) => k.startsWith(prefix) && k.endsWith("/requests")).sort();
    // h0, h1, h2 were each evicted by a later name; h3 and h4 are cached.
    assertEquals(services("rt/http/service/"), [
      "rt/http/service/svc/h3/requests",
      "rt/http/service/svc/h4/requests",
    ]);
    assertEquals(services("rt/http/client/#/io.l5d.fs/any/service/"), [
      "rt/http/client/#/io.l5d.fs/any/service/svc/h3/requests",
      "rt/http/client/#/io.l5d.fs/any/service/svc/h4/requests",
    ]);
    // The client's own totals count every request.
    assertEquals(m["rt/http/client/#/io.l5d.fs/any/requests"], 5);
    // A forgotten name comes back with metrics of its own, from zero.
    const again = await curl(["-H", "Host: h0", `http://${sy.proxy("http")}/`]);
    assertEquals(again.status, 200);
    const m2 = await adminMetrics(sy.admin);
    assertEquals(m2["rt/http/service/svc/h0/requests"], 1);
  } finally {
    await sy.stop();
    await up.close();
  }
});

// Past `bindingCache.clients`, an evicted client's metrics (its own, its endpoints') go with it, as
// Linkerd's MetricsPruningModule prunes them; their gauges held the whole client stack. Measured
// before: 3000 names rotating through the default 1000-client cache kept all 3000 clients'
// metrics (220 000) and 392 MiB of RSS.
Deno.test("docs routers: a client evicted from bindingCache.clients takes its metrics with it", async () => {
  const names = ["a", "b", "c"];
  const ups = names.map((n) => startUpstream(n));
  const dir = await fsNamerDir(Object.fromEntries(ups.map((u, i) => [names[i]!, u.fsLine])));
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers:
- kind: io.l5d.fs
  rootDir: ${dir}
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.fs;
  bindingCache: {clients: 2}
  servers:
  - {port: 0, ip: 127.0.0.1}
`);
  try {
    for (const host of names) {
      const r = await curl(["-H", `Host: ${host}`, `http://${sy.proxy("http")}/`]);
      assertEquals(r.status, 200, r.body);
    }
    const m = await adminMetrics(sy.admin);
    const clients = [
      ...new Set(
        Object.keys(m).filter((k) => k.startsWith("rt/http/client/")).map((k) =>
          k.split("/").slice(3, 6).join("/")
        ),
      ),
    ].sort();
    // a was evicted by c; b and c are cached, with their endpoint metrics.
    assertEquals(clients, ["#/io.l5d.fs/b", "#/io.l5d.fs/c"]);
    assert(
      Object.keys(m).some((k) => k.startsWith("rt/http/client/#/io.l5d.fs/c/endpoint/")),
      "c's endpoint metrics",
    );
    // Back again: a client of its own, counting from zero.
    assertEquals((await curl(["-H", "Host: a", `http://${sy.proxy("http")}/`])).status, 200);
    assertEquals((await adminMetrics(sy.admin))["rt/http/client/#/io.l5d.fs/a/requests"], 1);
  } finally {
    await sy.stop();
    await Promise.all(ups.map((u) => u.close()));
  }
});

// "Router Parameters": `label` defaults to "the value of *protocol*" (stats and the admin UI).
Deno.test("docs routers: label defaults to the protocol", async () => {
  const up = startUpstream("web");
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/${up.port};
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    assertEquals(Object.keys(sy.ports), ["http"]);
    assertEquals((await curl(["-H", "Host: web", `http://${sy.proxy("http")}/`])).status, 200);
    const m = await adminMetrics(sy.admin);
    assertEquals(m[`rt/http/client/$/inet/127.0.0.1/${up.port}/requests`], 1);
    assertEquals(m[`rt/http/server/127.0.0.1/${sy.ports["http"]![0]}/requests`], 1);
  } finally {
    await sy.stop();
    await up.close();
  }
});

// "Static Client Config": the example's `/$/inet/*/80` config (consecutiveFailures, failures: 10)
// with the upstream's port for 80: "all parameters from the matching configs will be applied",
// and a client no prefix matches keeps the default "5 consecutive failures".
Deno.test("docs routers: Static Client Config: a `*` prefix sets failureAccrual for the clients it matches", async () => {
  const a = startUpstream("a", () => new Response("down", { status: 500 }));
  const b = startUpstream("b", () => new Response("down", { status: 500 }));
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: |
    /svc/a => /$/inet/127.0.0.1/${a.port};
    /svc/b => /$/inet/127.0.0.1/${b.port};
  client:
    kind: io.l5d.static
    configs:
    - prefix: /#/io.l5d.fs
      loadBalancer:
        kind: ewma
    - prefix: /#/io.l5d.fs/{service}
      tls:
        commonName: "{service}.linkerd.io"
    - prefix: /$/inet/*/${a.port}
      failureAccrual:
        kind: io.l5d.consecutiveFailures
        failures: 10
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  const removals = async (up: number) =>
    (await adminMetrics(sy.admin))[
      `rt/http/client/$/inet/127.0.0.1/${up}/failure_accrual/removals`
    ] ??
      0;
  const send = async (host: string, n: number) => {
    for (let i = 0; i < n; i++) {
      await curl(["-H", `Host: ${host}`, `http://${sy.proxy()}/`]);
    }
  };
  try {
    await send("a", 5);
    await send("b", 5);
    assertEquals(await removals(a.port), 0, "a's client allows 10 consecutive failures");
    assertEquals(await removals(b.port), 1, "b's client keeps the default 5");
    await send("a", 5);
    assertEquals(await removals(a.port), 1, "a's endpoint is marked dead at its 10th failure");
  } finally {
    await sy.stop();
    await a.close();
    await b.close();
  }
});

// "Static Service Config": the example (retries on /svc, totalTimeoutMs 500 on /svc/foo and 200 on
// /svc/bar), with a retryable classifier added to the /svc entry: "If a service matches more than
// one prefix, all parameters from the matching configs will be applied".
Deno.test("docs routers: Static Service Config: /svc/foo and /svc/bar take their timeouts and /svc's retries", async () => {
  const failedOnce = new Set<string>();
  const up = startUpstream("up", async (req) => {
    const url = new URL(req.url);
    const key = `${req.headers.get("host")}${url.pathname}`;
    if (url.pathname === "/flaky" && !failedOnce.has(key)) {
      failedOnce.add(key);
      return new Response("try again", { status: 503 });
    }
    await new Promise((r) => setTimeout(r, Number(url.searchParams.get("ms") ?? 0)));
    return new Response("ok");
  });
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/${up.port};
  service:
    kind: io.l5d.static
    configs:
    - prefix: /svc
      responseClassifier: {kind: io.l5d.http.retryableRead5XX}
      retries:
        budget:
          minRetriesPerSec: 5
          percentCanRetry: 0.5
          ttlSecs: 15
        backoff:
          kind: jittered
          minMs: 10
          maxMs: 10000
    - prefix: /svc/foo
      totalTimeoutMs: 500
    - prefix: /svc/bar
      totalTimeoutMs: 200
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  const get = (host: string, path: string) =>
    curl(["-H", `Host: ${host}`, `http://${sy.proxy()}${path}`]);
  try {
    // Both keep /svc's retry policy: a first 503 is retried.
    for (const host of ["foo", "bar", "baz"]) {
      const r = await get(host, "/flaky");
      assertEquals([r.status, r.body], [200, "ok"], host);
    }
    // Each takes its own total timeout; /svc/baz matches /svc only: no timeout.
    assertEquals((await get("foo", "/slow?ms=350")).status, 200);
    const bar = await get("bar", "/slow?ms=350");
    assertEquals(bar.status, 503);
    assert(bar.headers.get("l5d-err"), "a timeout is a Linkerd error");
    assertEquals((await get("foo", "/slow?ms=700")).status, 503);
    assertEquals((await get("baz", "/slow?ms=700")).status, 200);
    const m = await adminMetrics(sy.admin);
    for (const svc of ["foo", "bar", "baz"]) {
      assertEquals(m[`rt/http/service/svc/${svc}/retries/total`], 1, svc);
    }
  } finally {
    await sy.stop();
    await up.close();
  }
});
