import { assert, assertEquals } from "../tests/support/assert.ts";
import { constVar, mutableVar, type Var } from "../router/core/var.ts";
import type { Path } from "../router/dtab/types.ts";
import { address, boundAddr } from "./addr.ts";
import { makeBound } from "./bound.ts";
import { createNamerLookup } from "./interpreter.ts";
import type { Bound, Namer } from "./types.ts";
import { leafBound, leafPath, type Lookup, NEG } from "./_activity.ts";

function boundOf(v: Var<Lookup> | undefined): Bound {
  const a = v?.get();
  if (a?.state !== "ok" || a.value.type !== "leaf" || a.value.value.kind !== "bound") {
    throw new Error(`not a bound leaf: ${JSON.stringify(a)}`);
  }
  return a.value.value.bound;
}

/** A namer binding its first label, recording what it was asked. */
function firstLabelNamer(kind: string, seen: Path[] = []): Namer {
  const vars = new Map<string, Var<Lookup>>();
  const addr = constVar(boundAddr([address("10.0.0.1", 80)]));
  return {
    kind,
    lookup(path) {
      seen.push(path);
      const [head, ...rest] = path;
      if (head === undefined) return constVar(NEG);
      const key = JSON.stringify(path);
      let v = vars.get(key);
      if (!v) vars.set(key, v = constVar(leafBound(makeBound([head], addr, rest))));
      return v;
    },
  };
}

Deno.test("createNamerLookup() qualifies bound ids with /#/<prefix> and keeps the residual", async () => {
  const lookup = createNamerLookup([{ prefix: ["io.l5d.fs"], namer: firstLabelNamer("fs") }]);
  const b = boundOf(lookup(["#", "io.l5d.fs", "hello", "a", "b"]));
  assertEquals(b.id, ["#", "io.l5d.fs", "hello"]);
  assertEquals(b.idStr, "/#/io.l5d.fs/hello");
  assertEquals(b.residual, ["a", "b"]);
  await lookup.close();
});

Deno.test("createNamerLookup() returns the same Var and Bound for the same path", async () => {
  const lookup = createNamerLookup([{ prefix: ["io.l5d.fs"], namer: firstLabelNamer("fs") }]);
  const p = ["#", "io.l5d.fs", "hello"];
  assert(lookup(p) === lookup(p));
  assert(boundOf(lookup(p)) === boundOf(lookup(p)));
  await lookup.close();
});

Deno.test("createNamerLookup() asks the matching namers last-configured first", async () => {
  const short: Path[] = [];
  const long: Path[] = [];
  const lookup = createNamerLookup([
    { prefix: ["disco"], namer: firstLabelNamer("short", short) },
    { prefix: ["disco", "v2"], namer: firstLabelNamer("long", long) },
  ]);
  const b = boundOf(lookup(["#", "disco", "v2", "web", "x"]));
  assertEquals(b.idStr, "/#/disco/v2/web");
  assertEquals(b.residual, ["x"]);
  assertEquals(long, [["web", "x"]]);
  assertEquals(short, [], "the earlier namer is not consulted while the later one binds");
  assertEquals(boundOf(lookup(["#", "disco", "web"])).idStr, "/#/disco/web");
  assertEquals(
    boundOf(lookup(["#", "disco", "v2"])).idStr,
    "/#/disco/v2",
    "long is Neg: fall back",
  );
  await lookup.close();

  // Linkerd's order is the config's, reversed, not the longest prefix: listed the other way
  // round, the shorter prefix is asked first and binds.
  const other = createNamerLookup([
    { prefix: ["disco", "v2"], namer: firstLabelNamer("long") },
    { prefix: ["disco"], namer: firstLabelNamer("short") },
  ]);
  assertEquals(boundOf(other(["#", "disco", "v2", "web", "x"])).idStr, "/#/disco/v2");
  await other.close();
});

