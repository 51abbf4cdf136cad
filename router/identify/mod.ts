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
import { headerPathIdentifier } from "./header_path.ts";
import { type IngressDeps, ingressIdentifier } from "./ingress.ts";
import type { IngressApiVersion } from "../../discovery/k8s/mod.ts";

export * from "./identifier.ts";
export type { IngressDeps, IngressIdentifier, IngressOptions } from "./ingress.ts";
export {
  compileIngress,
  hostWithoutPort,
  INGRESS_CLASS_ANNOTATION,
  type IngressPath,
  type IngressSpec,
  matchIngress,
} from "./ingress_rules.ts";
export {
  headerIdentifier,
  headerTokenIdentifier,
  ingressIdentifier,
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
  | { readonly kind: "io.l5d.header.path"; readonly header?: string; readonly segments?: number }
  | {
    readonly kind: "io.l5d.ingress";
    readonly namespace?: string;
    readonly host?: string;
    readonly port?: number;
    readonly useServiceAccount?: boolean;
    readonly ingressClassAnnotation?: string;
    readonly ignoreDefaultBackends?: boolean;
    readonly apiVersion?: IngressApiVersion;
  }
  | { readonly kind: string; readonly [k: string]: unknown };

/**
 * Build identifiers from validated config entries.
 *
 * `io.l5d.ingress` starts a Kubernetes watch here: release the identifiers with
 * {@linkcode closeIdentifiers} when the router that uses them is retired.
 *
 * @param custom Builds kinds defined outside this folder (issue 5: `switchyard.routes`, see
 *   `router/routes/router_extensions.ts`); returns undefined for kinds it does not know.
 * @param deps Injectable k8s API client, clock and log for `io.l5d.ingress`.
 * @throws Error for a kind neither this module nor `custom` knows (the loader rejects those first).
 */
export function identifiersFromConfig(
  specs: readonly IdentifierSpec[],
  prefix: Path,
  parsePath: (s: string) => Path,
  custom?: (spec: IdentifierSpec) => Identifier | undefined,
  deps: IngressDeps = {},
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
      case "io.l5d.header.path": // h2
        return headerPathIdentifier(prefix, parsePath, {
          header: o.header ? String(o.header) : ":path",
          segments: typeof o.segments === "number" ? o.segments : undefined,
        });
      case "io.l5d.ingress":
        return ingressIdentifier(prefix, {
          namespace: typeof o.namespace === "string" ? o.namespace : undefined,
          host: typeof o.host === "string" ? o.host : undefined,
          port: typeof o.port === "number" ? o.port : undefined,
          useServiceAccount: typeof o.useServiceAccount === "boolean"
            ? o.useServiceAccount
            : undefined,
          ingressClassAnnotation: typeof o.ingressClassAnnotation === "string"
            ? o.ingressClassAnnotation
            : undefined,
          ignoreDefaultBackends: o.ignoreDefaultBackends === true,
          apiVersion: o.apiVersion as IngressApiVersion | undefined,
        }, deps);
      default: {
        const built = custom?.(s); // issue 5 hook: switchyard.routes
        if (built) return built;
        throw new Error(`identifier kind ${s.kind} is not supported`);
      }
    }
  });
}

/**
 * Release what identifiers own (the watch of `io.l5d.ingress`); the others own nothing.
 *
 * @param ids Identifiers built by {@linkcode identifiersFromConfig}.
 * @returns Resolves when every watch has stopped.
 * @example
 * ```ts
 * import { closeIdentifiers, identifiersFromConfig } from "./mod.ts";
 * await closeIdentifiers(identifiersFromConfig([{ kind: "io.l5d.path" }], ["svc"], (s) => [s]));
 * ```
 */
export async function closeIdentifiers(ids: readonly Identifier[]): Promise<void> {
  await Promise.allSettled(
    ids.map((id) => (id as Identifier & { close?: () => Promise<void> }).close?.()),
  );
}
