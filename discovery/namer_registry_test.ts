import { assert, assertEquals, assertStringIncludes } from "../tests/support/assert.ts";
import { z } from "zod";
import {
  closeAll,
  createNamers,
  defaultNamerFactories,
  defineNamerFactory,
  type NamerConfig,
  NamerConfigError,
} from "./namer_registry.ts";
import { createNilNamer } from "./nil.ts";
import { createNamerLookup } from "./interpreter.ts";

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

Deno.test("createNamers() reports bad entries with their key path", () => {
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
      [{ kind: "io.l5d.fs", rootDir: "/", transformers: [{ kind: "io.l5d.port" }] }],
      "namers[0].transformers",
      "not supported",
    ],
    [[{ kind: "io.l5d.rewrite", prefix: "/r", pattern: "/x" }], "namers[0].name", ""],
  ];
  for (const [configs, path, msg] of cases) {
    const e = configError(() => createNamers(configs));
    assertEquals(e.path, path, JSON.stringify(configs));
    assertStringIncludes(e.message, msg);
  }
});

Deno.test("createNamers() validates every entry before starting any namer", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // If the first fs namer were started, the test's leak check would fail.
    configError(() => createNamers([{ kind: "io.l5d.fs", rootDir: dir }, { kind: "bogus" }]));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("defineNamerFactory() adds kinds, including experimental ones", async () => {
  const factories = defaultNamerFactories();
  const f = defineNamerFactory({
    kind: "io.l5d.dnssrv",
    defaultPrefix: ["io.l5d.dnssrv"],
    experimental: true,
    schema: z.object({ refreshIntervalSeconds: z.number().default(5) }),
    make: (config) => {
      assertEquals(config.refreshIntervalSeconds, 5);
      return createNilNamer();
    },
  });
  factories.set(f.kind, f);
  const e = configError(() => createNamers([{ kind: "io.l5d.dnssrv" }], { factories }));
  assertEquals(e.path, "namers[0].experimental");
  const namers = createNamers([{ kind: "io.l5d.dnssrv", experimental: true }], { factories });
  assertEquals(namers[0]?.prefix, ["io.l5d.dnssrv"]);
  assert(!defaultNamerFactories().has("io.l5d.dnssrv"), "no global registry");
  await closeAll(namers);
});
