import { assert, assertEquals } from "../tests/support/assert.ts";
import {
  addrEquals,
  address,
  addressEquals,
  addrVar,
  boundAddr,
  keepLastGood,
  showAddress,
} from "./addr.ts";
import type { Addr } from "./types.ts";

Deno.test("showAddress() brackets IPv6 and omits the weight", () => {
  assertEquals(showAddress(address("10.0.0.1", 80, 3)), "10.0.0.1:80");
  assertEquals(showAddress(address("::1", 8080)), "[::1]:8080");
});

Deno.test("addressEquals() compares host, port, weight and meta", () => {
  assert(addressEquals(address("a", 1), address("a", 1)));
  assert(!addressEquals(address("a", 1), address("a", 1, 2)));
  assert(!addressEquals({ ...address("a", 1), meta: { zone: "x" } }, address("a", 1)));
});

Deno.test("boundAddr() drops exact duplicates and keeps order", () => {
  const a = boundAddr([address("a", 1), address("b", 2), address("a", 1), address("a", 1, 2)]);
  assertEquals(a, {
    type: "bound",
    addrs: [address("a", 1), address("b", 2), address("a", 1, 2)],
  });
});

Deno.test("addrEquals() treats bound sets as sets", () => {
  const x = boundAddr([address("a", 1), address("b", 2)]);
  const y = boundAddr([address("b", 2), address("a", 1)]);
  assert(addrEquals(x, y));
  assert(!addrEquals(x, boundAddr([address("a", 1)])));
  assert(addrEquals({ type: "neg" }, { type: "neg" }));
  assert(!addrEquals({ type: "neg" }, { type: "pending" }));
  assert(addrEquals({ type: "failed", error: "e" }, { type: "failed", error: "e" }));
  assert(!addrEquals({ type: "failed", error: "e" }, { type: "failed", error: "f" }));
  assert(!addrEquals(x, { type: "neg" }));
});

Deno.test("addrVar() notifies only on real changes", () => {
  const v = addrVar();
  const seen: Addr[] = [];
  v.subscribe((a) => seen.push(a));
  v.set(boundAddr([address("a", 1), address("b", 2)]));
  v.set(boundAddr([address("b", 2), address("a", 1)]));
  v.set({ type: "neg" });
  assertEquals(seen.length, 2);
});

Deno.test("keepLastGood() keeps a bound set over a failure only", () => {
  const good = boundAddr([address("a", 1)]);
  const fail: Addr = { type: "failed", error: "x" };
  assert(keepLastGood(good, fail) === good);
  assert(keepLastGood({ type: "pending" }, fail) === fail);
  assertEquals(keepLastGood(good, { type: "neg" }), { type: "neg" });
});
