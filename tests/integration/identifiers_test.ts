/**
 * Black-box identifier tests: the real process, curl over loopback. Linkerd's identifier
 * semantics: the first value of a repeated header, and `Identifier.compose` moving on only past an
 * *unidentified* result.
 */
import { assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, fsNamerDir, startUpstream } from "../support/upstream.ts";

function config(rootDir: string, identifier: string): string {
  return `
admin: {ip: 127.0.0.1, port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${rootDir}}]
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.fs;
  identifier: ${identifier}
  servers: [{ip: 127.0.0.1, port: 0}]
`;
}

/** The `l5d-err` header, decoded (Java URL encoding: `+` is a space). */
function l5dErr(headers: Headers): string {
  return decodeURIComponent((headers.get("l5d-err") ?? "").replaceAll("+", " "));
}

Deno.test("identifiers: io.l5d.header.token names a repeated header by its first value", async () => {
  const a = startUpstream("a");
  const b = startUpstream("b");
  const dir = await fsNamerDir({ a: a.fsLine, b: b.fsLine, "a, b": b.fsLine });
  const sy = await startSwitchyard(config(dir, "{kind: io.l5d.header.token, header: X-Svc}"));
  try {
    const r = await curl(["-H", "X-Svc: a", "-H", "X-Svc: b", `http://${sy.proxy()}/`]);
    assertEquals(r.status, 200);
    const j = JSON.parse(r.body);
    assertEquals(j.name, "a");
    assertEquals(j.headers["l5d-dst-service"], "/svc/a");
    // Both values still go upstream.
    assertEquals(j.headers["x-svc"], "a, b");
  } finally {
    await sy.stop();
    await a.close();
    await b.close();
  }
});

Deno.test("identifiers: io.l5d.header with a value that is not a path fails with 400, the next identifier untried", async () => {
  const web = startUpstream("web");
  const dir = await fsNamerDir({ web: web.fsLine });
  const sy = await startSwitchyard(
    config(dir, "\n  - {kind: io.l5d.header}\n  - {kind: io.l5d.header.token}"),
  );
  try {
    // Absent l5d-name: unidentified, so the Host identifier names it.
    const ok = await curl(["-H", "Host: web", `http://${sy.proxy()}/`]);
    assertEquals(ok.status, 200);
    assertEquals(JSON.parse(ok.body).name, "web");
    // A value that is not a path: the request fails there, although Host would name it.
    const bad = await curl(["-H", "Host: web", "-H", "l5d-name: web", `http://${sy.proxy()}/`]);
    assertEquals(bad.status, 400);
    const err = l5dErr(bad.headers);
    // Linkerd: UnknownDst(req, e.getMessage), Path.read's (Finagle's) message.
    assertEquals(
      /^Unknown destination: Request\("GET \/", from \/127\.0\.0\.1:\d+\) \/ '\/' expected but 'w' found at '\[w\]eb'$/
        .test(err),
      true,
      err,
    );
    assertEquals(web.seen.length, 1, "the failed request never reached the upstream");
    // Nothing names it: the last identifier's reason only.
    const none = await curl(["-H", "Host;", `http://${sy.proxy()}/`]);
    assertEquals(none.status, 400);
    const noneErr = l5dErr(none.headers);
    assertEquals(
      /^Unknown destination: Request\("GET \/", from \/127\.0\.0\.1:\d+\) \/ Host header is absent$/
        .test(noneErr),
      true,
      noneErr,
    );
    assertEquals(none.body, noneErr, "the body is the message, as Linkerd's Err.respond");
  } finally {
    await sy.stop();
    await web.close();
  }
});
