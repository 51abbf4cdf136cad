/**
 * Black-box routing tests: the real process, real curl over loopback.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, freePort, fsNamerDir, startUpstream } from "../support/upstream.ts";

function config(rootDir: string, extra = "", dtab = "/svc => /#/io.l5d.fs;") {
  return `
admin: {ip: 127.0.0.1, port: 0}
namers:
- kind: io.l5d.fs
  rootDir: ${rootDir}
routers:
- protocol: http
  label: outgoing
  dtab: |
    ${dtab}
  servers: [{ip: 127.0.0.1, port: 0}]
${extra}
`;
}

Deno.test("routing: Host and http_proxy absolute-form requests reach the named service", async () => {
  const hello = startUpstream("hello");
  const world = startUpstream("world");
  const dir = await fsNamerDir({ hello: hello.fsLine, world: world.fsLine + "\n" });
  const sy = await startSwitchyard(config(dir));
  try {
    // http_proxy mode: absolute-form request line.
    const r1 = await curl(["-x", `http://${sy.proxy()}`, "http://hello/a/b?c=d"]);
    assertEquals(r1.status, 200);
    const j1 = JSON.parse(r1.body);
    assertEquals(j1.name, "hello");
    assertEquals(new URL(j1.url).pathname + new URL(j1.url).search, "/a/b?c=d");
    assertEquals(j1.headers.host, "hello");
    assertEquals(j1.headers["l5d-dst-service"], "/svc/hello");
    assertEquals(j1.headers["l5d-dst-client"], "/#/io.l5d.fs/hello");
    assert(/^[0-9a-f]{16}$/.test(j1.headers["l5d-reqid"]), "l5d-reqid is a 64-bit hex id");
    assertStringIncludes(j1.headers.via, "1.1 linkerd");
    assertEquals(j1.headers["proxy-connection"], undefined, "Proxy-Connection is hop-by-hop");
    // origin-form with a Host header.
    const r2 = await curl(["-H", "Host: world", `http://${sy.proxy()}/x`]);
    assertEquals(JSON.parse(r2.body).name, "world");
    // Via on the response too.
    assertStringIncludes(r2.headers.get("via") ?? "", "linkerd");
  } finally {
    await sy.stop();
    await hello.close();
    await world.close();
  }
});

Deno.test("routing: hop-by-hop headers are stripped both ways, end-to-end ones kept", async () => {
  const up = startUpstream(
    "up",
    (req) =>
      new Response(
        JSON.stringify({
          x: req.headers.get("x-secret"),
          te: req.headers.get("te"),
          proxy: req.headers.get("proxy-foo"),
        }),
        {
          headers: {
            connection: "x-internal",
            "x-internal": "drop-me",
            "x-kept": "yes",
            "proxy-bar": "hop",
          },
        },
      ),
  );
  const dir = await fsNamerDir({ up: up.fsLine });
  const sy = await startSwitchyard(config(dir));
  try {
    const r = await curl([
      "-H",
      "Host: up",
      "-H",
      "Connection: x-secret",
      "-H",
      "X-Secret: 1",
      "-H",
      "TE: trailers",
      "-H",
      "X-End: kept",
      "-H",
      "Proxy-Foo: hop",
      `http://${sy.proxy()}/`,
    ]);
    // Every Proxy-* field is hop-by-hop (RFC 9110 §7.6.1), not only the three named ones.
    assertEquals(JSON.parse(r.body), { x: null, te: null, proxy: null });
    assertEquals(r.headers.get("proxy-bar"), null);
    assertEquals(up.seen[0]!.headers["x-end"], "kept");
    assertEquals(r.headers.get("x-internal"), null);
    assertEquals(r.headers.get("x-kept"), "yes");
  } finally {
    await sy.stop();
    await up.close();
  }
});

Deno.test("routing: repeated Via and Connection request lines are one list each (RFC 9110 §5.3)", async () => {
  const up = startUpstream("up");
  const dir = await fsNamerDir({ up: up.fsLine });
  const sy = await startSwitchyard(config(dir));
  try {
    const r = await curl([
      ...["-H", "Host: up", "-H", "Via: 1.1 a", "-H", "Via: 1.1 b"],
      ...["-H", "Connection: x-one", "-H", "Connection: x-two"],
      ...["-H", "X-One: 1", "-H", "X-Two: 2", "-H", "X-Three: 3"],
      `http://${sy.proxy()}/`,
    ]);
    assertEquals(r.status, 200);
    const h = up.seen[0]!.headers;
    // Every inbound Via entry is kept ahead of ours, so the next hop counts them all.
    assertEquals(h.via, "1.1 a, 1.1 b, 1.1 linkerd");
    // The names of both Connection lines are hop-by-hop.
    assertEquals([h["x-one"], h["x-two"], h["x-three"]], [undefined, undefined, "3"]);
  } finally {
    await sy.stop();
    await up.close();
  }
});

Deno.test("routing: No hosts → 502 with l5d-err naming the dtab; dead upstream → 502 fast", async () => {
  const dir = await fsNamerDir({ dead: "127.0.0.1 1\n", empty: "" });
  const sy = await startSwitchyard(config(dir));
  try {
    // A name that binds to an empty endpoint set gets the same full text.
    const e = await curl(["-H", "Host: empty", `http://${sy.proxy()}/`]);
    assertEquals(e.status, 502);
    assertEquals(
      decodeURIComponent((e.headers.get("l5d-err") ?? "").replaceAll("+", " ")),
      "No hosts are available for /svc/empty, Dtab.base=[/svc=>/#/io.l5d.fs], Dtab.local=[]. " +
        "Remote Info: Not Available",
    );
    const r = await curl(["-H", "Host: nope", `http://${sy.proxy()}/`]);
    assertEquals(r.status, 502);
    const err = decodeURIComponent((r.headers.get("l5d-err") ?? "").replaceAll("+", " "));
    assertEquals(
      err,
      "No hosts are available for /svc/nope, Dtab.base=[/svc=>/#/io.l5d.fs], Dtab.local=[]. " +
        "Remote Info: Not Available",
    );
    assertStringIncludes(r.body, "No hosts are available for /svc/nope");
    const t0 = performance.now();
    const d = await curl(["-H", "Host: dead", `http://${sy.proxy()}/`]);
    const ms = performance.now() - t0;
    assertEquals(d.status, 502);
    assert(d.headers.get("l5d-err"), "l5d-err set");
    assert(ms < 5000, `dead upstream answered in ${ms} ms`);
  } finally {
    await sy.stop();
  }
});

Deno.test("routing: dtab precedence — later dentries win, Neg falls back to earlier ones", async () => {
  const v1 = startUpstream("v1");
  const v2 = startUpstream("v2");
  const dir = await fsNamerDir({ "web-v1": v1.fsLine, "web-v2": v2.fsLine });
  const dtab = "/svc => /#/io.l5d.fs; /svc/web => /svc/web-v1; /svc/web => /svc/web-v2; " +
    "/svc/api => /svc/web-v1; /svc/api => /svc/missing;";
  const sy = await startSwitchyard(config(dir, "", dtab));
  try {
    const web = await curl(["-H", "Host: web", `http://${sy.proxy()}/`]);
    assertEquals(JSON.parse(web.body).name, "v2", "the later dentry wins");
    const api = await curl(["-H", "Host: api", `http://${sy.proxy()}/`]);
    assertEquals(JSON.parse(api.body).name, "v1", "a Neg binding falls back to the earlier dentry");
  } finally {
    await sy.stop();
    await v1.close();
    await v2.close();
  }
});

Deno.test("routing: l5d-dtab overrides per request and travels on as l5d-ctx-dtab; bad one is 400", async () => {
  const v1 = startUpstream("v1");
  const v2 = startUpstream("v2");
  const dir = await fsNamerDir({ "web-v1": v1.fsLine, "web-v2": v2.fsLine });
  const dtab = "/svc => /#/io.l5d.fs; /svc/web => /svc/web-v1;";
  const sy = await startSwitchyard(config(dir, "", dtab));
  try {
    const plain = await curl(["-H", "Host: web", `http://${sy.proxy()}/`]);
    assertEquals(JSON.parse(plain.body).name, "v1");
    const over = await curl([
      "-H",
      "Host: web",
      "-H",
      "l5d-dtab: /svc/web => /svc/web-v2",
      `http://${sy.proxy()}/`,
    ]);
    const j = JSON.parse(over.body);
    assertEquals(j.name, "v2");
    assertEquals(j.headers["l5d-ctx-dtab"], "/svc/web=>/svc/web-v2");
    assertEquals(j.headers["l5d-dtab"], undefined, "l5d-dtab itself is not forwarded");
    // An inbound l5d-ctx-dtab (from an upstream hop) is honoured the same way.
    const ctx = await curl([
      "-H",
      "Host: web",
      "-H",
      "l5d-ctx-dtab: /svc/web => /svc/web-v2",
      `http://${sy.proxy()}/`,
    ]);
    assertEquals(JSON.parse(ctx.body).name, "v2");
    // Other l5d-ctx-* headers are an app's context: they pass through (Linkerd strips only the
    // dtab, deadline and trace headers it re-encodes).
    const app = await curl([
      "-H",
      "Host: web",
      "-H",
      "l5d-ctx-user: alice",
      `http://${sy.proxy()}/`,
    ]);
    assertEquals(JSON.parse(app.body).headers["l5d-ctx-user"], "alice");
    // `$` (empty) is chosen like any branch and ends the alternation: no hosts, no fallback.
    const empty = await curl([
      "-H",
      "Host: web",
      "-H",
      "l5d-dtab: /svc/web => $",
      `http://${sy.proxy()}/`,
    ]);
    assertEquals(empty.status, 502);
    assertStringIncludes(empty.body, "No hosts are available for /svc/web, Dtab.base=[");
    // `!` and `/$/fail` too: Finagle's NameTreeFactory fails Neg, Fail and Empty alike with
    // NoBrokersAvailableException, which Linkerd answers with its "No hosts" text (502).
    for (const dst of ["!", "/$/fail", "! | /svc/web-v2"]) {
      const failed = await curl([
        "-H",
        "Host: web",
        "-H",
        `l5d-dtab: /svc/web => ${dst}`,
        `http://${sy.proxy()}/`,
      ]);
      assertEquals(failed.status, 502, dst);
      assertStringIncludes(
        decodeURIComponent((failed.headers.get("l5d-err") ?? "").replaceAll("+", " ")),
        "No hosts are available for /svc/web, Dtab.base=[/svc=>/#/io.l5d.fs;/svc/web=>/svc/web-v1], " +
          "Dtab.local=[/svc/web=>",
        dst,
      );
    }
    const bad = await curl([
      "-H",
      "Host: web",
      "-H",
      "l5d-dtab: /svc/web => => nope",
      `http://${sy.proxy()}/`,
    ]);
    assertEquals(bad.status, 400);
    assert(bad.headers.get("l5d-err"), "l5d-err explains the bad dtab");
  } finally {
    await sy.stop();
    await v1.close();
    await v2.close();
  }
});

Deno.test("routing: a weighted union splits 2000 requests within ±5% of its weights", async () => {
  const a = startUpstream("a");
  const b = startUpstream("b");
  const dir = await fsNamerDir({ a: a.fsLine, b: b.fsLine });
  const dtab = "/svc => /#/io.l5d.fs; /svc/web => 0.7 * /svc/a & 0.3 * /svc/b;";
  const sy = await startSwitchyard(config(dir, "", dtab));
  try {
    const n = 2000;
    const url = `http://${sy.proxy()}/`;
    const counts: Record<string, number> = { a: 0, b: 0 };
    // fetch drops a caller-set Host unless the client allows it.
    using client = Deno.createHttpClient({ allowHost: true });
    for (let i = 0; i < n; i += 100) {
      const batch = await Promise.all(
        Array.from(
          { length: 100 },
          () => fetch(url, { headers: { host: "web" }, client }).then((r) => r.json()),
        ),
      );
      for (const j of batch) counts[j.name] = (counts[j.name] ?? 0) + 1;
    }
    const share = counts.a! / n;
    console.log(
      `weighted split over ${n}: a=${counts.a} (${(share * 100).toFixed(1)}%), b=${counts.b}`,
    );
    assert(Math.abs(share - 0.7) <= 0.05, `a got ${share}`);
  } finally {
    await sy.stop();
    await a.close();
    await b.close();
  }
});

// Linkerd's per-request override recipe (discourse.linkerd.io "Per-request overrides using HTTP
// headers", from linkerd/linkerd#1311): "Force 10% of requests to the web service to fail:
// l5d-dtab: /svc/web => 9 * /svc/web-v1 & 1 * /$/nil". Finagle binds `/$/nil` to Empty, which a
// union keeps (NameTree.simplify drops only `~` and `!` branches) and NameTreeFactory answers
// with NoBrokersAvailableException: "No hosts are available" (502) for the requests that pick it.
Deno.test("routing: a union's /$/nil branch fails its share of requests; ~ and ! branches drop", async () => {
  const web = startUpstream("web");
  const dir = await fsNamerDir({ "web-v1": web.fsLine });
  const sy = await startSwitchyard(config(dir));
  try {
    const url = `http://${sy.proxy()}/`;
    using client = Deno.createHttpClient({ allowHost: true });
    const run = async (dtab: string, n: number) => {
      const counts: Record<string, number> = {};
      const errs = new Set<string>();
      for (let i = 0; i < n; i += 100) {
        const batch = await Promise.all(
          Array.from({ length: 100 }, async () => {
            const r = await fetch(url, { headers: { host: "web", "l5d-dtab": dtab }, client });
            await r.body?.cancel();
            const err = r.headers.get("l5d-err");
            if (err) errs.add(decodeURIComponent(err.replaceAll("+", " ")).split(",")[0]!);
            return r.status;
          }),
        );
        for (const st of batch) counts[st] = (counts[st] ?? 0) + 1;
      }
      return { counts, errs: [...errs] };
    };
    // The fs namer reads its directory after start: until web-v1 is bound, its branch is Neg too
    // (a loaded CI box once counted those as the nil branch's: 19% failed).
    for (let i = 0; (await run("/svc/web => /svc/web-v1", 100)).counts["502"] && i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const nil = await run("/svc/web => 9 * /svc/web-v1 & 1 * /$/nil", 1000);
    console.log(`9 * web-v1 & 1 * /$/nil over 1000: ${JSON.stringify(nil.counts)}`);
    assertEquals(Object.keys(nil.counts).sort(), ["200", "502"]);
    const failed = nil.counts["502"]! / 1000;
    assert(failed >= 0.05 && failed <= 0.15, `failed share ${failed}`);
    assertEquals(nil.errs, ["No hosts are available for /svc/web"]);
    // `$` is the same leaf as `/$/nil`.
    assertEquals(
      Object.keys((await run("/svc/web => 1 * /svc/web-v1 & 1 * $", 200)).counts).sort(),
      ["200", "502"],
    );
    // A negative or failing branch is dropped from the union: every request succeeds.
    for (const other of ["~", "!", "/#/io.l5d.fs/missing", "/$/fail"]) {
      const r = await run(`/svc/web => 1 * /svc/web-v1 & 9 * ${other}`, 200);
      assertEquals(r.counts, { 200: 200 }, other);
    }
  } finally {
    await sy.stop();
    await web.close();
  }
});

Deno.test("routing: fs namer changes apply live without a restart", async () => {
  const one = startUpstream("one");
  const two = startUpstream("two");
  const dir = await fsNamerDir({ svc: one.fsLine });
  const sy = await startSwitchyard(config(dir));
  try {
    const get = async () => {
      const r = await curl(["-H", "Host: svc", `http://${sy.proxy()}/`]);
      return r.status === 200 ? JSON.parse(r.body).name : String(r.status);
    };
    assertEquals(await get(), "one");
    await Deno.writeTextFile(`${dir}/svc`, two.fsLine + "\n");
    assert(await eventually(async () => (await get()) === "two", 5000), "edit applied");
    await Deno.remove(`${dir}/svc`);
    assert(await eventually(async () => (await get()) === "502", 5000), "removal applied");
    await Deno.writeTextFile(`${dir}/svc`, one.fsLine);
    assert(await eventually(async () => (await get()) === "one", 5000), "re-creation applied");
  } finally {
    await sy.stop();
    await one.close();
    await two.close();
  }
});

Deno.test("routing: a proxy loop stops at maxCallDepth with 400 + l5d-err", async () => {
  const dir = await fsNamerDir({});
  // The router forwards /svc/loop to itself; its port is only known after start, so use the
  // Via-based depth with a header-supplied dtab.
  const sy = await startSwitchyard(config(dir, "  maxCallDepth: 5"));
  try {
    const self = sy.proxy();
    const [ip, port] = self.split(":");
    const r = await curl([
      "-H",
      "Host: loop",
      "-H",
      `l5d-dtab: /svc/loop => /$/inet/${ip}/${port}`,
      `http://${self}/`,
    ]);
    assertEquals(r.status, 400);
    const text = "Maximum number of calls (5) has been exceeded. Please check for proxy loops.";
    assertEquals(decodeURIComponent(r.headers.get("l5d-err") ?? "").replaceAll("+", " "), text);
    assertEquals(r.body, text); // the body is the message, as Linkerd's Err.respond
    assertEquals(r.headers.get("content-type"), "text/plain");
  } finally {
    await sy.stop();
  }
});

Deno.test("routing: a server's maxCallDepth wins over the router's on that server only", async () => {
  const up = startUpstream("up");
  const dir = await fsNamerDir({ up: up.fsLine });
  const strict = freePort();
  const lax = freePort();
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.fs;
  maxCallDepth: 4
  servers:
  - {ip: 127.0.0.1, port: ${strict}, maxCallDepth: 2}
  - {ip: 127.0.0.1, port: ${lax}}
`);
  try {
    const get = (port: number, via: string) =>
      curl(["-H", "Host: up", "-H", `Via: ${via}`, `http://127.0.0.1:${port}/`]);
    assertEquals((await get(strict, "1.1 a, 1.1 b")).status, 200, "2 hops pass a limit of 2");
    const r = await get(strict, "1.1 a, 1.1 b, 1.1 c");
    assertEquals(r.status, 400);
    const text = "Maximum number of calls (2) has been exceeded. Please check for proxy loops.";
    assertEquals(decodeURIComponent(r.headers.get("l5d-err") ?? "").replaceAll("+", " "), text);
    assertEquals(r.body, text); // the body is the message, as Linkerd's Err.respond
    assertEquals(r.headers.get("content-type"), "text/plain");
    // The other server keeps the router's limit (4).
    assertEquals((await get(lax, "1.1 a, 1.1 b, 1.1 c")).status, 200);
    assertEquals((await get(lax, "1.1 a, 1.1 b, 1.1 c, 1.1 d, 1.1 e")).status, 400);
  } finally {
    await sy.stop();
    await up.close();
  }
});

Deno.test("routing: io.l5d.path with consume routes by path and strips the segments", async () => {
  const users = startUpstream("users");
  const dir = await fsNamerDir({ users: users.fsLine });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  identifier: {kind: io.l5d.path, segments: 1, consume: true}
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}]
`);
  try {
    const r = await curl([`http://${sy.proxy()}/users/42/?x=1`]);
    const j = JSON.parse(r.body);
    assertEquals(j.name, "users");
    assertEquals(new URL(j.url).pathname + new URL(j.url).search, "/42/?x=1");
    const none = await curl([`http://${sy.proxy()}/`]);
    assertEquals(none.status, 400);
  } finally {
    await sy.stop();
    await users.close();
  }
});

Deno.test("routing: clearContext ignores inbound l5d context and hides l5d-* response headers; l5d-success-class otherwise", async () => {
  const v1 = startUpstream("v1");
  const v2 = startUpstream("v2", () => new Response("boom", { status: 500 }));
  const dir = await fsNamerDir({ "web-v1": v1.fsLine, "web-v2": v2.fsLine });
  const sy = await startSwitchyard(`
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  label: edge
  dtab: /svc => /#/io.l5d.fs; /svc/web => /svc/web-v1;
  servers: [{port: 0, clearContext: true}]
- protocol: http
  label: inner
  dtab: /svc => /#/io.l5d.fs; /svc/web => /svc/web-v1;
  servers: [{port: 0}]
`);
  try {
    const over = ["-H", "Host: web", "-H", "l5d-dtab: /svc/web => /svc/web-v2"];
    const edge = await curl([...over, "-H", "l5d-ctx-user: x", `http://${sy.proxy("edge")}/`]);
    assertEquals(JSON.parse(edge.body).name, "v1", "the edge ignores l5d-dtab");
    assertEquals(JSON.parse(edge.body).headers["l5d-ctx-user"], undefined, "no l5d-* goes on");
    assertEquals([...edge.headers.keys()].filter((k) => k.startsWith("l5d-")), []);
    const miss = await curl(["-H", "Host: nothing", `http://${sy.proxy("edge")}/`]);
    assertEquals(miss.status, 502);
    assertEquals(miss.headers.get("l5d-err"), null, "no router internals at the edge");
    const inner = await curl([...over, `http://${sy.proxy("inner")}/`]);
    assertEquals(inner.status, 500, "the inner router honours l5d-dtab (→ v2, which fails)");
    assertEquals(inner.headers.get("l5d-success-class"), "0.0");
    const ok = await curl(["-H", "Host: web", `http://${sy.proxy("inner")}/`]);
    assertEquals(ok.headers.get("l5d-success-class"), "1.0");
  } finally {
    await sy.stop();
    await v1.close();
    await v2.close();
  }
});

Deno.test("routing: clearContext empties the body of an upstream l5d-err response, on both engines", async () => {
  const fake = startUpstream(
    "fake",
    () =>
      new Response("Dtab.base=[/secret=>/internal]", {
        status: 502,
        headers: { "l5d-err": "secret", "x-app": "kept" },
      }),
  );
  const fine = startUpstream("fine");
  const dir = await fsNamerDir({ fake: fake.fsLine, fine: fine.fsLine });
  const inner = freePort();
  const raw = freePort();
  const served = freePort();
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  label: edge
  dtab: /svc => /$/inet/127.0.0.1/${inner}; /svc/fake => /#/io.l5d.fs/fake;
  servers:
  - {ip: 127.0.0.1, port: ${raw}, clearContext: true}
  - {ip: 127.0.0.1, port: ${served}, clearContext: true, engine: serve}
- protocol: http
  label: inner
  dtab: /svc => /#/io.l5d.fs;
  servers: [{ip: 127.0.0.1, port: ${inner}}]
`);
  try {
    // The inner router's own error (no hosts for /svc/nothing, with its dtab in the text)
    const direct = await curl(["-H", "Host: nothing", `http://127.0.0.1:${inner}/`]);
    assertEquals(direct.status, 502);
    assertStringIncludes(direct.body, "Dtab.base=[/svc=>/#/io.l5d.fs]");
    for (const port of [raw, served]) {
      const r = await curl(["-H", "Host: nothing", `http://127.0.0.1:${port}/`]);
      assertEquals(r.status, 502, `edge ${port}: the inner router's status`);
      assertEquals(r.body, "", `edge ${port}: no upstream router's error text`);
      assertEquals([...r.headers.keys()].filter((k) => k.startsWith("l5d-")), []);
      // An upstream app's response with l5d-err is emptied too; its other headers stay.
      const f = await curl(["-H", "Host: fake", `http://127.0.0.1:${port}/`]);
      assertEquals(f.status, 502);
      assertEquals(f.body, "");
      assertEquals(f.headers.get("x-app"), "kept");
      assertEquals(f.headers.get("l5d-err"), null);
      // Without l5d-err the body passes untouched.
      const ok = await curl(["-H", "Host: fine", `http://127.0.0.1:${port}/`]);
      assertEquals(ok.status, 200);
      assertEquals(JSON.parse(ok.body).name, "fine");
    }
  } finally {
    await sy.stop();
    await fake.close();
    await fine.close();
  }
});

Deno.test("routing: CONNECT to a name that binds nowhere is 502 + l5d-err; on engine: serve 501; never hangs", async () => {
  const dir = await fsNamerDir({});
  const connect = async (proxy: string) => {
    const [ip, port] = proxy.split(":");
    const conn = await Deno.connect({ hostname: ip!, port: Number(port) });
    await conn.write(
      new TextEncoder().encode("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
    );
    const buf = new Uint8Array(4096);
    const n = await conn.read(buf);
    conn.close();
    return new TextDecoder().decode(buf.subarray(0, n ?? 0));
  };
  const sy = await startSwitchyard(config(dir));
  try {
    const head = await connect(sy.proxy());
    assertStringIncludes(head, "HTTP/1.1 502");
    assertStringIncludes(
      head.toLowerCase(),
      "l5d-err: no+hosts+are+available+for+%2fsvc%2fexample.com%3a443",
    );
  } finally {
    await sy.stop();
  }
  const served = await startSwitchyard(
    config(dir).replace(
      "servers: [{ip: 127.0.0.1, port: 0}]",
      "servers: [{ip: 127.0.0.1, port: 0, engine: serve}]",
    ),
  );
  try {
    const head = await connect(served.proxy());
    assertStringIncludes(head, "HTTP/1.1 501");
    assertStringIncludes(head.toLowerCase(), "l5d-err: connect+tunnelling");
  } finally {
    await served.stop();
  }
});

/**
 * The decoded `l5d-err` of a raw response (Java URL encoding: `+` is a space). Linkerd's
 * UnknownDst text names the request as Finagle's `Request.toString` does.
 */