Deno.test("createNamerLookup() takes namers sharing a prefix, the later first", async () => {
  const a: Path[] = [];
  const b: Path[] = [];
  const lookup = createNamerLookup([
    { prefix: ["io.l5d.fs"], namer: firstLabelNamer("a", a) },
    { prefix: ["io.l5d.fs"], namer: firstLabelNamer("b", b) },
  ]);
  assertEquals(boundOf(lookup(["#", "io.l5d.fs", "web"])).idStr, "/#/io.l5d.fs/web");
  assertEquals(b, [["web"]]);
  assertEquals(a, []);
  await lookup.close();
});

Deno.test("createNamerLookup() falls through to the next matching namer on Neg, live", async () => {
  const first = mutableVar<Lookup>(NEG);
  const namerA: Namer = { kind: "a", lookup: () => first };
  const lookup = createNamerLookup([
    { prefix: ["svc"], namer: firstLabelNamer("b") },
    { prefix: ["svc", "x"], namer: namerA },
  ]);
  const v = lookup(["#", "svc", "x", "y"]);
  assertEquals(boundOf(v).idStr, "/#/svc/x");
  const seen: Lookup[] = [];
  v?.subscribe((a) => seen.push(a));
  first.set(leafBound(makeBound(["y"], constVar({ type: "neg" }), [])));
  assertEquals(boundOf(v).idStr, "/#/svc/x/y");
  assertEquals(seen.length, 1);
  first.set(NEG);
  assertEquals(boundOf(v).idStr, "/#/svc/x");
  await lookup.close();
});

Deno.test("createNamerLookup() serves /$/ built-ins with qualified ids", async () => {
  const lookup = createNamerLookup([]);
  const b = boundOf(lookup(["$", "inet", "127.1", "4140", "r"]));
  assertEquals(b.idStr, "/$/inet/127.1/4140");
  assertEquals(b.residual, ["r"]);
  assertEquals(b.addr.get(), boundAddr([address("127.0.0.1", 4140)]));
  assertEquals(
    boundOf(lookup(["$", "io.buoyant.rinet", "8080", "10.0.0.9"])).idStr,
    "/$/io.buoyant.rinet/8080/10.0.0.9",
  );
  assertEquals(lookup(["$", "fail"])?.get(), { state: "ok", value: { type: "fail" } });
  assertEquals(lookup(["$", "nil", "x"])?.get(), { state: "ok", value: { type: "empty" } });
  assertEquals(
    lookup(["$", "io.buoyant.http.domainToPathPfx", "pfx", "foo.buoyant.io"])?.get(),
    leafPath(["pfx", "io", "buoyant", "foo"]),
  );
  await lookup.close();
});

Deno.test("createNamerLookup() is undefined for unknown namers and other roots", async () => {
  const lookup = createNamerLookup([{ prefix: ["io.l5d.fs"], namer: firstLabelNamer("fs") }]);
  assertEquals(lookup(["#", "io.l5d.k8s", "default"]), undefined);
  assertEquals(lookup(["#", "io.l5d"]), undefined);
  assertEquals(lookup(["$", "no.such.namer", "x"]), undefined);
  assertEquals(lookup(["$"]), undefined);
  assertEquals(lookup(["svc", "hello"]), undefined);
  assertEquals(lookup(["%", "io.l5d.port", "x"]), undefined);
  assertEquals(lookup([]), undefined);
  await lookup.close();
});

Deno.test("createNamerLookup() leaves absolute ids and path leaves alone", async () => {
  const abs = makeBound(["%", "t", "#", "x", "y"], constVar({ type: "neg" }), []);
  const namer: Namer = {
    kind: "t",
    lookup: (p) =>
      constVar(
        p[0] === "abs" ? leafBound(abs) : leafPath(["svc", ...p]),
      ),
  };
  const lookup = createNamerLookup([{ prefix: ["t"], namer }], { builtins: new Map() });
  assert(boundOf(lookup(["#", "t", "abs"])) === abs);
  assertEquals(lookup(["#", "t", "a"])?.get(), leafPath(["svc", "a"]));
  assertEquals(lookup(["$", "inet", "127.0.0.1", "80"]), undefined);
  await lookup.close();
});
