/**
 * Config problems as values: {@linkcode ConfigIssue} (file, line, column, key path, message),
 * their one-line form (`file:line:col: path: message`), key-path formatting
 * (`routers[0].client.loadBalancer.kind`), and the zod error map that words schema issues for
 * people (`expected a number, got string "80"`, `unknown key "prot" (did you mean "protocol"?)`).
 *
 * @example
 * ```ts
 * import { formatIssue } from "./issues.ts";
 * console.log(formatIssue({ file: "l5d.yaml", line: 3, column: 5, path: "routers[0].protocol", message: "h2 is not supported" }));
 * // l5d.yaml:3:5: routers[0].protocol: h2 is not supported
 * ```
 *
 * @module
 */
import type { z } from "zod";

/** One problem found in a config file. Lines and columns are 1-based. */
export interface ConfigIssue {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Key path such as `routers[0].servers[1].port`; empty for the document itself. */
  readonly path: string;
  readonly message: string;
}

/**
 * Format an issue as `file:line:col: path: message` (`file:line:col: message` without a path).
 *
 * @param issue The issue.
 * @returns One line.
 * @example
 * ```ts
 * import { formatIssue } from "./issues.ts";
 * formatIssue({ file: "a.yaml", line: 1, column: 1, path: "", message: "empty" }); // "a.yaml:1:1: empty"
 * ```
 */
export function formatIssue(issue: ConfigIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  return issue.path === ""
    ? `${where}: ${issue.message}`
    : `${where}: ${issue.path}: ${issue.message}`;
}

const SIMPLE_KEY = /^[A-Za-z_$][\w$-]*$/;

/**
 * Format a key path: `["routers", 0, "client", "kind"]` → `routers[0].client.kind`; keys that are
 * not plain words are quoted (`headers["x.y"]`).
 *
 * @param path The segments.
 * @returns The dotted path.
 * @example
 * ```ts
 * import { formatPath } from "./issues.ts";
 * formatPath(["routers", 0, "dtab"]); // "routers[0].dtab"
 * ```
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (typeof seg === "string" && SIMPLE_KEY.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

function describe(input: unknown): string {
  if (input === null) return "null";
  if (Array.isArray(input)) return "a list";
  switch (typeof input) {
    case "object":
      return "a mapping";
    case "string":
      return `string ${JSON.stringify(input.length > 60 ? input.slice(0, 57) + "..." : input)}`;
    case "number":
      return Number.isInteger(input) ? `integer ${input}` : `number ${input}`;
    case "boolean":
      return `boolean ${input}`;
    default:
      return typeof input;
  }
}

const EXPECTED: Record<string, string> = {
  object: "a mapping",
  array: "a list",
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  record: "a mapping",
};

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions), case-insensitive. */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const d: number[][] = Array.from(
    { length: x.length + 1 },
    (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) {
        v = Math.min(v, at(i - 2, j - 2) + 1);
      }
      (d[i] as number[])[j] = v;
    }
  }
  return at(x.length, y.length);
}

/**
 * The closest known key to an unknown one, if it is close enough to be a likely typo.
 *
 * @param key The unknown key.
 * @param known The keys the object accepts.
 * @returns The suggestion, or `undefined`.
 * @example
 * ```ts
 * import { suggestKey } from "./issues.ts";
 * suggestKey("protocl", ["protocol", "label"]); // "protocol"
 * ```
 */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(key, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return bestD <= Math.max(1, Math.floor(key.length / 4)) ? best : undefined;
}

