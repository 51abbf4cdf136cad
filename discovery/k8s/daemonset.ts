/**
 * The `io.l5d.k8s.daemonset` transformer (L1 `interpreter/k8s/.../
 * DaemonSetTransformerInitializer.scala`, `interpreter/subnet/.../SubnetGatewayTransformer.scala`;
 * REF `linkerd1.md` §3, §8): send traffic for a pod to the Linkerd (Switchyard) daemonset pod on
 * the same node instead, i.e. to that node's `incoming` router.
 *
 * Config: `namespace`, `service`, `port` (required: the daemonset's Service and its port *name*,
 * e.g. `default` / `l5d` / `incoming`), `k8sHost` / `k8sPort` (the API, default
 * `localhost:8001`; Switchyard also takes `useServiceAccount`, see `api.ts`), `hostNetwork`
 * (default false), `prefix` (default `/io.l5d.k8s.daemonset/<namespace>/<port>/<service>`).
 *
 * - The gateways are the endpoints of `/<namespace>/<port>/<service>` through a k8s namer of
 *   the transformer's own, watched like any k8s name.
 * - Each endpoint is replaced by the gateways on its node: the same /24 (`subnet.ts`), or with
 *   `hostNetwork: true` (pods on the host network share the node's IP) the same
 *   `meta.nodeName`. An endpoint without a gateway is dropped; none left is **Neg**.
 * - Gateways are de-duplicated, and (unlike Linkerd) each is weighted by how many endpoints it
 *   stands for, so a node running two of the service's pods gets twice the traffic of a node
 *   running one, as the pods would with direct routing.
 * - Until the gateway set is first known, results are pending (bounded by `bindingTimeoutMs`).
 *   Non-bound endpoint states (pending, neg, failed) pass through.
 *
 * @module
 */
import type { Clock } from "../../router/core/clock.ts";
import type { Var } from "../../router/core/var.ts";
import type { Addr, Address } from "../types.ts";
import { addrEquals, boundAddr, showAddress } from "../addr.ts";
import { type Lookup, mapVar } from "../_activity.ts";
import type { K8sApi } from "./api.ts";
import { createK8sNamer } from "./endpoints.ts";
import { NODE_NAME } from "./resources.ts";
import type { K8sLog } from "./source.ts";
import { sameSubnet24 } from "./subnet.ts";
import type { BackoffOptions } from "../_timer.ts";
import { derivedVar } from "../_derived.ts";
import { boundTransformer, type NameTreeTransformer, type Readiness } from "./transformer.ts";

/** The Linkerd kind. */
export const kind = "io.l5d.k8s.daemonset";

/** Options of {@linkcode createDaemonSetTransformer}. */
export interface DaemonSetOptions extends BackoffOptions {
  readonly namespace: string;
  readonly port: string;
  readonly service: string;
  /** Match on `meta.nodeName` instead of the /24, default false. */
  readonly hostNetwork?: boolean | undefined;
  /** The full id prefix (with `%`); default `/%/io.l5d.k8s.daemonset/<ns>/<port>/<svc>`. */
  readonly prefix?: readonly string[] | undefined;
  /** The API client for the gateway lookup. */
  readonly api: K8sApi;
  /** Close `api` with the transformer. */
  readonly ownsApi?: boolean;
  readonly clock?: Clock | undefined;
  readonly log?: K8sLog | undefined;
}

type Gateways =
  | { readonly state: "pending" }
  | { readonly state: "failed"; readonly error: string }
  | { readonly state: "ok"; readonly addrs: readonly Address[] };

function gatewaysEqual(a: Gateways, b: Gateways): boolean {
  if (a.state !== b.state) return false;
  if (a.state === "failed") return a.error === (b as typeof a).error;
  if (a.state === "pending") return true;
  return addrEquals(
    { type: "bound", addrs: a.addrs },
    { type: "bound", addrs: (b as typeof a).addrs },
  );
}

/** Collect every bound endpoint of a lookup result (Linkerd's `flatten`). */
function gatewaysOf(lookup: Var<Lookup>): Var<Gateways> {
  return derivedVar((read): Gateways => {
    const a = read(lookup);
    if (a.state === "pending") return { state: "pending" };
    if (a.state === "failed") return { state: "failed", error: a.error };
    const addrs: Address[] = [];
    const visit = (t: typeof a.value): void => {
      if (t.type === "leaf") {
        if (t.value.kind !== "bound") return;
        const x = read(t.value.bound.addr);
        if (x.type === "bound") addrs.push(...x.addrs);
      } else if (t.type === "alt") t.trees.forEach(visit);
      else if (t.type === "union") t.trees.forEach((w) => visit(w.tree));
    };
    visit(a.value);
    return { state: "ok", addrs };
  }, gatewaysEqual);
}

/**
 * Make the daemonset transformer.
 *
 * @param opts The daemonset service coordinates, matching mode, API client.
 * @returns The transformer; `close()` stops its gateway watch.
 * @example
 * ```ts
 * import { createK8sApi } from "./api.ts";
 * import { createDaemonSetTransformer } from "./daemonset.ts";
 * const t = createDaemonSetTransformer({
 *   namespace: "default", port: "incoming", service: "l5d",
 *   api: createK8sApi({ host: "127.0.0.1", port: 1 }), ownsApi: true,
 * });
 * t.prefix; // ["%", "io.l5d.k8s.daemonset", "default", "incoming", "l5d"]
 * await t.close();
 * ```
 */
export function createDaemonSetTransformer(opts: DaemonSetOptions): NameTreeTransformer {
  const namer = createK8sNamer({
    ...(opts.minBackoffMs !== undefined ? { minBackoffMs: opts.minBackoffMs } : {}),
    ...(opts.maxBackoffMs !== undefined ? { maxBackoffMs: opts.maxBackoffMs } : {}),
    api: opts.api,
    ownsApi: opts.ownsApi ?? false,
    clock: opts.clock,
    log: opts.log,
  });
  const gateways = gatewaysOf(namer.lookup([opts.namespace, opts.port, opts.service]));
  const ready = mapVar(gateways, (g): Readiness => g.state === "ok" ? { state: "ready" } : g, (
    a,
    b,
  ) => a.state === b.state && (a.state !== "failed" || a.error === (b as typeof a).error));
  const match: (endpoint: Address, gateway: Address) => boolean = opts.hostNetwork
    ? (e, g) => e.meta?.[NODE_NAME] !== undefined && e.meta[NODE_NAME] === g.meta?.[NODE_NAME]
    : (e, g) => sameSubnet24(e.host, g.host);

  function mapAddr(addr: Var<Addr>): Var<Addr> {
    return derivedVar((read): Addr => {
      const a = read(addr);
      if (a.type !== "bound") return a;
      const g = read(gateways);
      if (g.state === "pending") return { type: "pending" };
      if (g.state === "failed") return { type: "failed", error: g.error };
      const picked = new Map<string, Address>();
      for (const e of a.addrs) {
        for (const gw of g.addrs) {
          if (!match(e, gw)) continue;
          const key = showAddress(gw);
          const prev = picked.get(key);
          picked.set(key, { ...gw, weight: (prev?.weight ?? 0) + e.weight });
        }
      }
      return picked.size === 0 ? { type: "neg" } : boundAddr([...picked.values()]);
    }, addrEquals);
  }

  return boundTransformer({
    kind,
    prefix: opts.prefix ??
      ["%", kind, opts.namespace, opts.port, opts.service],
    ready,
    mapAddr,
    close: () => namer.close(),
  });
}
