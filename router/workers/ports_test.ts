import { assert, assertEquals } from "../../tests/support/assert.ts";
import { parseConfig } from "../config/mod.ts";
import { applyPorts, choosePorts } from "./ports.ts";

const YAML = `
routers:
- protocol: http
  label: a
  dtab: /svc => /$/inet/127.0.0.1/1;
  servers: [{port: 0}, {port: 4999}]
`;

Deno.test("choosePorts() fixes every port 0 once and keeps it across reloads", () => {
  const parsed = parseConfig(YAML, "<test>");
  assert(parsed.ok);
  const first = choosePorts(parsed.config);
  assertEquals(first.length, 1);
  assertEquals(first[0]!.label, "a");
  assertEquals(first[0]!.index, 0);
  assert(first[0]!.port > 0);
  assertEquals(choosePorts(parsed.config, first), first);
  const applied = applyPorts(parsed.config, first);
  assertEquals(applied.routers[0]!.servers.map((s) => s.port), [first[0]!.port, 4999]);
});
