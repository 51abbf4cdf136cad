import { assertEquals } from "../../tests/support/assert.ts";
import { parseNameTree } from "./dtab.ts";
import {
  alt,
  EMPTY,
  evalTree,
  FAIL,
  leaf,
  mapTree,
  NEG,
  showTree,
  simplify,
  union,
  weighted,
} from "./name_tree.ts";
import { showPath } from "./path.ts";
import type { NameTree, Path } from "./types.ts";

const show = (t: NameTree<Path>) => showTree(t, showPath);
const a = leaf(["a"]);
const b = leaf(["b"]);
const c = leaf(["c"]);

Deno.test("showTree() parenthesises like Finagle: & inside | needs none, | inside & does", () => {
  assertEquals(show(alt(union(weighted(1, a), weighted(1, b)), c)), "/a & /b | /c");
  assertEquals(show(union(weighted(1, alt(a, b)), weighted(1, c))), "(/a | /b) & /c");
  assertEquals(show(alt(alt(a, b), c)), "(/a | /b) | /c");
  assertEquals(
    show(union(weighted(1, union(weighted(1, a), weighted(1, b))), weighted(1, c))),
    "(/a & /b) & /c",
  );
  assertEquals(show(alt(a)), "/a");
  assertEquals(show(union(weighted(3, alt(a, b)))), "/a | /b");
  assertEquals(show(alt(NEG, FAIL, EMPTY)), "~ | ! | $");
});

Deno.test("showTree() omits weight 1.0 and shows others as Java %.2f", () => {
  const w = (x: number) => show(union(weighted(x, a), weighted(1, b)));
  assertEquals(w(1), "/a & /b");
  assertEquals(w(2), "2.00*/a & /b");
  assertEquals(w(0.5), "0.50*/a & /b");
  assertEquals(w(0), "0.00*/a & /b");
  assertEquals(w(1.005), "1.01*/a & /b"); // HALF_UP on the decimal form, as the JVM does
  assertEquals(w(0.125), "0.13*/a & /b");
  assertEquals(w(9.999), "10.00*/a & /b");
  assertEquals(w(1e-9), "0.00*/a & /b");
  assertEquals(w(1e21), "1000000000000000000000.00*/a & /b");
});

Deno.test("simplify() drops negatives, stops alts at a failure and collapses single children", () => {
  assertEquals(show(simplify(parseNameTree("~ | /a | ! | /b"))), "/a | !");
  assertEquals(show(simplify(parseNameTree("/a & ~ & ! & $"))), "/a & $");
  assertEquals(simplify(parseNameTree("~ & !")), NEG);
  assertEquals(simplify(alt()), NEG);
  assertEquals(simplify(union()), NEG);
  assertEquals(simplify(parseNameTree("(((/a)))")), a);
  const t = parseNameTree("~ | (2 * /a & ~) | /b");
  assertEquals(simplify(simplify(t)), simplify(t));
});

Deno.test("evalTree() returns the leaves reached, or null when negative or failing", () => {
  const ev = (s: string) => {
    const r = evalTree(parseNameTree(s));
    return r === null ? null : [...r].map(showPath).sort();
  };
  assertEquals(ev("~ | /foo | /bar"), ["/foo"]);
  assertEquals(ev("/a & ~ & /b & $"), ["/a", "/b"]);
  assertEquals(ev("! | /ok"), null);
  assertEquals(ev("/ok & !"), ["/ok"]);
  assertEquals(ev("~ | $ | /x"), []);
  assertEquals(ev("~ & ~"), null);
});

Deno.test("mapTree() keeps the shape and weights", () => {
  const t = parseNameTree("2 * /a & /b | ~");
  assertEquals(show(mapTree(t, (p) => [...p, "x"])), "2.00*/a/x & /b/x | ~");
});
