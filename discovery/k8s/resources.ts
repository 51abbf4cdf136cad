/**
 * The Kubernetes core/v1 object shapes the k8s namer reads (`Endpoints`, `Service`, lists and
 * watch events; field names as in the API reference, everything optional as the API may omit
 * it), and the two conversions the namer needs: endpoints → addresses for a port, and a
 * service's numbered port → the endpoints port it serves (L1 `k8s/.../v1.scala`,
 * `EndpointsNamer.scala` `ServiceEndpoints`).
 *
 * Differences from Linkerd, both corrections:
 * - Ports are resolved *per subset*. Linkerd merges the port maps of every subset and applies the
 *   result to every address, which picks a wrong port when pods of one service listen on
 *   different numbers for the same port name (one subset per distinct port set).
 * - A numbered port whose `targetPort` is a *name* is mapped through the Service to the
 *   *service port's name*, which is the name the Endpoints object uses, before the `targetPort`
 *   name Linkerd looks up among the endpoint port names (equal only by convention). A numeric
 *   `targetPort` is the pods' port, as in Linkerd.
 *
 * @module
 */
import type { Address } from "../types.ts";

/** `metadata` of any object or list. */
export interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly resourceVersion?: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** `ObjectReference` (the pod behind an endpoint address). */
export interface ObjectReference {
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
}

/** `EndpointAddress`. */
export interface EndpointAddress {
  readonly ip: string;
  readonly hostname?: string;
  readonly nodeName?: string;
  readonly targetRef?: ObjectReference;
}

/** `EndpointPort`. */
export interface EndpointPort {
  readonly name?: string;
  readonly port: number;
  readonly protocol?: string;
}

/** `EndpointSubset`: addresses that all serve the same ports. */
export interface EndpointSubset {
  readonly addresses?: readonly EndpointAddress[];
  readonly notReadyAddresses?: readonly EndpointAddress[];
  readonly ports?: readonly EndpointPort[];
}

/** `Endpoints` (core/v1). */
export interface Endpoints {
  readonly kind?: "Endpoints";
  readonly apiVersion?: string;
  readonly metadata?: ObjectMeta;
  readonly subsets?: readonly EndpointSubset[];
}

/** `ServicePort`: `targetPort` is a number or a container port name. */
export interface ServicePort {
  readonly name?: string;
  readonly protocol?: string;
  readonly port: number;
  readonly targetPort?: number | string;
}

/** `Service` (core/v1), the parts the namer reads. */
export interface Service {
  readonly kind?: "Service";
  readonly apiVersion?: string;
  readonly metadata?: ObjectMeta;
  readonly spec?: { readonly ports?: readonly ServicePort[]; readonly clusterIP?: string };
  /** A `LoadBalancer` service's external addresses (`io.l5d.k8s.external`). */
  readonly status?: {
    readonly loadBalancer?: {
      readonly ingress?: readonly { readonly ip?: string; readonly hostname?: string }[];
    };
  };
}

/** A list response (`EndpointsList`, `ServiceList`). */
export interface ObjectList<T> {
  readonly kind?: string;
  readonly apiVersion?: string;
  readonly metadata?: { readonly resourceVersion?: string };
  readonly items?: readonly T[];
}

/** `Status` (the object of an `ERROR` watch event, and of error responses). */
export interface Status {
  readonly kind?: "Status";
  readonly status?: string;
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
}

/** One line of a watch stream. */
export type WatchEvent<T> =
  | { readonly type: "ADDED" | "MODIFIED" | "DELETED"; readonly object: T }
  | { readonly type: "BOOKMARK"; readonly object: { readonly metadata?: ObjectMeta } }
  | { readonly type: "ERROR"; readonly object: Status };

/** The metadata key Linkerd puts the node name under (L1 `namer/core/.../Metadata.scala`). */
export const NODE_NAME = "nodeName";

function isTcp(p: EndpointPort | ServicePort): boolean {
  return (p.protocol ?? "TCP").toUpperCase() === "TCP";
}

function toAddress(a: EndpointAddress, port: number): Address {
  const meta: Record<string, unknown> = {};
  if (a.nodeName !== undefined) meta[NODE_NAME] = a.nodeName;
  if (a.targetRef?.name !== undefined) meta.pod = a.targetRef.name;
  return { host: a.ip, port, weight: 1, meta };
}

/**
 * The ready addresses serving the TCP port named `portName`, per subset, or `undefined` when no
 * subset has such a port (Linkerd: Neg).
 *
 * @param endpoints The Endpoints object.
 * @param portName An endpoint port name (a service port's name).
 * @returns The addresses (possibly empty: the port exists, no pod is ready), or `undefined`.
 * @example
 * ```ts
 * import { addressesForPortName } from "./resources.ts";
 * addressesForPortName({
 *   subsets: [{ addresses: [{ ip: "10.0.0.1" }], ports: [{ name: "http", port: 8080 }] }],
 * }, "http"); // [{ host: "10.0.0.1", port: 8080, weight: 1, meta: {} }]
 * ```
 */
