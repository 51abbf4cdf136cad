import { assert, assertEquals } from "../tests/support/assert.ts";
import { Ctx } from "../router/core/ctx.ts";
import { NoHostsAvailable } from "../router/core/errors.ts";
import { stack } from "../router/core/service.ts";
import { accessLogTime, formatCommon, formatH2, formatJson, openAccessLog } from "./access_log.ts";

const T = Date.UTC(2026, 10, 26, 0, 17, 20);

function ctxFor(url: string): Ctx {
  const u = new URL(url);
  const ctx = new Ctx({
    url: u,
    router: "outgoing",
    signal: new AbortController().signal,
    startMs: T - 3,
    remoteAddr: "127.0.0.5",
    host: u.host,
    target: u.pathname + u.search,
  });
  ctx.traceId = "a3ce929d0e0e4736";
  return ctx;
}

Deno.test("accessLogTime() prints Linkerd's dd/MM/yyyy:HH:mm:ss z in UTC", () => {
  assertEquals(accessLogTime(T), "26/11/2026:00:17:20 UTC");
  assertEquals(accessLogTime(Date.UTC(2027, 0, 2, 3, 4, 5)), "02/01/2027:03:04:05 UTC");
});

Deno.test("formatCommon() and formatJson() render one line per entry, quotes escaped", () => {
  const e = {
    timeMs: T,
    durationMs: 3,
    router: "outgoing",
    host: "hello",
    remote: "127.0.0.5",
    method: "GET",
    target: '/a?q="x"',
    status: 200,
    bytes: 52,
    referer: "-",
    userAgent: "curl/8.5.0",
    service: "/svc/hello",
    client: "/#/io.l5d.fs/hello",
    traceId: "a3ce929d0e0e4736",
  };
  assertEquals(
    formatCommon(e),
    'hello 127.0.0.5 - - [26/11/2026:00:17:20 UTC] "GET /a?q=\\"x\\" HTTP/1.1" 200 52 "-" "curl/8.5.0"',
  );
  assertEquals(formatCommon({ ...e, bytes: undefined, remote: "" }).split(" ").slice(1, 2), ["-"]);
  assertEquals(JSON.parse(formatJson(e)), {
    ts: "2026-11-26T00:17:20.000Z",
    router: "outgoing",
    host: "hello",
    remote: "127.0.0.5",
    method: "GET",
    target: '/a?q="x"',
    protocol: "HTTP/1.1",
    status: 200,
    bytes: 52,
    durationMs: 3,
    referer: "-",
    userAgent: "curl/8.5.0",
    service: "/svc/hello",
    client: "/#/io.l5d.fs/hello",
    traceId: "a3ce929d0e0e4736",
  });
});

Deno.test("openAccessLog() filter logs responses and router errors, and close() flushes", async () => {
  const path = await Deno.makeTempFile();
  await Deno.writeTextFile(path, "old line\n");
  const log = openAccessLog({ path, router: "outgoing", now: () => T });
  let fail = false;
  const svc = stack(
    [log.filter],
    () =>
      fail
        ? Promise.reject(new NoHostsAvailable("No hosts are available for /svc/nope"))
        : Promise.resolve(
          new Response("hello", { status: 200, headers: { "content-length": "5" } }),
        ),
  );
  const req = new Request("http://hello/a?b=1", {
    headers: { host: "hello", "user-agent": "ua/1", referer: "http://r/" },
  });
  await svc(req, ctxFor("http://hello/a?b=1"));
  fail = true;
  try {
    await svc(new Request("http://nope/"), ctxFor("http://nope/"));
  } catch {
    // rethrown for the rescuer
  }
  await log.close();
  assertEquals((await Deno.readTextFile(path)).split("\n"), [
    "old line",
    'hello 127.0.0.5 - - [26/11/2026:00:17:20 UTC] "GET /a?b=1 HTTP/1.1" 200 5 "http://r/" "ua/1"',
    'nope 127.0.0.5 - - [26/11/2026:00:17:20 UTC] "GET / HTTP/1.1" 502 - "-" "-"',
    "",
  ]);
  assertEquals(log.stats(), { written: 2, dropped: 0 });
  await Deno.remove(path);
});

Deno.test("openAccessLog() writes JSON lines, truncates when append is false, and drops past the cap", async () => {
  const path = await Deno.makeTempFile();
  await Deno.writeTextFile(path, "old line\n");
  const log = openAccessLog({
    path,
    router: "r",
    format: "json",
    append: false,
    maxPendingBytes: 1000,
  });
  const svc = stack([log.filter], () => Promise.resolve(new Response("x")));
  const pending = [];
  for (let i = 0; i < 20; i++) {
    pending.push(svc(new Request(`http://h/${i}`), ctxFor(`http://h/${i}`)));
  }
  await Promise.all(pending);
  await log.flush();
  const stats = log.stats();
  assert(stats.dropped > 0, "a tight cap drops instead of buffering without bound");
  await log.close();
  const lines = (await Deno.readTextFile(path)).trim().split("\n");
  assertEquals(lines.length, stats.written);
  assertEquals(JSON.parse(lines[0]!).target, "/0");
  assertEquals(JSON.parse(lines[0]!).router, "r");
  await Deno.remove(path);
});

Deno.test("openAccessLog() throws at startup when the file cannot be opened", () => {
  let threw = false;
  try {
    openAccessLog({ path: "/nonexistent-dir/x/access.log", router: "r" });
  } catch (e: unknown) {
    threw = e instanceof Deno.errors.NotFound;
  }
  assert(threw);
});

Deno.test("formatH2() is Linkerd's h2 AccessLogger layout: +0000, HTTP/2, no byte count", () => {
  const line = formatH2({
    timeMs: Date.UTC(2026, 10, 26, 9, 5, 7),
    durationMs: 1,
    router: "h2",
    host: "web:4142",
    remote: "127.0.0.1",
    method: "POST",
    target: "/hello.Greeter/Say?x=1",
    protocol: "HTTP/2.0",
    status: 200,
    bytes: 12,
    referer: "-",
    userAgent: "grpc-go/1.0",
    service: "/svc/hello.Greeter",
    client: "",
    traceId: "",
  });
  assertEquals(
    line,
    'web:4142 127.0.0.1 - - [26/11/2026:09:05:07 +0000] "POST /hello.Greeter/Say?x=1 HTTP/2" 200 - "-" "grpc-go/1.0"',
  );
});
