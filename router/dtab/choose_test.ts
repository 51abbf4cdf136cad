import { assert, assertEquals } from "../../tests/support/assert.ts";
import { mutableVar } from "../core/var.ts";
import type { Addr, Bound } from "../../discovery/types.ts";
import { addrs, boundName } from "./_test_util.ts";
import { chooseLeaf } from "./choose.ts";
import { alt, EMPTY, FAIL, leaf, NEG, union, weighted } from "./name_tree.ts";

const b = (id: string): Bound => boundName(id, mutableVar<Addr>(addrs("127.0.0.1:1")));
const A = b("/#/a");
const B = b("/#/b");
const C = b("/#/c");
const id = (c: ReturnType<typeof chooseLeaf>) => c.type === "leaf" ? c.bound.idStr : c.type;
const seq = (...xs: number[]) => {
  let i = 0;
  return () => xs[i++ % xs.length]!;
};

Deno.test("chooseLeaf() returns the same object for a single leaf (no allocation per call)", () => {
  const t = leaf(A);
  const first = chooseLeaf(t, Math.random);
  assertEquals(id(first), "/#/a");
  assert(chooseLeaf(t, Math.random) === first);
  assert(chooseLeaf(NEG, Math.random) === chooseLeaf(NEG, Math.random));
  assertEquals([NEG, FAIL, EMPTY].map((t) => chooseLeaf(t, Math.random).type), [
    "neg",
    "fail",
    "empty",
  ]);
});

Deno.test("chooseLeaf() picks union branches by weight", () => {
  const t = union(weighted(3, leaf(A)), weighted(1, leaf(B)));
  assertEquals(id(chooseLeaf(t, () => 0)), "/#/a");
  assertEquals(id(chooseLeaf(t, () => 0.74)), "/#/a");
  assertEquals(id(chooseLeaf(t, () => 0.76)), "/#/b");
  const r = seq(...Array.from({ length: 100 }, (_, i) => i / 100));
  const counts: Record<string, number> = {};
  for (let i = 0; i < 100; i++) {
    const k = id(chooseLeaf(t, r));
    counts[k] = (counts[k] ?? 0) + 1;
  }
  assertEquals(counts, { "/#/a": 75, "/#/b": 25 });
});

Deno.test("chooseLeaf() skips negative union branches; an empty one is picked by weight", () => {
  const t = union(weighted(5, NEG), weighted(5, EMPTY), weighted(1, leaf(C)));
  // Finagle's NameTreeFactory: `$` keeps its weight and the request that picks it fails.
  for (const x of [0, 0.3, 0.8]) assertEquals(id(chooseLeaf(t, () => x)), "empty");
  assertEquals(id(chooseLeaf(t, () => 0.99)), "/#/c");
  const nine = union(weighted(9, leaf(A)), weighted(1, EMPTY));
  assertEquals([0, 0.5, 0.89, 0.91].map((x) => id(chooseLeaf(nine, () => x))), [
    "/#/a",
    "/#/a",
    "/#/a",
    "empty",
  ]);
  const dead = (_: Bound) => false; // failover never looks past an empty pick either
  assertEquals(id(chooseLeaf(nine, () => 0.95, dead)), "empty");
  assertEquals(id(chooseLeaf(union(weighted(1, NEG), weighted(1, leaf(B))), () => 0)), "/#/b");
  assertEquals(chooseLeaf(union(weighted(1, NEG), weighted(1, NEG)), () => 0).type, "neg");
  assertEquals(
    id(chooseLeaf(union(weighted(0, leaf(A)), weighted(0, leaf(B))), () => 0.9)),
    "/#/b",
  );
});

Deno.test("chooseLeaf() takes the first non-negative alt branch; ! stops the search", () => {
  assertEquals(id(chooseLeaf(alt(NEG, leaf(B), leaf(A)), Math.random)), "/#/b");
  assertEquals(id(chooseLeaf(alt(NEG, FAIL, leaf(A)), Math.random)), "fail");
  assertEquals(id(chooseLeaf(alt(NEG, EMPTY, leaf(A)), Math.random)), "empty");
  assertEquals(id(chooseLeaf(alt(NEG, NEG), Math.random)), "neg");
});

Deno.test("chooseLeaf() fails over past branches whose endpoints are all unusable", () => {
  const dead = new Set<Bound>([A]);
  const usable = (x: Bound) => !dead.has(x);
  const t = alt(leaf(A), union(weighted(1, leaf(B)), weighted(1, leaf(C))));
  assertEquals(id(chooseLeaf(t, () => 0, usable)), "/#/b");
  dead.add(B);
  assertEquals(id(chooseLeaf(t, () => 0, usable)), "/#/c"); // the union avoids B as well
  dead.add(C);
  assertEquals(id(chooseLeaf(t, () => 0, usable)), "/#/a"); // nothing usable: the plain choice
  assertEquals(id(chooseLeaf(alt(leaf(A), FAIL, leaf(B)), () => 0, usable)), "/#/a");
});
