/**
 * The one table of Linkerd 1.x plugin kinds that Switchyard recognises but does not support yet.
 * A config naming one of these is rejected with `<path>.kind: <kind> is not supported` instead of a
 * generic "unknown kind", so users can tell "not yet" from "typo". Moving a kind to "supported"
 * means: delete it here and add its schema to the area's union (the supported kinds are read from
 * the unions themselves; see `supportedKinds` in `schema.ts`).
 *
 * @example
 * ```ts
 * import { unsupportedKinds } from "./kinds.ts";
 * console.log(unsupportedKinds.namer.includes("io.l5d.serversets")); // true
 * ```
 *
 * @module
 */

/** A place in the config where a plugin is chosen by its `kind` (or, for routers, `protocol`). */
export type PluginArea =
  | "protocol"
  | "namer"
  | "interpreter"
  | "transformer"
  | "identifier"
  | "telemeter"
  | "announcer"
  | "requestAuthorizer"
  | "responseClassifier"
  | "failureAccrual"
  | "loadBalancer"
  | "backoff"
  | "service"
  | "client"
  | "tracePropagator"
  | "forwardedLabeler";

/** Known Linkerd 1.x kinds per area that Switchyard rejects for now (L1 docs, 1.7.5). */
export const unsupportedKinds: Readonly<Record<PluginArea, readonly string[]>> = {
  protocol: ["thrift", "mux", "thriftmux"],
  namer: [
    "io.l5d.k8s.istio",
    "io.l5d.serversets",
    "io.l5d.zkLeader",
    "io.l5d.curator",
    "io.l5d.rancher",
    "io.l5d.istio",
  ],
  interpreter: [
    "io.l5d.namerd",
    "io.l5d.namerd.http",
    "io.l5d.mesh",
  ],
  transformer: [],
  identifier: [
    "io.l5d.k8s.istio",
    "io.l5d.k8s.istio-ingress",
  ],
  telemeter: [
    "io.l5d.commonMetrics",
    "io.l5d.adminMetricsExport",
    "io.zipkin.http",
    "io.zipkin.kafka",
    "io.zipkin.scribe",
    "io.l5d.opencensus",
  ],
  announcer: ["io.l5d.serversets", "io.l5d.curator", "io.l5d.consul"],
  /** routers.md client `requestAuthorizers`; protocol-http.md / protocol-h2.md list only these. */
  requestAuthorizer: ["io.l5d.k8s.istio"],
  responseClassifier: [
    "io.l5d.thrift.nonRetryable5XX",
    "io.l5d.mux.nonRetryable5XX",
  ],
  failureAccrual: [],
  loadBalancer: [],
  backoff: [],
  service: [],
  client: [],
  tracePropagator: ["io.l5d.k8s.istio"],
  forwardedLabeler: [],
};

/**
 * The message for a plugin entry whose kind is missing, unsupported or unknown.
 *
 * @param area Where the plugin sits (`namer`, `identifier`, …).
 * @param value The `kind` (or `protocol`) value found; `undefined` when absent.
 * @param supported The kinds this area accepts.
 * @returns One line, e.g. `io.l5d.k8s is not supported (supported namer kinds: io.l5d.fs)`.
 * @example
 * ```ts
 * import { kindMessage } from "./kinds.ts";
 * console.log(kindMessage("namer", "io.l5d.k8s", ["io.l5d.fs"]));
 * ```
 */
export function kindMessage(
  area: PluginArea,
  value: unknown,
  supported: readonly string[],
): string {
  const noun = area === "protocol" ? "protocols" : `${area} kinds`;
  const choices = supported.length > 0 ? supported.join(", ") : "none yet";
  if (value === undefined || value === null) {
    return area === "protocol"
      ? `protocol is required (supported protocols: ${choices}); a router without a protocol is a linkerd-tcp router, which is not supported`
      : `kind is required (supported ${noun}: ${choices})`;
  }
  if (typeof value !== "string") {
    return `expected a string naming the ${area === "protocol" ? "protocol" : "kind"}, got ${
      JSON.stringify(value)
    }`;
  }
  if (unsupportedKinds[area].includes(value)) {
    return `${value} is not supported (supported ${noun}: ${choices})`;
  }
  return `unknown ${
    area === "protocol" ? "protocol" : `${area} kind`
  } "${value}" (supported ${noun}: ${choices})`;
}
