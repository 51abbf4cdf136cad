/**
 * Config schemas and constructors of `io.l5d.k8s` and `io.l5d.k8s.ns` for the namer registry
 * (L1 `namer/k8s/.../K8sInitializer.scala`, `K8sNamespacedInitializer.scala`). The registry
 * (`../namer_registry.ts`) wraps them with `defineNamerFactory`; this folder does not import
 * the registry, so there is no import cycle.
 *
 * Keys (besides `kind`, `prefix`, `experimental`, `transformers`):
 * - `io.l5d.k8s`: `host`, `port` (default `localhost:8001`, a `kubectl proxy`), `labelSelector`
 *   (a label key; names get a `/<label-value>` segment), and Switchyard's `useServiceAccount`
 *   (talk to the API server directly with the pod's service account; see `api.ts` for when
 *   this is the default).
 * - `io.l5d.k8s.ns`: the same plus `envVar` (default `POD_NAMESPACE`): the environment variable
 *   holding the one namespace this namer serves; it must be set at startup.
 *
 * @module
 */
import type { K8sNamerConfig } from "./namer_factories_schema.ts";
import type { Clock } from "../../router/core/clock.ts";
import { createK8sApi, type K8sApiOptions, resolveK8sEndpoint } from "./api.ts";
import { createK8sNamer, externalKind, type K8sNamer, nsKind } from "./endpoints.ts";
import type { K8sLog } from "./source.ts";

export type { K8sNamerConfig };

/** What the constructor may use. */
export interface K8sNamerContext {
  readonly clock?: Clock | undefined;
  readonly log?: K8sLog | undefined;
  readonly env?: ((name: string) => string | undefined) | undefined;
}

function apiOptions(config: K8sNamerConfig, ctx: K8sNamerContext): K8sApiOptions {
  return {
    host: config.host,
    port: config.port,
    useServiceAccount: config.useServiceAccount,
    ...(ctx.env ? { env: ctx.env } : {}),
  };
}

function namespaceOf(config: K8sNamerConfig, ctx: K8sNamerContext): string | undefined {
  const env = ctx.env ?? ((name: string) => Deno.env.get(name));
  return env(config.envVar ?? "POD_NAMESPACE") || undefined;
}

/**
 * What is wrong with a config beyond its schema (no API host in service-account mode, no
 * namespace for `io.l5d.k8s.ns`), as the offending key and a message.
 *
 * @param config The parsed config.
 * @param ctx The environment.
 * @returns The problem, or `undefined`.
 * @example
 * ```ts
 * import { k8sConfigProblem } from "./namer_factories.ts";
 * k8sConfigProblem({ kind: "io.l5d.k8s.ns" }, { env: () => undefined })?.key; // "envVar"
 * ```
 */
export function k8sConfigProblem(
  config: K8sNamerConfig,
  ctx: K8sNamerContext,
): { key: string; message: string } | undefined {
  try {
    resolveK8sEndpoint(apiOptions(config, ctx));
  } catch (e: unknown) {
    return { key: "useServiceAccount", message: (e as Error).message };
  }
  if (config.kind === nsKind && namespaceOf(config, ctx) === undefined) {
    const name = config.envVar ?? "POD_NAMESPACE";
    return { key: "envVar", message: `environment variable ${name} must hold the namespace` };
  }
  return undefined;
}

/**
 * Build the namer of a checked config (its API client is owned and closed with it).
 *
 * @param config The parsed config (`kind` picks multi- or single-namespace).
 * @param ctx Clock, log, environment.
 * @returns The namer.
 * @example
 * ```ts
 * import { makeK8sNamer } from "./namer_factories.ts";
 * const namer = makeK8sNamer({ kind: "io.l5d.k8s", host: "127.0.0.1", port: 8001 }, {});
 * await namer.close();
 * ```
 */
export function makeK8sNamer(config: K8sNamerConfig, ctx: K8sNamerContext): K8sNamer {
  const namespace = config.kind === nsKind ? namespaceOf(config, ctx) : undefined;
  return createK8sNamer({
    api: createK8sApi(apiOptions(config, ctx)),
    ownsApi: true,
    labelSelector: config.labelSelector,
    ...(namespace !== undefined ? { namespace } : {}),
    external: config.kind === externalKind,
    clock: ctx.clock,
    log: ctx.log,
  });
}
