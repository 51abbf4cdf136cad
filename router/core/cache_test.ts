import { assertEquals } from "../../tests/support/assert.ts";
import { LruCache } from "./cache.ts";

Deno.test("LruCache() keeps recently used entries and evicts the others past capacity", () => {
  const evicted: string[] = [];
  const c = new LruCache<string, number>(2, (k) => evicted.push(k));
  c.set("a", 1);
  c.set("b", 2);
  assertEquals(c.get("a"), 1); // a is used: it survives the next insert
  c.set("c", 3);
  assertEquals(evicted, ["b"]);
  assertEquals(c.get("b"), undefined);
  assertEquals([...c.entries()].map(([k]) => k).sort(), ["a", "c"]);
  c.clear();
  assertEquals(evicted.sort(), ["a", "b", "c"]);
  assertEquals(c.size, 0);
});

Deno.test("LruCache() replacing a key keeps one entry", () => {
  const c = new LruCache<string, number>(2);
  c.set("a", 1);
  c.set("a", 2);
  assertEquals(c.size, 1);
  assertEquals(c.get("a"), 2);
});

Deno.test("LruCache.sweep() expires entries unused since the last sweep", () => {
  const evicted: string[] = [];
  const c = new LruCache<string, number>(10, (k) => evicted.push(k));
  c.set("a", 1);
  c.set("b", 2);
  c.get("a");
  // both were inserted since the last sweep: not idle for a whole interval yet (an entry made
  // by a request just before a sweep must not go at that sweep)
  assertEquals(c.sweep(), 0);
  c.get("a");
  assertEquals(c.sweep(), 1); // b: unused for a whole sweep interval
  assertEquals(evicted, ["b"]);
  assertEquals(c.sweep(), 1); // a: idle for a whole sweep interval
  assertEquals(evicted, ["b", "a"]);
  assertEquals(c.size, 0);
});

Deno.test("LruCache.set() never evicts the entry it inserts, even when every other was used", () => {
  const evicted: string[] = [];
  const c = new LruCache<string, number>(2, (k) => evicted.push(k));
  c.set("a", 1);
  c.set("b", 2);
  c.get("a");
  c.get("b");
  c.set("c", 3); // the hand clears a and b, passes c by, and evicts a (the oldest)
  assertEquals(evicted, ["a"]);
  assertEquals(c.get("c"), 3);
  assertEquals(c.get("b"), 2);
  assertEquals(c.size, 2);
  // Rotating over more keys than the capacity, each use right after its insert: the value just
  // inserted is always still there.
  for (let i = 0; i < 20; i++) {
    const k = `k${i % 5}`;
    if (c.get(k) === undefined) c.set(k, i);
    assertEquals(c.get(k) !== undefined, true, k);
    c.get("b");
  }
  assertEquals(c.size, 2);
});

Deno.test("LruCache.slot() is the entry a caller holds: live until evicted, expired or cleared", () => {
  const c = new LruCache<string, number>(2);
  c.set("a", 1);
  c.set("b", 2);
  const a = c.slot("a")!;
  const b = c.slot("b")!;
  assertEquals([a.live, a.value, a.used], [true, 1, true]);
  assertEquals(c.slot("z"), undefined);
  c.set("a", 10); // replaced in place: the held entry sees the new value
  assertEquals([a.live, a.value], [true, 10]);
  b.used = false; // as if the hand had passed it: the next insert evicts it
  a.used = true;
  c.set("c", 3);
  assertEquals([a.live, b.live], [true, false]);
  c.sweep(); // a and c marked unused
  c.sweep(); // and now expired
  assertEquals(a.live, false);
  c.set("d", 4);
  const d = c.slot("d")!;
  c.clear();
  assertEquals(d.live, false);
});
