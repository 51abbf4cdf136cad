/**
 * The validated config as JSON, for handing it from the process that parses it (`switchyard
 * config-json`, which loads zod and yaml) to the serving process (which never does; issue 6).
 *
 * A parsed {@linkcode Config} is plain data today, but plain `JSON.stringify` would change some
 * values silently: `Infinity`/`NaN` become `null`, `-0` becomes `0`, `undefined` in a list
 * becomes `null` and an `undefined` property disappears; a `RegExp`, `Map`, `Set` or `Date` would
 * turn into `{}` or a string, and a `BigInt` throws. {@linkcode encodeConfigJson} writes each of
 * those as a tagged object and {@linkcode decodeConfigJson} turns the tags back, so the round trip
 * is exact. Anything else that is not plain data (a class instance, a function, a symbol) is
 * refused with its key path rather than sent half-way.
 *
 * Tags are objects whose only key is `"$sy"`; an object of the config that happens to have a
 * `"$sy"` key is itself wrapped (`{"$sy": "object", "entries": [...]}`), so no input is ambiguous.
 *
 * @example
 * ```ts
 * import { decodeConfigJson, encodeConfigJson } from "./config_json.ts";
 * const v = { a: [1, undefined, Infinity], re: /x+/g };
 * const back = decodeConfigJson(encodeConfigJson(v)) as typeof v;
 * back.a[2]; // Infinity
 * back.re.test("xx"); // true
 * ```
 *
 * @module
 */

const TAG = "$sy";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function tag(kind: string, extra: Record<string, Json> = {}): Json {
  return { [TAG]: kind, ...extra };
}

function encodeValue(v: unknown, at: string): Json {
  switch (typeof v) {
    case "string":
    case "boolean":
      return v;
    case "number":
      if (Number.isNaN(v)) return tag("NaN");
      if (v === Infinity) return tag("Infinity");
      if (v === -Infinity) return tag("-Infinity");
      if (Object.is(v, -0)) return tag("-0");
      return v;
    case "undefined":
      return tag("undefined");
    case "bigint":
      return tag("bigint", { value: v.toString() });
    case "object":
      break;
    default:
      throw new TypeError(`cannot encode ${typeof v} at ${at || "(root)"} as config JSON`);
  }
  if (v === null) return null;
  if (Array.isArray(v)) {
    const out: Json[] = [];
    for (let i = 0; i < v.length; i++) out.push(encodeValue(v[i], `${at}[${i}]`));
    return out;
  }
  if (v instanceof RegExp) return tag("RegExp", { source: v.source, flags: v.flags });
  if (v instanceof Date) return tag("Date", { value: v.toISOString() });
  if (v instanceof Map) {
    const entries = [...v].map(([k, x], i) => [
      encodeValue(k, `${at}.<key ${i}>`),
      encodeValue(x, `${at}.<value ${i}>`),
    ]);
    return tag("Map", { entries });
  }
  if (v instanceof Set) {
    return tag("Set", { values: [...v].map((x, i) => encodeValue(x, `${at}.<item ${i}>`)) });
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) {
    const name = (proto as { constructor?: { name?: string } }).constructor?.name ?? "?";
    throw new TypeError(`cannot encode a ${name} at ${at || "(root)"} as config JSON`);
  }
  const entries: [string, Json][] = Object.keys(v).map((k) => [
    k,
    encodeValue((v as Record<string, unknown>)[k], `${at}.${k}`),
  ]);
  if (Object.hasOwn(v, TAG)) return tag("object", { entries });
  return fromEntries(entries) as { [key: string]: Json };
}

function decodeValue(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(decodeValue);
  const o = v as Record<string, unknown>;
  if (typeof o[TAG] === "string") {
    switch (o[TAG]) {
      case "NaN":
        return NaN;
      case "Infinity":
        return Infinity;
      case "-Infinity":
        return -Infinity;
      case "-0":
        return -0;
      case "undefined":
        return undefined;
      case "bigint":
        return BigInt(String(o.value));
      case "RegExp":
        return new RegExp(String(o.source), String(o.flags));
      case "Date":
        return new Date(String(o.value));
      case "Map":
        return new Map(
          (o.entries as [unknown, unknown][]).map(([k, x]) => [decodeValue(k), decodeValue(x)]),
        );
      case "Set":
        return new Set((o.values as unknown[]).map(decodeValue));
      case "object":
        return decodeEntries(o.entries as [string, unknown][]);
      default:
        throw new TypeError(`unknown config JSON tag ${JSON.stringify(o[TAG])}`);
    }
  }
  return decodeEntries(Object.entries(o));
}

function decodeEntries(entries: readonly [string, unknown][]): Record<string, unknown> {
  return fromEntries(entries.map(([k, x]) => [k, decodeValue(x)]));
}

function fromEntries(entries: readonly [string, unknown][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // defineProperty: a `__proto__` key stays an own key, as in the parsed config.
  for (const [k, x] of entries) {
    Object.defineProperty(out, k, {
      value: x,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/**
 * Encode a value (a parse result, a config) as one line of JSON, keeping the values plain JSON
 * loses.
 *
 * @param value Plain data: objects, arrays, strings, numbers (any), booleans, null, undefined,
 *   bigint, RegExp, Date, Map, Set.
 * @returns The JSON text, without newlines.
 * @throws {TypeError} On a class instance, function or symbol, naming its key path.
 * @example
 * ```ts
 * import { encodeConfigJson } from "./config_json.ts";
 * encodeConfigJson({ n: -0 }); // '{"n":{"$sy":"-0"}}'
 * ```
 */
export function encodeConfigJson(value: unknown): string {
  return JSON.stringify(encodeValue(value, ""));
}

/**
 * Decode what {@linkcode encodeConfigJson} wrote.
 *
 * @param text The JSON text.
 * @returns The value, equal (deeply, `Object.is` on numbers) to the one encoded.
 * @throws {SyntaxError} On text that is not JSON; {TypeError} on an unknown tag.
 * @example
 * ```ts
 * import { decodeConfigJson } from "./config_json.ts";
 * decodeConfigJson('{"n":{"$sy":"Infinity"}}'); // { n: Infinity }
 * ```
 */
export function decodeConfigJson(text: string): unknown {
  return decodeValue(JSON.parse(text));
}

/** The fix printed with "cannot read config" (issue 5: one clear line plus the fix). */
export const READ_FIX = "fix: pass the path of a Linkerd-style YAML or JSON config file";
