/**
 * YAML (or JSON) text → validated {@linkcode Config}, with every problem reported at
 * `file:line:column` with its key path: YAML syntax errors, schema issues (unknown keys at the
 * key's own line, bad values, unsupported kinds), bad dtabs (at the offending character inside the
 * dtab string), and cross-field conflicts. All problems are returned, not just the first. A
 * namerd config (top-level `storage` / `interfaces`) is rejected as such. Lint warnings
 * (`lint.ts`) come back with a successful load.
 *
 * `-` as a path reads stdin (Linkerd's convention).
 *
 * @example
 * ```ts
 * import { formatIssue, parseConfig } from "./mod.ts";
 * const r = parseConfig("routers:\n- protocol: h2\n", "l5d.yaml");
 * if (!r.ok) console.log(r.errors.map(formatIssue)); // ["l5d.yaml:2:13: routers[0].protocol: h2 is not supported (...)"]
 * ```
 *
 * @module
 */
import { LineCounter, parseDocument, type Scalar } from "yaml";
import type { z } from "zod";
import { type Config, configSchema } from "./schema.ts";
import {
  type ConfigIssue,
  formatIssue,
  formatPath,
  KEY_MESSAGE_SEPARATOR,
  zodMessage,
} from "./issues.ts";
import { locate, scalarOffset } from "./yaml_positions.ts";
import { DTAB_OFFSET } from "./dtab_text.ts";
import { lintConfig } from "./lint.ts";
import { includeRouteFiles, type RouteFile, routeFileOf } from "./route_files.ts";
import { READ_FIX } from "./config_json.ts";
import { protocolKeyIssues } from "./protocol_keys.ts";

/** A config that loaded. `warnings` are formatted like issues (`file:line:col: path: message`). */
export interface ConfigOk {
  readonly ok: true;
  readonly config: Config;
  readonly warnings: string[];
}

/** A config that did not load, with every problem found. */
export interface ConfigErr {
  readonly ok: false;
  readonly errors: ConfigIssue[];
}

/** The outcome of {@linkcode parseConfig}. */
export type ParseResult = ConfigOk | ConfigErr;

/** The outcome of {@linkcode loadConfigFile}: the parse result plus the file's text. */
export type LoadResult = ParseResult & { readonly file: string; readonly text: string };

const NAMERD_KEYS = ["storage", "interfaces"] as const;

type Doc = ReturnType<typeof parseDocument>;

function issueAt(
  lc: LineCounter,
  file: string,
  offset: number,
  path: readonly PropertyKey[],
  message: string,
): ConfigIssue {
  const { line, col } = lc.linePos(offset);
  return { file, line, column: col, path: formatPath(path), message };
}

function zodIssues(
  issues: readonly z.core.$ZodIssue[],
  doc: Doc,
  text: string,
  lc: LineCounter,
  file: string,
  routeFiles: readonly RouteFile[] = [],
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const iss of issues) {
    // Inside a route file read into the config: that file's own line:column.
    const rf = routeFiles.length > 0 ? routeFileOf(routeFiles, iss.path) : undefined;
    if (rf !== undefined) {
      const keys = iss.code === "unrecognized_keys" ? iss.keys : [undefined];
      const messages = iss.code === "unrecognized_keys"
        ? iss.message.split(KEY_MESSAGE_SEPARATOR)
        : [iss.message];
      keys.forEach((key, i) => {
        const at = key === undefined ? rf.inner : [...rf.inner, key];
        const loc = locate(rf.file.doc, at, { atKey: key !== undefined });
        const message = messages[i] ?? `unknown key "${String(key)}"`;
        out.push(issueAt(rf.file.lc, rf.file.file, loc.offset, loc.path, message));
      });
      continue;
    }
    if (iss.code === "unrecognized_keys") {
      const messages = iss.message.split(KEY_MESSAGE_SEPARATOR);
      iss.keys.forEach((key, i) => {
        const loc = locate(doc, [...iss.path, key], { atKey: true });
        out.push(issueAt(lc, file, loc.offset, loc.path, messages[i] ?? `unknown key "${key}"`));
      });
      continue;
    }
    const loc = locate(doc, iss.path);
    let offset = loc.offset;
    const dtabOffset = iss.code === "custom" ? iss.params?.[DTAB_OFFSET] : undefined;
    if (typeof dtabOffset === "number" && loc.node && "type" in loc.node) {
      offset = scalarOffset(text, loc.node as Scalar, dtabOffset);
    }
    out.push(issueAt(lc, file, offset, loc.path, iss.message));
  }
  return out;
}

/**
 * Linkerd reads its config with Jackson, which coerces quoted scalars (`port: "4140"`,
 * `clearContext: "true"`). Where the schema wanted a number or a boolean and found such a
 * string, replace it in `raw` and report where; the caller validates again.
 */
