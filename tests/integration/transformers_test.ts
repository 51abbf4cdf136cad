/**
 * Linkerd's `io.l5d.replace` and `io.l5d.const` interpreter transformers with the real process
 * (linkerd/docs/transformer.md): a name the namer binds is sent where the configured path binds,
 * under the id `/%/<kind>` + path; replace keeps a negative name negative (the namer still says
 * what exists), const answers every name with the path.
 */
import { assertEquals, assertStringIncludes } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, fsNamerDir, startUpstream } from "../support/upstream.ts";

function config(dir: string, kind: string, path: string): string {
  return `
admin: {port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  label: edge
  dtab: /svc => /#/io.l5d.fs;
  interpreter:
    kind: default
    transformers:
    - kind: ${kind}
      path: ${path}
  servers: [{port: 0}]
`;
}

for (const kind of ["io.l5d.replace", "io.l5d.const"]) {
  Deno.test(`transformers: ${kind} sends bound names where its path binds`, async () => {
    const named = startUpstream("named");
    const target = startUpstream("target");
    const dir = await fsNamerDir({ web: named.fsLine + "\n", other: target.fsLine + "\n" });
    // Once by an inet address, once by a name the fs namer binds.
    for (const path of [`/$/inet/127.0.0.1/${target.port}`, "/#/io.l5d.fs/other"]) {
      const sy = await startSwitchyard(config(dir, kind, path));
      try {
        const r = await curl(["-H", "Host: web", `http://${sy.proxy()}/x`]);
        assertEquals(r.status, 200);
        const j = JSON.parse(r.body);
        assertEquals(j.name, "target");
        assertEquals(j.headers["l5d-dst-client"], `/%/${kind}${path}`);
        const absent = await curl(["-H", "Host: absent", `http://${sy.proxy()}/x`]);
        if (kind === "io.l5d.replace") {
          // Neg stays Neg: the fs namer has no `absent` (Linkerd's "No hosts are available").
          assertEquals(absent.status, 502);
          assertStringIncludes(absent.headers.get("l5d-err") ?? "", "absent");
        } else {
          assertEquals(absent.status, 200); // const ignores the name altogether
          assertEquals(JSON.parse(absent.body).name, "target");
        }
      } finally {
        await sy.stop();
      }
    }
    assertEquals(named.seen.length, 0, "nothing reached the name's own endpoint");
    await named.close();
    await target.close();
  });
}

// namer.md: a namer's `transformers` are "A list of transformers to apply to the resolved
// addresses", of any kind (Linkerd's NamerConfig.mk wraps each around the namer); replace and
// const bind their path with no dtab, as in a router's interpreter.
for (const kind of ["io.l5d.replace", "io.l5d.const"]) {
  Deno.test(`transformers: ${kind} in a namer's transformers applies to that namer's names`, async () => {
    const named = startUpstream("named");
    const target = startUpstream("target");
    const dir = await fsNamerDir({ web: named.fsLine + "\n" });
    const path = `/$/inet/127.0.0.1/${target.port}`;
    const sy = await startSwitchyard(`
admin: {port: 0}
namers:
- kind: io.l5d.fs
  rootDir: ${dir}
  transformers: [{kind: ${kind}, path: ${path}}]
routers: [{protocol: http, dtab: /svc => /#/io.l5d.fs;, servers: [{port: 0}]}]
`);
    try {
      const r = await curl(["-H", "Host: web", `http://${sy.proxy()}/x`]);
      assertEquals(r.status, 200, r.body);
      const j = JSON.parse(r.body);
      assertEquals(j.name, "target");
      assertEquals(j.headers["l5d-dst-client"], `/%/${kind}${path}`);
      const absent = await curl(["-H", "Host: absent", `http://${sy.proxy()}/x`]);
      assertEquals(absent.status, kind === "io.l5d.replace" ? 502 : 200, absent.body);
    } finally {
      await sy.stop();
      await named.close();
      await target.close();
    }
    assertEquals(named.seen.length, 0, "nothing reached the name's own endpoint");
  });
}
