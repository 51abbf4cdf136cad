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
