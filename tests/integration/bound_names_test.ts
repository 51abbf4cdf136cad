/**
 * `/bound-names.json` of the real process: as Linkerd's BoundNamesHandler, what the enumerating
 * namers can enumerate (an `io.l5d.fs` namer: each file and directory under its `rootDir`,
 * under its `prefix`), from the start, whatever traffic there has been, following the directory.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, fsNamerDir, startUpstream } from "../support/upstream.ts";

Deno.test("bound-names: every name the fs namers can enumerate, before and regardless of traffic", async () => {
  const up = startUpstream("up");
  const dir = await fsNamerDir({ a: up.fsLine, b: up.fsLine });
  await Deno.mkdir(`${dir}/team`);
  await Deno.writeTextFile(`${dir}/team/api`, up.fsLine);
  const other = await fsNamerDir({ x: up.fsLine });
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers:
- {kind: io.l5d.fs, rootDir: ${dir}}
- {kind: io.l5d.fs, rootDir: ${other}, prefix: /disco}
routers:
- protocol: http
  label: outgoing
  dtab: |
    /svc => /#/io.l5d.fs;
    /svc/direct => /$/inet/127.0.0.1/${up.port};
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  const names = async () => {
    const r = await curl([`${sy.admin}/bound-names.json`]);
    assertEquals(r.status, 200);
    assertEquals(r.headers.get("content-type"), "application/json");
    return JSON.parse(r.body) as string[];
  };
  try {
    const all = ["/#/disco/x", "/#/io.l5d.fs/a", "/#/io.l5d.fs/b", "/#/io.l5d.fs/team"];
    assertEquals(await names(), all, "before any request");

    // Traffic does not add the clients it used (/$/inet is not an enumerating namer).
    for (const host of ["a", "direct"]) {
      const r = await curl(["-H", `Host: ${host}`, `http://${sy.proxy()}/`]);
      assertEquals(r.status, 200, r.body);
    }
    assertEquals(await names(), all, "after traffic");

    // The list follows the directory.
    await Deno.writeTextFile(`${dir}/c`, up.fsLine);
    await Deno.remove(`${dir}/b`);
    const want = ["/#/disco/x", "/#/io.l5d.fs/a", "/#/io.l5d.fs/c", "/#/io.l5d.fs/team"];
    let last: string[] = [];
    assert(
      await eventually(async () => JSON.stringify(last = await names()) === JSON.stringify(want)),
      JSON.stringify(last),
    );
  } finally {
    await sy.stop();
    await up.close();
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(other, { recursive: true });
  }
});