function coerceQuoted(
  raw: unknown,
  issues: readonly z.core.$ZodIssue[],
): { path: PropertyKey[]; value: string }[] {
  const done: { path: PropertyKey[]; value: string }[] = [];
  for (const iss of issues) {
    if (iss.code !== "invalid_type" || iss.path.length === 0) continue;
    if (iss.expected !== "number" && iss.expected !== "boolean") continue;
    let parent: unknown = raw;
    for (const k of iss.path.slice(0, -1)) {
      parent = parent !== null && typeof parent === "object"
        ? (parent as Record<PropertyKey, unknown>)[k]
        : undefined;
    }
    if (parent === null || typeof parent !== "object") continue;
    const key = iss.path.at(-1)!;
    const v = (parent as Record<PropertyKey, unknown>)[key];
    if (typeof v !== "string") continue;
    const t = v.trim();
    let to: number | boolean | undefined;
    if (iss.expected === "number" && /^-?\d+(\.\d+)?$/.test(t)) to = Number(t);
    else if (iss.expected === "boolean" && /^(true|false)$/i.test(t)) {
      to = t.toLowerCase() === "true";
    }
    if (to === undefined) continue;
    (parent as Record<PropertyKey, unknown>)[key] = to;
    done.push({ path: [...iss.path], value: v });
  }
  return done;
}

/**
 * Linkerd's Jackson reads a key with no value (`namers:` with every entry commented out, which
 * YAML reads as null) into an `Option` field as `None`: the key counts as absent. Where the
 * schema wanted something else and found null under a mapping key, drop the key from `raw` and
 * report where; the caller validates again (a required key is then reported missing).
 */
function dropNulls(raw: unknown, issues: readonly z.core.$ZodIssue[]): PropertyKey[][] {
  const done: PropertyKey[][] = [];
  for (const iss of issues) {
    // A null fails as invalid_type, with a plugin union's or a custom check's own message, or
    // below its key (a list schema reads `identifier:` as `[null]`): the nearest null up the path.
    if (iss.code === "unrecognized_keys") continue;
    let parent: unknown = raw;
    for (let i = 0; i < iss.path.length; i++) {
      if (parent === null || typeof parent !== "object") break;
      const key = iss.path[i]!;
      const obj = parent as Record<PropertyKey, unknown>;
      if (typeof key === "string" && !Array.isArray(obj) && obj[key] === null) {
        delete obj[key];
        done.push(iss.path.slice(0, i + 1));
        break;
      }
      parent = obj[key];
    }
  }
  return done;
}

