/**
 * Kubernetes service discovery (REF `linkerd1.md` §3, §8): the `io.l5d.k8s` / `io.l5d.k8s.ns`
 * namers over the Endpoints and Services APIs (list + watch with resourceVersion resume, 410
 * re-list, jittered backoff), the API client (a `kubectl proxy` as in Linkerd, or in-cluster
 * with the service account), and the `io.l5d.k8s.daemonset` / `io.l5d.k8s.localnode`
 * transformers of the daemonset deployment (hello → node-local `outgoing` → the destination
 * node's `incoming` → world).
 *
 * Wiring: the namer registry (`../namer_registry.ts`) builds the namers and applies
 * `namers[].transformers` with {@linkcode transformNamer}; a router snapshot builds its
 * `interpreter.transformers` with {@linkcode createTransformers} and wraps its lookup with
 * {@linkcode transformLookup}, closing them with {@linkcode closeTransformers}.
 *
 * @example
 * ```ts
 * import { createTransformers, transformLookup } from "./mod.ts";
 * const transformers = createTransformers([{ kind: "io.l5d.k8s.localnode" }], {
 *   path: "routers[0].interpreter.transformers",
 *   env: (name) => (name === "POD_IP" ? "10.0.1.5" : undefined),
 * });
 * const lookup = transformLookup(() => undefined, transformers);
 * lookup(["#", "io.l5d.k8s", "default", "http", "world"]); // undefined: no namer here
 * ```
 *
 * @module
 */
export {
  createK8sApi,
  type K8sApi,
  type K8sApiConfig,
  K8sApiError,
  type K8sApiOptions,
  type K8sQuery,
  readWatchEvents,
  requestPath,
  resolveK8sEndpoint,
  SERVICE_ACCOUNT_DIR,
  type WatchQuery,
} from "./api.ts";
export {
  createK8sNamer,
  externalKind as k8sExternalKind,
  type K8sNamer,
  type K8sNamerOptions,
  type K8sNamerState,
  type K8sObjectState,
  kind as k8sKind,
  nsKind as k8sNsKind,
} from "./endpoints.ts";
export {
  k8sConfigProblem,
  type K8sNamerConfig,
  type K8sNamerContext,
  makeK8sNamer,
} from "./namer_factories.ts";
export {
  addressesForPortName,
  addressesForPortNumber,
  type EndpointAddress,
  type EndpointPort,
  type Endpoints,
  type EndpointSubset,
  NODE_NAME,
  type ObjectList,
  type ObjectMeta,
  type Service,
  type ServicePort,
  type WatchEvent,
} from "./resources.ts";
export {
  type Ingress,
  type IngressApiVersion,
  type IngressBackend,
  type IngressHttpPath,
  type IngressMeta,
  type IngressRule,
  type IngressWatch,
  type IngressWatchOptions,
  startIngressWatch,
} from "./ingress.ts";
export { createSource, type K8sLog, type ObjState, type Source } from "./source.ts";
export { isIpv4, sameSubnet24 } from "./subnet.ts";
export { backoffDelay, type BackoffOptions } from "../_timer.ts";
export { type ResourceWatch, startWatch, type WatchOptions, type WatchStatus } from "./watch.ts";
export {
  boundTransformer,
  closeTransformers,
  type NameTreeTransformer,
  type Readiness,
  TransformerConfigError,
  type TransformerContext,
  transformerPrefix,
  transformLookup,
  transformNamer,
} from "./transformer.ts";
export {
  createTransformers,
  type TransformerConfig,
  transformerKinds,
} from "./transformer_registry.ts";
export {
  createDaemonSetTransformer,
  type DaemonSetOptions,
  kind as daemonsetKind,
} from "./daemonset.ts";
export {
  createLocalNodeTransformer,
  kind as localnodeKind,
  type LocalNodeOptions,
} from "./localnode.ts";
export {
  type ConfigMap,
  type ConfigMapDtab,
  type ConfigMapDtabOptions,
  type ConfigMapDtabState,
  type ConfigMapLog,
  watchConfigMapDtab,
} from "./configmap_dtab.ts";
