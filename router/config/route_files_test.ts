import { assert, assertEquals } from "../../tests/support/assert.ts";
import { formatIssue, parseConfig } from "./mod.ts";
import { configDependencies } from "../snapshot.ts";

function cfg(identifier: string): string {
  return `routers:
- protocol: http
  dtab: /svc => /$/inet/127.0.0.1/1;
  servers: [{port: 0}]
  identifier:
${identifier}
`;
}

Deno.test("routesFile: the table is read from its file, relative to the config, and watched", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/routes.yaml`, "- match: {path: /a/*}\n  dst: /svc/a\n");
  const r = parseConfig(
    cfg("    kind: switchyard.routes\n    routesFile: routes.yaml"),
    `${dir}/l5d.yaml`,
  );
  assert(r.ok, JSON.stringify(!r.ok && r.errors.map(formatIssue)));
  const id = [r.config.routers[0]!.identifier].flat()[0] as {
    routes: { dst: string }[];
    routesFile: string;
  };
  assertEquals([id.routes[0]!.dst, id.routesFile], ["/svc/a", `${dir}/routes.yaml`]);
  assertEquals(configDependencies(r.config), [`${dir}/routes.yaml`]);
  // A mapping with routes: works too.
  await Deno.writeTextFile(`${dir}/m.yaml`, "routes:\n- match: {path: /b/*}\n  dst: /svc/b\n");
  const m = parseConfig(
    cfg("    - kind: switchyard.routes\n      routesFile: m.yaml"),
    `${dir}/l5d.yaml`,
  );
  assert(m.ok, JSON.stringify(!m.ok && m.errors.map(formatIssue)));
});

Deno.test("routesFile: errors are reported at the route file's own line:column", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/routes.yaml`,
    "routes:\n- match: {path: /a/*}\n  dst: /svc/a\n- match: {path: /b/*}\n  dts: /svc/b\n",
  );
  const r = parseConfig(
    cfg("    kind: switchyard.routes\n    routesFile: routes.yaml"),
    `${dir}/l5d.yaml`,
  );
  assert(!r.ok);
  assertEquals(r.errors.map(formatIssue), [
    `${dir}/routes.yaml:4:3: routes[1].dst: required key is missing (expected a string)`,
    `${dir}/routes.yaml:5:3: routes[1].dts: unknown key "dts" (did you mean "dst"?)`,
  ]);
  const missing = parseConfig(
    cfg("    kind: switchyard.routes\n    routesFile: nope.yaml"),
    `${dir}/l5d.yaml`,
  );
  assert(!missing.ok);
  assert(
    formatIssue(missing.errors[0]!).startsWith(
      `${dir}/l5d.yaml:7:17: routers[0].identifier.routesFile: cannot read ${dir}/nope.yaml`,
    ),
    formatIssue(missing.errors[0]!),
  );
  const both = parseConfig(
    cfg("    kind: switchyard.routes\n    routesFile: routes.yaml\n    routes: []"),
    `${dir}/l5d.yaml`,
  );
  assert(!both.ok);
  assert(formatIssue(both.errors[0]!).includes("give routes or routesFile, not both"));
});
