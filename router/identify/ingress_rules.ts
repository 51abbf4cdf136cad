/**
 * The matching half of `io.l5d.ingress` (L1 `k8s/.../IngressCache.scala` `IngressSpec`,
 * `IngressPath`): an Ingress object compiled to ordered rules, and the lookup of a request's
 * host and path among them.
 *
 * - An ingress is used when its `kubernetes.io/ingress.class` annotation is absent or equals
 *   `ingressClassAnnotation` (default `linkerd`); without the annotation, a v1
 *   `spec.ingressClassName` that names another class also excludes it.
 * - A rule matches when its `host` (if set) equals the request's host without its port
 *   (case-sensitive, as Linkerd's `hostHeader.contains(host)`) and its `path` (if set) matches
 *   the request path. v1beta1 paths (and v1 `ImplementationSpecific` ones) are Linkerd's: a regex
 *   that must match the whole path, so `/foo` matches `/foo` only and `/foo/.*` everything under
 *   it; a path that is not a valid regex matches nothing. The v1 `pathType`s Linkerd never knew
 *   keep Kubernetes' meaning: `Exact` by equality, `Prefix` element-wise (`/foo` matches `/foo`
 *   and `/foo/bar`, not `/foobar`).
 * - The rules of every ingress are tried first, in order; only then the first default backend
 *   (`spec.backend` / `spec.defaultBackend`), unless `ignoreDefaultBackends` (Linkerd's
 *   `IngressCache.getMatchingPath`: rules of all ingresses, then `orElse` the fallbacks).
 *
 * @module
 */
import type { Ingress, IngressBackend } from "../../discovery/k8s/mod.ts";

/** The annotation that selects an ingress controller. */
export const INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class";

/** One compiled rule: where it matches and the service it names. */
export interface IngressPath {
  /** Host, as written in the rule (compared case-sensitively); undefined matches any. */
  readonly host: string | undefined;
  /** Path; undefined (or empty) matches any. */
  readonly path: string | undefined;
  /** How `path` matches: v1 `Exact`, v1 `Prefix`, else Linkerd's whole-path regex. */
  readonly match: "exact" | "segments" | "regex";
  /** `path` compiled as `^(?:path)$` for `regex`; null when it is not a valid regex. */
  readonly regex?: RegExp | null;
  readonly namespace: string;
  readonly service: string;
  /** The service port, as a number or a port name. */
  readonly port: string;
}

/** One compiled ingress. */
export interface IngressSpec {
  readonly namespace: string;
  readonly name: string;
  readonly rules: readonly IngressPath[];
  readonly fallback: IngressPath | undefined;
}

function backendOf(
  b: IngressBackend | undefined,
): { service: string; port: string } | undefined {
  if (!b) return undefined;
  if (b.service?.name) {
    const p = b.service.port;
    const port = p?.number !== undefined ? String(p.number) : p?.name;
    return port ? { service: b.service.name, port } : undefined;
  }
  if (b.serviceName && b.servicePort !== undefined && b.servicePort !== "") {
    return { service: b.serviceName, port: String(b.servicePort) };
  }
  return undefined;
}

function matchKind(pathType: string | undefined): IngressPath["match"] {
  if (pathType === "Exact") return "exact";
  if (pathType === "Prefix") return "segments";
  return "regex";
}

/** Linkerd's `path.r` matched with `case cp()`: the whole path must match. */
function wholePathRegex(path: string): RegExp | null {
  try {
    return new RegExp(`^(?:${path})$`);
  } catch {
    return null; // Linkerd fails to compile the ingress; here the rule matches nothing
  }
}

/**
 * Compile an Ingress object, or return undefined when it is for another ingress class (or has
 * no spec).
 *
 * @param obj The object (either API version).
 * @param ingressClass The class this identifier serves (`ingressClassAnnotation`).
 * @returns The compiled ingress; backends without a service name or port are skipped.
 * @example
 * ```ts
 * import { compileIngress } from "./ingress_rules.ts";
 * compileIngress({ metadata: { name: "a", namespace: "ns" }, spec: { backend: { serviceName: "web", servicePort: 80 } } }, "linkerd")?.fallback?.service; // "web"
 * ```
 */
