import { assertEquals } from "../../tests/support/assert.ts";
import { parseDocument, type Scalar } from "yaml";
import { locate, scalarOffset } from "./yaml_positions.ts";

Deno.test("locate() walks to the node, or as far as the file goes", () => {
  const text = "routers:\n- protocol: h2\n  identifier: {kind: x}\n";
  const doc = parseDocument(text);
  const at = (path: PropertyKey[], atKey = false) => {
    const l = locate(doc, path, { atKey });
    return [text.slice(l.offset, l.offset + 5), l.path.join("."), l.found];
  };
  assertEquals(at(["routers", 0, "protocol"]), ["h2\n  ", "routers.0.protocol", true]);
  assertEquals(at(["routers", 0, "protocol"], true), ["proto", "routers.0.protocol", true]);
  assertEquals(at(["routers", 0, "servers", 0, "port"]), [
    "proto",
    "routers.0.servers.0.port",
    false,
  ]);
  // a single object that zod treated as a one-element list
  assertEquals(at(["routers", 0, "identifier", 0, "kind"]), [
    "x}\n",
    "routers.0.identifier.kind",
    true,
  ]);
});

Deno.test("scalarOffset() maps a value index into plain, quoted and block scalars", () => {
  const cases: [string, number, string][] = [
    ["d: /a => /b\n", 6, "/b"],
    ['d: "/a => /b"\n', 6, "/b"],
    ["d: |\n  /a => /b;\n  /c => /d;\n", 16, "/d"],
    ["d: >-\n  /a => /b;\n  /c => /d;\n", 16, "/d"],
  ];
  for (const [text, index, expected] of cases) {
    const node = parseDocument(text).get("d", true) as Scalar;
    const off = scalarOffset(text, node, index);
    assertEquals(text.slice(off, off + 2), expected, JSON.stringify(text));
  }
});
