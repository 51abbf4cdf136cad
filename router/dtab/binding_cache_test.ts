import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { BindFailed, DeadlineExceeded } from "../core/errors.ts";
import type { Bound } from "../../discovery/types.ts";
import { addrs, fakeClock, fakeNamers } from "./_test_util.ts";
import { createBindingCache } from "./binding_cache.ts";
import { parseDtab } from "./dtab.ts";
import { showTree } from "./name_tree.ts";
import type { NameTree } from "./types.ts";

const DTAB_TEXT = "/svc => /#/fs";
const DTAB = parseDtab(DTAB_TEXT);
const ids = (t: NameTree<Bound>) => showTree(t, (b) => b.idStr);

function setup(opts: { maxEntries?: number } = {}) {
  const namers = fakeNamers();
  const clock = fakeClock();
  const cache = createBindingCache({
    lookup: namers.lookup,
    clock,
    bindingTimeoutMs: 1000,
    ...opts,
  });
  const bindSvc = (name: string) => cache.bind(DTAB, DTAB_TEXT, ["svc", name], `/svc/${name}`);
  return { namers, clock, cache, bindSvc };
}

Deno.test("createBindingCache() answers a hit synchronously without binding again", async () => {
  const { namers, cache, bindSvc } = setup();
  namers.bound("/#/fs/a");
  const first = await bindSvc("a");
  assertEquals(ids(first), "/#/fs/a");
  const lookups = namers.lookups;
  const second = bindSvc("a");
  assert(!(second instanceof Promise), "a hit is synchronous");
  assert(second === first, "a hit returns the cached tree");
  assertEquals(namers.lookups, lookups);
  assertEquals(cache.size(), 1);
  cache.close();
});

Deno.test("createBindingCache() drops an entry when a namer Var changes", async () => {
  const { namers, cache, bindSvc } = setup();
  namers.bound("/#/fs/a");
  assertEquals(ids(await bindSvc("a")), "/#/fs/a");
  namers.tree("/#/fs/a", { type: "neg" });
  assertEquals(cache.size(), 0);
  assertEquals(ids(await bindSvc("a")), "~");
  cache.close();
});

Deno.test("createBindingCache() ignores Addr changes that keep the tree, not those that change it", async () => {
  const { namers, cache, bindSvc } = setup();
  const addr = namers.bound("/#/fs/a", addrs("10.0.0.1:80"));
  const tree = await bindSvc("a");
  addr.set(addrs("10.0.0.1:80", "10.0.0.2:80")); // endpoints changed: same tree
  assert(bindSvc("a") === tree);
  addr.set({ type: "failed", error: "x" }); // still a live leaf
  assert(bindSvc("a") === tree);
  addr.set({ type: "neg" }); // now the leaf counts as ~
  assertEquals(cache.size(), 0);
  assertEquals(ids(await bindSvc("a")), "~");
  cache.close();
});

Deno.test("createBindingCache() waits for a pending binding and resolves it on change", async () => {
  const { namers, clock, cache, bindSvc } = setup();
  namers.act("/#/fs/a"); // pending
  const p = bindSvc("a");
  assert(p instanceof Promise);
  assert(bindSvc("a") === p, "callers share one wait");
  namers.bound("/#/fs/a");
  assertEquals(ids(await p), "/#/fs/a");
  assertEquals(clock.pending(), 0, "the timeout timer is cancelled");
  assert(!(bindSvc("a") instanceof Promise));
  cache.close();
});

Deno.test("createBindingCache() rejects a binding still pending after bindingTimeoutMs", async () => {
  const { namers, clock, cache, bindSvc } = setup();
  namers.act("/#/fs/a");
  const p = bindSvc("a");
  clock.advance(999);
  assertEquals(cache.size(), 1);
  clock.advance(1);
  const e = await assertRejects(() => p, "binding timed out after 1000 ms for /svc/a");
  assert(e instanceof DeadlineExceeded);
  assertEquals(cache.size(), 0);
  cache.close();
});

Deno.test("createBindingCache() rejects failed bindings with BindFailed until a dep changes", async () => {
  const { namers, cache, bindSvc } = setup();
  namers.act("/#/fs/a").set({ state: "failed", error: "zk down" });
  const e = await assertRejects(() => bindSvc("a"), "zk down");
  assert(e instanceof BindFailed);
  await assertRejects(() => bindSvc("a"), "zk down");
  namers.bound("/#/fs/a");
  assertEquals(ids(await bindSvc("a")), "/#/fs/a");
  cache.close();
});

Deno.test("createBindingCache() evicts the least recently used entry and unsubscribes it", async () => {
  const { namers, cache, bindSvc } = setup({ maxEntries: 2 });
  for (const n of ["a", "b", "c"]) namers.bound(`/#/fs/${n}`);
  const a = await bindSvc("a");
  await bindSvc("b");
  assert(bindSvc("a") === a); // a is now the most recent
  await bindSvc("c"); // evicts b
  assertEquals(cache.size(), 2);
  const lookups = namers.lookups;
  assert(bindSvc("a") === a);
  await bindSvc("b"); // rebinds
  assertEquals(namers.lookups, lookups + 1);
  namers.tree("/#/fs/c", { type: "neg" }); // c was evicted when b came back
  assertEquals(cache.size(), 2);
  cache.close();
});

Deno.test("createBindingCache().binder() holds its entry: hits skip the lookup, a dropped entry is bound again", async () => {
  const { namers, cache, bindSvc } = setup({ maxEntries: 2 });
  const addr = namers.bound("/#/fs/a");
  namers.bound("/#/fs/b");
  namers.bound("/#/fs/c");
  const bindA = cache.binder(DTAB, DTAB_TEXT, ["svc", "a"], "/svc/a");
  const first = await bindA();
  assertEquals(ids(first), "/#/fs/a");
  const lookups = namers.lookups;
  const again = bindA();
  assert(again === first, "a held entry answers synchronously with its tree");
  assert(bindSvc("a") === first, "bind() and the binder share the entry");
  assertEquals(namers.lookups, lookups);
  // The binder's hits count as uses: a stays while b, used once, is evicted by c.
  await bindSvc("b");
  bindA();
  await bindSvc("c");
  assertEquals(cache.size(), 2);
  assert(bindA() === first);
  assertEquals(namers.lookups, lookups + 2);
  // A dep change drops the entry: the binder binds again and holds the new one.
  addr.set({ type: "neg" });
  assertEquals(ids(await bindA()), "~");
  assertEquals(namers.lookups, lookups + 3);
  cache.close();
});

Deno.test("createBindingCache() close() drops everything and rejects pending waits", async () => {
  const { namers, clock, cache, bindSvc } = setup();
  namers.bound("/#/fs/a");
  namers.act("/#/fs/b");
  await bindSvc("a");
  const p = bindSvc("b");
  cache.close();
  await assertRejects(() => p, "binding cache closed");
  assertEquals([cache.size(), clock.pending()], [0, 0]);
});

Deno.test("createBindingCache() keeps entries per dtab key", async () => {
  const { namers, cache } = setup();
  namers.bound("/#/fs/a");
  namers.bound("/#/other/a");
  const t1 = await cache.bind(DTAB, DTAB_TEXT, ["svc", "a"], "/svc/a");
  const d2 = "/svc => /#/other";
  const t2 = await cache.bind(parseDtab(d2), d2, ["svc", "a"], "/svc/a");
  assertEquals([ids(t1), ids(t2), cache.size()], ["/#/fs/a", "/#/other/a", 2]);
  cache.close();
});
