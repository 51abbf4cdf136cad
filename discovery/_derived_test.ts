import { assert, assertEquals } from "../tests/support/assert.ts";
import { mutableVar } from "../router/core/var.ts";
import { derivedVar } from "./_derived.ts";

Deno.test("derivedVar() recomputes only when a dependency changed", () => {
  const a = mutableVar(1);
  let calls = 0;
  const v = derivedVar((read) => {
    calls++;
    return { n: read(a) * 2 };
  }, (x, y) => x.n === y.n);
  const first = v.get();
  assert(v.get() === first, "same object while nothing changed");
  assertEquals(calls, 1);
  a.set(2);
  assertEquals(v.get().n, 4);
  assertEquals(calls, 2);
});

Deno.test("derivedVar() follows dependencies that change between computations", () => {
  const pick = mutableVar<"a" | "b">("a");
  const a = mutableVar(1);
  const b = mutableVar(10);
  const v = derivedVar((read) => (read(pick) === "a" ? read(a) : read(b)), Object.is);
  const seen: number[] = [];
  const off = v.subscribe((x) => seen.push(x));
  a.set(2);
  b.set(11); // not a dependency yet: no notification
  pick.set("b");
  a.set(3); // no longer a dependency
  b.set(12);
  off();
  b.set(13); // unsubscribed
  assertEquals(seen, [2, 11, 12]);
});

Deno.test("derivedVar() notifies only on real changes and unsubscribes from everything", () => {
  const a = mutableVar(1);
  let subs = 0;
  const counted = {
    get: () => a.get(),
    subscribe(fn: (n: number) => void) {
      subs++;
      const off = a.subscribe(fn);
      return () => {
        subs--;
        off();
      };
    },
  };
  const v = derivedVar((read) => read(counted) % 2, Object.is);
  const seen: number[] = [];
  const off1 = v.subscribe((x) => seen.push(x));
  const off2 = v.subscribe(() => {});
  assertEquals(subs, 1, "one inner subscription for any number of subscribers");
  a.set(3); // 1 → 1: no change
  a.set(4);
  off1();
  assertEquals(subs, 1);
  off2();
  assertEquals(subs, 0);
  assertEquals(seen, [0]);
});
