import { assert, assertEquals, assertStringIncludes } from "../../tests/support/assert.ts";
import { checkCommand, summarizeConfig } from "./check.ts";
import { invalidFix } from "./issues.ts";
import { configSchema } from "./schema.ts";

async function run(text: string): Promise<{ code: number; out: string[]; path: string }> {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/linkerd.yaml`;
  try {
    await Deno.writeTextFile(path, text);
    const out: string[] = [];
    const code = await checkCommand(path, (l) => out.push(l));
    return { code, out, path };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("checkCommand() exits 0 with a summary for a valid config", async () => {
  const { code, out, path } = await run(`
namers:
- kind: io.l5d.fs
  rootDir: /tmp
routers:
- protocol: http
  label: outgoing
  dtab: /svc => /#/io.l5d.fs;
  servers: [{ip: 0.0.0.0, port: 4140}]
`);
  assertEquals(code, 0);
  assertStringIncludes(out[0]!, `${path}: ok (config version `);
  assertEquals(out.slice(1), [
    "  admin 127.0.0.1:9990",
    "  router outgoing (http) on 0.0.0.0:4140; identifier io.l5d.header.token; dtab 1 dentry",
    "  namer io.l5d.fs at /#/io.l5d.fs (rootDir /tmp)",
  ]);
});

Deno.test("checkCommand() fails on what serve would refuse anywhere, warns on what this machine lacks", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/bad.dtab`, "# comment\n/svc => => /x;\n");
  const { code, out, path } = await run(`
namers:
- kind: io.l5d.fs
  rootDir: ${dir}/missing
routers:
- protocol: http
  interpreter: {kind: io.l5d.fs, dtabFile: ${dir}/bad.dtab}
  servers:
  - port: 4140
    engine: serve
    tls: {certPath: ${dir}/bad.dtab, keyPath: ${dir}/bad.dtab, requireClientAuth: true}
`);
  assertEquals(code, 1);
  assertEquals(out.length, 4, out.join("\n"));
  assertStringIncludes(
    out[0]!,
    `${path}:7:44: routers[0].interpreter.dtabFile: ${dir}/bad.dtab:2:9: name`,
  );
  assertStringIncludes(
    out[1]!,
    "routers[0].servers[0].tls.requireClientAuth: client certificate checks need engine: raw",
  );
  assertEquals(out[2], `${path}: invalid, 2 errors`);
  assertEquals(out[3], invalidFix(path));
  // Only this machine's lack: a warning, exit 0.
  const ok = await run(`
namers: [{kind: io.l5d.fs, rootDir: ${dir}/missing}]
routers: [{protocol: http, servers: [{port: 0}]}]
`);
  assertEquals(ok.code, 0, ok.out.join("\n"));
  assert(
    ok.out.some((l) =>
      l === `warning: ${ok.path}:2:37: namers[0].rootDir: ${dir}/missing is not a directory here`
    ),
    ok.out.join("\n"),
  );
});

Deno.test("checkCommand() exits 1 and prints every issue", async () => {
  const { code, out, path } = await run(
    "routers:\n- protocol: thrift\n- protocol: http\n  bogus: 1\n  servers: [{port: 0}]\n",
  );
  assertEquals(code, 1);
  assertEquals(out, [
    `${path}:2:13: routers[0].protocol: thrift is not supported (supported protocols: http, h2)`,
    `${path}:4:3: routers[1].bogus: unknown key "bogus"`,
    `${path}: invalid, 2 errors`,
    `  fix: correct each key at the file:line:column above (the README's Configuration lists keys and defaults), then run \`switchyard check ${path}\` again`,
  ]);
});

Deno.test("checkCommand() prints lint warnings and still exits 0", async () => {
  const { code, out } = await run(
    "routers:\n- protocol: http\n  dtab: /svc => /#/io.l5d.k8s;\n  servers: [{port: 0}]\n",
  );
  assertEquals(code, 0);
  assert(out.some((l) => l.startsWith("warning: ") && l.includes("refers to no configured namer")));
});

Deno.test("checkCommand() exits 1 for a missing file", async () => {
  const out: string[] = [];
  assertEquals(await checkCommand("/nonexistent/switchyard.yaml", (l) => out.push(l)), 1);
  assertStringIncludes(out[0]!, "/nonexistent/switchyard.yaml:1:1: cannot read config");
  assertStringIncludes(out[0]!, "fix: pass the path of a Linkerd-style YAML or JSON config file");
});

Deno.test("summarizeConfig() names routers, listeners, namers, telemetry and services", () => {
  const c = configSchema.parse({
    namers: [{ kind: "io.l5d.rewrite", pattern: "/{s}/api", name: "/srv/{s}", prefix: "/api" }],
    routers: [{
      protocol: "http",
      interpreter: { kind: "io.l5d.fs", dtabFile: "d.dtab" },
      servers: [{ port: 1 }, { port: 2, tls: { certPath: "c", keyPath: "k" } }],
    }],
    telemetry: [{ kind: "io.l5d.prometheus" }],
    services: [{ name: "/svc/a", versions: [{ dst: "/#/api/a" }] }],
  });
  assertEquals(summarizeConfig(c), [
    "admin 127.0.0.1:9990",
    "router http (http) on 127.0.0.1:1, 127.0.0.1:2 (tls); identifier io.l5d.header.token; dtab from d.dtab",
    "namer io.l5d.rewrite at /#/api (/{s}/api => /srv/{s})",
    "telemetry io.l5d.prometheus",
    "services /svc/a",
  ]);
});
