import { assert, assertEquals } from "../tests/support/assert.ts";
import { constVar, mutableVar } from "../router/core/var.ts";
import { makeBound } from "./bound.ts";
import { boundedCache, leafBound, leafPath, lookupEquals, mapVar, NEG } from "./_activity.ts";

Deno.test("mapVar() recomputes on change and notifies only on real changes", () => {
  const src = mutableVar(1);
  let calls = 0;
  const v = mapVar(src, (n) => {
    calls++;
    return { even: n % 2 === 0 };
  }, (a, b) => a.even === b.even);
  const first = v.get();
  assert(v.get() === first);
  assertEquals(calls, 1);
  const seen: boolean[] = [];
  const off = v.subscribe((x) => seen.push(x.even));
  src.set(3);
  src.set(4);
  off();
  src.set(6);
  assertEquals(seen, [true]);
});

Deno.test("lookupEquals() compares bounds by id, residual and addr Var", () => {
  const addr = constVar({ type: "neg" } as const);
  const a = leafBound(makeBound(["x"], addr, ["r"]));
  assert(lookupEquals(a, leafBound(makeBound(["x"], addr, ["r"]))));
  assert(!lookupEquals(a, leafBound(makeBound(["x"], constVar({ type: "neg" }), ["r"]))));
  assert(!lookupEquals(a, leafBound(makeBound(["x"], addr, []))));
  assert(lookupEquals(leafPath(["a"]), leafPath(["a"])));
  assert(!lookupEquals(leafPath(["a"]), NEG));
});

Deno.test("boundedCache() evicts the least recently used entry", () => {
  const c = boundedCache<number>(2);
  c.set("a", 1);
  c.set("b", 2);
  c.get("a");
  c.set("c", 3);
  assertEquals([c.get("a"), c.get("b"), c.get("c")], [1, undefined, 3]);
});