function byPosition(a: ConfigIssue, b: ConfigIssue): number {
  return a.line - b.line || a.column - b.column || a.path.localeCompare(b.path);
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = formatIssue(i);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The duplicated key as written: the error's span may cover only its first character. */
function duplicateKeyText(text: string, from: number, to: number): string {
  const eol = text.indexOf("\n", from);
  const line = eol < 0 ? text.slice(from) : text.slice(from, eol);
  const key = /^("[^"]*"|'[^']*'|[^:#\n]*?)\s*:(\s|$)/.exec(line)?.[1]?.trim();
  return key || text.slice(from, to).trim() || "(empty)";
}

/**
 * Parse and validate a config.
 *
 * @param text The YAML or JSON text.
 * @param filename The name to report in issues (a path, or `<stdin>`).
 * @returns `{ok: true, config, warnings}` or `{ok: false, errors}` with every problem found.
 * @example
 * ```ts
 * import { parseConfig } from "./load.ts";
 * const r = parseConfig("routers: [{protocol: http, servers: [{}]}]", "inline.yaml");
 * console.log(r.ok && r.config.routers[0]?.servers[0]?.port); // 4140
 * ```
 */
export function parseConfig(text: string, filename: string): ParseResult {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, merge: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const [from, to] = e.pos;
        const message = e.code === "DUPLICATE_KEY"
          ? `duplicate key ${duplicateKeyText(text, from, to)}`
          : e.message.split("\n")[0] ?? e.message;
        return issueAt(lc, filename, from, [], message);
      }),
    };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (e: unknown) {
    const message = e instanceof Error ? e.message : String(e);
    return { ok: false, errors: [issueAt(lc, filename, 0, [], message)] };
  }
  if (raw === null || raw === undefined) {
    return {
      ok: false,
      errors: [
        issueAt(lc, filename, 0, [], "the config is empty; expected a mapping with routers"),
      ],
    };
  }
  if (typeof raw !== "object" || Array.isArray(raw)) {
    const message = "expected a mapping with routers at the top level";
    return { ok: false, errors: [issueAt(lc, filename, 0, [], message)] };
  }
  if ("apiVersion" in raw && "kind" in raw && !("routers" in raw)) {
    const kind = String((raw as Record<string, unknown>).kind);
    const message = `a Kubernetes manifest (kind: ${kind}), not a router config; ` +
      "put the linkerd config from its ConfigMap in a file of its own";
    return { ok: false, errors: [issueAt(lc, filename, 0, [], message)] };
  }
  const namerdKey = NAMERD_KEYS.find((k) => k in raw);
  if (namerdKey !== undefined) {
    const loc = locate(doc, [namerdKey], { atKey: true });
    const message = `namerd config, not a router config (top-level ${namerdKey}); ` +
      "Switchyard does not run namerd";
    return { ok: false, errors: [issueAt(lc, filename, loc.offset, [], message)] };
  }
  const included = includeRouteFiles(raw, filename); // issue 5: `routesFile`
  if (included.errors.length > 0 || included.keyIssues.length > 0) {
    const errors = [...included.errors];
    for (const k of included.keyIssues) {
      const loc = locate(doc, k.path);
      errors.push(issueAt(lc, filename, loc.offset, loc.path, k.message));
    }
    return { ok: false, errors };
  }
  let parsed = configSchema.safeParse(raw, { error: zodMessage });
  const coerced: { path: PropertyKey[]; value: string }[] = [];
  const nulls: PropertyKey[][] = [];
  for (let round = 0; round < 4 && !parsed.success; round++) {
    const c = coerceQuoted(raw, parsed.error.issues);
    const n = dropNulls(raw, parsed.error.issues);
    if (c.length === 0 && n.length === 0) break;
    coerced.push(...c);
    nulls.push(...n);
    parsed = configSchema.safeParse(raw, { error: zodMessage });
  }
  // The other protocol's service/client keys, which the shared schema lets through.
  const foreign = protocolKeyIssues(raw).map((p) => {
    const loc = locate(doc, p.path, { atKey: p.atKey });
    return issueAt(lc, filename, loc.offset, loc.path, p.message);
  });
  if (!parsed.success || foreign.length > 0) {
    const errors = parsed.success
      ? foreign
      : [...zodIssues(parsed.error.issues, doc, text, lc, filename, included.files), ...foreign];
    return { ok: false, errors: dedupe(errors).sort(byPosition) };
  }
  const warnings: ConfigIssue[] = doc.warnings.map((w) =>
    issueAt(lc, filename, w.pos[0], [], w.message.split("\n")[0] ?? w.message)
  );
  for (const c of coerced) {
    const loc = locate(doc, c.path);
    const message = `quoted value ${JSON.stringify(c.value)} read as ${c.value.trim()} ` +
      "(as Linkerd's Jackson does); write it unquoted";
    warnings.push(issueAt(lc, filename, loc.offset, loc.path, message));
  }
  for (const path of nulls) {
    const loc = locate(doc, path, { atKey: true });
    const message = "no value: read as absent (as Linkerd's Jackson reads null as None)";
    warnings.push(issueAt(lc, filename, loc.offset, loc.path, message));
  }
  for (const w of lintConfig({ ...parsed.data, source: raw })) {
    const loc = locate(doc, w.path);
    const offset = w.dtabOffset !== undefined && loc.node && "type" in loc.node
      ? scalarOffset(text, loc.node as Scalar, w.dtabOffset)
      : loc.offset;
    warnings.push(issueAt(lc, filename, offset, loc.path, w.message));
  }
  // `raw` now holds the document as read, with any quoted number or boolean the loop above
  // coerced: what Linkerd's ConfigHandler re-serializes for `/config.json`.
  const config: Config = { ...parsed.data, source: raw };
  return { ok: true, config, warnings: warnings.sort(byPosition).map(formatIssue) };
}

async function readStdin(): Promise<string> {
  return await new Response(Deno.stdin.readable).text();
}

/**
 * Read and parse a config file (`-` reads stdin and reports it as `<stdin>`). A file that cannot
 * be read is reported as an issue at line 1, column 1.
 *
 * @param path The file path, or `-`.
 * @returns The parse result, the name used in issues, and the text read (for hashing).
 * @example
 * ```ts ignore
 * import { loadConfigFile } from "./load.ts";
 * const r = await loadConfigFile("linkerd.yaml");
 * ```
 */
export async function loadConfigFile(path: string): Promise<LoadResult> {
  const file = path === "-" ? "<stdin>" : path;
  let text: string;
  try {
    text = path === "-" ? await readStdin() : await Deno.readTextFile(path);
  } catch (e: unknown) {
    const reason = e instanceof Error ? e.message : String(e);
    const error: ConfigIssue = {
      file,
      line: 1,
      column: 1,
      path: "",
      message: `cannot read config: ${reason}; ${READ_FIX}`,
    };
    return { ok: false, errors: [error], file, text: "" };
  }
  return { ...parseConfig(text, file), file, text };
}
