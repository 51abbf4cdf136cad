/**
 * The `io.l5d.k8s` namer (L1 `k8s/.../EndpointsNamer.scala` `MultiNsNamer`; REF `linkerd1.md`
 * §3) and its single-namespace variant `io.l5d.k8s.ns` (`SingleNsNamer`).
 *
 * Names: `/#/io.l5d.k8s/<namespace>/<port>/<service>[/<label-value>]/residual...`, and
 * `/#/io.l5d.k8s.ns/<port>/<service>[/<label-value>]/...` for `io.l5d.k8s.ns`, and the
 * `io.l5d.k8s` form for `io.l5d.k8s.external` (experimental; `ServiceNamer.scala`), which binds
 * the Service's external load-balancer address for a port *name*. The leading
 * segments are lowercased (Kubernetes names are); the rest is the residual. With the config's
 * `labelSelector: <key>`, the extra segment selects `<key>=<label-value>`: the Endpoints (and
 * Service) object must carry that label. A path too short for the form is Neg.
 *
 * - `<port>` is an endpoint port name (`http`), or a number: a numbered port is looked up in the
 *   Service, whose port of that number names the endpoints port (`resources.ts`), so
 *   `/default/80/web` reaches the pods' target port.
 * - Resolution watches the Endpoints object (and the Service, for numbered ports) through
 *   `source.ts` / `watch.ts`: list, then watch from the resourceVersion, resume, re-list on
 *   410, jittered backoff. Changes reach the bound name's endpoint Var without a rebind.
 * - Pending until the first list. A missing service or port is **Neg** (the dtab falls through
 *   to its next alternative), with a `why` for the delegator; a port with no ready pod binds to
 *   an empty set. Addresses carry `meta.nodeName` (for the daemonset and localnode transformers)
 *   and `meta.pod`.
 * - The bound id is `/<namespace>/<port>/<service>[/<label-value>]` (lowercased; as written for
 *   `io.l5d.k8s.external`, as Linkerd's ServiceNamer), qualified to `/#/io.l5d.k8s/...` by the
 *   interpreter. One endpoint Var per (object, port) for the namer's
 *   lifetime, so client caches keyed by id keep following updates.
 * - `state()` serves `/namer_state/io.l5d.k8s.json`: `{endpoints, portMappings}` keyed
 *   `ns/svc[:selector]`, each with the object and the watch status (Linkerd's shape).
 * - `allNames()` (for `/bound-names.json`) lists `<namespace>/<port>/<service>` for the objects
 *   already watched; it starts no watch (Linkerd's namer, which listed whole namespaces, stopped
 *   enumerating once it watched single objects).
 *
 * @module
 */
import type { Clock } from "../../router/core/clock.ts";
import type { Var } from "../../router/core/var.ts";
import type { Path } from "../../router/dtab/types.ts";
import type { Addr, Namer } from "../types.ts";
import type { Lookup } from "../_activity.ts";
import {
  boundedCache,
  cachedLookup,
  leafBound,
  lookupEquals,
  mapVar,
  negBecause,
  PENDING,
} from "../_activity.ts";
import { addrEquals, boundAddr } from "../addr.ts";
import { makeBound } from "../bound.ts";
import type { K8sApi } from "./api.ts";
import {
  addressesForPortName,
  addressesForPortNumber,
  type Endpoints,
  externalAddressForPortName,
  type Service,
} from "./resources.ts";
import { createSource, type K8sLog, type ObjState, type Source } from "./source.ts";
import type { BackoffOptions } from "../_timer.ts";
import { derivedVar } from "../_derived.ts";

/** The multi-namespace kind. */
export const kind = "io.l5d.k8s";
/** The single-namespace kind. */
export const nsKind = "io.l5d.k8s.ns";
/** The external (load-balancer) kind. */
export const externalKind = "io.l5d.k8s.external";

