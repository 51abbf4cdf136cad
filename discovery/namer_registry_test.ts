import { assert, assertEquals, assertStringIncludes } from "../tests/support/assert.ts";
import {
  closeAll,
  createNamers,
  defaultNamerFactories,
  defineNamerFactory,
  type NamerConfig,
  NamerConfigError,
} from "./namer_registry.ts";
import { validateNamerConfigs } from "./namer_registry_schema.ts";
import { createNilNamer } from "./nil.ts";
import { createNamerLookup } from "./interpreter.ts";
import { waitFor } from "./_testing.ts";
import { startFakeK8sApi } from "./k8s/fake_api.ts";

function configError(fn: () => unknown): NamerConfigError {
  try {
    fn();
  } catch (e: unknown) {
    if (e instanceof NamerConfigError) return e;
    throw e;
  }
  throw new Error("expected a NamerConfigError");
}

Deno.test("createNamers() gives io.l5d.fs its default prefix and honours a custom one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const namers = createNamers([
      { kind: "io.l5d.fs", rootDir: dir },
      { kind: "io.l5d.fs", rootDir: dir, prefix: "/disco" },
    ]);
    assertEquals(namers.map((n) => n.prefix), [["io.l5d.fs"], ["disco"]]);
    assertEquals(namers.map((n) => n.namer.kind), ["io.l5d.fs", "io.l5d.fs"]);
    await closeAll(namers);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createNamers() requires a prefix for io.l5d.rewrite and builds it", async () => {
  const e = configError(() =>
    createNamers([{ kind: "io.l5d.rewrite", pattern: "/{x}", name: "/s/{x}" }])
  );
  assertEquals(e.path, "namers[0].prefix");
  const namers = createNamers([
    { kind: "io.l5d.rewrite", prefix: "/rw", pattern: "/{x}", name: "/s/{x}" },
  ]);
  const lookup = createNamerLookup(namers);
  assertEquals(lookup(["#", "rw", "web"])?.get(), {
    state: "ok",
    value: { type: "leaf", value: { kind: "path", path: ["s", "web"] } },
  });
  await lookup.close();
  await closeAll(namers);
});

Deno.test("validateNamerConfigs() and createNamers() report bad entries with their key path", () => {
  const cases: [NamerConfig[], string, string][] = [
    [[{ kind: "io.l5d.nope" }], "namers[0].kind", "unknown namer kind"],
    [[{ kind: "io.l5d.fs" }], "namers[0].rootDir", ""],
    [
      [{ kind: "io.l5d.fs", rootDir: "/definitely/not/here" }],
      "namers[0].rootDir",
      "not a directory",
    ],
    [[{ kind: "io.l5d.fs", rootDir: "/", rootdir: "x" }], "namers[0].rootdir", "Unrecognized"],
    [[{ kind: "io.l5d.fs", rootDir: "/", prefix: "disco" }], "namers[0].prefix", ""],
    [[{ kind: "io.l5d.fs", rootDir: "/", prefix: "/a b" }], "namers[0].prefix", "expected"],
    [
      [{ kind: "io.l5d.fs", rootDir: "/", transformers: [{ kind: "io.l5d.filter" }] }],
      "namers[0].transformers[0].kind",
      "unknown transformer kind",
    ],
    [[{ kind: "io.l5d.k8s", hots: "localhost" }], "namers[0].hots", "Unrecognized"],
    [[{ kind: "io.l5d.dnssrv" }], "namers[0].experimental", "experimental"],
    [[{ kind: "io.l5d.rewrite", prefix: "/r", pattern: "/x" }], "namers[0].name", ""],
    // io.l5d.marathon: the schema (marathon/schema.ts) owns dst and tls.disableValidation.
    [
      [{ kind: "io.l5d.marathon", dst: "/$/io.buoyant.namer.zk.leader/zk:2181/leader" }],
      "namers[0].dst",
      "/$/io.buoyant.namer.zk.leader/zk:2181/leader is not supported as the Marathon dst",
    ],
    [
      [{ kind: "io.l5d.marathon", dst: "/$/inet/127.0.0.1/99999" }],
      "namers[0].dst",
      "is not supported as the Marathon dst",
    ],
    [
      [{ kind: "io.l5d.marathon", tls: { disableValidation: true } }],
      "namers[0].tls.disableValidation",
      "not supported for io.l5d.marathon: the API certificate is always verified",
    ],
  ];
  for (const [configs, path, msg] of cases) {
    const e = configError(() => createNamers(validateNamerConfigs(configs)));
    assertEquals(e.path, path, JSON.stringify(configs));
    assertStringIncludes(e.message, msg);
  }
});

