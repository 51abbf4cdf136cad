import { assertEquals } from "../../tests/support/assert.ts";
import { delegate, parseDtab } from "../dtab/mod.ts";
import { constVar } from "../core/var.ts";
import type { Activity, Addr, Name, NamerLookup } from "../../discovery/types.ts";
import type { NameTree } from "../dtab/types.ts";
import { hasPending, renderDelegateTree } from "./delegate_tree.ts";
import { style } from "./_term.ts";

/** A namer for /#/n/<name>: `up` has two endpoints, `wait` is pending, others are neg. */
const lookup: NamerLookup = (path) => {
  if (path[0] !== "#" || path[1] !== "n") return undefined;
  const name = path[2] ?? "";
  if (name === "wait") return constVar<Activity<NameTree<Name>>>({ state: "pending" });
  if (name !== "up") {
    return constVar<Activity<NameTree<Name>>>({ state: "ok", value: { type: "neg" } });
  }
  const addr: Addr = {
    type: "bound",
    addrs: [{ host: "127.0.0.1", port: 1, weight: 1 }, { host: "::1", port: 2, weight: 1 }],
  };
  const bound = {
    id: ["#", "n", "up"],
    idStr: "/#/n/up",
    addr: constVar(addr),
    residual: path.slice(3),
  };
  return constVar<Activity<NameTree<Name>>>({
    state: "ok",
    value: { type: "leaf", value: { kind: "bound", bound } },
  });
};

Deno.test("renderDelegateTree() draws dentries, weights, endpoints and reasons", () => {
  const dtab = parseDtab("/svc => /#/n; /svc/a => 3 * /#/n/up & 1 * /#/n/gone | /#/n/up");
  const lines = renderDelegateTree(delegate(dtab, ["svc", "a"], lookup), style(false));
  assertEquals(lines, [
    // The dentry's own alternation is lifted into the list of matching dentries, as Finagle's
    // DelegateTree.simplify flattens nested alternations; each branch keeps its dentry.
    "/svc/a  alternatives: the first that binds wins",
    "├─ /svc/a  union: split by weight   via /svc/a=>3.00*/#/n/up & /#/n/gone | /#/n/up",
    "│  ├─ 3 (75%) /#/n/up  ✓ 2 endpoints: 127.0.0.1:1, [::1]:2",
    "│  └─ 1 (25%) /#/n/gone  ✗ neg: namer n: no such name /#/n/gone",
    "├─ /#/n/up  ✓ 2 endpoints: 127.0.0.1:1, [::1]:2   via /svc/a=>3.00*/#/n/up & /#/n/gone | /#/n/up",
    "└─ /#/n/a  ✗ neg: namer n: no such name /#/n/a   via /svc=>/#/n",
  ]);
});

Deno.test("renderDelegateTree() colors only when asked", () => {
  const tree = delegate(parseDtab("/svc => /#/n"), ["svc", "up"], lookup);
  const plain = renderDelegateTree(tree, style(false)).join("\n");
  const colored = renderDelegateTree(tree, style(true)).join("\n");
  assertEquals(plain.includes("\x1b["), false);
  assertEquals(colored.includes("\x1b[32m✓ 2 endpoints"), true);
});

Deno.test("hasPending() finds namers that have not answered", () => {
  assertEquals(hasPending(delegate(parseDtab("/svc => /#/n"), ["svc", "wait"], lookup)), true);
  assertEquals(hasPending(delegate(parseDtab("/svc => /#/n"), ["svc", "up"], lookup)), false);
});