/** Options of {@linkcode createK8sNamer}. */
export interface K8sNamerOptions extends BackoffOptions {
  /** The API client (closed with the namer when `ownsApi`). */
  readonly api: K8sApi;
  readonly ownsApi?: boolean;
  /** The label key selected by the extra name segment (Linkerd `labelSelector`). */
  readonly labelSelector?: string | undefined;
  /** Fixed namespace (`io.l5d.k8s.ns`); names then start with the port. */
  readonly namespace?: string | undefined;
  /**
   * `io.l5d.k8s.external`: bind the Service's external load-balancer address for the named
   * port (`status.loadBalancer.ingress`) instead of its endpoints; only the Service is watched.
   */
  readonly external?: boolean | undefined;
  /** Stop watching objects unused for this long, default 600000 ms. */
  readonly idleMs?: number;
  readonly clock?: Clock | undefined;
  readonly log?: K8sLog | undefined;
}

/** One watched object in `/namer_state`. */
export interface K8sObjectState {
  readonly state: unknown;
  readonly watch: unknown;
}

/** `/namer_state/<prefix>.json`. */
export interface K8sNamerState {
  readonly endpoints: Record<string, K8sObjectState>;
  readonly portMappings: Record<string, K8sObjectState>;
}

/** The namer. */
export interface K8sNamer extends Namer {
  state(): K8sNamerState;
  allNames(): Promise<readonly Path[]>;
  close(): Promise<void>;
}

interface Entry<T> {
  readonly source: Source<T>;
  readonly ns: string;
  readonly name: string;
  /** The label value selected (namers with `labelSelector`). */
  readonly label: string | undefined;
  /** port → endpoint Var (endpoints entries; services entries of `io.l5d.k8s.external`). */
  readonly addrs: Map<string, Var<Addr>>;
}

const NUMBER = /^\d+$/;

function objState(s: ObjState<unknown>): unknown {
  return s.loaded ? s.obj : "pending";
}

/**
 * Make an `io.l5d.k8s` (or, with `namespace`, `io.l5d.k8s.ns`) namer.
 *
 * @param opts The API client, label key, namespace, backoff, idle time.
 * @returns The namer; `close()` stops every watch.
 * @example
 * ```ts
 * import { createK8sApi } from "./api.ts";
 * import { createK8sNamer } from "./endpoints.ts";
 * const namer = createK8sNamer({ api: createK8sApi({ host: "127.0.0.1", port: 1 }), ownsApi: true });
 * namer.lookup(["default", "http"]).get(); // Neg: too short
 * await namer.close();
 * ```
 */
