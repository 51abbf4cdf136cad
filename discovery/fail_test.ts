import { assertEquals } from "../tests/support/assert.ts";
import { FAIL } from "./_activity.ts";
import { createFailNamer } from "./fail.ts";

Deno.test("createFailNamer() answers the fail tree for any path", () => {
  const namer = createFailNamer();
  assertEquals(namer.lookup([]).get(), FAIL);
  assertEquals(namer.lookup(["a", "b"]).get(), FAIL);
});
