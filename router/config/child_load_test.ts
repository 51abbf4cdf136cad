import { assert, assertEquals, assertStringIncludes } from "../../tests/support/assert.ts";
import {
  childEntry,
  configChildCommand,
  configLoader,
  parentRunFlags,
  type ProcessFacts,
} from "./child_load.ts";
import { configJsonArgs } from "./config_json_main.ts";
import { decodeConfigJson } from "./config_json.ts";
import { demoConfigYaml } from "./demo_config.ts";
import { formatIssue } from "./issues.ts";
import { loadConfigFile, parseConfig } from "./load.ts";

const MAIN = new URL("../../main.ts", import.meta.url).href;
const COMPAT = new URL("../../../shared/compat/linkerd-configs/", import.meta.url);

Deno.test("parentRunFlags() keeps the parent's deno run flags and drops inspector, profiler and V8 flags", () => {
  const main = "file:///w/main.ts";
  assertEquals(
    parentRunFlags(
      ["deno", "run", "-A", "--inspect=127.0.0.1:9229", "main.ts", "serve", "x"],
      main,
      "/w",
    ),
    ["-A"],
  );
  assertEquals(
    parentRunFlags(
      [
        "/bin/deno",
        "run",
        "--allow-read=/etc",
        "--unstable-net",
        "--v8-flags=--max-old-space-size=64",
        "--cpu-prof",
        "--cpu-prof-dir",
        "/tmp/p",
        "-c",
        "deno.json",
        "/w/main.ts",
        "serve",
      ],
      main,
      "/",
    ),
    ["--allow-read=/etc", "--unstable-net", "-c", "deno.json"],
  );
  // `deno main.ts` without `run`, and a script given as a URL.
  assertEquals(parentRunFlags(["deno", "-A", "file:///w/main.ts"], main, "/x"), ["-A"]);
  // Not a run of the main module (deno test, another script): no flags to copy.
  assertEquals(parentRunFlags(["deno", "test", "-A", "--parallel"], main, "/w"), undefined);
  assertEquals(parentRunFlags(["deno", "run", "-A", "other.ts"], main, "/w"), undefined);
});

Deno.test("configChildCommand() runs the binary itself when standalone, else deno run ENTRY", () => {
  const facts: ProcessFacts = {
    standalone: false,
    execPath: "/usr/bin/deno",
    mainModule: "file:///w/main.ts",
    argv: ["/usr/bin/deno", "run", "-A", "--unstable-net", "main.ts", "serve", "l5d.yaml"],
    cwd: "/w",
    permissionFlags: ["--allow-read"],
  };
  const cli = { cli: "file:///w/main.ts" };
  assertEquals(configChildCommand(cli, facts, ["-", "--name", "l5d.yaml"]), {
    command: "/usr/bin/deno",
    args: [
      "run",
      "-A",
      "--unstable-net",
      "file:///w/main.ts",
      "config-json",
      "-",
      "--name",
      "l5d.yaml",
    ],
  });
  const direct = { direct: "file:///w/router/config/config_json_main.ts" };
  assertEquals(configChildCommand(direct, facts, ["-"]).args, [
    "run",
    "-A",
    "--unstable-net",
    "file:///w/router/config/config_json_main.ts",
    "-",
  ]);
  // Not a `deno run` of the main module (deno test): the granted permissions.
  const test = { ...facts, argv: ["/usr/bin/deno", "test", "-A"], mainModule: "file:///t.ts" };
  assertEquals(configChildCommand(cli, test, ["-"]).args, [
    "run",
    "--no-prompt",
    "--allow-read",
    "file:///w/main.ts",
    "config-json",
    "-",
  ]);
  const standalone = { ...facts, standalone: true, execPath: "/bin/sy" };
  assertEquals(configChildCommand(direct, standalone, ["-"]), {
    command: "/bin/sy",
    args: ["config-json", "-"],
  });
});

Deno.test("childEntry() runs config_json_main.ts from source and the CLI from a bundle", () => {
  assertEquals(childEntry("file:///w/main.ts", "file:///w/router/config/child_load.ts"), {
    direct: "file:///w/router/config/config_json_main.ts",
  });
  assertEquals(childEntry("file:///d/switchyard.js", "file:///d/switchyard.js"), {
    cli: "file:///d/switchyard.js",
  });
});

