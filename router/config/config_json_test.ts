import { assert, assertEquals, assertStringIncludes } from "../../tests/support/assert.ts";
import { decodeConfigJson, encodeConfigJson } from "./config_json.ts";
import { demoConfigYaml } from "./demo_config.ts";
import { parseConfig } from "./load.ts";

/**
 * Strict deep equality: same prototypes, same own keys (an `undefined` value included), numbers
 * by `Object.is` (so -0 ≠ 0, NaN = NaN), RegExp by source and flags. `assertEquals` is looser.
 */
function strictDiff(a: unknown, b: unknown, at = "(root)"): string | undefined {
  if (Object.is(a, b)) return undefined;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
    return `${at}: ${String(a)} (${typeof a}) vs ${String(b)} (${typeof b})`;
  }
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${at}: prototypes differ`;
  if (a instanceof RegExp && b instanceof RegExp) {
    return a.source === b.source && a.flags === b.flags ? undefined : `${at}: ${a} vs ${b}`;
  }
  if (a instanceof Date && b instanceof Date) {
    return a.getTime() === b.getTime() ? undefined : `${at}: dates differ`;
  }
  if (a instanceof Map && b instanceof Map) return strictDiff([...a], [...b], at);
  if (a instanceof Set && b instanceof Set) return strictDiff([...a], [...b], at);
  const ka = Reflect.ownKeys(a);
  const kb = Reflect.ownKeys(b);
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) {
    return `${at}: keys ${String(ka)} vs ${String(kb)}`;
  }
  for (const k of ka) {
    const d = strictDiff(
      (a as Record<PropertyKey, unknown>)[k],
      (b as Record<PropertyKey, unknown>)[k],
      `${at}.${String(k)}`,
    );
    if (d) return d;
  }
  return undefined;
}

function roundTrip(v: unknown): unknown {
  const text = encodeConfigJson(v);
  assert(!text.includes("\n"), "one line");
  return decodeConfigJson(text);
}

Deno.test("encodeConfigJson() keeps the values plain JSON loses", () => {
  const v = {
    inf: Infinity,
    ninf: -Infinity,
    nan: NaN,
    negZero: -0,
    undef: undefined,
    list: [1, undefined, null, "x"],
    big: 12345678901234567890n,
    re: /a+(b)?/gi,
    date: new Date("2026-01-02T03:04:05.678Z"),
    map: new Map<unknown, unknown>([["k", { n: -0 }], [1, [Infinity]]]),
    set: new Set(["a", 2]),
    nested: { deep: [{ x: NaN }] },
  };
  const back = roundTrip(v);
  assertEquals(strictDiff(back, v), undefined);
});

Deno.test("encodeConfigJson() escapes an object that has the tag key", () => {
  const v = { headers: { $sy: "Infinity", other: "x" }, list: [{ $sy: "undefined" }] };
  const text = encodeConfigJson(v);
  assertEquals(strictDiff(decodeConfigJson(text), v), undefined);
});

Deno.test("encodeConfigJson() keeps a __proto__ key an own key", () => {
  const v = JSON.parse('{"headers":{"__proto__":{"a":1}},"$sy":{"__proto__":"x"}}');
  const back = roundTrip(v) as { headers: object };
  assertEquals(Object.getPrototypeOf(back.headers), Object.prototype);
  assertEquals(Object.keys(back.headers), ["__proto__"]);
  assertEquals(strictDiff(back, v), undefined);
});

Deno.test("encodeConfigJson() refuses class instances and functions, naming the path", () => {
  class Custom {
    x = 1;
  }
  const cases: [unknown, string][] = [
    [{ routers: [{ a: new Custom() }] }, ".routers[0].a"],
    [{ f: () => 1 }, ".f"],
    [{ s: Symbol("x") }, ".s"],
    [{ u: new URL("http://x/") }, ".u"],
  ];
  for (const [v, at] of cases) {
    let err: unknown;
    try {
      encodeConfigJson(v);
    } catch (e: unknown) {
      err = e;
    }
    assert(err instanceof TypeError, `${at}: ${err}`);
    assertStringIncludes(err.message, at);
  }
});

Deno.test("decodeConfigJson() rejects an unknown tag", () => {
  let err: unknown;
  try {
    decodeConfigJson('{"a":{"$sy":"Symbol"}}');
  } catch (e: unknown) {
    err = e;
  }
  assert(err instanceof TypeError);
});

const COMPAT = new URL("../../../shared/compat/", import.meta.url);

async function corpus(): Promise<[string, string][]> {
  const index: { configs: { file: string }[] } = JSON.parse(
    await Deno.readTextFile(new URL("linkerd-configs/index.json", COMPAT)),
  );
  const out: [string, string][] = [];
  for (const e of index.configs) {
    out.push([e.file, await Deno.readTextFile(new URL(e.file, COMPAT))]);
  }
  const examples = new URL("../../deploy/examples/", import.meta.url);
  for (const entry of Deno.readDirSync(examples)) {
    if (entry.isFile && /\.ya?ml$/.test(entry.name)) {
      out.push([entry.name, await Deno.readTextFile(new URL(entry.name, examples))]);
    }
  }
  const demo = demoConfigYaml({
    routerPort: 4140,
    adminPort: 9990,
    rootDir: "/tmp",
    ip: "127.0.0.1",
  });
  out.push(["<demo>", demo]);
  return out;
}

Deno.test("encodeConfigJson() round-trips every compat, example and demo parse exactly", async () => {
  const files = await corpus();
  let configs = 0;
  for (const [file, text] of files) {
    const parsed = parseConfig(text, file);
    if (parsed.ok) configs++;
    const diff = strictDiff(roundTrip(parsed), parsed);
    assertEquals(diff, undefined, file);
  }
  assert(configs >= 30, `only ${configs} configs loaded`);
});

Deno.test("parseConfig() output is plain JSON data (no value needs a tag)", async () => {
  // If this fails, a schema started producing a non-JSON value: the codec still carries it
  // (above), but check that the serving code expects it.
  for (const [file, text] of await corpus()) {
    const parsed = parseConfig(text, file);
    if (!parsed.ok) continue;
    assert(!encodeConfigJson(parsed.config).includes('"$sy"'), file);
  }
});

Deno.test("parseConfig() rejects .inf and .nan in number fields, so they never reach the codec", () => {
  for (const v of [".inf", "-.inf", ".nan"]) {
    const r = parseConfig(
      `routers:\n- protocol: http\n  maxCallDepth: ${v}\n  servers: [{port: 0}]\n`,
      "x.yaml",
    );
    assert(!r.ok, v);
  }
});
