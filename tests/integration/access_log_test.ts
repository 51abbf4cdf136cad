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

/** The files of `dir`, name order. */
async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

// protocol-http.md: httpAccessLogRollPolicy (a util-style size) and httpAccessLogRotateCount, as
// twitter-util's FileHandler rolls Linkerd's access log: `access-<yyyyMMdd-HHmmss>.log`, at most
// the rotate count of rolled files kept, no line lost.
Deno.test("access log: rolled by size, the rotate count kept, every line in the newest files", async () => {
  const app = startUpstream("app");
  const dir = await Deno.makeTempDir({ prefix: "sy-access-roll-" });
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: /svc/hello => /$/inet/127.0.0.1/${app.port};
  httpAccessLog: ${dir}/access.log
  httpAccessLogRollPolicy: 1.kilobyte
  httpAccessLogRotateCount: 2
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    // ~90 bytes a line: 30 requests are ~2.7 KB, so the file rolls at least twice
    for (let i = 0; i < 30; i++) {
      const r = await curl([
        "-H",
        "Host: hello",
        `http://${sy.proxy()}/n/${String(i).padStart(2, "0")}`,
      ]);
      assertEquals(r.status, 200);
    }
    assert(
      await eventually(
        async () => (await lines(`${dir}/access.log`)).some((l) => l.includes("/n/29")),
        10_000,
      ),
    );
    const names = await files(dir);
    assertEquals(names.at(-1), "access.log", names.join(" "));
    const rolled = names.slice(0, -1);
    assertEquals(rolled.length, 2, `rotateCount 2: ${names.join(" ")}`);
    for (const n of rolled) assert(/^access-\d{8}-\d{6}(_\d{3})?\.log$/.test(n), n);
    let kept: string[] = [];
    for (const n of names) {
      const ls = await lines(`${dir}/${n}`);
      const size = (await Deno.stat(`${dir}/${n}`)).size;
      assert(size <= 1024, `${n} is ${size} bytes`);
      kept = kept.concat(ls);
    }
    // the newest requests, in order and without a gap, end the kept files
    const targets = kept.map((l) => /"GET \/n\/(\d+) /.exec(l)?.[1]).map(Number);
    assertEquals(targets.at(-1), 29);
    assertEquals(targets, targets.map((_, i) => 29 - (targets.length - 1) + i));
    assert(targets.length >= 10, `kept ${targets.length} lines`);
  } finally {
    assertEquals(await sy.stop(), 0);
    await app.close();
    await Deno.remove(dir, { recursive: true });
  }
});

// protocol-http.md `httpAccessLogRollPolicy: sighup` (twitter-util: on SIGHUP the file is opened
// again, for an external logrotate that moved it). SIGHUP also reloads the unchanged config.
Deno.test("access log: with the sighup policy, SIGHUP opens the file again after logrotate moved it", async () => {
  const app = startUpstream("app");
  const dir = await Deno.makeTempDir({ prefix: "sy-access-hup-" });
  const log = `${dir}/access.log`;
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: /svc/hello => /$/inet/127.0.0.1/${app.port};
  httpAccessLog: ${log}
  httpAccessLogRollPolicy: SigHup
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    assertEquals((await curl(["-H", "Host: hello", `http://${sy.proxy()}/before`])).status, 200);
    assert(await eventually(async () => (await lines(log)).length === 1, 10_000));
    await Deno.rename(log, `${log}.1`); // what logrotate does
    Deno.kill(sy.pid, "SIGHUP");
    assert(
      await eventually(async () => {
        await curl(["-H", "Host: hello", `http://${sy.proxy()}/after`]);
        return (await lines(log)).some((l) => l.includes("/after"));
      }, 10_000),
      "a new access.log after SIGHUP",
    );
    // Until the file is opened again the old descriptor takes the lines, as with any logrotate
    // `postrotate` signal: an `/after` request the loop made before the reopen may be there too.
    const moved = await lines(`${log}.1`);
    assert(moved.length >= 1 && moved[0]!.includes("/before"), moved.join("\n"));
    assert(moved.slice(1).every((l) => l.includes("/after")), moved.join("\n"));
  } finally {
    assertEquals(await sy.stop(), 0);
    await app.close();
    await Deno.remove(dir, { recursive: true });
  }
});