Deno.test("configJsonArgs() reads FILE|- [--name NAME]", () => {
  assertEquals(configJsonArgs(["a.yaml"]), { path: "a.yaml" });
  assertEquals(configJsonArgs(["-", "--name", "l5d.yaml"]), { path: "-", name: "l5d.yaml" });
  assertEquals(configJsonArgs(["-", "--name=l5d.yaml"]), { path: "-", name: "l5d.yaml" });
  assert("error" in configJsonArgs([]));
  assert("error" in configJsonArgs(["-", "--bogus"]));
});

async function withFile<T>(text: string, fn: (path: string) => Promise<T>): Promise<T> {
  const path = await Deno.makeTempFile({ suffix: ".yaml" });
  try {
    await Deno.writeTextFile(path, text);
    return await fn(path);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("configLoader().load() validates in a child and equals the in-process parse", async () => {
  const loader = configLoader({ entry: MAIN, inProcess: false });
  assertEquals(loader.mode, "child");
  const dir = await Deno.makeTempDir();
  try {
    const demo = demoConfigYaml({
      routerPort: 4140,
      adminPort: 9990,
      rootDir: dir,
      ip: "127.0.0.1",
    });
    const compat = await Deno.readTextFile(new URL("linkerd--l5d-config.yaml", COMPAT));
    for (const text of [demo, compat]) {
      await withFile(text, async (path) => {
        const child = await loader.load(path);
        const inProcess = await loadConfigFile(path);
        assert(child.ok, JSON.stringify(child.ok ? [] : child.errors.map(formatIssue)));
        assertEquals(child, inProcess);
        assertEquals(JSON.stringify(child), JSON.stringify(inProcess));
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("configLoader().load() reports errors at file:line:column, as in-process", async () => {
  const loader = configLoader({ entry: MAIN, inProcess: false });
  const text = "routers:\n- protocol: http\n  servers:\n  - port: nope\n  dtab: /svc => ;\n";
  await withFile(text, async (path) => {
    const child = await loader.load(path);
    assert(!child.ok);
    const inProcess = await loadConfigFile(path);
    assert(!inProcess.ok);
    assertEquals(child.errors.map(formatIssue), inProcess.errors.map(formatIssue));
    assertStringIncludes(formatIssue(child.errors[0]!), `${path}:4:`);
  });
  const missing = await loader.load("/definitely/not/here.yaml");
  const inProcess = await loadConfigFile("/definitely/not/here.yaml");
  assertEquals(missing, inProcess);
});

Deno.test("configLoader().parse() reports a validator that cannot run as a config error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cli = new URL(`file://${dir}/missing.ts`).href;
    const r = await configLoader({ child: { cli }, inProcess: false }).parse(
      "routers: []",
      "x.yaml",
    );
    assert(!r.ok);
    assertEquals(r.errors.length, 1);
    assertStringIncludes(formatIssue(r.errors[0]!), "x.yaml:1:1: the config validator");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("configLoader({inProcess: true}) parses without a child", async () => {
  const loader = configLoader({ inProcess: true });
  assertEquals(loader.mode, "in-process");
  const text =
    "routers:\n- protocol: http\n  dtab: /svc => /$/inet/127.1/1;\n  servers: [{port: 0}]\n";
  assertEquals(await loader.parse(text, "a.yaml"), parseConfig(text, "a.yaml"));
});

Deno.test("switchyard config-json prints one JSON document and exits 0 or 1", async () => {
  const run = async (path: string, stdin?: string) => {
    const args = ["run", "-A", MAIN, "config-json", path];
    if (stdin !== undefined) args.push("--name", "piped.yaml");
    const child = new Deno.Command(Deno.execPath(), {
      args,
      stdin: stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    if (stdin !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(stdin));
      await w.close();
    }
    const out = await child.output();
    const text = new TextDecoder().decode(out.stdout);
    assertEquals(text.trimEnd().split("\n").length, 1, text);
    return { code: out.code, doc: decodeConfigJson(text) as Record<string, unknown> };
  };
  await withFile(
    "routers:\n- protocol: http\n  dtab: /svc => /#/io.l5d.fs;\n  servers: [{port: 0}]\n",
    async (path) => {
      const ok = await run(path);
      assertEquals(ok.code, 0);
      assertEquals(ok.doc.ok, true);
      assertEquals(ok.doc.file, path);
      assert(!("text" in ok.doc));
    },
  );
  const bad = await run("-", "routers:\n- protocol: thrift\n");
  assertEquals(bad.code, 1);
  assertEquals(bad.doc.ok, false);
  assertEquals(bad.doc.file, "piped.yaml");
  const [issue] = bad.doc.errors as Parameters<typeof formatIssue>[0][];
  assertStringIncludes(formatIssue(issue!), "piped.yaml:2:13: routers[0].protocol");
});
