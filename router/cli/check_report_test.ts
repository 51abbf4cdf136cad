import { assertEquals } from "../../tests/support/assert.ts";
import { parseConfig } from "../config/mod.ts";
import { reportRouting } from "./check_report.ts";

function run(text: string): { code: number; lines: string[] } {
  const r = parseConfig(text, "l5d.yaml");
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  const lines: string[] = [];
  const code = reportRouting({ config: r.config, text, file: "l5d.yaml" }, (l) => lines.push(l));
  return { code, lines };
}

Deno.test("reportRouting() prints lint warnings at their file position", () => {
  const { code, lines } = run(`namers: [{kind: io.l5d.fs, rootDir: .}]
routers:
- protocol: http
  dtab: |
    /svc => /#/io.l5d.fs;
    /svc => /$/inet/127.0.0.1/80;
  servers: [{port: 0}]
`);
  assertEquals(code, 0);
  assertEquals(lines, [
    "warning: l5d.yaml:5:5: routers[0].dtab: dentry 1 (/svc=>/#/io.l5d.fs) is unreachable: dentry 2 (/svc=>/$/inet/127.0.0.1/80) matches every name it matches and never falls through (its destination cannot be negative)",
  ]);
});

Deno.test("reportRouting() points a dentry's warning at the dentry's own line, in any dtab style", () => {
  const { lines } = run(`namers: [{kind: io.l5d.fs, rootDir: .}]
routers:
- protocol: http
  servers: [{port: 1}]
  dtab: |
    # the base
    /svc => /#/io.l5d.fs;

    /svc/w => 0.9 * /svc/a & 0.3 * /svc/b;
    /svc/x => /bar/x;
- protocol: http
  label: second
  servers: [{port: 2}]
  dtab: "/svc => /#/io.l5d.fs; /svc/y => /$/nosuch/y"
`);
  assertEquals(lines.filter((l) => l.startsWith("warning: ")).map((l) => l.split(" ")[1]), [
    "l5d.yaml:9:5:",
    "l5d.yaml:10:5:",
    "l5d.yaml:14:32:",
  ]);
});

Deno.test("reportRouting() prints each router's dtab with its compiled services", () => {
  // rootDir is not a directory here: no file-system lint (see the fs test below).
  const { code, lines } = run(`namers: [{kind: io.l5d.fs, rootDir: /no/such/dir}]
routers:
- {protocol: http, label: a, dtab: /svc => /#/io.l5d.fs, servers: [{port: 1}]}
- {protocol: http, label: b, dtab: /svc => /#/io.l5d.fs, servers: [{port: 2}]}
services:
- name: /svc/hello
  versions: [{name: v1, dst: /#/io.l5d.fs/hello-v1, weight: 9}, {name: v2, dst: /#/io.l5d.fs/hello-v2}]
  routers: [b]
`);
  assertEquals(code, 0);
  assertEquals(lines, [
    "  router a dtab (its dtab, then 0 service(s)):",
    "    /svc=>/#/io.l5d.fs;",
    "  router b dtab (its dtab, then 1 service(s)):",
    "    /svc=>/#/io.l5d.fs;",
    "    /svc/hello=>9.00*/#/io.l5d.fs/hello-v1 & /#/io.l5d.fs/hello-v2; # services[0] v1 90%, v2 10%",
  ]);
});

Deno.test("reportRouting() fails on a path pattern Hono rejects", () => {
  const { code, lines } = run(`namers: [{kind: io.l5d.fs, rootDir: .}]
routers:
- protocol: http
  dtab: /svc => /#/io.l5d.fs;
  identifier:
    kind: switchyard.routes
    routes:
    - match: {path: "/p/:id{[0-9}"}
      dst: /svc/p
  servers: [{port: 0}]
`);
  assertEquals(code, 1);
  assertEquals(lines.length, 3, lines.join("\n"));
  assertEquals(
    lines[0]!.startsWith(
      "error: l5d.yaml:8:21: routers[0].identifier.routes[0].match.path: bad Hono pattern /p/:id{[0-9}",
    ),
    true,
    lines[0],
  );
  assertEquals(lines[1], "l5d.yaml: invalid, 1 error");
  assertEquals(lines[2]!.startsWith("  fix: correct each key"), true, lines[2]);
});

Deno.test("reportRouting() warns at the dentry's line when an fs name has no file here", () => {
  const dir = Deno.makeTempDirSync({ prefix: "sy-lint-fs-" });
  Deno.writeTextFileSync(`${dir}/hello`, "127.0.0.1 8080\n");
  try {
    const { code, lines } = run(`namers: [{kind: io.l5d.fs, rootDir: ${dir}}]
routers:
- protocol: http
  dtab: |
    /svc => /#/io.l5d.fs;
    /svc/hello => /#/io.l5d.fs/hello;
    /svc/gone => /#/io.l5d.fs/gone;
  servers: [{port: 1}]
`);
    assertEquals(code, 0, "a warning, not an error");
    assertEquals(lines.filter((l) => l.startsWith("warning:")), [
      `warning: l5d.yaml:7:5: routers[0].dtab: /#/io.l5d.fs/gone (in dentry 3 (/svc/gone=>/#/io.l5d.fs/gone)) ` +
      `binds nowhere here: ${dir}/gone does not exist (the io.l5d.fs namer answers neg until it does)`,
    ]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
