/**
 * Black-box tests of the operator CLI (issue 5): spawn `deno run -A main.ts <command>` against
 * real config files, real fs-namer directories and a running instance, and check what it prints
 * and its exit status.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { MAIN, ROOT, runCli, startSwitchyard } from "../support/switchyard.ts";
import { curl, freePort, fsNamerDir, startUpstream } from "../support/upstream.ts";
import { VERSION } from "../../version.ts";

const sy = runCli;

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

function configYaml(rootDir: string, adminPort = 9990): string {
  return `
admin: {ip: 127.0.0.1, port: ${adminPort}}
namers:
- kind: io.l5d.fs
  rootDir: ${rootDir}
routers:
- protocol: http
  label: edge
  dtab: |
    /svc => /#/io.l5d.fs;
  servers: [{ip: 127.0.0.1, port: 0}]
  identifier:
    kind: switchyard.routes
    routes:
    - match: {method: GET, path: "/api/users/:id{[0-9]+}"}
      dst: /svc/users/{id}
      rewrite: {path: "/v2/users/{id}"}
    - match: {path: /static/*}
      dst: /svc/static
      rewrite: {stripPrefix: /static}
services:
- name: /svc/hello
  versions: [{name: v1, dst: /#/io.l5d.fs/hello-v1, weight: 90}, {name: v2, dst: /#/io.l5d.fs/hello, weight: 10}]
  failover: [/#/io.l5d.fs/hello-east]
`;
}

async function fixture(): Promise<{ dir: string; config: string }> {
  const dir = await fsNamerDir({
    hello: "127.0.0.1 7101\n",
    "hello-east": "127.0.0.1 7102\n",
    users: "127.0.0.1 7103\n",
  });
  await Deno.mkdir(`${dir}/conf`);
  const path = `${dir}/conf/linkerd.yaml`;
  await Deno.writeTextFile(path, configYaml(dir));
  return { dir, config: path };
}

Deno.test("cli: --version prints the version", async () => {
  const r = await sy("--version");
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stdout.trim(), VERSION);
});

Deno.test("cli: every command has help with examples", async () => {
  for (const cmd of ["check", "dtab", "routes", "top", "serve", "demo"]) {
    const r = await sy(cmd, "--help");
    assertEquals(r.code, 0, `${cmd}: ${r.stderr}`);
    assertStringIncludes(r.stdout, `Usage: switchyard ${cmd}`);
    assertStringIncludes(r.stdout, "Examples:\n  switchyard ", `${cmd} --help has no examples`);
    // An example that names a file of this repo names one that exists.
    for (const [path] of r.stdout.matchAll(/\b(?:deploy|router|tests)\/[\w./-]+/g)) {
      assert(await exists(`${ROOT}/${path}`), `${cmd} --help names ${path}, which does not exist`);
    }
  }
  const top = await sy("--help");
  for (const cmd of ["dtab", "routes", "top", "check", "help"]) {
    assertStringIncludes(top.stdout, `  ${cmd} `);
  }
  assertStringIncludes(top.stdout, "Examples:\n  switchyard ", "switchyard --help has no examples");
  // `switchyard help <command>` is that command's help; an unknown one is a usage error
  const help = await sy("help", "dtab");
  assertEquals(help.code, 0, help.stderr);
  assertStringIncludes(help.stdout, "Usage: switchyard dtab");
  assertStringIncludes(help.stdout, "Examples:\n  switchyard ");
  const unknown = await sy("help", "nope");
  assertEquals(unknown.code, 2);
  assertStringIncludes(unknown.stderr, "error: unknown command 'nope'\n  fix: ");
});

Deno.test("cli: a usage error is one line plus the fix; dtab, routes and top exit 2", async () => {
  const { config } = await fixture();
  const cases: [string[], number, string][] = [
    [["routes", config], 2, "error: missing required argument 'method'"],
    [["dtab", config], 2, "error: missing required argument 'path'"],
    [["top", "--bogus"], 2, "error: unknown option '--bogus'"],
    [["check"], 1, "error: missing required argument 'config'"],
  ];
  for (const [args, code, line] of cases) {
    const r = await sy(...args);
    assertEquals(r.code, code, `${args.join(" ")}: ${r.stderr}`);
    assertEquals(r.stderr.trimEnd().split("\n"), [
      line,
      `  fix: run \`switchyard ${args[0]} --help\` for usage and examples`,
    ]);
  }
  const r = await sy("--log-level", "loud", "check", config);
  assertEquals(r.stderr.trimEnd().split("\n").length, 2, r.stderr);
  assertStringIncludes(r.stderr, "fix: run `switchyard --help`");
});

Deno.test("cli: check into a pipe that closes early still exits 0, without a BrokenPipe trace", async () => {
  const { config } = await fixture();
  // `check … | head -1`: head exits after the first line; the later lines meet a closed pipe
  const cmd = `"${Deno.execPath()}" run -A "${MAIN}" check "${config}" | head -1; ` +
    'exit "${PIPESTATUS[0]}"';
  const r = await new Deno.Command("bash", {
    args: ["-c", cmd],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  const stderr = dec.decode(r.stderr);
  assertEquals(r.code, 0, stderr);
  assertStringIncludes(dec.decode(r.stdout), `${config}: ok (config version `);
  assert(!stderr.includes("BrokenPipe"), stderr);
});

Deno.test("cli: check lints and prints each router's compiled dtab", async () => {
  const { dir, config } = await fixture();
  try {
    const r = await sy("check", config);
    assertEquals(r.code, 0, r.stdout + r.stderr);
    assertStringIncludes(r.stdout, `${config}: ok (config version `);
    assertStringIncludes(r.stdout, "router edge dtab (its dtab, then 1 service(s)):");
    assertStringIncludes(
      r.stdout,
      "/svc/hello=>90.00*/#/io.l5d.fs/hello-v1 & 10.00*/#/io.l5d.fs/hello | " +
        "/#/io.l5d.fs/hello-east; # services[0] v1 90%, v2 10%; then failover",
    );
    // A lint: a later dentry that can never be negative hides the earlier one.
    const bad = `${dir}/conf/bad.yaml`;
    await Deno.writeTextFile(
      bad,
      configYaml(dir).replace(
        "/svc => /#/io.l5d.fs;\n",
        "/svc => /#/io.l5d.fs;\n    /svc => /$/inet/127.0.0.1/1;\n",
      ),
    );
    const w = await sy("check", bad);
    assertEquals(w.code, 0);
    assert(
      /warning: .*bad\.yaml:\d+:\d+: routers\[0\]\.dtab: dentry 1 \(\/svc=>\/#\/io\.l5d\.fs\) is unreachable/
        .test(w.stdout),
      w.stdout,
    );
    // A pattern Hono rejects fails the check.
    const broken = `${dir}/conf/broken.yaml`;
    await Deno.writeTextFile(broken, configYaml(dir).replace("[0-9]+}", "[0-9+}"));
    const b = await sy("check", broken);
    assertEquals(b.code, 1, b.stdout);
    assertStringIncludes(b.stdout, "routes[0].match.path: bad Hono pattern");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: dtab draws the delegation tree and exits by whether the name binds", async () => {
  const { dir, config } = await fixture();
  try {
    const r = await sy("dtab", config, "/svc/hello");
    assertEquals(r.code, 0, r.stdout + r.stderr);
    assertStringIncludes(r.stdout, "/svc/hello  alternatives: the first that binds wins");
    assertStringIncludes(
      r.stdout,
      "90 (90%) /#/io.l5d.fs/hello-v1  ✗ neg: namer io.l5d.fs: no such name /#/io.l5d.fs/hello-v1",
    );
    assertStringIncludes(r.stdout, "10 (10%) /#/io.l5d.fs/hello  ✓ 1 endpoint: 127.0.0.1:7101");
    assertStringIncludes(r.stdout, "/#/io.l5d.fs/hello-east  ✓ 1 endpoint: 127.0.0.1:7102");
    assertEquals(r.stdout.includes("\x1b["), false, "no color when not a terminal");
    const over = await sy(
      "dtab",
      config,
      "/svc/hello",
      "--dtab",
      "/svc/hello => /#/io.l5d.fs/users",
    );
    assertEquals(over.code, 0);
    assertStringIncludes(over.stdout, "via /svc/hello=>/#/io.l5d.fs/users");
    const neg = await sy("dtab", config, "/svc/nope");
    assertEquals(neg.code, 1);
    assertStringIncludes(neg.stdout, "→ /svc/nope does not bind (neg)");
    const bad = await sy("dtab", config, "nope");
    assertEquals(bad.code, 2);
    const lines = bad.stderr.trim().split("\n");
    assertEquals(lines.length, 2, bad.stderr);
    assert(lines[0]!.startsWith('error: bad path "nope"'), lines[0]);
    assert(lines[1]!.startsWith("  fix: "), lines[1]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: routes shows the matching route and the name it produces", async () => {
  const { dir, config } = await fixture();
  try {
    const r = await sy("routes", config, "GET", "http://api.test/api/users/42?x=1");
    assertEquals(r.code, 0, r.stdout + r.stderr);
    assertStringIncludes(r.stdout, "✓ routes[0] GET /api/users/:id{[0-9]+}");
    assertStringIncludes(r.stdout, "params id=42");
    assertStringIncludes(r.stdout, "name    /svc/users/42");
    assertStringIncludes(r.stdout, "forward GET /v2/users/42?x=1 (rewritten)");
    const s = await sy("routes", config, "http://web/static/app.js");
    assertEquals(s.code, 0);
    assertStringIncludes(s.stdout, "✗ routes[0] GET /api/users/:id{[0-9]+}  path /static/app.js");
    assertStringIncludes(s.stdout, "forward GET /app.js (rewritten)");
    const miss = await sy("routes", config, "DELETE", "http://web/nothing");
    assertEquals(miss.code, 1);
    assertStringIncludes(miss.stdout, "no identifier names this request");
    const missing = await sy("routes", `${dir}/nope.yaml`, "GET", "http://a/");
    assertEquals(missing.code, 2);
    assertStringIncludes(missing.stderr, "cannot read config");
    assertStringIncludes(missing.stderr, "  fix: ");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: top --once shows per-service RPS, success rate and latency of a running instance", async () => {
  const users = startUpstream("users");
  const dir = await fsNamerDir({ users: users.fsLine });
  const running = await startSwitchyard(configYaml(dir, 0));
  try {
    for (let i = 0; i < 5; i++) {
      assertEquals((await curl([`http://${running.proxy()}/api/users/${i}`])).status, 200);
    }
    // Traffic during top's interval, so RPS is above zero.
    const load = (async () => {
      for (let i = 0; i < 10; i++) {
        await curl([`http://${running.proxy()}/api/users/7`]);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const r = await sy(
      "top",
      "--admin",
      `127.0.0.1:${running.adminPort}`,
      "--interval",
      "1s",
      "--once",
    );
    await load;
    assertEquals(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert(
      lines[0]!.startsWith(`switchyard top — 127.0.0.1:${running.adminPort} — every 1s`),
      lines[0],
    );
    assert(
      /^ROUTER\s+KIND\s+NAME\s+RPS\s+SUCCESS\s+P50 ms\s+P99 ms\s+PENDING\s+REQUESTS$/.test(
        lines[1]!,
      ),
    );
    const row = lines.find((l) => /^edge\s+service\s+\/svc\/users\/7\s/.test(l));
    assert(row !== undefined, r.stdout);
    const cols = row.trim().split(/\s+/);
    assert(Number(cols[3]) > 0, `RPS > 0: ${row}`);
    assertEquals(cols[4], "100.00%");
    assert(lines.some((l) => /^edge\s+client\s+\/#\/io\.l5d\.fs\/users\s/.test(l)), r.stdout);
    const port = freePort();
    const gone = await sy("top", "--admin", `127.0.0.1:${port}`, "--once", "--interval", "100ms");
    assertEquals(gone.code, 1);
    assertStringIncludes(
      gone.stderr,
      `error: cannot read http://127.0.0.1:${port}/admin/metrics.json`,
    );
    assertStringIncludes(gone.stderr, "fix: start switchyard");
    const badInterval = await sy("top", "--interval", "soon", "--once");
    assertEquals(badInterval.code, 2);
  } finally {
    await running.stop();
    await users.close();
    await Deno.remove(dir, { recursive: true });
  }
});
