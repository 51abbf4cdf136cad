import { assert, assertEquals } from "../../tests/support/assert.ts";
import { constVar, mutableVar } from "../../router/core/var.ts";
import type { Addr, Bound, Namer } from "../types.ts";
import { address, boundAddr } from "../addr.ts";
import { makeBound } from "../bound.ts";
import { FAIL, leafBound, leafPath, type Lookup, mapVar, NEG, PENDING } from "../_activity.ts";
import { createNamerLookup } from "../interpreter.ts";
import {
  boundTransformer,
  type Readiness,
  TransformerConfigError,
  transformLookup,
  transformNamer,
} from "./transformer.ts";
import { createTransformers } from "./transformer_registry.ts";
import { validateTransformerConfigs } from "./transformer_registry_schema.ts";

function boundOf(a: Lookup): Bound {
  if (a.state === "ok" && a.value.type === "leaf" && a.value.value.kind === "bound") {
    return a.value.value.bound;
  }
  throw new Error(`not a bound leaf: ${JSON.stringify(a)}`);
}

/** Keeps only port 80 endpoints; Neg when none. */
const port80 = (ready?: Readiness) =>
  boundTransformer({
    kind: "test.port80",
    prefix: ["%", "port80"],
    mapAddr: (v) =>
      mapVar(v, (a): Addr => {
        if (a.type !== "bound") return a;
        const kept = a.addrs.filter((x) => x.port === 80);
        return kept.length ? boundAddr(kept) : { type: "neg" };
      }, (x, y) => JSON.stringify(x) === JSON.stringify(y)),
    ...(ready ? { ready: constVar(ready) } : {}),
  });

Deno.test("transformLookup() prefixes bound ids, keeps residuals and maps endpoints", () => {
  const addr = mutableVar<Addr>(boundAddr([address("10.0.0.1", 80), address("10.0.0.2", 81)]));
  const src = makeBound(["#", "io.l5d.k8s", "default", "http", "web"], addr, ["rest"]);
  const lookup = transformLookup((p) => p[0] === "#" ? constVar(leafBound(src)) : undefined, [
    port80(),
  ]);
  const v = lookup(["#", "io.l5d.k8s", "default", "http", "web", "rest"])!;
  const b = boundOf(v.get());
  assertEquals(b.idStr, "/%/port80/#/io.l5d.k8s/default/http/web");
  assertEquals(b.residual, ["rest"]);
  assertEquals(b.addr.get(), boundAddr([address("10.0.0.1", 80)]));
  assert(boundOf(v.get()) === b, "the same transformed Bound every time");
  addr.set(boundAddr([address("10.0.0.3", 81)]));
  assertEquals(b.addr.get().type, "neg", "nothing left after the transform is Neg");
  assertEquals(lookup(["$", "nope"]), undefined);
});

Deno.test("transformLookup() passes Neg, fail, pending and path leaves through", () => {
  const cases: Lookup[] = [NEG, FAIL, PENDING, leafPath(["svc", "x"])];
  for (const c of cases) {
    const lookup = transformLookup(() => constVar(c), [port80()]);
    assertEquals(lookup(["#", "x"])!.get(), c);
  }
});

Deno.test("boundTransformer() is pending or failed until it is ready", () => {
  const src = constVar(leafBound(makeBound(["#", "a"], constVar(boundAddr([])), [])));
  assertEquals(port80({ state: "pending" }).transform(src).get(), PENDING);
  const failed = port80({ state: "failed", error: "no API" }).transform(src).get();
  assert(failed.state === "failed" && failed.error.includes("no API"), JSON.stringify(failed));
  assertEquals(boundOf(port80({ state: "ready" }).transform(src).get()).idStr, "/%/port80/#/a");
});

Deno.test("transformNamer() qualifies ids with the namer's prefix before transforming", async () => {
  let closed = false;
  const addr = constVar<Addr>(boundAddr([address("10.0.0.1", 80)]));
  const inner: Namer = {
    kind: "test",
    lookup: (p) => constVar(leafBound(makeBound(p.slice(0, 1), addr, p.slice(1)))),
    state: () => ({ ok: true }),
    close() {
      closed = true;
    },
  };
  const namer = transformNamer(inner, ["#", "k8s"], [port80()]);
  // mounted in the interpreter, the /%/ id passes through unqualified
  const lookup = createNamerLookup([{ prefix: ["k8s"], namer }]);
  const b = boundOf(lookup(["#", "k8s", "web", "rest"])!.get());
  assertEquals(b.idStr, "/%/port80/#/k8s/web");
  assertEquals(b.residual, ["rest"]);
  assertEquals(namer.state?.(), { ok: true });
  await namer.close?.();
  assert(closed);
  await lookup.close();
});

Deno.test("createTransformers() builds kinds in order with their prefixes", () => {
  const env = (n: string) => ({ POD_IP: "10.0.1.7", NODE_NAME: "node-a" })[n];
  const ts = createTransformers([
    { kind: "io.l5d.k8s.localnode" },
    { kind: "io.l5d.k8s.localnode", hostNetwork: true, prefix: "/mine" },
  ], { path: "routers[0].interpreter.transformers", env });
  assertEquals(ts.map((t) => t.prefix), [
    ["%", "io.l5d.k8s.localnode", "10.0.1.7"],
    ["%", "mine", "node-a"],
  ]);
});

Deno.test("validateTransformerConfigs() and createTransformers() name the failing key path", () => {
  const path = "routers[1].interpreter.transformers";
  const cases: [Record<string, unknown>, string, string][] = [
    [{ kind: "io.l5d.filter", path: "/x" }, `${path}[0].kind`, "unknown transformer kind"],
    [{ kind: "io.l5d.k8s.localnode", hostnetwork: true }, `${path}[0].hostnetwork`, "Unrecognized"],
    [
      { kind: "io.l5d.k8s.daemonset", namespace: "default", port: "incoming" },
      `${path}[0].service`,
      "",
    ],
    [{ kind: "io.l5d.k8s.localnode" }, `${path}[0]`, "POD_IP env variable must be set"],
    [{ kind: "io.l5d.k8s.localnode", hostNetwork: true }, `${path}[0]`, "NODE_NAME"],
    [{ kind: "io.l5d.k8s.localnode", prefix: "/a b" }, `${path}[0].prefix`, ""],
  ];
  for (const [config, at, msg] of cases) {
    let err: unknown;
    try {
      const configs = validateTransformerConfigs([config as { kind: string }], path);
      createTransformers(configs, { path, env: () => undefined });
    } catch (e: unknown) {
      err = e;
    }
    assert(err instanceof TransformerConfigError, `${JSON.stringify(config)}: ${err}`);
    assertEquals(err.path, at, JSON.stringify(config));
    assert(err.message.includes(msg), err.message);
  }
});
