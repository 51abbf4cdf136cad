import { assert, assertEquals } from "../../tests/support/assert.ts";
import { addrs, fakeNamers } from "./_test_util.ts";
import { bind, bindTree } from "./bind.ts";
import { parseDtab, parseNameTree } from "./dtab.ts";
import { showTree } from "./name_tree.ts";
import { parsePath } from "./path.ts";
import type { NameTree } from "./types.ts";
import type { Bound } from "../../discovery/types.ts";

const ids = (t: NameTree<Bound>) => showTree(t, (b) => b.idStr);
const bindS = (dtab: string, path: string, n = fakeNamers(), opts = {}) =>
  bind(parseDtab(dtab), parsePath(path), n.lookup, opts);

Deno.test("bind() follows rewrites to a namer and returns its bound leaf", () => {
  const n = fakeNamers();
  const addr = n.bound("/#/io.l5d.fs/hello", addrs("10.0.0.1:80"), "/extra");
  const r = bindS("/srv => /#/io.l5d.fs; /svc => /srv", "/svc/hello", n);
  assertEquals(ids(r.tree), "/#/io.l5d.fs/hello");
  assertEquals(r.pending, false);
  assertEquals(r.error, undefined);
  assert(r.tree.type === "leaf");
  assertEquals(r.tree.value.residual, ["extra"]);
  assert(r.deps.includes(addr), "the Addr Var is a dep");
  assert(r.deps.includes(n.act("/#/io.l5d.fs/hello")), "the namer Var is a dep");
});

Deno.test("bind() prefers later dentries and falls back when the namer says ~", () => {
  const n = fakeNamers();
  n.bound("/#/io.l5d.k8s/staging/web");
  n.tree("/#/io.l5d.k8s/prod/web", { type: "neg" });
  const dtab = "/svc => /#/io.l5d.k8s/staging; /svc => /#/io.l5d.k8s/prod";
  assertEquals(ids(bindS(dtab, "/svc/web", n).tree), "/#/io.l5d.k8s/staging/web");
  n.bound("/#/io.l5d.k8s/prod/web");
  assertEquals(ids(bindS(dtab, "/svc/web", n).tree), "/#/io.l5d.k8s/prod/web");
});

Deno.test("bind() treats a bound leaf whose Addr is neg as ~, so the alternation falls through", () => {
  const n = fakeNamers();
  n.bound("/#/fs/a");
  const b = n.bound("/#/fs/b", { type: "neg" });
  const r = bindS("/svc => /#/fs/a; /svc => /#/fs/b", "/svc", n);
  assertEquals(ids(r.tree), "/#/fs/a");
  assert(r.deps.includes(b));
  b.set({ type: "failed", error: "disk on fire" }); // failed is kept as a leaf, as in Finagle
  assertEquals(ids(bindS("/svc => /#/fs/a; /svc => /#/fs/b", "/svc", n).tree), "/#/fs/b");
});

Deno.test("bind() stops at ! and at $ like Finagle's alternation", () => {
  const n = fakeNamers();
  n.bound("/#/fs/a");
  assertEquals(ids(bindS("/svc => /#/fs/a; /svc => !", "/svc", n).tree), "!");
  // no /$/nil namer in this lookup, so /$/nil is ~ here and the search goes on
  assertEquals(ids(bindS("/svc => /#/fs/a; /svc => /$/nil", "/svc", n).tree), "/#/fs/a");
  assertEquals(ids(bindS("/svc => /#/fs/a; /svc => $", "/svc", n).tree), "$");
  assertEquals(ids(bindS("/svc => /#/fs/a; /svc => ~", "/svc", n).tree), "/#/fs/a");
});

Deno.test("bind() unions drop negative branches and keep weights", () => {
  const n = fakeNamers();
  n.bound("/#/fs/v1");
  n.bound("/#/fs/v2");
  const r = bindS("/svc => 3 * /#/fs/v1 & 2 * /#/fs/v2 & /#/fs/v3 & 4 * ~", "/svc", n);
  assertEquals(ids(r.tree), "3.00*/#/fs/v1 & 2.00*/#/fs/v2");
  assertEquals(ids(bindS("/svc => ~ & /#/fs/v3", "/svc", n).tree), "~");
});

Deno.test("bind() is pending while a namer or an Addr is pending", () => {
  const n = fakeNamers();
  n.act("/#/fs/a"); // pending
  const r = bindS("/svc => /#/fs/a", "/svc", n);
  assertEquals(r.pending, true);
  assertEquals(r.deps, [n.act("/#/fs/a")]);
  const addr = n.bound("/#/fs/a", { type: "pending" });
  assertEquals(bindS("/svc => /#/fs/a", "/svc", n).pending, true);
  addr.set(addrs("1.2.3.4:5"));
  assertEquals(bindS("/svc => /#/fs/a", "/svc", n).pending, false);
});

