import { assert, assertEquals } from "../tests/support/assert.ts";
import { pathEquals, pathKey, pathStartsWith, readPath, showPath } from "./_path.ts";

Deno.test("showPath() joins labels and escapes labels with other characters", () => {
  assertEquals(showPath([]), "/");
  assertEquals(showPath(["#", "io.l5d.fs", "hello"]), "/#/io.l5d.fs/hello");
  assertEquals(showPath(["a b", "ok"]), "/\\x61\\x20\\x62/ok");
});

Deno.test("readPath() parses labels and escapes and rejects bad input", () => {
  assertEquals(readPath("/"), []);
  assertEquals(readPath("/$/inet/127.1/80"), ["$", "inet", "127.1", "80"]);
  assertEquals(readPath("/a\\x20b"), ["a b"]);
  for (const bad of ["a", "/a//b", "/a b", "/a\\x2"]) assert("error" in readPath(bad), bad);
});

Deno.test("pathStartsWith() and pathEquals() compare labels", () => {
  assert(pathStartsWith(["a", "b"], ["a"]));
  assert(pathStartsWith(["a"], []));
  assert(!pathStartsWith(["a"], ["a", "b"]));
  assert(pathEquals(["a"], ["a"]) && !pathEquals(["a"], ["a", "b"]));
  assert(pathKey(["a/b"]) !== pathKey(["a", "b"]));
});
