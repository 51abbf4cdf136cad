/**
 * `admin.httpIdentifierPort` (Linkerd's identifier debug listener) on the real process: a request
 * sent there is identified by every router, not routed.
 */
import { assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, freePort, fsNamerDir, startUpstream } from "../support/upstream.ts";

Deno.test("admin.httpIdentifierPort: / answers each router's name for the request, as JSON, without routing it", async () => {
  const hello = startUpstream("hello");
  const dir = await fsNamerDir({ hello: hello.fsLine });
  const port = freePort();
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0, httpIdentifierPort: ${port}}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  label: byhost
  dtab: /svc => /#/io.l5d.fs;
  servers: [{ip: 127.0.0.1, port: 0}]
- protocol: http
  label: bypath
  identifier: {kind: io.l5d.path, segments: 2}
  dtab: /svc => /#/io.l5d.fs;
  servers: [{ip: 127.0.0.1, port: 0}]
- protocol: http
  label: nodtab
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    const r = await curl([
      "-H",
      "Host: hello",
      "-H",
      "l5d-dtab: /svc/hello => /#/io.l5d.fs/hello",
      `http://127.0.0.1:${port}/one/two/three`,
    ]);
    assertEquals(r.status, 200);
    // Linkerd's HttpIdentifierHandler: an IdResult per router, Jackson NON_EMPTY; `dtab` is
    // `dst.dtab.show`, the router's dtab (BaseDtab) ++ the local dtab.
    const both = "/svc=>/#/io.l5d.fs;/svc/hello=>/#/io.l5d.fs/hello";
    assertEquals(JSON.parse(r.body), {
      byhost: { path: "/svc/hello", dtab: both },
      bypath: { path: "/svc/one/two", dtab: both },
      nodtab: { path: "/svc/hello", dtab: "/svc/hello=>/#/io.l5d.fs/hello" },
    });
    // No local dtab: the router's dtab alone, no dtab key when that is empty too; unidentified:
    // the identifier's reason as `error`.
    const short = JSON.parse(
      (await curl(["-H", "Host: hello", `http://127.0.0.1:${port}/x`])).body,
    );
    assertEquals(short, {
      byhost: { path: "/svc/hello", dtab: "/svc=>/#/io.l5d.fs" },
      bypath: { error: "not enough segments in path" },
      nodtab: { path: "/svc/hello" },
    });
    assertEquals(hello.seen.length, 0, "nothing was routed");
  } finally {
    await sy.stop();
    await hello.close();
  }
});
