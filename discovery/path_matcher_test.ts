import { assertEquals } from "../tests/support/assert.ts";
import { compilePathMatcher, substituteVars } from "./path_matcher.ts";

// Cases ported from L1 finagle/buoyant/src/test/.../PathMatcherTest.scala.
const p = (s: string) => s.split("/").filter((l) => l !== "");
const extract = (pattern: string, path: string) => compilePathMatcher(pattern).extract(p(path));

Deno.test("compilePathMatcher() matches exactly and as a prefix", () => {
  assertEquals(extract("/foo/bar", "/foo/bar"), new Map());
  assertEquals(extract("/foo/bar", "/foo/bar/bas"), new Map());
  assertEquals(extract("/foo/bar", "/foo/goo"), undefined);
  assertEquals(extract("/foo/bar", "/foo"), undefined);
});

Deno.test("compilePathMatcher() handles wildcards and captures", () => {
  assertEquals(extract("/foo/*/*", "/foo/hi/there"), new Map());
  assertEquals(extract("/foo/{A}", "/foo/bar/bas"), new Map([["A", "bar"]]));
  assertEquals(extract("/foo/{A_B_C}", "/foo/bar/bas"), new Map([["A_B_C", "bar"]]));
  assertEquals(extract("/foo/bar/{A}:http", "/foo/bar/bas:http"), new Map([["A", "bas"]]));
  assertEquals(
    extract("/foo/{A}/*/{B}", "/foo/boo/bar/bas"),
    new Map([["A", "boo"], ["B", "bas"]]),
  );
});

Deno.test("compilePathMatcher() captures parts of a segment greedily", () => {
  assertEquals(
    extract("/foo/bar/{A}.com/{B}", "/foo/bar/foo.com/80"),
    new Map([["A", "foo"], ["B", "80"]]),
  );
  assertEquals(
    extract("/foo/bar/{A}.{B}.{C}/{D}", "/foo/bar/www.foo.com/80"),
    new Map([["A", "www"], ["B", "foo"], ["C", "com"], ["D", "80"]]),
  );
  assertEquals(
    extract("/foo/bar/{A}-{B}", "/foo/bar/foo-bar-baz"),
    new Map([["A", "foo-bar"], ["B", "baz"]]),
  );
});

Deno.test("compilePathMatcher() fails captures that do not fit", () => {
  assertEquals(extract("/foo/{A}/bar", "/foo/bar/bad"), undefined);
  assertEquals(extract("/foo/{A}:http", "/foo/bar/bas:http"), undefined);
  assertEquals(extract("/{A}.com", "/x.com.evil"), undefined); // anchored (deviation)
});

Deno.test("compilePathMatcher() treats $ and other label characters literally", () => {
  assertEquals(extract("/$/{A}", "/$/inet"), new Map([["A", "inet"]]));
  assertEquals(extract("/a$/{A}", "/ab/x"), undefined);
});

Deno.test("substituteVars() replaces known variables only", () => {
  const vars = compilePathMatcher("/foo/{A}/*/{B}").extract(p("/foo/boo/bar/bas"));
  assertEquals(substituteVars(vars ?? new Map(), "/{A}/and/{B}"), "/boo/and/bas");
  assertEquals(substituteVars(new Map(), "/{A}"), "/{A}");
});
