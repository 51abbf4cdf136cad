/**
 * Black-box tests of issue 5's route tables (`switchyard.routes`) and `services:` (versions and
 * failover): the real process, real upstreams, real curl over loopback.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, fsNamerDir, startUpstream, type Upstream } from "../support/upstream.ts";

function routesConfig(rootDir: string): string {
  return `
admin: {ip: 127.0.0.1, port: 0}
namers:
- kind: io.l5d.fs
  rootDir: ${rootDir}
routers:
- protocol: http
  label: edge
  dtab: /svc => /#/io.l5d.fs;
  servers: [{ip: 127.0.0.1, port: 0}]
  identifier:
    kind: switchyard.routes
    routes:
    - match: {method: GET, path: "/api/users/:id{[0-9]+}"}
      dst: /svc/users/{id}
      rewrite: {path: "/v2/users/{id}"}
    - match: {path: "/posts/:id{[0-9]+}"}
      dst: /svc/users/:id
    - match: {method: [POST, PUT], path: /api/users}
      dst: /svc/writes
    - match: {host: "*.admin.test", path: /api/*}
      dst: /svc/admin
    - match: {path: /api/*, headers: {x-canary: "1"}}
      dst: /svc/canary
      requestHeaders: {remove: [x-canary]}
    - match: {path: /api/*, query: {debug: "1"}}
      dst: /svc/debug
    - match: {path: /static/*}
      dst: /svc/static
      rewrite: {stripPrefix: /static}
      requestHeaders: {add: {x-route: static}, remove: [cookie]}
      responseHeaders: {add: {cache-control: max-age=60}, remove: [x-internal]}
    - match: {path: /slow/*}
      dst: /svc/slow
      timeoutMs: 300
    - match: {path: /api/*}
      dst: /svc/default
`;
}

/** An upstream that answers after 3 s unless the request is cancelled first. */
function slowUpstream(): Upstream & { aborted(): number } {
  let aborted = 0;
  const up = startUpstream("slow", (req) =>
    new Promise<Response>((resolve) => {
      const t = setTimeout(() => resolve(new Response("late")), 3000);
      req.signal.addEventListener("abort", () => {
        aborted++;
        clearTimeout(t);
        resolve(new Response("aborted"));
      });
    }));
  return { ...up, aborted: () => aborted };
}

interface Echo {
  name: string;
  method: string;
  url: string;
  headers: Record<string, string>;
}

