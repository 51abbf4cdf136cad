/**
 * The `io.l5d.rewrite` namer (L1 `namer/core/.../RewritingNamer.scala`,
 * `RewritingNamerInitializer.scala`): if the path after the prefix matches `pattern`, the
 * result is the path `name` with `{var}` captures substituted, returned as a `{ kind: "path" }`
 * leaf to delegate again; otherwise Neg. Segments past the pattern are dropped (not appended).
 * Linkerd keys: `kind: io.l5d.rewrite`, `pattern`, `name`, and `prefix`, which is *required*
 * (there is no default prefix).
 *
 * @module
 */
import type { RewriteNamerOptions } from "./rewrite_schema.ts";
import { constVar, type Var } from "../router/core/var.ts";
import type { Namer } from "./types.ts";
import { failed, leafPath, type Lookup, NEG } from "./_activity.ts";
import { readPath } from "./_path.ts";
import { compilePathMatcher, substituteVars } from "./path_matcher.ts";

/** The Linkerd kind. */
export const kind = "io.l5d.rewrite";

export type { RewriteNamerOptions };

/**
 * Make an `io.l5d.rewrite` namer.
 *
 * @param opts `pattern` (with `{var}` captures and `*`) and the `name` template.
 * @returns The namer; results never change, so lookups return constant Vars.
 * @example
 * ```ts
 * import { createRewriteNamer } from "./rewrite.ts";
 * const namer = createRewriteNamer({ pattern: "/{svc}/*", name: "/srv/{svc}" });
 * namer.lookup(["web", "v1"]).get(); // leaf path ["srv", "web"]
 * ```
 */
export function createRewriteNamer(opts: RewriteNamerOptions): Namer {
  const matcher = compilePathMatcher(opts.pattern);
  const neg: Var<Lookup> = constVar(NEG);
  return {
    kind,
    lookup(path) {
      const vars = matcher.extract(path);
      if (!vars) return neg;
      const text = substituteVars(vars, opts.name);
      const out = readPath(text);
      return constVar(
        "error" in out ? failed(`io.l5d.rewrite: bad name ${text}: ${out.error}`) : leafPath(out),
      );
    },
  };
}
