import { assert, assertEquals, assertStringIncludes } from "../../tests/support/assert.ts";
import { BadDtab } from "../core/errors.ts";
import {
  dentryOffsets,
  lookup,
  parseDentry,
  parseDtab,
  parseNameTree,
  parsePrefix,
  prefixMatches,
  showDentry,
  showDtab,
} from "./dtab.ts";
import { showTree } from "./name_tree.ts";
import { parsePath, showPath } from "./path.ts";

function errorOf(f: () => unknown): Error {
  try {
    f();
  } catch (e: unknown) {
    assert(e instanceof BadDtab, "expected BadDtab");
    return e;
  }
  throw new Error("did not throw");
}

const lk = (dtab: string, path: string) =>
  showTree(lookup(parseDtab(dtab), parsePath(path)), showPath);

Deno.test("parseDtab() accepts comments, free whitespace and a trailing ';'", () => {
  const d = parseDtab(`
    # the k8s mesh
    /srv        => /#/io.l5d.k8s/default/http ;  # services
    /host       => /srv ;
    /svc/*      => /host ;
  `);
  assertEquals(showDtab(d), "/srv=>/#/io.l5d.k8s/default/http;/host=>/srv;/svc/*=>/host");
  assertEquals(parseDtab(""), []);
  assertEquals(parseDtab("  # only a comment"), []);
  assertEquals(showDtab(parseDtab("/#foo=>/srv#/x")), "/#foo=>/srv#/x"); // '#' inside labels
});

Deno.test("parseNameTree() binds & tighter than | and reads weights", () => {
  const t = parseNameTree("/a & 2 * /b | .5 * /c & 1.5*/d | ( /e | ~ ) & !");
  assertEquals(showTree(t, showPath), "/a & 2.00*/b | 0.50*/c & 1.50*/d | (/e | ~) & !");
  assert(t.type === "alt" && t.trees.length === 3);
  const u = t.trees[1]!;
  assert(u.type === "union");
  assertEquals(u.trees.map((w) => w.weight), [0.5, 1.5]);
  assertEquals(parseNameTree("$").type, "empty");
  assertEquals(parseNameTree("/$/nil").type, "leaf"); // a path, not the empty tree
});

Deno.test("parseDtab() errors say what was expected, and where", () => {
  assertEquals(
    errorOf(() => parseDtab("/a => /b;\n/c => ")).message,
    "name (a path, '!', '~', '$' or '(') expected but end of input found at " +
      "'/a => /b;\n/c => []' (offset 16, line 2, column 7)",
  );
  assertStringIncludes(errorOf(() => parseDtab(";")).message, "'/' expected but ';' found");
  assertStringIncludes(errorOf(() => parseDtab("/a=>/b;;/c=>/d")).message, "offset 7");
  assertStringIncludes(errorOf(() => parseDtab("/a = > /b")).message, "'>' expected");
  assertStringIncludes(
    errorOf(() => parseDtab("/a => /b/*")).message,
    "label char expected but '*'",
  );
  assertStringIncludes(errorOf(() => parseDentry("/foo/*bar => !")).message, "'=' expected");
  assertStringIncludes(errorOf(() => parseNameTree("(/a | /b")).message, "')' expected");
  assertStringIncludes(errorOf(() => parseNameTree("1.2.3 * /a")).message, "number char");
  assertStringIncludes(errorOf(() => parseNameTree(". * /a")).message, "weight expected");
  assertStringIncludes(errorOf(() => parseNameTree("2 /a")).message, "'*' expected");
});

Deno.test("showDentry() and showDtab() are canonical: show(parse(show(x))) == show(x)", () => {
  assertEquals(
    showDentry(parseDentry("/a/* => 1 * /b & 0.25 * (/c | /d)")),
    "/a/*=>/b & 0.25*(/c | /d)",
  );
  const text = "/a=>/b | /c;/d/*/e=>!;/\\x78\\x20\\x79=>~;/=>$";
  assertEquals(showDtab(parseDtab(text)), text);
  assertEquals(showDtab(parseDtab(showDtab(parseDtab(text)))), text);
});

Deno.test("prefixMatches() matches labels and * one segment at a time", () => {
  assert(prefixMatches(parsePrefix("/a/*/c"), ["a", "b", "c", "d"]));
  assert(!prefixMatches(parsePrefix("/a/*/c"), ["a", "b"]));
  assert(!prefixMatches(parsePrefix("/a/*/c"), ["a", "b", "x"]));
  assert(prefixMatches(parsePrefix("/"), []));
});

Deno.test("lookup() scans bottom to top and makes every match a candidate", () => {
  assertEquals(
    lk("/iceCreamStore => /smitten; /iceCreamStore => /humphrys", "/iceCreamStore"),
    "/humphrys | /smitten",
  );
  assertEquals(lk("/foo/bar=>/xxx;/foo=>/yyy", "/foo/bar/baz"), "/yyy/bar/baz | /xxx/baz");
  assertEquals(lk("/foo/bar => /xxx|/yyy&/zzz", "/foo/bar/baz"), "/xxx/baz | /yyy/baz & /zzz/baz");
  assertEquals(lk("/http/1.1/GET/* => /smitten", "/http/1.1/GET/icecream/x"), "/smitten/x");
  assertEquals(lk("/a => /b", "/c"), "~");
  assertEquals(lk("/a => !", "/a/b"), "!");
});

Deno.test("lookup() returns the dst itself when nothing is left to append", () => {
  const d = parseDtab("/svc => /a | /b");
  assertEquals(lookup(d, ["svc"]), d[0]!.dst);
});

Deno.test("dentryOffsets() finds where each dentry starts, past comments and blank lines", () => {
  const text = "# base\n/svc => /#/io.l5d.fs;\n\n  /svc/a => /b | /c; /svc/d=>/e;\n";
  const offsets = dentryOffsets(text);
  assertEquals(offsets.map((o) => text.slice(o, o + 6)), ["/svc =", "/svc/a", "/svc/d"]);
  assertEquals(offsets.length, parseDtab(text).length);
  assertEquals(dentryOffsets(""), []);
});
