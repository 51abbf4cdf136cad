/**
 * Identifiers by Linkerd kind, and their composition.
 *
 * @example
 * ```ts
 * import { identifiersFromConfig } from "./mod.ts";
 * const ids = identifiersFromConfig([{ kind: "io.l5d.header.token", header: "Host" }], ["svc"], (s) => s.split("/").filter(Boolean));
 * ```
 *
 * @module
 */
import type { Path } from "../dtab/types.ts";
import type { Identifier } from "./identifier.ts";
import { headerTokenIdentifier } from "./header_token.ts";
import { methodAndHostIdentifier } from "./method_and_host.ts";
import { pathIdentifier } from "./path.ts";
import { headerIdentifier } from "./header.ts";
import { staticIdentifier } from "./static.ts";

export * from "./identifier.ts";
export {
  headerIdentifier,
  headerTokenIdentifier,
  methodAndHostIdentifier,
  pathIdentifier,
  staticIdentifier,
};

/** The config shape identifiers are built from (a validated `identifier` entry). */
export type IdentifierSpec =
  | { readonly kind: "io.l5d.header.token"; readonly header?: string }
  | { readonly kind: "io.l5d.methodAndHost"; readonly httpUriInDst?: boolean }
  | { readonly kind: "io.l5d.path"; readonly segments?: number; readonly consume?: boolean }
  | { readonly kind: "io.l5d.header"; readonly header?: string }
  | { readonly kind: "io.l5d.static"; readonly path: string }
  | { readonly kind: string; readonly [k: string]: unknown };

/**
 * Build identifiers from validated config entries.
 *
 * @param custom Builds kinds defined outside this folder (issue 5: `switchyard.routes`, see
 *   `router/routes/router_extensions.ts`); returns undefined for kinds it does not know.
 * @throws Error for a kind neither this module nor `custom` knows (the loader rejects those first).
 */
export function identifiersFromConfig(
  specs: readonly IdentifierSpec[],
  prefix: Path,
  parsePath: (s: string) => Path,
  custom?: (spec: IdentifierSpec) => Identifier | undefined,
): Identifier[] {
  return specs.map((s) => {
    const o = s as Record<string, unknown>;
    switch (s.kind) {
      case "io.l5d.header.token":
        return headerTokenIdentifier(prefix, o.header ? { header: String(o.header) } : {});
      case "io.l5d.methodAndHost":
        return methodAndHostIdentifier(prefix, { httpUriInDst: o.httpUriInDst === true });
      case "io.l5d.path":
        return pathIdentifier(prefix, {
          segments: typeof o.segments === "number" ? o.segments : 1,
          consume: o.consume === true,
        });
      case "io.l5d.header":
        return headerIdentifier(prefix, parsePath, o.header ? { header: String(o.header) } : {});
      case "io.l5d.static":
        return staticIdentifier(prefix, parsePath(String(o.path)));
      default: {
        const built = custom?.(s); // issue 5 hook: switchyard.routes
        if (built) return built;
        throw new Error(`identifier kind ${s.kind} is not supported`);
      }
    }
  });
}