Deno.test("createNamers() validates every entry before starting any namer", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // If the first fs namer were started, the test's leak check would fail.
    configError(() => createNamers([{ kind: "io.l5d.fs", rootDir: dir }, { kind: "bogus" }]));
    configError(() =>
      createNamers([{ kind: "io.l5d.fs", rootDir: dir }, { kind: "io.l5d.fs", rootDir: "/nope" }])
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("defineNamerFactory() adds kinds, including experimental ones", async () => {
  const factories = defaultNamerFactories();
  const f = defineNamerFactory<{ refreshIntervalSeconds?: number }>({
    kind: "io.l5d.example",
    defaultPrefix: ["io.l5d.example"],
    experimental: true,
    make: (config) => {
      assertEquals(config.refreshIntervalSeconds ?? 5, 5);
      return createNilNamer();
    },
  });
  factories.set(f.kind, f);
  const e = configError(() => createNamers([{ kind: "io.l5d.example" }], { factories }));
  assertEquals(e.path, "namers[0].experimental");
  const namers = createNamers([{ kind: "io.l5d.example", experimental: true }], { factories });
  assertEquals(namers[0]?.prefix, ["io.l5d.example"]);
  assert(!defaultNamerFactories().has("io.l5d.example"), "no global registry");
  await closeAll(namers);
});

Deno.test("createNamers() builds io.l5d.k8s and io.l5d.k8s.ns with their prefixes", async () => {
  const env = (n: string) => (n === "POD_NAMESPACE" ? "prod" : undefined);
  const namers = createNamers([
    { kind: "io.l5d.k8s", host: "127.0.0.1", port: 8001 },
    { kind: "io.l5d.k8s.ns", host: "127.0.0.1", port: 8001, labelSelector: "version" },
    { kind: "io.l5d.dnssrv", experimental: true, refreshIntervalSeconds: 1 },
  ], { env });
  assertEquals(namers.map((n) => n.prefix), [["io.l5d.k8s"], ["io.l5d.k8s.ns"], ["io.l5d.dnssrv"]]);
  assertEquals(namers.map((n) => n.namer.kind), ["io.l5d.k8s", "io.l5d.k8s.ns", "io.l5d.dnssrv"]);
  await closeAll(namers);
});

Deno.test("createNamers() checks what io.l5d.k8s needs from the environment", () => {
  const none = () => undefined;
  let e = configError(() => createNamers([{ kind: "io.l5d.k8s.ns" }], { env: none }));
  assertEquals(e.path, "namers[0].envVar");
  assertStringIncludes(e.message, "POD_NAMESPACE");
  e = configError(() =>
    createNamers([{ kind: "io.l5d.k8s", useServiceAccount: true }], { env: none })
  );
  assertEquals(e.path, "namers[0].useServiceAccount");
});

Deno.test("createNamers() applies namer transformers with qualified ids", async () => {
  const api = startFakeK8sApi();
  api.setEndpoints("default", "world", [{ ip: "10.0.1.5", nodeName: "a" }], [
    { name: "http", port: 7778 },
  ]);
  api.setEndpoints("default", "l5d", [{ ip: "10.0.1.2", nodeName: "a" }], [
    { name: "incoming", port: 4141 },
  ]);
  // linkerd-examples' linkerd-egress.yaml: a k8s namer with its own daemonset transformer
  const namers = createNamers([{
    kind: "io.l5d.k8s",
    prefix: "/io.l5d.k8s.ds",
    host: api.hostname,
    port: api.port,
    transformers: [{
      kind: "io.l5d.k8s.daemonset",
      namespace: "default",
      port: "incoming",
      service: "l5d",
      k8sHost: api.hostname,
      k8sPort: api.port,
    }],
  }]);
  const lookup = createNamerLookup(namers);
  try {
    const v = lookup(["#", "io.l5d.k8s.ds", "default", "http", "world", "rest"])!;
    const a = await waitFor(v, (x) => x.state !== "pending", 3000, "the transformed lookup");
    assert(a.state === "ok" && a.value.type === "leaf" && a.value.value.kind === "bound");
    const b = a.value.value.bound;
    assertEquals(
      b.idStr,
      "/%/io.l5d.k8s.daemonset/default/incoming/l5d/#/io.l5d.k8s.ds/default/http/world",
    );
    assertEquals(b.residual, ["rest"]);
    const addr = await waitFor(b.addr, (x) => x.type !== "pending", 3000, "endpoints");
    assertEquals(addr.type === "bound" ? addr.addrs.map((x) => `${x.host}:${x.port}`) : [], [
      "10.0.1.2:4141",
    ]);
  } finally {
    await lookup.close();
    await closeAll(namers);
    await api.close();
  }
});

Deno.test("createNamers() builds a validated entry without loading zod's schemas", async () => {
  // The registry itself takes validated entries: an unknown key is the validator's business.
  const dir = await Deno.makeTempDir();
  try {
    const raw = [{ kind: "io.l5d.fs", rootDir: dir, rootdir: "x" }];
    assertEquals(configError(() => validateNamerConfigs(raw)).path, "namers[0].rootdir");
    const namers = createNamers(validateNamerConfigs([{ kind: "io.l5d.fs", rootDir: dir }]));
    assertEquals(namers.map((n) => n.prefix), [["io.l5d.fs"]]);
    await closeAll(namers);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
