import { assertEquals, assertStringIncludes } from "../../tests/support/assert.ts";
import { BadDtab } from "../core/errors.ts";
import { parsePath, showLabel, showPath } from "./path.ts";

function errorOf(s: string): Error {
  try {
    parsePath(s);
  } catch (e: unknown) {
    return e as Error;
  }
  throw new Error(`parsePath(${JSON.stringify(s)}) did not throw`);
}

Deno.test("parsePath() reads labels, the empty path and surrounding whitespace", () => {
  assertEquals(parsePath("/"), []);
  assertEquals(parsePath("  /svc/hello:7777  "), ["svc", "hello:7777"]);
  assertEquals(parsePath("/#/io.l5d.fs/a_b-c%$"), ["#", "io.l5d.fs", "a_b-c%$"]);
});

Deno.test("parsePath() decodes \\xHH escapes in either case, as UTF-8", () => {
  assertEquals(parsePath("/\\x66\\x6f\\x6F"), ["foo"]);
  assertEquals(parsePath("/a\\x20b"), ["a b"]);
  assertEquals(parsePath("/\\xc3\\xa9t\\xc3\\xa9"), ["été"]);
});

Deno.test("parsePath() errors read like Finagle's and give offset, line and column", () => {
  const e = errorOf("/foo/bar/");
  assertEquals(e instanceof BadDtab, true);
  assertEquals(
    e.message,
    "label char expected but end of input found at '/foo/bar/[]' (offset 9, line 1, column 10)",
  );
  assertStringIncludes(errorOf("/foo^bar").message, "'/foo[^]bar'");
  assertStringIncludes(errorOf("").message, "'/' expected but end of input found");
  assertStringIncludes(errorOf("/\\x0?").message, "hex char expected but '?' found");
  assertStringIncludes(errorOf("/\\?").message, "'x' expected");
  assertStringIncludes(errorOf("\n /a b").message, "(offset 5, line 2, column 5)");
});

Deno.test("showLabel() escapes every byte of a label holding a non-showable char", () => {
  assertEquals(showLabel("hello:7777"), "hello:7777");
  assertEquals(showLabel("a b"), "\\x61\\x20\\x62");
  assertEquals(showLabel("*"), "\\x2a");
  assertEquals(showLabel("é"), "\\xc3\\xa9");
});

Deno.test("showPath() is canonical and parsePath() reads it back", () => {
  assertEquals(showPath([]), "/");
  for (const p of [["svc", "a b"], ["x", "é", "*"], ["$", "inet", "127.0.0.1", "80"]]) {
    assertEquals(parsePath(showPath(p)), p);
  }
  assertEquals(showPath(parsePath("/\\x66oo")), "/foo");
});