export function createK8sNamer(opts: K8sNamerOptions): K8sNamer {
  const { api, labelSelector, namespace } = opts;
  const fixed = namespace !== undefined ? 1 : 0;
  const width = 3 - fixed + (labelSelector !== undefined ? 1 : 0);
  const endpoints = new Map<string, Entry<Endpoints>>();
  const services = new Map<string, Entry<Service>>();
  const lookups = boundedCache<Var<Lookup>>(1000);
  const live = new Set<Source<unknown>>();
  const closing = new AbortController();

  function entry<T extends Endpoints | Service>(
    map: Map<string, Entry<T>>,
    resource: string,
    ns: string,
    name: string,
    label: string | undefined,
  ): Entry<T> {
    const selector = label !== undefined ? `${labelSelector}=${label}` : undefined;
    const key = `${ns}/${name}${selector ? `:${selector}` : ""}`;
    let e = map.get(key);
    if (e) return e;
    const source: Source<T> = createSource<T>({
      ...opts,
      namespace: ns,
      resource,
      name,
      labelSelector: selector,
      signal: closing.signal,
      onStart: () => live.add(source as Source<unknown>),
      onIdle() {
        live.delete(source as Source<unknown>);
        if (map.get(key) === e) map.delete(key);
        lookups.clear(); // cached lookups may refer to the retired source
      },
    });
    e = { source, ns, name, label, addrs: new Map() };
    map.set(key, e);
    return e;
  }

  function addrVar(ns: string, port: string, svc: string, label: string | undefined): Var<Addr> {
    if (opts.external) {
      const sv = entry(services, "services", ns, svc, label);
      let v = sv.addrs.get(port);
      if (v) return v;
      v = derivedVar((read): Addr => {
        const s = read(sv.source.state);
        if (!s.loaded) return { type: "pending" };
        const a = s.obj ? externalAddressForPortName(s.obj, port) : undefined;
        return a ? boundAddr([a]) : { type: "neg" };
      }, addrEquals);
      sv.addrs.set(port, v);
      return v;
    }
    const ep = entry(endpoints, "endpoints", ns, svc, label);
    let v = ep.addrs.get(port);
    if (v) return v;
    if (NUMBER.test(port)) {
      const sv = entry(services, "services", ns, svc, label);
      const n = Number(port);
      v = derivedVar((read): Addr => {
        const e = read(ep.source.state);
        const s = read(sv.source.state);
        if (!e.loaded || !s.loaded) return { type: "pending" };
        const addrs = s.obj ? addressesForPortNumber(s.obj, e.obj, n) : undefined;
        return addrs ? boundAddr(addrs) : { type: "neg" };
      }, addrEquals);
    } else {
      v = derivedVar((read): Addr => {
        const e = read(ep.source.state);
        if (!e.loaded) return { type: "pending" };
        const addrs = e.obj ? addressesForPortName(e.obj, port) : undefined;
        return addrs ? boundAddr(addrs) : { type: "neg" };
      }, addrEquals);
    }
    ep.addrs.set(port, v);
    return v;
  }

  function lookupService(path: Path): Var<Lookup> {
    const raw = path.slice(0, width);
    const id = raw.map((s) => s.toLowerCase());
    const residual = path.slice(width);
    const ns = namespace ?? (id[0] as string);
    const port = id[1 - fixed] as string;
    const svc = id[2 - fixed] as string;
    const label = labelSelector !== undefined ? (opts.external ? raw : id)[3 - fixed] : undefined;
    const addr = addrVar(ns, port, svc, label);
    // Linkerd's ServiceNamer matches case-insensitively but keeps the name's case in the id
    const bound = makeBound(opts.external ? raw : id, addr, residual);
    const leaf = leafBound(bound);
    const what = `${ns}/${svc}${label !== undefined ? ` (${labelSelector}=${label})` : ""}`;
    return mapVar(addr, (a): Lookup => {
      if (a.type === "pending") return PENDING;
      if (a.type !== "neg") return leaf;
      return negBecause(`k8s: no service ${what} with port ${port}`);
    }, lookupEquals);
  }

  /**
   * The names of the watched Endpoints objects (Linkerd's old `EndpointsNamer.getAllNames`):
   * each port name they serve and each numbered port looked up so far that maps to one. Only
   * what is already watched; nothing is started or fetched.
   */
  function allNames(): Path[] {
    const out: Path[] = [];
    for (const [key, e] of endpoints) {
      const s = e.source.peek();
      if (!s.loaded || !s.obj) continue;
      const obj = s.obj;
      const ports = new Set<string>();
      for (const sub of obj.subsets ?? []) {
        for (const p of sub.ports ?? []) {
          if (p.name && addressesForPortName(obj, p.name)) ports.add(p.name.toLowerCase());
        }
      }
      const svc = services.get(key)?.source.peek();
      for (const port of e.addrs.keys()) {
        if (!NUMBER.test(port) || !svc?.loaded || !svc.obj) continue;
        if (addressesForPortNumber(svc.obj, obj, Number(port))) ports.add(port);
      }
      for (const port of ports) {
        const id = namespace !== undefined ? [port, e.name] : [e.ns, port, e.name];
        out.push(e.label !== undefined ? [...id, e.label] : id);
      }
    }
    return out;
  }

  function describe<T>(map: Map<string, Entry<T>>): Record<string, K8sObjectState> {
    const out: Record<string, K8sObjectState> = {};
    for (const [key, e] of map) {
      out[key] = { state: objState(e.source.peek()), watch: e.source.status() ?? null };
    }
    return out;
  }

  return {
    kind: opts.external ? externalKind : namespace !== undefined ? nsKind : kind,
    lookup: cachedLookup(lookups, width, closing.signal, "k8s", lookupService),
    state() {
      return { endpoints: describe(endpoints), portMappings: describe(services) };
    },
    allNames: () => Promise.resolve(allNames()),
    async close() {
      closing.abort();
      const all = new Set<Source<unknown>>(live);
      for (const e of endpoints.values()) all.add(e.source as Source<unknown>);
      for (const e of services.values()) all.add(e.source as Source<unknown>);
      endpoints.clear();
      services.clear();
      lookups.clear();
      await Promise.allSettled([...all].map((s) => s.close()));
      if (opts.ownsApi) api.close();
    },
  };
}
