/**
 * Linkerd 1.x `linkerd/docs/interpreter.md` against the real process: `kind` defaults to
 * `default` (configured namers, then Finagle's `/$/` names), `transformers` on any interpreter,
 * `io.l5d.fs` with a `dtabFile` relative to the start path, the page's `io.l5d.k8s.configMap`
 * example with its `namespace` default, the page's `io.l5d.consul.interpreter` example, and the
 * namerd kinds (refused on purpose, naming the kind). Deeper behaviour of the dtab-reading
 * interpreters is in `interpreter_fs_test.ts`, `interpreter_configmap_test.ts` and
 * `interpreter_consul_test.ts`.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { ROOT, runCli, type Running, startSwitchyard } from "../support/switchyard.ts";
import { curl, eventually, fsNamerDir, startUpstream } from "../support/upstream.ts";
import { startFakeK8sApi } from "../../discovery/k8s/fake_api.ts";
import { relative } from "node:path";

interface Hit {
  status: number;
  name?: string;
  client?: string;
}

async function hit(sy: Running, host: string): Promise<Hit> {
  const r = await curl(["-H", `Host: ${host}`, `http://${sy.proxy()}/`]);
  if (r.status !== 200) return { status: r.status };
  const j = JSON.parse(r.body);
  return { status: 200, name: j.name, client: j.headers["l5d-dst-client"] };
}

async function check(yaml: string): Promise<{ code: number; out: string }> {
  const path = await Deno.makeTempFile({ suffix: ".yaml" });
  await Deno.writeTextFile(path, yaml);
  const r = await runCli("check", path);
  await Deno.remove(path);
  return { code: r.code, out: r.stdout + r.stderr };
}

Deno.test("docs interpreter: the namerd kinds are refused, naming the kind (the page's example)", async () => {
  const kinds: [string, string][] = [
    ["io.l5d.namerd", "    dst: /$/inet/1.2.3.4/4180\n"],
    ["io.l5d.namerd.http", "    experimental: true\n    dst: /$/inet/1.2.3.4/4180\n"],
    ["io.l5d.mesh", "    dst: /$/inet/1.2.3.4/4321\n    root: /default\n"],
  ];
  for (const [kind, keys] of kinds) {
    const r = await check(
      `routers:\n- protocol: http\n  interpreter:\n    kind: ${kind}\n${keys}` +
        `  servers: [{port: 0}]\n`,
    );
    assertEquals(r.code, 1, r.out);
    assertStringIncludes(r.out, `:4:11: routers[0].interpreter.kind: ${kind} is not supported`);
  }
});

Deno.test("docs interpreter: the io.l5d.consul.interpreter example loads (dtab from /namerd/dtabs/<namespace>)", async () => {
  const r = await check(
    "routers:\n- protocol: http\n  interpreter:\n    kind: io.l5d.consul.interpreter\n" +
      "    host: localhost\n    port: 8500\n    namespace: default\n  servers: [{port: 0}]\n",
  );
  assertEquals(r.code, 0, r.out);
  assertStringIncludes(r.out, "dtab from Consul KV /namerd/dtabs/default at localhost:8500");
  const typo = await check(
    "routers:\n- protocol: http\n  interpreter:\n    kind: io.l5d.consul.interpreter\n" +
      "    pathPrefx: /dtabs\n  servers: [{port: 0}]\n",
  );
  assertEquals(typo.code, 1, typo.out);
  assertStringIncludes(typo.out, "pathPrefx");
});

Deno.test("docs interpreter: kind defaults to default (configured namers, then /$/ names); its transformers apply", async () => {
  const fromFs = startUpstream("fs");
  const fromInet = startUpstream("inet");
  const dir = await fsNamerDir({ web: fromFs.fsLine + "\n" });
  const interpreters = [
    "",
    "  interpreter: {}\n",
    "  interpreter: {kind: default}\n",
    `  interpreter:\n    transformers: [{kind: io.l5d.port, port: ${fromInet.port}}]\n`,
  ];
  try {
    for (const interpreter of interpreters) {
      const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  dtab: |
    /svc => /#/io.l5d.fs;
    /svc/pinned => /$/inet/127.0.0.1/${fromInet.port};
${interpreter}  servers: [{ip: 127.0.0.1, port: 0}]
`);
      try {
        const ported = interpreter.includes("io.l5d.port");
        const pfx = ported ? `/%/io.l5d.port/${fromInet.port}` : "";
        assertEquals(await hit(sy, "web"), {
          status: 200,
          name: ported ? "inet" : "fs",
          client: `${pfx}/#/io.l5d.fs/web`,
        }, interpreter);
        assertEquals(await hit(sy, "pinned"), {
          status: 200,
          name: "inet",
          client: `${pfx}/$/inet/127.0.0.1/${fromInet.port}`,
        }, interpreter);
        assertEquals((await hit(sy, "absent")).status, 502, interpreter);
      } finally {
        await sy.stop();
      }
    }
  } finally {
    await fromFs.close();
    await fromInet.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("docs interpreter: io.l5d.fs reads a dtabFile relative to the start path, watched; namers, /$/ names and transformers", async () => {
  const one = startUpstream("one");
  const two = startUpstream("two");
  const base = await Deno.makeTempDir({ prefix: "sy-doc-interp-" });
  await Deno.mkdir(`${base}/disco`);
  await Deno.mkdir(`${base}/cfg/sub`, { recursive: true });
  await Deno.writeTextFile(`${base}/disco/web`, one.fsLine + "\n");
  await Deno.writeTextFile(`${base}/dtab`, "/svc => /#/io.l5d.fs;\n");
  const dtabFile = relative(ROOT, `${base}/dtab`);
  assert(!dtabFile.startsWith("/"), dtabFile);
  const yaml = (interpreter: string) => `
admin: {ip: 127.0.0.1, port: 0}
namers: [{kind: io.l5d.fs, rootDir: ${base}/disco}]
routers:
- protocol: http
${interpreter}  servers: [{ip: 127.0.0.1, port: 0}]
`;
  const missing = await check(yaml("  interpreter: {kind: io.l5d.fs}\n"));
  assertEquals(missing.code, 1, missing.out);
  assertStringIncludes(missing.out, "routers[0].interpreter.dtabFile");
  // Linkerd's config type `File` (FileDeserializer.scala): `<path> is not a file`, at start.
  for (const [file, shown] of [[`${base}/nope.dtab`, "nope.dtab"], [`${base}/disco`, "disco"]]) {
    const refused = await startSwitchyard(
      yaml(`  interpreter: {kind: io.l5d.fs, dtabFile: ${file}}\n`),
    )
      .then(async (sy) => {
        await sy.stop();
        return "started";
      }, (e: unknown) => String(e));
    assertStringIncludes(refused, `routers[0].interpreter.dtabFile: ${file} is not a file`, shown);
  }
  const sy = await startSwitchyard(
    yaml(
      `  interpreter:\n    kind: io.l5d.fs\n    dtabFile: ${dtabFile}\n` +
        `    transformers: [{kind: io.l5d.specificHost, host: 127.0.0.1}]\n`,
    ),
    { configPath: `${base}/cfg/sub/config.yaml` },
  );
  try {
    assertEquals(await hit(sy, "web"), {
      status: 200,
      name: "one",
      client: "/%/io.l5d.specificHost/#/io.l5d.fs/web",
    });
    // "The specified file is watched for changes so that the dtab may be edited live."
    await Deno.writeTextFile(`${base}/dtab`, `/svc => /$/inet/127.0.0.1/${two.port};\n`);
    let last: Hit = { status: 0 };
    assert(
      await eventually(async () => (last = await hit(sy, "web")).name === "two", 5000),
      JSON.stringify(last),
    );
    assertEquals(last.client, `/%/io.l5d.specificHost/$/inet/127.0.0.1/${two.port}`);
  } finally {
    await sy.stop();
    await one.close();
    await two.close();
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("docs interpreter: the page's io.l5d.k8s.configMap example (name dtabs, filename my-dtab) reads namespace default", async () => {
  const api = startFakeK8sApi();
  const up = startUpstream("up");
  api.setConfigMap("default", "dtabs", { "my-dtab": `/svc => /$/inet/127.0.0.1/${up.port};` });
  const sy = await startSwitchyard(`
admin: {ip: 127.0.0.1, port: 0}
routers:
- protocol: http
  interpreter:
    kind: io.l5d.k8s.configMap
    experimental: true
    name: dtabs
    filename: my-dtab
    host: 127.0.0.1
    port: ${api.port}
  servers: [{ip: 127.0.0.1, port: 0}]
`);
  try {
    let last: Hit = { status: 0 };
    assert(
      await eventually(async () => (last = await hit(sy, "web")).name === "up", 5000),
      JSON.stringify(last),
    );
    assert(
      api.requests.some((r) => r.includes("/namespaces/default/configmaps")),
      api.requests.join("\n"),
    );
  } finally {
    await sy.stop();
    await up.close();
    await api.close();
  }
});
