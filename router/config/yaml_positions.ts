/**
 * Source positions for config issues: find the YAML node at a key path (or its nearest existing
 * ancestor), the key of an unknown entry, and the file offset of a character inside a scalar's
 * value (for dtab errors inside block scalars). Works on the npm `yaml` AST produced by
 * `parseDocument` with a `LineCounter`.
 *
 * @example
 * ```ts
 * import { LineCounter, parseDocument } from "yaml";
 * import { locate } from "./yaml_positions.ts";
 * const lc = new LineCounter();
 * const doc = parseDocument("routers:\n- protocol: h2\n", { lineCounter: lc });
 * console.log(locate(doc, ["routers", 0, "protocol"])); // { offset: 21, path: [...], found: true }
 * ```
 *
 * @module
 */
import { type Document, isAlias, isMap, isScalar, isSeq, type Node, type Scalar } from "yaml";

/** Where an issue points. */
export interface Located {
  /** Offset in the source text. */
  readonly offset: number;
  /** The path as it appears in the file (a `[0]` that zod added for a single-object list is dropped). */
  readonly path: readonly PropertyKey[];
  /** The node at the full path, when it exists. */
  readonly node?: Node;
  /** Whether the full path exists in the file. */
  readonly found: boolean;
}

function deref(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

function start(node: unknown): number | undefined {
  const r = (node as { range?: [number, number, number] } | null)?.range;
  return r ? r[0] : undefined;
}

function pairFor(map: unknown, key: PropertyKey) {
  if (!isMap(map)) return undefined;
  return map.items.find((p) => {
    const k = isScalar(p.key) ? p.key.value : p.key;
    return String(k) === String(key);
  });
}

/**
 * Find the node at `path`, walking as far as the file goes.
 *
 * @param doc The parsed document.
 * @param path Key path from zod (strings for keys, numbers for list indices).
 * @param opts `atKey`: point at the key of the last segment rather than its value (unknown keys).
 * @returns The offset to report and the path as written in the file.
 * @example
 * ```ts
 * import { parseDocument } from "yaml";
 * import { locate } from "./yaml_positions.ts";
 * locate(parseDocument("a:\n  b: 1\n"), ["a", "b"]).offset; // 8
 * ```
 */
export function locate(
  doc: Document,
  path: readonly PropertyKey[],
  opts: { atKey?: boolean } = {},
): Located {
  let node: unknown = deref(doc, doc.contents);
  let offset = start(node) ?? 0;
  const shown: PropertyKey[] = [];
  for (let i = 0; i < path.length; i++) {
    const seg = path[i] as PropertyKey;
    const last = i === path.length - 1;
    if (typeof seg === "number" && !isSeq(node)) {
      // zod saw this single object as a one-element list (e.g. `identifier: {kind: ...}`).
      if (seg === 0 && node !== undefined && node !== null) continue;
      return { offset, path: [...shown, ...path.slice(i)], found: false };
    }
    shown.push(seg);
    if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg];
      if (item === undefined) {
        return { offset, path: [...shown, ...path.slice(i + 1)], found: false };
      }
      node = deref(doc, item);
      offset = start(node) ?? offset;
      continue;
    }
    const pair = pairFor(node, seg);
    if (!pair) return { offset, path: [...shown, ...path.slice(i + 1)], found: false };
    if (last && opts.atKey) {
      return { offset: start(pair.key) ?? offset, path: shown, found: true };
    }
    const value = deref(doc, pair.value);
    // `key:` with no value: point at the key.
    offset = start(value) ?? start(pair.key) ?? offset;
    node = value;
  }
  return isScalar(node) || isMap(node) || isSeq(node)
    ? { offset, path: shown, node: node as Node, found: true }
    : { offset, path: shown, found: true };
}

/**
 * The source offset of character `index` of a string scalar's value. Block scalars (`|`, `>`)
 * lose indentation and folded line breaks, so the value is aligned with the source greedily;
 * escapes in quoted scalars may make the answer approximate (never outside the scalar).
 *
 * @param source The whole YAML text.
 * @param node The scalar.
 * @param index A character index into the scalar's string value.
 * @returns The offset in `source`.
 * @example
 * ```ts
 * import { parseDocument, type Scalar } from "yaml";
 * import { scalarOffset } from "./yaml_positions.ts";
 * const text = "d: |\n  /a => /b;\n";
 * const node = parseDocument(text).get("d", true) as Scalar;
 * scalarOffset(text, node, 1); // 8, the "a"
 * ```
 */
export function scalarOffset(source: string, node: Scalar, index: number): number {
  const range = node.range;
  const value = node.value;
  if (!range || typeof value !== "string") return range?.[0] ?? 0;
  let p = range[0];
  const end = range[1];
  if (node.type === "BLOCK_LITERAL" || node.type === "BLOCK_FOLDED") {
    const nl = source.indexOf("\n", p);
    p = nl < 0 || nl >= end ? end : nl + 1;
  } else if (node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE") {
    p += 1;
  }
  const target = Math.min(index, value.length);
  for (let i = 0; i < target; i++) {
    const ch = value[i];
    let q = p;
    while (q < end && source[q] !== ch && !(ch === " " && source[q] === "\n")) q++;
    if (q >= end) return Math.min(p, end);
    p = q + 1;
  }
  // Skip indentation/line breaks that precede the target character in the source.
  const ch = value[target];
  if (ch !== undefined) {
    let q = p;
    while (q < end && source[q] !== ch) q++;
    if (q < end) return q;
  }
  return Math.min(p, end);
}