export function addressesForPortName(
  endpoints: Endpoints,
  portName: string,
): Address[] | undefined {
  let found = false;
  const out: Address[] = [];
  for (const subset of endpoints.subsets ?? []) {
    const port = subset.ports?.find((p) => (p.name ?? "") === portName && isTcp(p));
    if (!port) continue;
    found = true;
    for (const a of subset.addresses ?? []) out.push(toAddress(a, port.port));
  }
  return found ? out : undefined;
}

/**
 * The ready addresses behind the service port numbered `portNumber` (Linkerd's
 * `lookupNumberedPort`): a numeric `targetPort` (or the port itself when `targetPort` is absent)
 * is the pods' port, used for every ready address whatever the Endpoints ports say; a named
 * `targetPort` is looked up per subset among the endpoints ports, by the service port's name
 * (the name the Endpoints controller gives it) and then by the `targetPort` name (Linkerd's
 * rule). `undefined` when the service has no such port.
 *
 * @param service The Service object.
 * @param endpoints Its Endpoints object, `null` when absent.
 * @param portNumber The service port number from the name (`/#/io.l5d.k8s/ns/80/svc`).
 * @returns The addresses, or `undefined`.
 * @example
 * ```ts
 * import { addressesForPortNumber } from "./resources.ts";
 * addressesForPortNumber(
 *   { spec: { ports: [{ name: "http", port: 80, targetPort: 8080 }] } },
 *   { subsets: [{ addresses: [{ ip: "10.0.0.1" }], ports: [{ name: "http", port: 8080 }] }] },
 *   80,
 * ); // [{ host: "10.0.0.1", port: 8080, weight: 1, meta: {} }]
 * ```
 */
export function addressesForPortNumber(
  service: Service,
  endpoints: Endpoints | null,
  portNumber: number,
): Address[] | undefined {
  const sp = service.spec?.ports?.find((p) => p.port === portNumber && isTcp(p));
  if (!sp) return undefined;
  const name = sp.name ?? "";
  const target = sp.targetPort ?? sp.port;
  const out: Address[] = [];
  for (const subset of endpoints?.subsets ?? []) {
    let port: number | undefined;
    if (typeof target === "number") port = target;
    else {
      const ports = subset.ports?.filter(isTcp) ?? [];
      port = (ports.find((p) => (p.name ?? "") === name) ??
        ports.find((p) => p.name === target))?.port;
    }
    if (port === undefined) continue;
    for (const a of subset.addresses ?? []) out.push(toAddress(a, port));
  }
  return out;
}

/**
 * The `resourceVersion` of an object or list, if any.
 *
 * @param o An object, list or bookmark.
 * @returns The version string.
 * @example
 * ```ts
 * import { resourceVersionOf } from "./resources.ts";
 * resourceVersionOf({ metadata: { resourceVersion: "42" } }); // "42"
 * ```
 */
export function resourceVersionOf(o: unknown): string | undefined {
  if (o === null || typeof o !== "object") return undefined;
  const meta = (o as { metadata?: unknown }).metadata;
  if (meta === null || typeof meta !== "object") return undefined;
  const rv = (meta as { resourceVersion?: unknown }).resourceVersion;
  return typeof rv === "string" ? rv : undefined;
}

/**
 * The external load-balancer address of a service's named port (`io.l5d.k8s.external`, L1
 * `k8s/.../ServiceNamer.scala`): the service port named `portName` (compared lowercased, as
 * Linkerd lowercases the name segment) at the last `status.loadBalancer.ingress` entry's
 * `hostname`, else its `ip`, as Linkerd's map keeps the last. Undefined (Neg) when the port or
 * an ingress address is missing.
 *
 * @param service The Service object.
 * @param portName The port name from the bound name.
 * @returns One address, or undefined.
 * @example
 * ```ts
 * import { externalAddressForPortName } from "./resources.ts";
 * externalAddressForPortName({
 *   spec: { ports: [{ name: "http", port: 80 }] },
 *   status: { loadBalancer: { ingress: [{ ip: "203.0.113.7" }] } },
 * }, "http"); // { host: "203.0.113.7", port: 80, weight: 1 }
 * ```
 */
export function externalAddressForPortName(
  service: Service,
  portName: string,
): Address | undefined {
  const sp = service.spec?.ports?.find((p) => (p.name ?? "").toLowerCase() === portName);
  if (!sp) return undefined;
  let host: string | undefined;
  for (const i of service.status?.loadBalancer?.ingress ?? []) host = i.hostname || i.ip || host;
  return host ? { host, port: sp.port, weight: 1 } : undefined;
}
