/**
 * Kubernetes `Ingress` objects for the `io.l5d.ingress` identifier: their shapes in both API
 * versions, and a list + watch of them ({@linkcode startIngressWatch}, the loop of `watch.ts`).
 *
 * API version (`apiVersion` of the identifier config):
 * - `extensions/v1beta1`: what Linkerd 1.x watched (L1 `k8s/.../IngressCache.scala`,
 *   `v1beta1.scala`): backends are `{serviceName, servicePort}`, the default backend is
 *   `spec.backend`. Removed from Kubernetes in 1.22.
 * - `networking.k8s.io/v1`: backends are `{service: {name, port: {number | name}}}`, the default
 *   backend is `spec.defaultBackend`, paths carry a `pathType`.
 * - `auto` (Switchyard's default): lists `networking.k8s.io/v1` first and, when the API server
 *   answers 404 (a cluster from before 1.19), uses `extensions/v1beta1` from then on.
 *
 * Both shapes are read whichever API answered, so objects written for either version work.
 *
 * @module
 */
import type { Clock } from "../../router/core/clock.ts";
import { type K8sApi, K8sApiError } from "./api.ts";
import type { ObjectMeta } from "./resources.ts";
import type { BackoffOptions } from "../_timer.ts";
import { type ResourceWatch, startWatch } from "./watch.ts";

/** `metadata` with the annotations an ingress carries. */
export interface IngressMeta extends ObjectMeta {
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A backend: v1beta1 `{serviceName, servicePort}` or v1 `{service: {name, port}}`. */
export interface IngressBackend {
  readonly serviceName?: string;
  readonly servicePort?: number | string;
  readonly service?: {
    readonly name?: string;
    readonly port?: { readonly number?: number; readonly name?: string };
  };
}

/** `HTTPIngressPath`: `pathType` is v1 only (`Exact`, `Prefix`, `ImplementationSpecific`). */
export interface IngressHttpPath {
  readonly path?: string;
  readonly pathType?: string;
  readonly backend?: IngressBackend;
}

/** `IngressRule`. */
export interface IngressRule {
  readonly host?: string;
  readonly http?: { readonly paths?: readonly IngressHttpPath[] };
}

/** `Ingress` (either API version), the parts the identifier reads. */
export interface Ingress {
  readonly kind?: "Ingress";
  readonly apiVersion?: string;
  readonly metadata?: IngressMeta;
  readonly spec?: {
    /** v1beta1 default backend. */
    readonly backend?: IngressBackend;
    /** v1 default backend. */
    readonly defaultBackend?: IngressBackend;
    /** v1 class field (the annotation wins when both are set). */
    readonly ingressClassName?: string;
    readonly rules?: readonly IngressRule[];
  };
}

/** Which Ingress API to watch. */
export type IngressApiVersion = "auto" | "networking.k8s.io/v1" | "extensions/v1beta1";

/** Options of {@linkcode startIngressWatch}. */
export interface IngressWatchOptions extends BackoffOptions {
  readonly api: K8sApi;
  /** One namespace, or `""` for every namespace. */
  readonly namespace: string;
  readonly apiVersion: IngressApiVersion;
  /** The list result (replaces everything known). */
  onList(items: readonly Ingress[]): void;
  /** One watch event. */
  onEvent(type: "ADDED" | "MODIFIED" | "DELETED", object: Ingress): void;
  /** A failure (for logs); the loop recovers by itself. */
  onError?(message: string): void;
  readonly clock?: Clock | undefined;
}

/** A running ingress watch. */
export interface IngressWatch extends ResourceWatch {
  /** The API version in use: undefined while `auto` has not had an answer yet. */
  apiVersion(): Exclude<IngressApiVersion, "auto"> | undefined;
}

function resourceOf(version: Exclude<IngressApiVersion, "auto">): string {
  return `${version}/ingresses`;
}

/**
 * List and watch Ingress objects, choosing the API version as the module doc says.
 *
 * @param opts The API, namespace, version and handlers.
 * @returns The watch; `close()` stops it.
 * @example
 * ```ts ignore
 * import { createK8sApi } from "./api.ts";
 * import { startIngressWatch } from "./ingress.ts";
 * const w = startIngressWatch({
 *   api: createK8sApi(), namespace: "", apiVersion: "auto",
 *   onList: (items) => console.log(items.length), onEvent: (type) => console.log(type),
 * });
 * await w.close();
 * ```
 */
export function startIngressWatch(opts: IngressWatchOptions): IngressWatch {
  const { api } = opts;
  let chosen: Exclude<IngressApiVersion, "auto"> | undefined = opts.apiVersion === "auto"
    ? undefined
    : opts.apiVersion;
  // `auto`: the loop asks for v1; this view answers from the API version that is served.
  const view: K8sApi = {
    mode: api.mode,
    baseUrl: api.baseUrl,
    async list<T>(ns: string, _resource: string, query: object, signal: AbortSignal) {
      if (chosen !== undefined) return await api.list<T>(ns, resourceOf(chosen), query, signal);
      try {
        const l = await api.list<T>(ns, resourceOf("networking.k8s.io/v1"), query, signal);
        chosen = "networking.k8s.io/v1";
        return l;
      } catch (e: unknown) {
        if (!(e instanceof K8sApiError) || e.status !== 404) throw e;
        opts.onError?.("networking.k8s.io/v1 ingresses not served (404): using extensions/v1beta1");
        const l = await api.list<T>(ns, resourceOf("extensions/v1beta1"), query, signal);
        chosen = "extensions/v1beta1";
        return l;
      }
    },
    watch(ns, _resource, query, signal) {
      return api.watch(ns, resourceOf(chosen ?? "networking.k8s.io/v1"), query, signal);
    },
    close() {},
  };
  const w = startWatch<Ingress>({
    api: chosen === undefined ? view : api,
    namespace: opts.namespace,
    resource: resourceOf(chosen ?? "networking.k8s.io/v1"),
    onList: opts.onList,
    onEvent: opts.onEvent,
    clock: opts.clock,
    ...(opts.onError ? { onError: opts.onError } : {}),
    ...(opts.minBackoffMs !== undefined ? { minBackoffMs: opts.minBackoffMs } : {}),
    ...(opts.maxBackoffMs !== undefined ? { maxBackoffMs: opts.maxBackoffMs } : {}),
  });
  return { ...w, apiVersion: () => chosen };
}
