/**
 * Linkerd's PathMatcher (L1 `finagle/buoyant/.../PathMatcher.scala`): a `/`-separated pattern
 * whose segments are literals, `*` (any one segment) or contain `{var}` captures, matched as a
 * *prefix* of a path; captured values can be substituted into a template. Used by the
 * `io.l5d.rewrite` namer.
 *
 * Semantics: segments compare against the shown form of each label; a capture is greedy
 * (`{A}-{B}` on `foo-bar-baz` gives A=`foo-bar`, B=`baz`); extra path segments are ignored.
 * Deviation: a segment with captures must match the *whole* label (Linkerd's regex search is
 * unanchored, so `{A}.com` would also match `x.com.evil`).
 *
 * @module
 */
import type { Path } from "../router/dtab/types.ts";
import { showLabel } from "./_path.ts";

/** A compiled pattern. */
export interface PathMatcher {
  /** The pattern text. */
  readonly pattern: string;
  /** Captured variables when `path` matches, else `undefined`. */
  extract(path: Path): Map<string, string> | undefined;
}

type Segment =
  | { readonly kind: "any" }
  | { readonly kind: "literal"; readonly text: string }
  | { readonly kind: "capture"; readonly regex: RegExp; readonly keys: readonly string[] };

const CAPTURE = /\{([A-Za-z0-9.:_-]+)\}/g;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function compileSegment(seg: string): Segment {
  if (seg === "*") return { kind: "any" };
  const keys: string[] = [];
  let source = "";
  let last = 0;
  for (const m of seg.matchAll(CAPTURE)) {
    source += escapeRegex(seg.slice(last, m.index)) + "(.*)";
    keys.push(m[1] as string);
    last = m.index + m[0].length;
  }
  if (keys.length === 0) return { kind: "literal", text: seg };
  source += escapeRegex(seg.slice(last));
  return { kind: "capture", regex: new RegExp(`^${source}$`, "s"), keys };
}

/**
 * Compile a pattern such as `/svc/{service}/*`.
 *
 * @param pattern The pattern; leading and trailing `/` are optional.
 * @returns The matcher.
 * @example
 * ```ts
 * import { compilePathMatcher } from "./path_matcher.ts";
 * compilePathMatcher("/foo/{A}/*").extract(["foo", "bar", "x", "y"]); // Map { "A" => "bar" }
 * ```
 */
export function compilePathMatcher(pattern: string): PathMatcher {
  const raw = pattern.split("/");
  while (raw.length > 0 && raw[0] === "") raw.shift();
  while (raw.length > 0 && raw[raw.length - 1] === "") raw.pop();
  const segments = raw.map(compileSegment);
  return {
    pattern,
    extract(path) {
      if (path.length < segments.length) return undefined;
      const vars = new Map<string, string>();
      for (let i = 0; i < segments.length; i++) {
        const seg = segments[i] as Segment;
        const label = showLabel(path[i] as string);
        if (seg.kind === "literal") {
          if (seg.text !== label) return undefined;
        } else if (seg.kind === "capture") {
          const m = seg.regex.exec(label);
          if (!m) return undefined;
          seg.keys.forEach((k, j) => vars.set(k, m[j + 1] ?? ""));
        }
      }
      return vars;
    },
  };
}

/**
 * Replace every `{var}` in `template` with its value; unknown variables are left as they are.
 *
 * @param vars Captured values.
 * @param template E.g. `/srv/{service}`.
 * @returns The substituted text.
 * @example
 * ```ts
 * import { substituteVars } from "./path_matcher.ts";
 * substituteVars(new Map([["A", "boo"]]), "/{A}/and"); // "/boo/and"
 * ```
 */
export function substituteVars(vars: ReadonlyMap<string, string>, template: string): string {
  return template.replace(CAPTURE, (m, k: string) => vars.get(k) ?? m);
}