Deno.test("routes: a switchyard.routes table routes by method, path params, host, header and query", async () => {
  const names = ["users", "writes", "admin", "canary", "debug", "static", "default"];
  const ups = Object.fromEntries(names.map((n) => [n, startUpstream(n)]));
  const slow = slowUpstream();
  const files: Record<string, string> = { slow: slow.fsLine };
  for (const n of names) files[n] = ups[n]!.fsLine;
  const dir = await fsNamerDir(files);
  const sy = await startSwitchyard(routesConfig(dir));
  const base = `http://${sy.proxy()}`;
  const get = async (path: string, args: string[] = []) => {
    const r = await curl([...args, `${base}${path}`]);
    return { ...r, json: r.status === 200 ? JSON.parse(r.body) as Echo : undefined };
  };
  try {
    // Params into dst (the fs namer takes `users`, the id is the residual) and into the rewrite.
    const u = await get("/api/users/42?x=1");
    assertEquals(u.status, 200, u.body);
    assertEquals(u.json?.name, "users");
    assertEquals(new URL(u.json!.url).pathname + new URL(u.json!.url).search, "/v2/users/42?x=1");
    assertEquals(u.json?.headers["l5d-dst-service"], "/svc/users/42");
    assertEquals(u.json?.headers["l5d-dst-client"], "/#/io.l5d.fs/users");
    // Hono's spelling of a param in dst (`:id`) is filled in as `{id}` is.
    const p = await get("/posts/7");
    assertEquals(p.json?.name, "users", p.body);
    assertEquals(p.json?.headers["l5d-dst-service"], "/svc/users/7");
    assertEquals((await get("/posts/x")).status, 400, "the regex constraint holds");
    // The regex constraint: a non-numeric id falls through to the catch-all.
    assertEquals((await get("/api/users/abc")).json?.name, "default");
    // Method.
    assertEquals((await get("/api/users", ["-X", "POST", "-d", "x"])).json?.name, "writes");
    assertEquals((await get("/api/users", ["-X", "PUT", "-d", "x"])).json?.name, "writes");
    assertEquals((await get("/api/users")).json?.name, "default");
    // Host (port ignored), header (removed before forwarding), query.
    assertEquals((await get("/api/x", ["-H", "Host: ops.admin.test:8080"])).json?.name, "admin");
    const c = await get("/api/x", ["-H", "x-canary: 1"]);
    assertEquals(c.json?.name, "canary");
    assertEquals(c.json?.headers["x-canary"], undefined, "requestHeaders.remove");
    assertEquals((await get("/api/x?debug=1")).json?.name, "debug");
    assertEquals((await get("/api/x?debug=0")).json?.name, "default");
    // No route: 400 Unknown destination, as for any identifier that names nothing.
    const miss = await get("/other");
    assertEquals(miss.status, 400);
    assertStringIncludes(miss.headers.get("l5d-err") ?? "", "switchyard.routes");
  } finally {
    await sy.stop();
    await Promise.all([...Object.values(ups), slow].map((u) => u.close()));
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("routes: strip prefix and request/response header edits reach the wire", async () => {
  const stat = startUpstream("static", (req) =>
    Response.json({
      path: new URL(req.url).pathname + new URL(req.url).search,
      route: req.headers.get("x-route"),
      cookie: req.headers.get("cookie"),
      kept: req.headers.get("x-kept"),
    }, { headers: { "x-internal": "secret", "x-up": "1" } }));
  const dir = await fsNamerDir({ static: stat.fsLine });
  const sy = await startSwitchyard(routesConfig(dir));
  try {
    const r = await curl([
      "-H",
      "Cookie: session=1",
      "-H",
      "X-Kept: yes",
      `http://${sy.proxy()}/static/css/site.css?v=3`,
    ]);
    assertEquals(r.status, 200, r.body);
    assertEquals(JSON.parse(r.body), {
      path: "/css/site.css?v=3",
      route: "static",
      cookie: null,
      kept: "yes",
    });
    assertEquals(r.headers.get("cache-control"), "max-age=60");
    assertEquals(r.headers.get("x-internal"), null);
    assertEquals(r.headers.get("x-up"), "1");
    const root = await curl([`http://${sy.proxy()}/static`]);
    assertEquals(JSON.parse(root.body).path, "/");
  } finally {
    await sy.stop();
    await stat.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("routes: a per-route timeout answers 503 and cancels the upstream call", async () => {
  const slow = slowUpstream();
  const fast = startUpstream("default");
  const dir = await fsNamerDir({ slow: slow.fsLine, default: fast.fsLine });
  const sy = await startSwitchyard(routesConfig(dir));
  try {
    const t0 = performance.now();
    const r = await curl([`http://${sy.proxy()}/slow/x`]);
    const ms = performance.now() - t0;
    assertEquals(r.status, 503, r.body);
    assertStringIncludes(
      decodeURIComponent((r.headers.get("l5d-err") ?? "").replaceAll("+", " ")),
      "exceeded the request deadline (the route's 300 ms timeoutMs)",
    );
    assert(ms < 2000, `answered after ${Math.round(ms)} ms, the route allows 300`);
    assert(ms >= 280, `answered after ${Math.round(ms)} ms, before the 300 ms timeout`);
    assert(await eventually(() => slow.aborted() === 1), "the upstream request was cancelled");
    // Other routes keep no timeout.
    assertEquals((await curl([`http://${sy.proxy()}/api/x`])).status, 200);
    const m = await (await fetch(`${sy.admin}/admin/metrics.json`)).json();
    assertEquals(m["rt/edge/service/svc/slow/failures"], 1, "the timeout counts as a failure");
  } finally {
    await sy.stop();
    await slow.close();
    await fast.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("routes: a per-route response classifier makes that route's 5xx retryable", async () => {
  // 503 on every odd request (the 1st, 3rd, …), 200 on the others.
  const failFirst = (name: string) => {
    let n = 0;
    return startUpstream(
      name,
      () => n++ % 2 === 0 ? new Response("try again", { status: 503 }) : Response.json({ name, n }),
    );
  };
  const retried = failFirst("retried");
  const plain = failFirst("plain");
  const dir = await fsNamerDir({ retried: retried.fsLine, plain: plain.fsLine });
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  label: edge
  dtab: /svc => /#/io.l5d.fs;
  servers: [{ip: 127.0.0.1, port: 0}]
  identifier:
    kind: switchyard.routes
    routes:
    - match: {path: /r/*}
      dst: /svc/retried
      responseClassifier: {kind: io.l5d.http.retryableRead5XX}
    - match: {path: /p/*}
      dst: /svc/plain
    - match: {path: /same/*}
      dst: /svc/retried
`);
  try {
    const r = await curl([`http://${sy.proxy()}/r/x`]);
    assertEquals(r.status, 200, "GET is a read: the classified route retries the 503");
    assertEquals(JSON.parse(r.body).name, "retried");
    // Another route to the same dst keeps the service's classifier: the upstream's next 503
    // reaches the client, not retried.
    const same = await curl([`http://${sy.proxy()}/same/x`]);
    assertEquals(same.status, 503, "the unclassified route to the same dst does not retry");
    const p = await curl([`http://${sy.proxy()}/p/x`]);
    assertEquals(p.status, 503, "the default classifier does not retry");
    const m = await (await fetch(`${sy.admin}/admin/metrics.json`)).json();
    assertEquals(m["rt/edge/service/svc/retried/retries/total"], 1);
  } finally {
    await sy.stop();
    await retried.close();
    await plain.close();
    await Deno.remove(dir, { recursive: true });
  }
});

function servicesConfig(rootDir: string, versions: string, failover: string): string {
  return `
admin: {ip: 127.0.0.1, port: 0}
namers:
- kind: io.l5d.fs
  rootDir: ${rootDir}
routers:
- protocol: http
  label: out
  dtab: /svc => /#/io.l5d.fs;
  servers: [{ip: 127.0.0.1, port: 0}]
  client:
    failureAccrual:
      kind: io.l5d.consecutiveFailures
      failures: 2
      backoff: {kind: constant, ms: 60000}
services:
- name: /svc/hello
  versions: ${versions}
  failover: ${failover}
`;
}

Deno.test("routes: services versions compile into the dtab the delegator shows", async () => {
  const dir = await fsNamerDir({});
  const sy = await startSwitchyard(servicesConfig(
    dir,
    "[{name: v1, dst: /#/io.l5d.fs/hello-v1, weight: 90}, {name: v2, dst: /#/io.l5d.fs/hello-v2, weight: 10}]",
    "[/#/io.l5d.fs/hello-east]",
  ));
  try {
    const r = await fetch(`${sy.admin}/delegator.json?path=/svc/hello&namespace=out`);
    const tree = await r.json();
    assertEquals(tree.type, "alt", JSON.stringify(tree));
    const services = tree.alt[0];
    assertEquals(
      services.dentry.dst,
      "90.00*/#/io.l5d.fs/hello-v1 & 10.00*/#/io.l5d.fs/hello-v2 | /#/io.l5d.fs/hello-east",
    );
    assertEquals(services.dentry.prefix, "/svc/hello");
    // The failover is the services dentry's own alternation, lifted into the list as Finagle's
    // DelegateTree.simplify does; the router's own dentry comes last.
    assertEquals([tree.alt[1].path, tree.alt[1].dentry.prefix], [
      "/#/io.l5d.fs/hello-east",
      "/svc/hello",
    ]);
    assertEquals(tree.alt.length, 3, JSON.stringify(tree));
    assertEquals(tree.alt[2].dentry.prefix, "/svc", "the router's own dentry is the fallback");
  } finally {
    await sy.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("routes: weighted versions split traffic", async () => {
  const v1 = startUpstream("v1");
  const v2 = startUpstream("v2");
  const dir = await fsNamerDir({ "hello-v1": v1.fsLine, "hello-v2": v2.fsLine });
  const sy = await startSwitchyard(servicesConfig(
    dir,
    "[{dst: /#/io.l5d.fs/hello-v1, weight: 3}, {dst: /#/io.l5d.fs/hello-v2, weight: 1}]",
    "[]",
  ));
  try {
    const counts: Record<string, number> = { v1: 0, v2: 0 };
    using client = Deno.createHttpClient({ proxy: { url: `http://${sy.proxy()}` } });
    for (let i = 0; i < 200; i++) {
      const r = await fetch("http://hello/", { client });
      counts[(await r.json()).name]!++;
    }
    assert(counts.v1! > 110 && counts.v1! < 190, `v1 got ${counts.v1} of 200 (expected ~150)`);
    assert(counts.v2! > 10, `v2 got ${counts.v2} of 200 (expected ~50)`);
  } finally {
    await sy.stop();
    await v1.close();
    await v2.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("routes: services fail over when the primary is missing, then when it is marked dead", async () => {
  let failing = false;
  const primary = startUpstream(
    "primary",
    () => failing ? new Response("boom", { status: 500 }) : Response.json({ name: "primary" }),
  );
  const east = startUpstream("east");
  const dir = await fsNamerDir({ "hello-east": east.fsLine });
  const sy = await startSwitchyard(servicesConfig(
    dir,
    "[{name: v1, dst: /#/io.l5d.fs/hello-v1}]",
    "[/#/io.l5d.fs/hello-east]",
  ));
  using client = Deno.createHttpClient({ proxy: { url: `http://${sy.proxy()}` } });
  const hello = async () => {
    const r = await fetch("http://hello/", { client });
    return r.status === 200 ? (await r.json()).name as string : `status ${r.status}`;
  };
  try {
    // 1. hello-v1 has no file: the primary is Neg, the failover cluster serves.
    assertEquals(await hello(), "east");
    // 2. The primary appears: traffic moves to it.
    await Deno.writeTextFile(`${dir}/hello-v1`, primary.fsLine);
    assert(await eventually(async () => (await hello()) === "primary"), "moves to the primary");
    // 3. Every primary endpoint fails until failure accrual marks it dead: failover again.
    failing = true;
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) seen.push(await hello());
    assertEquals(seen.slice(0, 2), ["status 500", "status 500"], seen.join(", "));
    assertEquals(seen.slice(2), Array(8).fill("east"), seen.join(", "));
  } finally {
    await sy.stop();
    await primary.close();
    await east.close();
    await Deno.remove(dir, { recursive: true });
  }
});