export function compileIngress(obj: Ingress, ingressClass: string): IngressSpec | undefined {
  const meta = obj.metadata;
  const annotated = meta?.annotations?.[INGRESS_CLASS_ANNOTATION];
  if (annotated !== undefined && annotated !== ingressClass) return undefined;
  const spec = obj.spec;
  if (annotated === undefined && spec?.ingressClassName && spec.ingressClassName !== ingressClass) {
    return undefined;
  }
  if (!spec) return undefined;
  const namespace = meta?.namespace ?? "default";
  const rules: IngressPath[] = [];
  for (const rule of spec.rules ?? []) {
    const host = rule.host || undefined;
    for (const p of rule.http?.paths ?? []) {
      const b = backendOf(p.backend);
      if (!b) continue;
      const path = p.path || undefined;
      const match = matchKind(p.pathType);
      rules.push({
        host,
        path,
        match,
        ...(match === "regex" && path !== undefined ? { regex: wholePathRegex(path) } : {}),
        namespace,
        ...b,
      });
    }
  }
  const d = backendOf(spec.defaultBackend ?? spec.backend);
  const fallback: IngressPath | undefined = d
    ? { host: undefined, path: undefined, match: "regex", namespace, ...d }
    : undefined;
  return { namespace, name: meta?.name ?? "", rules, fallback };
}

/**
 * The host part of a Host header, case kept (`Web.Example.com:8080` → `Web.Example.com`,
 * `[::1]:80` → `[::1]`), as Linkerd's `IngressCache.matchPath` strips the port.
 *
 * @param host The Host header value.
 * @returns The host without its port.
 */
export function hostWithoutPort(host: string): string {
  const h = host;
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    return end < 0 ? h : h.slice(0, end + 1);
  }
  const colon = h.indexOf(":");
  return colon < 0 ? h : h.slice(0, colon);
}

function pathMatches(rule: IngressPath, path: string): boolean {
  const p = rule.path;
  if (p === undefined) return true;
  switch (rule.match) {
    case "exact":
      return path === p;
    case "regex":
      return rule.regex?.test(path) ?? false;
    case "segments": {
      const base = p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p;
      if (base === "/") return true;
      return path === base || path.startsWith(base + "/");
    }
  }
}

/**
 * Whether a rule matches a request.
 *
 * @param rule The rule.
 * @param host The request host, already through {@linkcode hostWithoutPort}.
 * @param path The request path (no query).
 * @returns True on a match.
 */
export function ruleMatches(rule: IngressPath, host: string, path: string): boolean {
  return (rule.host === undefined || rule.host === host) && pathMatches(rule, path);
}

/**
 * Find the rule for a request among ingresses, as the module doc says.
 *
 * @param ingresses Compiled ingresses, in order.
 * @param host The Host header as sent (the port is dropped here).
 * @param path The request path.
 * @param ignoreDefaultBackends Skip default backends.
 * @returns The matching rule, or undefined.
 * @example
 * ```ts
 * import { compileIngress, matchIngress } from "./ingress_rules.ts";
 * const ing = compileIngress({ metadata: { name: "a", namespace: "ns" }, spec: { rules: [{ host: "web", http: { paths: [{ path: "/api/.*", backend: { serviceName: "api", servicePort: "http" } }] } }] } }, "linkerd")!;
 * matchIngress([ing], "web:80", "/api/users", false)?.service; // "api"
 * ```
 */
export function matchIngress(
  ingresses: Iterable<IngressSpec>,
  host: string,
  path: string,
  ignoreDefaultBackends: boolean,
): IngressPath | undefined {
  const h = hostWithoutPort(host);
  let fallback: IngressPath | undefined;
  for (const ing of ingresses) {
    for (const rule of ing.rules) if (ruleMatches(rule, h, path)) return rule;
    fallback ??= ing.fallback;
  }
  return ignoreDefaultBackends ? undefined : fallback;
}
