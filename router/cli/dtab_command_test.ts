import { assert, assertEquals, assertStringIncludes } from "../../tests/support/assert.ts";
import { runDtab } from "./dtab_command.ts";
import { captureIo } from "./_io_test_util.ts";

async function fixture(): Promise<{ dir: string; config: string }> {
  const dir = await Deno.makeTempDir({ prefix: "sy-dtab-" });
  await Deno.mkdir(`${dir}/disco`);
  await Deno.writeTextFile(`${dir}/disco/hello`, "127.0.0.1 7001\n127.0.0.1 7002\n");
  await Deno.writeTextFile(`${dir}/disco/hello-east`, "127.0.0.1 7003\n");
  await Deno.writeTextFile(`${dir}/disco/empty`, "");
  await Deno.writeTextFile(`${dir}/file.dtab`, "/svc => /#/io.l5d.fs;");
  const config = `${dir}/linkerd.yaml`;
  await Deno.writeTextFile(
    config,
    `
namers: [{kind: io.l5d.fs, rootDir: ${dir}/disco}]
routers:
- protocol: http
  label: out
  dtab: /svc => /#/io.l5d.fs;
  servers: [{port: 0}]
- protocol: http
  label: fromfile
  interpreter: {kind: io.l5d.fs, dtabFile: ${dir}/file.dtab, experimental: true}
  servers: [{port: 0}]
services:
- name: /svc/web
  versions: [{dst: /#/io.l5d.fs/web-v1}]
  failover: [/#/io.l5d.fs/hello-east]
  routers: [out]
`,
  );
  return { dir, config };
}

Deno.test("runDtab() explains a name that binds and exits 0", async () => {
  const { dir, config } = await fixture();
  try {
    const io = captureIo();
    assertEquals(await runDtab(config, "/svc/hello", {}, io), 0, io.errors.join("\n"));
    assertEquals(io.lines, [
      "/svc/hello",
      "└─ /#/io.l5d.fs/hello  ✓ 2 endpoints: 127.0.0.1:7001, 127.0.0.1:7002   via /svc=>/#/io.l5d.fs",
      "→ /svc/hello binds to /#/io.l5d.fs/hello [2 endpoints]",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runDtab() shows compiled services failing over and why the primary is negative", async () => {
  const { dir, config } = await fixture();
  try {
    const io = captureIo();
    assertEquals(await runDtab(config, "/svc/web", {}, io), 0);
    const text = io.lines.join("\n");
    assertStringIncludes(text, "via /svc/web=>/#/io.l5d.fs/web-v1 | /#/io.l5d.fs/hello-east");
    assertStringIncludes(
      text,
      "/#/io.l5d.fs/web-v1  ✗ neg: namer io.l5d.fs: no such name /#/io.l5d.fs/web-v1",
    );
    assertStringIncludes(text, "/#/io.l5d.fs/hello-east  ✓ 1 endpoint: 127.0.0.1:7003");
    assertEquals(io.lines.at(-1), "→ /svc/web binds to /#/io.l5d.fs/hello-east [1 endpoint]");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runDtab() exits 1 for a name that does not bind, or binds to no endpoints", async () => {
  const { dir, config } = await fixture();
  try {
    const neg = captureIo();
    assertEquals(await runDtab(config, "/svc/nope", {}, neg), 1);
    assertEquals(neg.lines.at(-1), "→ /svc/nope does not bind (neg)");
    const empty = captureIo();
    assertEquals(await runDtab(config, "/svc/empty", {}, empty), 1);
    assertEquals(
      empty.lines.at(-1),
      "→ /svc/empty binds to /#/io.l5d.fs/empty [0 endpoints] but has no endpoints",
    );
    // An alternation fails over past the empty branch, as the router does.
    const over = captureIo();
    const dtab = "/svc/empty => /#/io.l5d.fs/empty | /#/io.l5d.fs/hello";
    assertEquals(await runDtab(config, "/svc/empty", { dtab }, over), 0, over.lines.join("\n"));
    assertStringIncludes(over.lines.at(-1)!, "/#/io.l5d.fs/hello [2 endpoints]");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runDtab() applies --dtab like l5d-dtab, --router and the dtab file interpreter", async () => {
  const { dir, config } = await fixture();
  try {
    const io = captureIo();
    const code = await runDtab(config, "/svc/x", {
      dtab: "/svc/x => /#/io.l5d.fs/hello",
      router: "fromfile",
    }, io);
    assertEquals(code, 0, io.errors.join("\n"));
    assertStringIncludes(io.lines.join("\n"), "via /svc/x=>/#/io.l5d.fs/hello");
    const json = captureIo();
    assertEquals(await runDtab(config, "/svc/hello", { json: true }, json), 0);
    const tree = JSON.parse(json.lines.join("\n"));
    assertEquals(tree.delegate.bound.id, "/#/io.l5d.fs/hello");
    // The /delegator.json shape: the root has no dentry key (not "dentry": null).
    assert(!("dentry" in tree), json.lines.join("\n"));
    assertEquals(tree.delegate.dentry, { prefix: "/svc", dst: "/#/io.l5d.fs" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runDtab() reports bad input as one line and a fix, exit 2", async () => {
  const { dir, config } = await fixture();
  try {
    for (
      const [args, problem] of [
        [[config, "svc/x", {}], 'error: bad path "svc/x"'],
        [[config, "/svc/x", { dtab: "/a =>" }], 'error: bad --dtab "/a =>"'],
        [[config, "/svc/x", { router: "zz" }], 'error: no router is labelled "zz"'],
        [[`${dir}/missing.yaml`, "/svc/x", {}], "cannot read config"],
      ] as const
    ) {
      const io = captureIo();
      assertEquals(await runDtab(args[0], args[1], args[2], io), 2);
      assertEquals(io.errors.length, 2, io.errors.join("\n"));
      assertStringIncludes(io.errors[0]!, problem);
      assert(io.errors[1]!.startsWith("  fix: "), io.errors[1]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
