/**
 * Hot-path costs of the dtab layer: reading the local dtab from request headers (what every
 * request pays in `router.newCtx`), a binding-cache hit (what every request pays in the path
 * stack's leaf) and `chooseLeaf` (one leaf per request from the bound tree).
 *
 * Run: `deno bench bench/micro/dtab_bench.ts`
 *
 * @module
 */
import {
  chooseLeaf,
  createBindingCache,
  dtabFromHeaders,
  type NameTree,
  parseDtab,
  parsePath,
  showDtab,
  showPath,
} from "../../router/dtab/mod.ts";
import { constVar } from "../../router/core/var.ts";
import type { Activity, Bound, Name, NamerLookup } from "../../discovery/mod.ts";

/** The headers curl + an app typically send. */
const plain: [string, string][] = [
  ["host", "web"],
  ["user-agent", "curl/8.5.0"],
  ["accept", "*/*"],
  ["x-request-id", "2f1c9e0a-55d1-4b8e-9d6e-0d2a8f0e7b11"],
  ["traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"],
];
const noDtab = new Headers(plain);
const oneDentry = new Headers([...plain, ["l5d-dtab", "/svc/web => /svc/web-v2"]]);
const threeDentries = new Headers([
  ...plain,
  ["l5d-dtab", "/svc/web => /svc/web-v2; /svc/api => /svc/api-canary | /svc/api; /srv => /#/x"],
]);
const ctxAndUser = new Headers([
  ...plain,
  ["l5d-ctx-dtab", "/svc/web=>/svc/web-v2"],
  ["l5d-dtab", "/svc/api => /svc/api-canary"],
]);

Deno.bench(
  { name: "dtabFromHeaders() with no dtab header", group: "dtab headers", baseline: true },
  () => {
    dtabFromHeaders(noDtab);
  },
);
Deno.bench({ name: "dtabFromHeaders() with l5d-dtab: 1 dentry", group: "dtab headers" }, () => {
  dtabFromHeaders(oneDentry);
});
Deno.bench({ name: "dtabFromHeaders() with l5d-dtab: 3 dentries", group: "dtab headers" }, () => {
  dtabFromHeaders(threeDentries);
});
Deno.bench(
  { name: "dtabFromHeaders() with l5d-ctx-dtab + l5d-dtab", group: "dtab headers" },
  () => {
    dtabFromHeaders(ctxAndUser);
  },
);
const local = dtabFromHeaders(threeDentries);
Deno.bench(
  { name: "showDtab() of a 3-dentry local dtab (path cache key)", group: "dtab headers" },
  () => {
    showDtab(local);
  },
);

// A namer that binds /#/io.l5d.fs/<name> to a fixed endpoint set, one Var per name.
const activities = new Map<string, ReturnType<typeof constVar<Activity<NameTree<Name>>>>>();
function bound(name: string): Bound {
  const id = ["#", "io.l5d.fs", name];
  return {
    id,
    idStr: showPath(id),
    addr: constVar({ type: "bound", addrs: [{ host: "127.0.0.1", port: 8080, weight: 1 }] }),
    residual: [],
  };
}
const lookup: NamerLookup = (path) => {
  if (path[0] !== "#" || path[1] !== "io.l5d.fs" || path[2] === undefined) return undefined;
  const key = path[2];
  let v = activities.get(key);
  if (!v) {
    v = constVar<Activity<NameTree<Name>>>({
      state: "ok",
      value: { type: "leaf", value: { kind: "bound", bound: bound(key) } },
    });
    activities.set(key, v);
  }
  return v;
};
const baseText = "/svc => /#/io.l5d.fs";
const base = parseDtab(baseText);
const cache = createBindingCache({ lookup, bindOptions: { failover: true } });
const names = Array.from({ length: 1000 }, (_, i) => parsePath(`/svc/svc-${i}`));
const keys = names.map((p) => showPath(p));
for (let i = 0; i < names.length; i++) await cache.bind(base, baseText, names[i]!, keys[i]!);

Deno.bench({
  name: "createBindingCache().bind() hit, same name",
  group: "binding cache",
  baseline: true,
}, () => {
  cache.bind(base, baseText, names[0]!, keys[0]!);
});
let k = 0;
Deno.bench({
  name: "createBindingCache().bind() hit, rotating over 1000 names",
  group: "binding cache",
}, () => {
  k = (k + 1) % 1000;
  cache.bind(base, baseText, names[k]!, keys[k]!);
});

const a = bound("a"), b = bound("b"), c = bound("c");
const leafTree: NameTree<Bound> = { type: "leaf", value: a };
const unionTree: NameTree<Bound> = {
  type: "union",
  trees: [
    { weight: 0.5, tree: { type: "leaf", value: a } },
    { weight: 0.3, tree: { type: "leaf", value: b } },
    { weight: 0.2, tree: { type: "leaf", value: c } },
  ],
};
const altTree: NameTree<Bound> = {
  type: "alt",
  trees: [{ type: "neg" }, { type: "leaf", value: b }, { type: "leaf", value: c }],
};
const usable = (x: Bound) => x !== b;

Deno.bench({ name: "chooseLeaf() of a leaf", group: "chooseLeaf", baseline: true }, () => {
  chooseLeaf(leafTree, Math.random);
});
Deno.bench({ name: "chooseLeaf() of a 3-way weighted union", group: "chooseLeaf" }, () => {
  chooseLeaf(unionTree, Math.random);
});
Deno.bench({
  name: "chooseLeaf() of ~ | leaf | leaf with a usable() check (failover)",
  group: "chooseLeaf",
}, () => {
  chooseLeaf(altTree, Math.random, usable);
});
