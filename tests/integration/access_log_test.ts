/**
 * Black-box access log: the real process writes `httpAccessLog` files in Linkerd's layout and as
 * JSON lines.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, startUpstream } from "../support/upstream.ts";

async function lines(path: string): Promise<string[]> {
  try {
    return (await Deno.readTextFile(path)).split("\n").filter((l) => l !== "");
  } catch {
    return [];
  }
}

Deno.test("access log: Linkerd's common layout and JSON lines, one per request, errors included", async () => {
  const app = startUpstream("app", (req) => {
    const path = new URL(req.url).pathname;
    return path === "/missing"
      ? new Response("nope", { status: 404 })
      : new Response("hello body", { headers: { "content-length": "10" } });
  });
  const dir = await Deno.makeTempDir({ prefix: "sy-access-" });
  const common = `${dir}/access.log`, json = `${dir}/access.json`;
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  label: outgoing
  dtab: /svc/hello => /$/inet/127.0.0.1/${app.port};
  httpAccessLog: ${common}
  servers: [{ip: 127.0.0.1, port: 0}]
- protocol: http
  label: jsonlog
  dtab: /svc/hello => /$/inet/127.0.0.1/${app.port};
  httpAccessLog: ${json}
  httpAccessLogFormat: json
  servers: [{ip: 127.0.0.1, port: 0}]
- protocol: http
  label: nolog
  dtab: /svc/hello => /$/inet/127.0.0.1/${app.port};
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    const ua = ["-A", "test-agent/1.0", "-e", "http://referer.example/"];
    const ok = await curl([...ua, "-H", "Host: hello", `http://${sy.proxy("outgoing")}/a?b=1`]);
    assertEquals(ok.status, 200);
    assertEquals(
      (await curl(["-H", "Host: hello", `http://${sy.proxy("outgoing")}/missing`])).status,
      404,
    );
    const err = await curl([
      "-X",
      "POST",
      "-d",
      "x",
      "-H",
      "Host: ghost",
      `http://${sy.proxy("outgoing")}/p`,
    ]);
    assertEquals(err.status, 502, "no route for ghost: a router error");
    assert(await eventually(async () => (await lines(common)).length >= 3, 10_000));
    const got = await lines(common);
    assertEquals(got.length, 3);
    const date = String.raw`\[\d{2}/\d{2}/\d{4}:\d{2}:\d{2}:\d{2} UTC\]`;
    const re = (s: string) => new RegExp("^" + s.replaceAll("[DATE]", date) + "$");
    assert(
      re(
        String
          .raw`hello 127\.0\.0\.1 - - [DATE] "GET /a\?b=1 HTTP/1\.1" 200 10 "http://referer\.example/" "test-agent/1\.0"`,
      )
        .test(got[0]!),
      got[0],
    );
    assert(
      re(String.raw`hello 127\.0\.0\.1 - - [DATE] "GET /missing HTTP/1\.1" 404 4 "-" "curl/[^"]+"`)
        .test(got[1]!),
      got[1],
    );
    assert(
      re(String.raw`ghost 127\.0\.0\.1 - - [DATE] "POST /p HTTP/1\.1" 502 - "-" "curl/[^"]+"`).test(
        got[2]!,
      ),
      got[2],
    );
    const [, dd, mo, yyyy, hh, mi, ss] = /\[(\d+)\/(\d+)\/(\d+):(\d+):(\d+):(\d+) UTC\]/.exec(
      got[0]!,
    )!
      .map(Number);
    const logged = Date.UTC(yyyy!, mo! - 1, dd!, hh!, mi!, ss!);
    assert(Math.abs(logged - Date.now()) < 60_000, `the time is now, in UTC: ${got[0]}`);

    const r = await curl(["-H", "Host: hello", `http://${sy.proxy("jsonlog")}/j?k=v`]);
    assertEquals(r.status, 200);
    assert(await eventually(async () => (await lines(json)).length >= 1, 10_000));
    const rec = JSON.parse((await lines(json))[0]!);
    const reqId = app.seen.at(-1)!.headers["l5d-reqid"];
    assertEquals(
      {
        ...rec,
        ts: typeof rec.ts,
        durationMs: typeof rec.durationMs,
        userAgent: typeof rec.userAgent,
      },
      {
        ts: "string",
        router: "jsonlog",
        host: "hello",
        remote: "127.0.0.1",
        method: "GET",
        target: "/j?k=v",
        protocol: "HTTP/1.1",
        status: 200,
        bytes: 10,
        durationMs: "number",
        referer: "-",
        userAgent: "string",
        service: "/svc/hello",
        client: `/$/inet/127.0.0.1/${app.port}`,
        traceId: reqId,
      },
    );
    assert(Math.abs(Date.parse(rec.ts) - Date.now()) < 60_000);

    // Off by default: the third router writes nowhere new; the directory holds just the two logs.
    assertEquals((await curl(["-H", "Host: hello", `http://${sy.proxy("nolog")}/`])).status, 200);
    const files = [];
    for await (const e of Deno.readDir(dir)) files.push(e.name);
    assertEquals(files.sort(), ["access.json", "access.log"]);

    // A request right before shutdown is still written: close() flushes.
    await curl(["-H", "Host: hello", `http://${sy.proxy("outgoing")}/last`]);
  } finally {
    assertEquals(await sy.stop(), 0);
    await app.close();
  }
  const all = await lines(common);
  assert(all.at(-1)!.includes('"GET /last HTTP/1.1" 200'), all.at(-1));
  await Deno.remove(dir, { recursive: true });
});

// Linkerd's AccessLogger is a client-stack module (HttpConfig: `clientStack.prepend(
// http.AccessLogger.module)`): it logs `req.uri` after PathIdentifier's consume rewrote it.
Deno.test("access log: the target is the one forwarded, after io.l5d.path consume", async () => {
  const app = startUpstream("app");
  const dir = await Deno.makeTempDir({ prefix: "sy-access-" });
  const common = `${dir}/access.log`;
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: /svc/true/love => /$/inet/127.0.0.1/${app.port};
  identifier: {kind: io.l5d.path, segments: 2, consume: true}
  httpAccessLog: ${common}
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    const r = await curl(["-H", "Host: web", `http://${sy.proxy()}/true/love/waits.php?x=1`]);
    assertEquals(r.status, 200);
    assertEquals(new URL(app.seen.at(-1)!.url).pathname, "/waits.php");
    assert(await eventually(async () => (await lines(common)).length >= 1, 10_000));
    const line = (await lines(common))[0]!;
    assert(line.includes('"GET /waits.php?x=1 HTTP/1.1" 200'), line);
  } finally {
    assertEquals(await sy.stop(), 0);
    await app.close();
    await Deno.remove(dir, { recursive: true });
  }
});
