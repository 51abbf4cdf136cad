/**
 * Black-box tests of the `io.l5d.fs` interpreter (`interpreter: {kind: io.l5d.fs, dtabFile}`)
 * together with a router `dtab`: Linkerd's ConfiguredDtabNamer binds with
 * `fileDtab ++ (routerDtab ++ localDtab)`, so the router's dentries come after the file's and
 * win. Checked through the real process (traffic, error text, `/delegator.json`, hot reload of
 * the dtab file) and the real CLI (`dtab`, `check`).
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { runCli, startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, fsNamerDir, startUpstream } from "../support/upstream.ts";

function config(rootDir: string, dtabFile: string, inetPort: number): string {
  return `
admin: {ip: 127.0.0.1, port: 0}
namers:
- kind: io.l5d.fs
  rootDir: ${rootDir}
routers:
- protocol: http
  label: outgoing
  dtab: /svc/s5 => /$/inet/127.0.0.1/${inetPort};
  interpreter: {kind: io.l5d.fs, dtabFile: ${dtabFile}}
  servers: [{ip: 127.0.0.1, port: 0}]
`;
}

async function cli(...args: string[]): Promise<{ code: number; stdout: string }> {
  const r = await runCli(...args);
  return { code: r.code, stdout: r.stdout + r.stderr };
}

async function fixture() {
  const viaFile = startUpstream("via-file");
  const viaRouter = startUpstream("via-router");
  const dir = await fsNamerDir({ s5: viaFile.fsLine, other: viaFile.fsLine });
  const conf = await Deno.makeTempDir({ prefix: "sy-conf-" });
  const dtabFile = `${conf}/file.dtab`;
  await Deno.writeTextFile(dtabFile, "/svc => /#/io.l5d.fs;\n");
  const cfgPath = `${conf}/switchyard.yaml`;
  await Deno.writeTextFile(cfgPath, config(dir, dtabFile, viaRouter.port));
  return {
    viaFile,
    viaRouter,
    dir,
    conf,
    dtabFile,
    cfgPath,
    async close() {
      await viaFile.close();
      await viaRouter.close();
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(conf, { recursive: true });
    },
  };
}

Deno.test("interpreter io.l5d.fs: the router dtab applies after the file's (traffic, errors, delegator, reload)", async () => {
  const f = await fixture();
  const sy = await startSwitchyard(await Deno.readTextFile(f.cfgPath), {
    configPath: f.cfgPath,
  });
  try {
    const name = async (host: string) => {
      const r = await curl(["-H", `Host: ${host}`, `http://${sy.proxy()}/`]);
      return r.status === 200 ? JSON.parse(r.body).name : `${r.status} ${r.body}`;
    };
    // The router's dentry wins for /svc/s5; other names fall back to the file's.
    assertEquals(await name("s5"), "via-router");
    assertEquals(await name("other"), "via-file");

    // Dtab.base is the router's dtab, as Linkerd's Dst.Path baseDtab (not the file's dentries).
    const miss = await curl(["-H", "Host: nope", `http://${sy.proxy()}/`]);
    assertEquals(miss.status, 502);
    assertEquals(
      miss.body.trim(),
      `No hosts are available for /svc/nope, Dtab.base=[/svc/s5=>/$/inet/127.0.0.1/${f.viaRouter.port}], ` +
        "Dtab.local=[]. Remote Info: Not Available",
    );

    // The delegator (router namespace) delegates with the file's dtab, then the router's.
    const d = JSON.parse(
      (await curl([`${sy.admin}/delegator.json?namespace=outgoing&path=/svc/s5`])).body,
    );
    assertEquals(d.type, "alt", JSON.stringify(d));
    assertEquals(d.alt[0].path, `/$/inet/127.0.0.1/${f.viaRouter.port}`);
    assertEquals(d.alt[1].path, "/#/io.l5d.fs/s5");

    // Hot reload of the dtab file: its new dentries apply, the router's still win.
    await Deno.writeTextFile(
      f.dtabFile,
      `/svc => /#/io.l5d.fs;\n/svc/nope => /$/inet/127.0.0.1/${f.viaRouter.port};\n` +
        "/svc/s5 => /#/io.l5d.fs/other;\n",
    );
    assert(await eventually(async () => await name("nope") === "via-router", 10_000));
    assertEquals(await name("s5"), "via-router");
    assertEquals(await name("other"), "via-file");
  } finally {
    await sy.stop();
    await f.close();
  }
});

Deno.test("interpreter io.l5d.fs: `dtab` and `check` show the file's dentries, then the router's", async () => {
  const f = await fixture();
  try {
    const r = await cli("dtab", f.cfgPath, "/svc/s5");
    assertEquals(r.code, 0, r.stdout);
    const inet = `/$/inet/127.0.0.1/${f.viaRouter.port}`;
    assertStringIncludes(
      r.stdout,
      `├─ ${inet}  ✓ 1 endpoint: 127.0.0.1:${f.viaRouter.port}   via /svc/s5=>${inet}`,
    );
    assertStringIncludes(r.stdout, "└─ /#/io.l5d.fs/s5  ✓ 1 endpoint");
    assertStringIncludes(r.stdout, `→ /svc/s5 binds to ${inet} [1 endpoint] | /#/io.l5d.fs/s5`);

    const c = await cli("check", f.cfgPath);
    assertEquals(c.code, 0, c.stdout);
    assertStringIncludes(c.stdout, `dtab from ${f.dtabFile}, then 1 dentry`);
  } finally {
    await f.close();
  }
});