function rawL5dErr(raw: string): string {
  const line = raw.split("\r\n").find((l) => l.toLowerCase().startsWith("l5d-err:")) ?? "";
  return decodeURIComponent(line.slice(8).trim().replaceAll("+", " "));
}

/** Linkerd's `Unknown destination: Request("GET /", from /127.0.0.1:<port>) / <reason>`. */
function unknownDst(reason: string, target = "/"): RegExp {
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  return new RegExp(
    `^Unknown destination: Request\\("GET ${esc(target)}", from /127\\.0\\.0\\.1:\\d+\\) / ${
      esc(reason)
    }$`,
  );
}

Deno.test("routing: an HTTP/1.0 or 1.1 request without Host is 400 'Host header is absent'; with an absolute URI it routes", async () => {
  const hello = startUpstream("hello");
  const dir = await fsNamerDir({ hello: hello.fsLine });
  const sy = await startSwitchyard(config(dir));
  try {
    const send = (raw: string) => rawExchange(sy.proxy(), raw);
    const noHost = await send("GET / HTTP/1.0\r\n\r\n");
    assertStringIncludes(noHost, " 400 ");
    assert(unknownDst("Host header is absent").test(rawL5dErr(noHost)), rawL5dErr(noHost));
    const proxied = await send("GET http://hello/x HTTP/1.0\r\n\r\n");
    assertStringIncludes(proxied, " 200 ");
    assertStringIncludes(proxied, '"name":"hello"');
    // HTTP/1.1 too (curl -H 'Host:' drops the field): Linkerd's Netty server accepts the request
    // and its HeaderIdentifier answers "Host header is absent" (400).
    const noHost11 = await send("GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
    assertStringIncludes(noHost11, " 400 ");
    assert(unknownDst("Host header is absent").test(rawL5dErr(noHost11)), rawL5dErr(noHost11));
    const proxied11 = await send("GET http://hello/x HTTP/1.1\r\nConnection: close\r\n\r\n");
    assertStringIncludes(proxied11, " 200 ");
    assertStringIncludes(proxied11, '"name":"hello"');
  } finally {
    await sy.stop();
    await hello.close();
  }
});

/** Send one raw request and read until the server closes. */
async function rawExchange(proxy: string, raw: string): Promise<string> {
  const [ip, port] = proxy.split(":");
  const c = await Deno.connect({ hostname: ip!, port: Number(port) });
  await c.write(new TextEncoder().encode(raw));
  let text = "";
  const buf = new Uint8Array(4096);
  for (;;) {
    const n = await c.read(buf);
    if (n === null) break;
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  c.close();
  return text;
}

Deno.test("routing: an empty Host header is 400 'Host header is absent' (not a name for localhost)", async () => {
  const dir = await fsNamerDir({});
  const sy = await startSwitchyard(config(dir));
  try {
    for (const version of ["1.1", "1.0"]) {
      const rsp = await rawExchange(
        sy.proxy(),
        `GET / HTTP/${version}\r\nHost: \r\nConnection: close\r\n\r\n`,
      );
      assertStringIncludes(rsp, " 400 ", `HTTP/${version}`);
      assert(unknownDst("Host header is absent").test(rawL5dErr(rsp)), rawL5dErr(rsp));
    }
  } finally {
    await sy.stop();
  }
});

Deno.test("routing: io.l5d.methodAndHost names HTTP/1.0 requests /svc/1.0/METHOD[/uri] and 1.1 ones /svc/1.1/METHOD/host[/uri]; Via says the version", async () => {
  const up = startUpstream("web");
  const dir = await fsNamerDir({ web: up.fsLine });
  const yaml = config(
    dir,
    `  identifier: {kind: io.l5d.methodAndHost, httpUriInDst: true}`,
    "/svc/1.0/GET => /#/io.l5d.fs/web; /svc/1.1/GET/h1 => /#/io.l5d.fs/web;",
  );
  const sy = await startSwitchyard(yaml);
  try {
    const old = await rawExchange(sy.proxy(), "GET /some/path HTTP/1.0\r\n\r\n");
    assertStringIncludes(old, " 200 ");
    const body = JSON.parse(old.slice(old.indexOf("\r\n\r\n") + 4));
    assertEquals(body.headers["l5d-dst-service"], "/svc/1.0/GET/some/path");
    assertEquals(body.headers["via"], "1.0 linkerd");
    const cur = await curl(["-H", "Host: H1", `http://${sy.proxy()}/a/b`]);
    assertEquals(cur.status, 200);
    const seen = JSON.parse(cur.body);
    assertEquals(seen.headers["l5d-dst-service"], "/svc/1.1/GET/h1/a/b");
    assertEquals(seen.headers["via"], "1.1 linkerd");
    // Linkerd's MethodAndHostIdentifierTest "http/1.1 request without a host header":
    // unidentified, with MethodAndHostIdentifier's reason.
    const noHost = await rawExchange(sy.proxy(), "GET /x HTTP/1.1\r\nConnection: close\r\n\r\n");
    assertStringIncludes(noHost, " 400 ");
    assert(
      unknownDst("HTTP/1.1 request missing hostname", "/x").test(rawL5dErr(noHost)),
      rawL5dErr(noHost),
    );
  } finally {
    await sy.stop();
    await up.close();
  }
});

Deno.test("routing: TRACE is forwarded; with l5d-add-context each hop appends its routing context (Max-Forwards honoured)", async () => {
  const web = startUpstream("web", (req) => new Response(`echo ${req.method}`));
  const dir = await fsNamerDir({ web: web.fsLine });
  const sy = await startSwitchyard(config(dir));
  const trace = (...headers: string[]) =>
    curl([
      "-X",
      "TRACE",
      "-H",
      "Host: web",
      ...headers.flatMap((h) => ["-H", h]),
      `http://${sy.proxy()}/`,
    ]);
  try {
    const plain = await trace();
    assertEquals([plain.status, plain.body], [200, "echo TRACE"]);
    const traced = await trace("l5d-add-context: true", "Max-Forwards: 5");
    assertEquals(traced.status, 200);
    const ep = `127.0.0.1:${web.port}`;
    assertStringIncludes(traced.body, `echo TRACE\n\n--- Router: outgoing ---\nrequest duration: `);
    assertStringIncludes(
      traced.body,
      ` ms\nservice name: /svc/web\nclient name: /#/io.l5d.fs/web\naddresses: [${ep}]\n` +
        `selected address: ${ep}\ndtab resolution:\n  /svc/web\n  /#/io.l5d.fs/web (/svc=>/#/io.l5d.fs)\n`,
    );
    assertEquals(web.seen.at(-1)!.headers["max-forwards"], "4", "decremented on the way");
    // Max-Forwards: 0 answers at this hop: the app is not called.
    const calls = web.seen.length;
    const here = await trace("l5d-add-context: true", "Max-Forwards: 0");
    assertEquals(here.status, 200);
    assertStringIncludes(here.body, "--- Router: outgoing ---");
    assertEquals(web.seen.length, calls);
    const bad = await trace("Max-Forwards: x");
    assertEquals([bad.status, bad.body], [400, "Invalid value for Max-Forwards header"]);
  } finally {
    await sy.stop();
    await web.close();
  }
});
