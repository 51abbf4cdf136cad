import { assertEquals } from "../../tests/support/assert.ts";
import { mutableVar } from "../../router/core/var.ts";
import type { Addr } from "../types.ts";
import { makeBound } from "../bound.ts";
import {
  createLocalhostTransformer,
  createPortTransformer,
  createSpecificHostTransformer,
} from "./host_transformers.ts";
import type { Lookup } from "../_activity.ts";

function lookupOf(addr: Addr) {
  const a = mutableVar<Addr>(addr);
  const bound = makeBound(["#", "io.l5d.k8s", "default", "http", "world"], a, []);
  const v = mutableVar<Lookup>({
    state: "ok",
    value: { type: "leaf", value: { kind: "bound", bound } },
  });
  return { a, v };
}

function boundOf(l: Lookup) {
  if (l.state !== "ok" || l.value.type !== "leaf" || l.value.value.kind !== "bound") {
    throw new Error("not a bound leaf");
  }
  return l.value.value.bound;
}

const addrs: Addr = {
  type: "bound",
  addrs: [
    { host: "10.0.0.1", port: 7778, weight: 1 },
    { host: "10.0.0.1", port: 7779, weight: 1 },
    { host: "10.0.0.2", port: 7778, weight: 1 },
  ],
};

Deno.test("io.l5d.port rewrites ports, merges same-host endpoints by weight and prefixes the id", () => {
  const { v } = lookupOf(addrs);
  const b = boundOf(createPortTransformer(4141).transform(v).get());
  assertEquals(b.idStr, "/%/io.l5d.port/4141/#/io.l5d.k8s/default/http/world");
  assertEquals(b.addr.get(), {
    type: "bound",
    addrs: [
      { host: "10.0.0.1", port: 4141, weight: 2 },
      { host: "10.0.0.2", port: 4141, weight: 1 },
    ],
  });
});

Deno.test("io.l5d.localhost and io.l5d.specificHost keep matching endpoints; none left is Neg", () => {
  const { a, v } = lookupOf(addrs);
  const local = boundOf(createLocalhostTransformer(new Set(["10.0.0.2"])).transform(v).get());
  assertEquals(local.addr.get(), {
    type: "bound",
    addrs: [{ host: "10.0.0.2", port: 7778, weight: 1 }],
  });
  const one = boundOf(createSpecificHostTransformer("10.0.0.1").transform(v).get());
  // Linkerd's SpecificHostTransformerConfig.defaultPrefix is /io.l5d.specificHost: no host.
  assertEquals(one.idStr, "/%/io.l5d.specificHost/#/io.l5d.k8s/default/http/world");
  assertEquals(one.addr.get().type, "bound");
  a.set({ type: "bound", addrs: [{ host: "10.9.9.9", port: 1, weight: 1 }] });
  assertEquals(one.addr.get(), { type: "neg" });
});

// L1 transformer.md "Specific Host": "addresses that have the same IP address as the specified
// host" (SpecificHostTransformerConfig: InetAddress.getByName(host)): a name is resolved.
Deno.test("io.l5d.specificHost resolves a host name and keeps the endpoints with its IP", async () => {
  const { v } = lookupOf(addrs);
  let answer!: (ips: string[]) => void;
  const t = createSpecificHostTransformer(
    "web.example",
    undefined,
    () => new Promise<string[]>((resolve) => (answer = resolve)),
  );
  const out = t.transform(v);
  assertEquals(out.get().state, "pending");
  answer(["10.0.0.2"]);
  await Promise.resolve();
  const b = boundOf(out.get());
  assertEquals(b.idStr, "/%/io.l5d.specificHost/#/io.l5d.k8s/default/http/world");
  assertEquals(b.addr.get(), {
    type: "bound",
    addrs: [{ host: "10.0.0.2", port: 7778, weight: 1 }],
  });
  const bad = createSpecificHostTransformer(
    "nowhere.example",
    undefined,
    () => Promise.reject(new Deno.errors.NotFound("no records")),
  );
  const failed = bad.transform(v);
  await Promise.resolve();
  await Promise.resolve();
  assertEquals(failed.get().state, "failed");
  await t.close();
  await bad.close();
});