/** Keys older Linkerd releases (and their docs) used, with where they live now. */
const MOVED_KEYS: Readonly<Record<string, string>> = {
  baseDtab: "dtab",
  responseClassifier: "service.responseClassifier",
  timeoutMs: "service.totalTimeoutMs or client.requestAttemptTimeoutMs",
  retries: "service.retries",
  engine: "nothing: Switchyard has one HTTP engine",
  maxChunkKB: "streamAfterContentLengthKB",
  maxRequestKB: "streamAfterContentLengthKB",
  maxResponseKB: "streamAfterContentLengthKB",
  h2AccessLog: "httpAccessLog on http routers; h2AccessLog is the h2 routers' key",
  /**
   * tracer.md's top-level section: Linkerd 1.0 removed it (linkerd/linkerd PR #1048) for the
   * io.l5d.zipkin telemeter, with the same `host`, `port` and `sampleRate` (ZipkinInitializer).
   */
  tracers: "telemetry: [{kind: io.l5d.zipkin, host, port, sampleRate}]; tracers went in 1.0",
  /** tracer.md's per-tracer console dump; a telemeter that logs every span is io.l5d.tracelog. */
  debugTrace: "an io.l5d.tracelog telemeter, which logs the spans",
};

/** Separates the per-key messages of one `unrecognized_keys` issue. */
export const KEY_MESSAGE_SEPARATOR = "\u0000";

function bound(iss: { origin?: string; inclusive?: boolean }, n: unknown, more: boolean): string {
  const v = String(n);
  switch (iss.origin) {
    case "array":
      return more
        ? `must have at most ${v} entries`
        : `must have at least ${v} entr${v === "1" ? "y" : "ies"}`;
    case "string":
      return more
        ? `must be at most ${v} characters`
        : v === "1"
        ? "must not be empty"
        : `must be at least ${v} characters`;
    default: {
      const cmp = more
        ? (iss.inclusive === false ? "<" : "<=")
        : (iss.inclusive === false ? ">" : ">=");
      return `must be ${cmp} ${v}`;
    }
  }
}

/**
 * The per-parse zod error map: readable messages for schema issues. Plugin unions and custom
 * checks bring their own messages, which take precedence.
 *
 * @param iss The raw zod issue.
 * @returns The message.
 * @example
 * ```ts
 * import { z } from "zod";
 * import { zodMessage } from "./issues.ts";
 * z.number().safeParse("80", { error: zodMessage }).error?.issues[0]?.message; // 'expected a number, got string "80"'
 * ```
 */
export function zodMessage(iss: z.core.$ZodRawIssue): string {
  switch (iss.code) {
    case "invalid_type": {
      const expected = EXPECTED[iss.expected] ?? iss.expected;
      if (iss.input === undefined) return `required key is missing (expected ${expected})`;
      if (iss.expected === "never") return "not allowed here";
      return `expected ${expected}, got ${describe(iss.input)}`;
    }
    case "unrecognized_keys": {
      const shape = (iss.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } })?._zod
        ?.def?.shape;
      const known = shape ? Object.keys(shape) : [];
      return iss.keys.map((key) => {
        const hint = suggestKey(key, known);
        if (hint) return `unknown key "${key}" (did you mean "${hint}"?)`;
        const moved = Object.hasOwn(MOVED_KEYS, key) ? MOVED_KEYS[key] : undefined;
        return moved
          ? `unknown key "${key}" here (Linkerd 1.x uses ${moved})`
          : `unknown key "${key}"`;
      }).join(KEY_MESSAGE_SEPARATOR);
    }
    case "too_small":
      return bound(iss, iss.minimum, false);
    case "too_big":
      return bound(iss, iss.maximum, true);
    case "invalid_value":
      return `${describe(iss.input)} is not one of ${iss.values.map((v) => String(v)).join(", ")}`;
    case "not_multiple_of":
      return `must be a multiple of ${String(iss.divisor)}`;
    case "invalid_format":
      return `${describe(iss.input)} is not a valid ${iss.format}`;
    case "invalid_key":
      return `invalid key ${describe(iss.input)}`;
    case "invalid_union":
      return `${describe(iss.input)} does not match any allowed form`;
    default:
      return "invalid value";
  }
}

/**
 * The fix line after an invalid config's errors (issue 5: "errors are one clear line plus the
 * fix").
 *
 * @param file the config file as named in the errors
 * @returns `  fix: …`
 */
export function invalidFix(file: string): string {
  return `  fix: correct each key at the file:line:column above (the README's Configuration lists ` +
    `keys and defaults), then run \`switchyard check ${file}\` again`;
}
