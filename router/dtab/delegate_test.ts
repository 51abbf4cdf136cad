import { assert, assertEquals } from "../../tests/support/assert.ts";
import { addrs, fakeNamers } from "./_test_util.ts";
import { delegate, type DelegateNode } from "./delegate.ts";
import { parseDtab } from "./dtab.ts";
import { parsePath } from "./path.ts";

const run = (dtab: string, path: string, n = fakeNamers()) =>
  delegate(parseDtab(dtab), parsePath(path), n.lookup);

Deno.test("delegate() shows each rewrite with the dentry that made it, down to the bound leaf", () => {
  const n = fakeNamers();
  n.bound("/#/io.l5d.fs/hello", addrs("10.0.0.1:8080"));
  const tree = run("/srv => /#/io.l5d.fs; /svc => /srv", "/svc/hello", n);
  assertEquals(tree, {
    type: "delegate",
    path: "/svc/hello",
    dentry: null,
    delegate: {
      type: "delegate",
      path: "/srv/hello",
      dentry: { prefix: "/svc", dst: "/srv" },
      delegate: {
        type: "leaf",
        path: "/#/io.l5d.fs/hello",
        dentry: { prefix: "/srv", dst: "/#/io.l5d.fs" },
        bound: {
          addr: { type: "bound", addrs: [{ ip: "10.0.0.1", port: 8080, meta: {} }], meta: {} },
          id: "/#/io.l5d.fs/hello",
          path: "/",
        },
      },
    },
  });
  assertEquals(JSON.parse(JSON.stringify(tree)), tree);
});

Deno.test("delegate() lists every matching dentry as an alt, bottom to top", () => {
  const tree = run("/s => /a; /s => /b", "/s/x");
  assert(tree.type === "alt");
  assertEquals(tree.alt.map((t) => [t.type, t.path, t.dentry?.dst]), [
    ["neg", "/b/x", "/b"],
    ["neg", "/a/x", "/a"],
  ]);
  assert(tree.alt[0]!.type === "neg");
  assertEquals(tree.alt[0]!.why, "no dentry matches /b/x");
});

Deno.test("delegate() explains negatives: no namer, a namer's own reason, a neg Addr", () => {
  const n = fakeNamers();
  n.tree("/#/io.l5d.fs/foo", { type: "neg", why: "no file 'foo' in /dir" });
  n.bound("/#/io.l5d.k8s/default/http/web", { type: "neg" });
  const why = (t: DelegateNode) => "why" in t ? t.why : undefined;
  assertEquals(why(run("", "/#/io.l5d.nope/x", n)), "no namer handles /#/io.l5d.nope/x");
  assertEquals(why(run("", "/#/io.l5d.fs/foo", n)), "namer io.l5d.fs: no file 'foo' in /dir");
  const leaf = run("", "/#/io.l5d.k8s/default/http/web", n);
  assert(leaf.type === "leaf");
  assertEquals(leaf.bound.addr, { type: "neg" });
  assertEquals(
    leaf.why,
    "addr is neg: /#/io.l5d.k8s/default/http/web does not exist, so an alternative is tried",
  );
});

Deno.test("delegate() shows ! and ~ from a dentry with the reason", () => {
  const t = run("/s => /a | ! ", "/s");
  // Linkerd's simplify collapses the root delegate and the dentry's alt (same path /s).
  assert(t.type === "alt");
  assertEquals([t.path, t.dentry], ["/s", null]);
  const [a, f] = t.alt;
  assertEquals([a!.type, f!.type], ["neg", "fail"]);
  assert(f!.type === "fail");
  assertEquals(f!.why, "dentry /s=>/a | ! fails the request with !");
});

Deno.test("delegate() shows union weights and namer failures as exceptions", () => {
  const n = fakeNamers();
  n.bound("/#/fs/v1");
  n.act("/#/fs/v2").set({ state: "failed", error: "Unknown namer: fs" });
  const t = run("/s => 3 * /#/fs/v1 & /#/fs/v2", "/s", n);
  assert(t.type === "union");
  const [w1, w2] = t.union;
  assertEquals([w1!.weight, w1!.tree.type, w2!.weight, w2!.tree.type], [3, "leaf", 1, "exception"]);
  assert(w2!.tree.type === "exception");
  assertEquals(w2!.tree.message, "Unknown namer: fs");
  assertEquals(w2!.tree.why, "namer fs failed: Unknown namer: fs");
});

Deno.test("delegate() stops dtab loops with the recursion-limit exception", () => {
  let t: DelegateNode = run("/a => /b; /b => /a", "/a");
  let depth = 0;
  while (t.type === "delegate") {
    t = t.delegate;
    depth++;
  }
  assertEquals(t.type, "exception");
  assert(t.type === "exception");
  assertEquals(t.message, "Max recursion level: 100 reached in Namer lookup");
  assertEquals(depth, 101);
});

Deno.test("delegate() caps the number of nodes when alternatives multiply", () => {
  const dtab = Array.from({ length: 30 }, (_, i) => `/p${i} => /p${i + 1} | /p${i + 1}`).join(";");
  const t = delegate(parseDtab(dtab), ["p0"], () => undefined, { maxNodes: 500 });
  assert(JSON.stringify(t).includes("delegation tree larger than 500 nodes"));
});

Deno.test("delegate() shows an empty node with the path that gave it, as Linkerd does", () => {
  const n = fakeNamers();
  n.tree("/$/nil", { type: "empty" });
  const nil = run("/nil => /$/nil", "/nil", n);
  assert(nil.type === "delegate");
  assertEquals([nil.delegate.type, nil.delegate.path], ["empty", "/$/nil"]);
  const dollar = run("/dollar => $", "/dollar/x", n);
  assert(dollar.type === "delegate");
  assertEquals([dollar.delegate.type, dollar.delegate.path], ["empty", "/dollar/x"]);
});

Deno.test("delegate() collapses a dentry's alt or union into the delegate of its path (Linkerd DelegateTreeTest)", () => {
  const n = fakeNamers();
  n.bound("/#/fs/c");
  n.bound("/#/fs/d");
  // "simplify collapses nodes with the same path": /a → /b, whose dentry is an alternation
  const t = run("/b => /#/fs/c | /#/fs/d; /a => /b", "/a", n);
  assert(t.type === "delegate" && t.delegate.type === "alt", JSON.stringify(t));
  assertEquals([t.delegate.path, t.delegate.dentry], ["/b", { prefix: "/a", dst: "/b" }]);
  assertEquals(t.delegate.alt.map((x) => [x.type, x.path, x.dentry?.prefix]), [
    ["leaf", "/#/fs/c", "/b"],
    ["leaf", "/#/fs/d", "/b"],
  ]);
  // a union the same way
  const u = run("/b => 1 * /#/fs/c & 2 * /#/fs/d; /a => /b", "/a", n);
  assert(u.type === "delegate" && u.delegate.type === "union", JSON.stringify(u));
  assertEquals(u.delegate.dentry, { prefix: "/a", dst: "/b" });
  // "converts no branch alts into neg": /b => ~ stays a delegate to the neg
  const neg = run("/b => ~; /a => /b", "/a", n);
  assert(neg.type === "delegate" && neg.delegate.type === "delegate", JSON.stringify(neg));
  assertEquals(neg.delegate.delegate.type, "neg");
});
