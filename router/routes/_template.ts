/**
 * Route templates: a route's `dst` (a Finagle path) and `rewrite.path` (a URL path) may use the
 * params its Hono pattern captures as `{name}`. Compiled once per route; filling one in is a few
 * string concatenations.
 *
 * - `dst`: each `/`-separated label is a template; literal text is read with the dtab grammar
 *   (so `\xHH` escapes work). A param value is inserted raw (as it appears in the URL, still
 *   percent-encoded); a value holding `/` (from a pattern like `:rest{.+}`) becomes several
 *   labels, and a label that ends up empty (an absent optional param `:x?`) is dropped.
 * - `rewrite.path`: plain text substitution; the request's query string is kept.
 * - Hono's own spelling works in `dst` too: a whole label `:name` naming a param of the route's
 *   pattern (`dst: /svc/posts/:id` for `/posts/:id{[0-9]+}`) is `{name}`; any other `:` label
 *   stays literal.
 *
 * @module
 */
import { parsePath, type Path } from "../dtab/mod.ts";

const PLACEHOLDER_RE = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Captured params: name → raw value (`undefined` for an absent optional param). */
export type Params = Readonly<Record<string, string | undefined>>;

type Part = string | { readonly param: string };

function parts(text: string): Part[] {
  const out: Part[] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER_RE)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push({ param: m[1] ?? "" });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function fill(ps: readonly Part[], params: Params): string {
  let s = "";
  for (const p of ps) s += typeof p === "string" ? p : params[p.param] ?? "";
  return s;
}

function decodeLiteral(text: string): string {
  return text.includes("\\") ? parsePath("/" + text)[0] ?? "" : text;
}

/** The params a Hono pattern captures: `:id`, `:id{[0-9]+}`, `:id?`. */
function patternParamNames(pattern: string): string[] {
  return [...pattern.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] ?? "");
}

/** A compiled `dst` template. */
export interface PathTemplate {
  /** The params it uses. */
  readonly params: readonly string[];
  /** The path for these params. */
  fill(params: Params): Path;
}

/**
 * Compile a `dst` template such as `/svc/users/{id}` (or `/svc/users/:id`).
 *
 * @param text The template (validated by the config schema).
 * @param pattern The route's Hono pattern (`match.path`), whose params `:name` labels name.
 * @returns The compiled template.
 * @throws BadDtab when a literal label is not valid path text.
 */
export function compilePathTemplate(text: string, pattern = ""): PathTemplate {
  const captured = patternParamNames(pattern);
  const labels = text.split("/").filter((s) => s !== "").map((label) =>
    label.startsWith(":") && captured.includes(label.slice(1))
      ? [{ param: label.slice(1) }]
      : parts(label).map((p) => (typeof p === "string" ? decodeLiteral(p) : p))
  );
  const params = labels.flat().flatMap((p) => (typeof p === "string" ? [] : [p.param]));
  if (params.length === 0) {
    const constant: Path = Object.freeze(labels.map((l) => l.join("")));
    return { params, fill: () => constant };
  }
  return {
    params,
    fill(values) {
      const out: string[] = [];
      for (const label of labels) {
        const s = fill(label, values);
        if (s.includes("/")) { for (const x of s.split("/")) if (x !== "") out.push(x); }
        else if (s !== "") out.push(s);
      }
      return out;
    },
  };
}

/** A compiled URL path template (`rewrite.path`). */
export interface UrlTemplate {
  fill(params: Params): string;
}

/**
 * Compile a `rewrite.path` template such as `/v2/users/{id}`.
 *
 * @param text The template.
 * @returns The compiled template; `fill` always returns a path starting with `/`.
 */
export function compileUrlTemplate(text: string): UrlTemplate {
  const ps = parts(text);
  return {
    fill(values) {
      const s = fill(ps, values).replace(/\/{2,}/g, "/");
      return s.startsWith("/") ? s : "/" + s;
    },
  };
}

/**
 * Remove a route's `rewrite.stripPrefix` from a request path. A literal prefix is removed when
 * the path starts with it at a segment boundary; a prefix with params or `*` (`/api/:version`)
 * removes as many leading segments as it has.
 *
 * @param prefix The prefix from the config.
 * @returns A function from request path to the stripped path (always starting with `/`).
 */
export function compileStripPrefix(prefix: string): (path: string) => string {
  const trimmed = prefix.length > 1 && prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  if (!/[:*]/.test(trimmed)) {
    return (path) => {
      if (trimmed === "/" || !path.startsWith(trimmed)) return path;
      const rest = path.slice(trimmed.length);
      if (rest === "") return "/";
      return rest.startsWith("/") ? rest : path;
    };
  }
  const n = trimmed.split("/").filter((s) => s !== "").length;
  return (path) => {
    let i = 0;
    let at = 0;
    while (i < n && at < path.length) {
      const next = path.indexOf("/", at + 1);
      at = next < 0 ? path.length : next;
      i++;
    }
    const rest = path.slice(at);
    return rest === "" ? "/" : rest;
  };
}
