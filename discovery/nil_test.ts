import { assertEquals } from "../tests/support/assert.ts";
import { EMPTY } from "./_activity.ts";
import { createNilNamer } from "./nil.ts";

Deno.test("createNilNamer() answers the empty tree for any path", () => {
  const namer = createNilNamer();
  assertEquals(namer.lookup([]).get(), EMPTY);
  assertEquals(namer.lookup(["x"]).get(), EMPTY);
});
