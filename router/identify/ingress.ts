/**
 * `io.l5d.ingress` (L1 `IngressIdentifier.scala` over `k8s/.../IngressCache.scala`): names a
 * request `<dstPrefix>/<namespace>/<port>/<service>` from the Kubernetes Ingress rules it
 * matches (`ingress_rules.ts`), so a Switchyard router can be the cluster's ingress controller.
 * The port segment is the backend's service port as written: a number or a port name.
 *
 * Config keys (defaults): `namespace` (every namespace), `host` / `port` (the k8s API, as the
 * `io.l5d.k8s` namer: `localhost:8001`, a `kubectl proxy`; or the pod's service account, see
 * `discovery/k8s/api.ts`), `useServiceAccount`, `ingressClassAnnotation` (`linkerd`),
 * `ignoreDefaultBackends` (false), and Switchyard's `apiVersion` (`auto`: `networking.k8s.io/v1`,
 * falling back to Linkerd's `extensions/v1beta1` when the cluster does not serve v1; see
 * `discovery/k8s/ingress.ts`).
 *
 * The list + watch starts when the identifier is built (router build time) and runs until
 * `close()`. Identification is synchronous, so until the first list has answered, requests are
 * unidentified with "ingress resources not loaded yet" (400), and afterwards with "no ingress
 * rule matches" when nothing matches. The last good rules are kept while the API is unreachable.
 *
 * @module
 */
import type { Path } from "../dtab/types.ts";
import type { Clock } from "../core/clock.ts";
import type { Identifier } from "./identifier.ts";
import {
  createK8sApi,
  type Ingress,
  type IngressApiVersion,
  type K8sApi,
  type K8sLog,
  startIngressWatch,
} from "../../discovery/k8s/mod.ts";
import { compileIngress, type IngressSpec, matchIngress } from "./ingress_rules.ts";

/** Linkerd kind. */
export const kind = "io.l5d.ingress";

/** Options (the config keys of the module doc). */
export interface IngressOptions {
  /** Watch one namespace; undefined = every namespace. */
  readonly namespace?: string | undefined;
  readonly host?: string | undefined;
  readonly port?: number | undefined;
  readonly useServiceAccount?: boolean | undefined;
  /** Default `linkerd`. */
  readonly ingressClassAnnotation?: string | undefined;
  /** Default false. */
  readonly ignoreDefaultBackends?: boolean | undefined;
  /** Default `auto`. */
  readonly apiVersion?: IngressApiVersion | undefined;
}

/** Injectable dependencies (tests): an API client (else one from the options), clock, log. */
export interface IngressDeps {
  readonly api?: K8sApi;
  readonly clock?: Clock | undefined;
  readonly log?: K8sLog | undefined;
  /** Watch retry backoff cap, default 5000 ms. */
  readonly maxBackoffMs?: number;
}

/** An identifier that owns a watch: call `close()` when its router is retired. */
export interface IngressIdentifier extends Identifier {
  /** The ingresses in use (compiled), in order; empty before the first list. */
  ingresses(): readonly IngressSpec[];
  /** True once the first list has answered. */
  loaded(): boolean;
  /** Stop the watch and release the API client. */
  close(): Promise<void>;
}

/**
 * Build the identifier and start its watch.
 *
 * @param prefix The router's `dstPrefix`.
 * @param opts The config keys.
 * @param deps Injectable API client, clock and log.
 * @returns The identifier; `close()` stops its watch.
 * @throws {Error} When `useServiceAccount: true` but no API server is known.
 * @example
 * ```ts ignore
 * import { ingressIdentifier } from "./ingress.ts";
 * const id = ingressIdentifier(["svc"], { host: "127.0.0.1", port: 8001 });
 * await id.close();
 * ```
 */
export function ingressIdentifier(
  prefix: Path,
  opts: IngressOptions = {},
  deps: IngressDeps = {},
): IngressIdentifier {
  const ingressClass = opts.ingressClassAnnotation ?? "linkerd";
  const ignoreDefaultBackends = opts.ignoreDefaultBackends === true;
  const ownApi = deps.api === undefined;
  const api = deps.api ?? createK8sApi({
    host: opts.host,
    port: opts.port,
    useServiceAccount: opts.useServiceAccount,
  });
  const byKey = new Map<string, IngressSpec>(); // "<ns>/<name>", in arrival order
  let ordered: readonly IngressSpec[] = [];
  let isLoaded = false;

  function keyOf(obj: Ingress): string {
    return `${obj.metadata?.namespace ?? "default"}/${obj.metadata?.name ?? ""}`;
  }
  function put(obj: Ingress): void {
    const key = keyOf(obj);
    byKey.delete(key); // a modified ingress moves to the end, as in Linkerd
    const spec = compileIngress(obj, ingressClass);
    if (spec) byKey.set(key, spec);
  }

  const watch = startIngressWatch({
    api,
    namespace: opts.namespace ?? "",
    apiVersion: opts.apiVersion ?? "auto",
    clock: deps.clock,
    ...(deps.maxBackoffMs !== undefined ? { maxBackoffMs: deps.maxBackoffMs } : {}),
    onList(items) {
      byKey.clear();
      for (const obj of items) put(obj);
      ordered = [...byKey.values()];
      isLoaded = true;
    },
    onEvent(type, obj) {
      if (type === "DELETED") byKey.delete(keyOf(obj));
      else put(obj);
      ordered = [...byKey.values()];
    },
    onError(message) {
      deps.log?.warn("io.l5d.ingress: k8s watch", { error: message });
    },
  });

  const notLoaded = { ok: false, reason: "ingress resources not loaded yet" } as const;
  const noMatch = { ok: false, reason: "no ingress rule matches" } as const;
  const identify = function identifyIngress({ url, host }: Parameters<Identifier>[0]) {
    if (!isLoaded) return notLoaded;
    const rule = matchIngress(ordered, host, url.pathname, ignoreDefaultBackends);
    if (!rule) return noMatch;
    return { ok: true, dst: [...prefix, rule.namespace, rule.port, rule.service] } as const;
  };
  let closing: Promise<void> | undefined;
  return Object.assign(identify, {
    ingresses: () => ordered,
    loaded: () => isLoaded,
    close: () =>
      closing ??= watch.close().then(() => {
        if (ownApi) api.close();
      }),
  });
}
