/**
 * Linkerd 1.x's HTTP router config, initializer, stats, access-log and classifier tests, ported
 * to the real process (`linkerd/protocol/http/src/test/scala/io/buoyant/linkerd/protocol/`):
 * HttpConfigTest, HttpInitializerTest, http/StatusCodeStatsFilterTest, http/AccessLoggerTest,
 * http/ResponseClassifiersTest. HttpConfigTest's identifier cases are in
 * `linkerd_http_identifiers_test.ts`, its 'timestamp header' in `forwarded_test.ts`, and
 * ResponseClassifiersTest's NonRetryableChunked cases in `resilience_test.ts`.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { adminMetrics, runCli, startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, freePort, startUpstream } from "../support/upstream.ts";
import { rawUpstream } from "../support/raw_upstream.ts";

const enc = new TextEncoder();

Deno.test("linkerd HttpConfigTest: parse config, MaxInitialLineSize, streaming options", async (t) => {
  const app = startUpstream("app");
  const dir = await Deno.makeTempDir({ prefix: "sy-l5d-httpcfg-" });
  try {
    await t.step("linkerd HttpConfigTest: parse config", async () => {
      // Every key of the Linkerd test loads, and the codec limits act on the wire.
      const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  httpAccessLog: ${dir}/access.log
  httpAccessLogRollPolicy: daily
  httpAccessLogAppend: true
  httpAccessLogRotateCount: -1
  identifier:
    kind: io.l5d.methodAndHost
  maxHeadersKB: 8
  maxInitialLineKB: 4
  streamingEnabled: true
  dtab: /svc => /$/inet/127.0.0.1/${app.port};
  servers:
  - {ip: 127.0.0.1, port: 0}
`);
      try {
        const ok = await curl(["-H", "Host: a", `http://${sy.proxy()}/`]);
        assertEquals([ok.status, JSON.parse(ok.body).headers["l5d-dst-service"]], [
          200,
          "/svc/1.1/GET/a",
        ]);
        const longLine = await curl(["-H", "Host: a", `http://${sy.proxy()}/${"a".repeat(5000)}`]);
        assertEquals(longLine.status, 414);
        const bigHeaders = await curl([
          ...["-H", "Host: a", "-H", `x-big: ${"b".repeat(9000)}`],
          `http://${sy.proxy()}/`,
        ]);
        assertEquals(bigHeaders.status, 431);
        assert(
          await eventually(async () => {
            const text = await Deno.readTextFile(`${dir}/access.log`).catch(() => "");
            return text.includes('"GET / HTTP/1.1" 200');
          }, 10_000),
          "the access log is written",
        );
      } finally {
        await sy.stop();
      }
    });

    await t.step(
      "linkerd HttpConfigTest: Issue #2393 - MaxInitialLineSize set from config",
      async () => {
        const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  identifier:
    kind: io.l5d.methodAndHost
  maxInitialLineKB: 64
  dtab: /svc => /$/inet/127.0.0.1/${app.port};
  servers: [{ip: 127.0.0.1, port: 0}, {ip: 127.0.0.1, port: 0}]
`);
        try {
          // 'server has codec parameters from router' (HttpInitializerTest): both servers get it.
          for (const port of Object.values(sy.ports)[0]!) {
            const line = `http://127.0.0.1:${port}/${"a".repeat(60 * 1024)}`;
            assertEquals((await curl(["-H", "Host: a", line])).status, 200);
            const over = `http://127.0.0.1:${port}/${"a".repeat(65 * 1024)}`;
            assertEquals((await curl(["-H", "Host: a", over])).status, 414);
          }
        } finally {
          await sy.stop();
        }
      },
    );

    const check = async (streaming: string) => {
      const path = `${dir}/streaming.yaml`;
      await Deno.writeTextFile(
        path,
        `routers:
- protocol: http
  identifier:
    kind: io.l5d.methodAndHost
  maxInitialLineKB: 4
${streaming}
  servers:
  - port: 5000
`,
      );
      return await runCli("check", path);
    };
    await t.step("linkerd HttpConfigTest: DefaultsTest (streaming options that load)", async () => {
      for (
        const streaming of [
          "",
          "  streamAfterContentLengthKB: 5",
          "  streamAfterContentLengthKB: 5\n  streamingEnabled: true",
          "  streamingEnabled: false",
        ]
      ) {
        const r = await check(streaming);
        assertEquals(r.code, 0, `${streaming}: ${r.stdout}${r.stderr}`);
      }
    });

    await t.step(
      "linkerd HttpConfigTest: ConfigErrorTest - Stream disabled, streamAfter Set",
      async () => {
        const r = await check("  streamAfterContentLengthKB: 5\n  streamingEnabled: false");
        assert(r.code !== 0, "refused");
        // Linkerd's text (HttpConfig), at the key's line and column.
        assertStringIncludes(
          r.stdout + r.stderr,
          "streaming.yaml:6:31: routers[0].streamAfterContentLengthKB: Conflicting streaming options set. Can't disable streaming and set streamAfterContentLengthKB in http",
        );
      },
    );
  } finally {
    await app.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("linkerd HttpInitializerTest: path stack: retries, path stack: error handling", async () => {
  let requests = 0;
  const app = startUpstream("app", () => {
    requests++;
    return new Response("boom", { status: 500 });
  });
  const closedPort = freePort();
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: |
    /svc/a => /$/inet/127.0.0.1/${app.port};
    /svc/wild => /$/inet/127.0.0.1/${closedPort};
  servers: [{ip: 127.0.0.1, port: 0}]
  client:
    failureAccrual: {kind: none}
  service:
    responseClassifier: {kind: io.l5d.http.retryableRead5XX}
    retries:
      budget: {ttlSecs: 10, minRetriesPerSec: 0, percentCanRetry: 0.5}
`);
  try {
    // 'path stack: retries': the first request is not retried, since the budget has not yet
    // accrued; the second is, by the 50% budget (Finagle's RetryBudget).
    assertEquals((await curl(["-H", "Host: a", `http://${sy.proxy()}/`])).status, 500);
    assertEquals(requests, 1);
    assertEquals((await curl(["-H", "Host: a", `http://${sy.proxy()}/`])).status, 500);
    assertEquals(requests, 3);
    // 'path stack: error handling': a request that fails (here: the connection is refused)
    // answers 502 with l5d-err, and the service counts the failure by the exception class Linkerd
    // records there (`failures/<java class>`, telemetry/failure_names.ts).
    const r = await curl(["-H", "Host: wild", `http://${sy.proxy()}/`]);
    assertEquals(r.status, 502);
    assert(r.headers.get("l5d-err"), "l5d-err");
    const m = await adminMetrics(sy.admin);
    assertEquals(m["rt/http/service/svc/wild/failures"], 1);
    const cls = "com.twitter.finagle.naming.buoyant.RichConnectionFailedExceptionWithPath";
    assertEquals(m[`rt/http/service/svc/wild/failures/${cls}`], 1);
  } finally {
    await sy.stop();
    await app.close();
  }
});

Deno.test("linkerd StatusCodeStatsFilterTest: status code stats, exceptions as status/error", async () => {
  const app = startUpstream("app", () => new Response("nope", { status: 404 }));
  const closedPort = freePort();
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  dtab: |
    /svc/a => /$/inet/127.0.0.1/${app.port};
    /svc/down => /$/inet/127.0.0.1/${closedPort};
  servers: [{ip: 127.0.0.1, port: 0}]
  client:
    failureAccrual: {kind: none}
`);
  const port = sy.proxy().split(":")[1];
  const server = `rt/http/server/127.0.0.1/${port}`;
  const client = `rt/http/client/$/inet/127.0.0.1/${app.port}`;
  const downClient = `rt/http/client/$/inet/127.0.0.1/${closedPort}`;
  try {
    // 'increments http status code stats on success' (server and client stacks).
    assertEquals((await curl(["-H", "Host: a", `http://${sy.proxy()}/`])).status, 404);
    let m = await adminMetrics(sy.admin);
    assertEquals(
      [m[`${server}/status/404`], m[`${server}/status/4XX`]],
      [1, 1],
    );
    assertEquals([m[`${client}/status/404`], m[`${client}/status/4XX`]], [1, 1]);
    // 'treats exceptions as 500 failures': the client saw no response (status/error); the
    // server answered the ErrorResponder's 502.
    assertEquals((await curl(["-H", "Host: down", `http://${sy.proxy()}/`])).status, 502);
    m = await adminMetrics(sy.admin);
    assertEquals(m[`${downClient}/status/error`], 1);
    assertEquals([m[`${server}/status/502`], m[`${server}/status/5XX`]], [1, 1]);
  } finally {
    await sy.stop();
    await app.close();
  }
});

Deno.test("linkerd AccessLoggerTest: access logger filter", async () => {
  // The upstream's answer to HEAD: 402, a Content-Length and no body.
  const app = rawUpstream(async (_head, c) => {
    await c.write(enc.encode(
      "HTTP/1.1 402 Payment Required\r\nContent-Type: application/json\r\n" +
        "Content-Length: 304374\r\n\r\n",
    ));
    return true;
  });
  const dir = await Deno.makeTempDir({ prefix: "sy-l5d-access-" });
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  httpAccessLog: ${dir}/access.log
  dtab: /svc/monkeys => /$/inet/127.0.0.1/${app.port};
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    const r = await curl([
      ...["-I", "-H", "Host: monkeys", "-H", "Content-Type: text/plain", "-H", "User-Agent:"],
      `http://${sy.proxy()}/foo?bar=bah`,
    ]);
    assertEquals([r.status, r.headers.get("content-length")], [402, "304374"]);
    let line = "";
    assert(
      await eventually(async () => {
        line = (await Deno.readTextFile(`${dir}/access.log`).catch(() => "")).trim();
        return line !== "";
      }, 10_000),
      "logged",
    );
    // Linkerd: `monkeys 0.0.0.0 - - [06/01/2016:21:21:26 GMT] "HEAD /foo?bar=bah HTTP/1.1" 402
    // 304374 "-" "-"` (its test has no remote address and runs in GMT; the date here is UTC).
    assert(
      new RegExp(
        String.raw`^monkeys 127\.0\.0\.1 - - \[\d{2}/\d{2}/\d{4}:\d{2}:\d{2}:\d{2} UTC\] ` +
          String.raw`"HEAD /foo\?bar=bah HTTP/1\.1" 402 304374 "-" "-"$`,
      ).test(line),
      line,
    );
  } finally {
    await sy.stop();
    await app.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("linkerd ResponseClassifiersTest: which methods each classifier retries on 5XX", async () => {
  // Attempts per method and path: the first one of each is answered 503, the next ones 200.
  const attempts = new Map<string, number>();
  const app = startUpstream("app", async (req) => {
    await req.arrayBuffer();
    const key = `${req.method} ${new URL(req.url).pathname}`;
    const n = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, n);
    return new Response(null, { status: n === 1 ? 503 : 200 });
  });
  const kinds = {
    all: "io.l5d.http.retryableAll5XX",
    idempotent: "io.l5d.http.retryableIdempotent5XX",
    read: "io.l5d.http.retryableRead5XX",
    non: "io.l5d.http.nonRetryable5XX",
  };
  // 'loads $kind', 'parse router with $kind': one router per kind.
  const routers = Object.entries(kinds).map(([label, kind]) => `
- protocol: http
  label: ${label}
  dtab: /svc => /$/inet/127.0.0.1/${app.port};
  servers: [{ip: 127.0.0.1, port: 0}]
  client:
    failureAccrual: {kind: none}
  service:
    responseClassifier:
      kind: ${kind}`).join("");
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:${routers}
`);
  const methods = ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE", "POST", "PATCH"];
  const retried: Record<string, string[]> = {
    all: methods,
    idempotent: ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"],
    read: ["GET", "HEAD", "OPTIONS", "TRACE"],
    non: [],
  };
  try {
    for (const label of Object.keys(kinds)) {
      for (const method of methods) {
        const body = ["POST", "PUT", "PATCH"].includes(method) ? ["--data-binary", "x"] : [];
        const verb = method === "HEAD" ? ["-I"] : ["-X", method];
        const r = await curl([
          ...verb,
          ...body,
          "-H",
          "Host: a",
          `http://${sy.proxy(label)}/${label}`,
        ]);
        // 'retries $method 5XX' / 'ignores $method responses': a retried request gets the 200
        // of its second attempt (the budget's 10/s reserve allows it); any other the 503.
        const yes = retried[label]!.includes(method);
        assertEquals(
          [r.status, attempts.get(`${method} /${label}`)],
          yes ? [200, 2] : [503, 1],
          `${label} ${yes ? "retries" : "does not retry"} ${method}`,
        );
      }
    }
  } finally {
    await sy.stop();
    await app.close();
  }
});
