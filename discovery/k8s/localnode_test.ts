import { assert, assertEquals } from "../../tests/support/assert.ts";
import { constVar, mutableVar } from "../../router/core/var.ts";
import type { Addr, Address, Bound } from "../types.ts";
import { boundAddr } from "../addr.ts";
import { makeBound } from "../bound.ts";
import { leafBound, type Lookup } from "../_activity.ts";
import { createLocalNodeTransformer } from "./localnode.ts";

function boundOf(a: Lookup): Bound {
  if (a.state === "ok" && a.value.type === "leaf" && a.value.value.kind === "bound") {
    return a.value.value.bound;
  }
  throw new Error(`not a bound leaf: ${JSON.stringify(a)}`);
}

const pod = (host: string, nodeName: string): Address => ({
  host,
  port: 7778,
  weight: 1,
  meta: { nodeName },
});

const world = [pod("10.0.1.5", "a"), pod("10.0.1.6", "a"), pod("10.0.2.5", "b")];
const env = (vars: Record<string, string>) => (n: string) => vars[n];

function transformed(
  t: ReturnType<typeof createLocalNodeTransformer>,
  addr: Addr | ReturnType<typeof mutableVar<Addr>>,
) {
  const v = "get" in addr ? addr : constVar(addr);
  const id = ["#", "io.l5d.k8s", "default", "http", "world-v1"];
  return boundOf(t.transform(constVar(leafBound(makeBound(id, v, [])))).get());
}

Deno.test("createLocalNodeTransformer() keeps the endpoints in the /24 of POD_IP", () => {
  const t = createLocalNodeTransformer({ env: env({ POD_IP: "10.0.1.2" }) });
  const b = transformed(t, boundAddr(world));
  assertEquals(b.idStr, "/%/io.l5d.k8s.localnode/10.0.1.2/#/io.l5d.k8s/default/http/world-v1");
  assertEquals(b.addr.get(), boundAddr([pod("10.0.1.5", "a"), pod("10.0.1.6", "a")]));
});

Deno.test("createLocalNodeTransformer() is Neg when no endpoint is local, and follows changes", () => {
  const t = createLocalNodeTransformer({ env: env({ POD_IP: "10.0.3.2" }) });
  const addr = mutableVar<Addr>(boundAddr(world));
  const b = transformed(t, addr);
  assertEquals(b.addr.get(), { type: "neg" });
  const seen: string[] = [];
  const off = b.addr.subscribe((a) => seen.push(a.type));
  addr.set(boundAddr([...world, pod("10.0.3.9", "c")]));
  addr.set({ type: "pending" });
  off();
  assertEquals(seen, ["bound", "pending"], "non-bound states pass through");
});

Deno.test("createLocalNodeTransformer() keeps host names it cannot place", () => {
  const t = createLocalNodeTransformer({ env: env({ POD_IP: "10.0.3.2" }) });
  const b = transformed(t, boundAddr([{ host: "world.local", port: 80, weight: 1 }, ...world]));
  assertEquals(b.addr.get(), boundAddr([{ host: "world.local", port: 80, weight: 1 }]));
});

Deno.test("createLocalNodeTransformer() with hostNetwork keeps endpoints on NODE_NAME", () => {
  const t = createLocalNodeTransformer({ hostNetwork: true, env: env({ NODE_NAME: "b" }) });
  const b = transformed(t, boundAddr(world));
  assertEquals(b.idStr, "/%/io.l5d.k8s.localnode/b/#/io.l5d.k8s/default/http/world-v1");
  assertEquals(b.addr.get(), boundAddr([pod("10.0.2.5", "b")]));
});

Deno.test("createLocalNodeTransformer() fails without POD_IP or NODE_NAME", () => {
  const fails = (f: () => unknown, text: string) => {
    try {
      f();
    } catch (e: unknown) {
      assert((e as Error).message.includes(text), (e as Error).message);
      return;
    }
    throw new Error("expected to throw");
  };
  fails(() => createLocalNodeTransformer({ env: env({}) }), "POD_IP env variable must be set");
  fails(() => createLocalNodeTransformer({ env: env({ POD_IP: "fe80::1" }) }), "IPv4");
  fails(
    () => createLocalNodeTransformer({ hostNetwork: true, env: env({ POD_IP: "10.0.0.1" }) }),
    "NODE_NAME",
  );
});