Deno.test("bind() union of a pending and a ready branch uses the ready one (Finagle bindUnion)", () => {
  const n = fakeNamers();
  n.act("/#/fs/slow");
  n.bound("/#/fs/fast");
  const r = bindS("/svc => /#/fs/slow & /#/fs/fast", "/svc", n);
  assertEquals([ids(r.tree), r.pending], ["/#/fs/fast", false]);
});

Deno.test("bind() reports a namer failure as an error", () => {
  const n = fakeNamers();
  n.act("/#/fs/a").set({ state: "failed", error: "Unknown namer: fs" });
  const r = bindS("/svc => /#/fs/a", "/svc", n);
  assertEquals([r.tree.type, r.error, r.pending], ["fail", "Unknown namer: fs", false]);
  const thrower = bind(parseDtab(""), ["#", "x"], () => {
    throw new Error("boom");
  });
  assertEquals(thrower.error, "boom");
});

Deno.test("bind() delegates namer results of kind path through the dtab again", () => {
  const n = fakeNamers();
  n.tree("/$/io.buoyant.rewrite/web", {
    type: "leaf",
    value: { kind: "path", path: ["srv", "web"] },
  });
  n.bound("/#/fs/web");
  const r = bindS("/srv => /#/fs; /svc => /$/io.buoyant.rewrite", "/svc/web", n);
  assertEquals(ids(r.tree), "/#/fs/web");
});

Deno.test("bind() caps recursion: loops fail instead of hanging", () => {
  const r = bindS("/a => /b; /b => /a", "/a");
  assertEquals(r.error, "Max recursion level: 100 reached in Namer lookup");
  assertEquals(r.tree.type, "fail");
  const grow = bindS("/s => /s/srv", "/s/foo", fakeNamers(), { maxDepth: 2 });
  assertEquals(grow.error, "Max recursion level: 2 reached in Namer lookup");
});

Deno.test("bind() with no match anywhere is ~", () => {
  const r = bindS("/a => /b", "/x");
  assertEquals([r.tree.type, r.pending, r.error, r.deps.length], ["neg", false, undefined, 0]);
});

Deno.test("bind() with failover keeps later usable alternatives after the chosen one", () => {
  const n = fakeNamers();
  n.bound("/#/fs/a");
  n.bound("/#/fs/b");
  n.bound("/#/fs/c", { type: "neg" });
  const dtab = "/svc => /#/fs/b; /svc => /#/fs/c; /svc => /#/fs/a";
  assertEquals(ids(bindS(dtab, "/svc", n).tree), "/#/fs/a");
  assertEquals(ids(bindS(dtab, "/svc", n, { failover: true }).tree), "/#/fs/a | /#/fs/b");
  assertEquals(ids(bindS(dtab + "; /svc => !", "/svc", n, { failover: true }).tree), "!");
  // `$` (Finagle's Empty) is chosen like any non-negative branch and ends the alternation.
  assertEquals(bindS(dtab + "; /svc => $", "/svc", n, { failover: true }).tree.type, "empty");
  assertEquals(bindS(dtab + "; /svc => $", "/svc", n).tree.type, "empty");
});

Deno.test("bindTree() binds a whole tree of paths", () => {
  assertEquals(bindTree([], parseNameTree("(~ | ! | /test/1)"), () => undefined).tree.type, "fail");
  assertEquals(bindTree([], parseNameTree("~ | $"), () => undefined).tree.type, "empty");
});

Deno.test("bind() fails past maxLookups instead of binding an exponential tree", () => {
  const n = fakeNamers();
  n.bound("/#/fs/a");
  const dentries = ["/svc => /l0"];
  for (let i = 0; i < 30; i++) dentries.push(`/l${i} => /l${i + 1} | /l${i + 1}`);
  dentries.push("/l30 => /#/fs");
  for (const failover of [false, true]) {
    const r = bindS(dentries.join(";"), "/svc/a", n, { failover, maxLookups: 1000 });
    if (!failover) {
      assertEquals(ids(r.tree), "/#/fs/a", "without failover the first branch is enough");
      continue;
    }
    assertEquals(r.tree.type, "fail");
    assert(r.error?.startsWith("Max lookups: 1000 reached"), r.error);
  }
  // A union keeps its bound branches when some fail; past the limit the whole bind fails.
  const union = dentries.map((d) => d.replace(/\/l(\d+) \| \/l/, "1 * /l$1 & 1 * /l"));
  const u = bindS(union.join(";"), "/svc/a", n, { maxLookups: 1000 });
  assertEquals(u.tree.type, "fail");
});
