/**
 * Builds transformers from config entries (`interpreter.transformers[]`,
 * `namers[].transformers[]`) that are already validated (the config loader, or
 * `validateTransformerConfig` of `transformer_registry_schema.ts`, whose zod schemas are kept
 * out of this file so the serving process never loads zod; issue 6) and constructs each. Kinds: `io.l5d.k8s.daemonset`
 * (`daemonset.ts`) and `io.l5d.k8s.localnode` (`localnode.ts`); every transformer takes an
 * optional `prefix`.
 *
 * @module
 */
import type {
  DaemonsetConfig,
  LocalhostConfig,
  LocalnodeConfig,
  PathTransformerConfig,
  PortConfig,
  SpecificHostConfig,
} from "./transformer_registry_schema.ts";
import { createK8sApi, type K8sApi } from "./api.ts";
import { createDaemonSetTransformer, kind as daemonsetKind } from "./daemonset.ts";
import { createLocalNodeTransformer, kind as localnodeKind } from "./localnode.ts";
import {
  createLocalhostTransformer,
  createPortTransformer,
  createSpecificHostTransformer,
  localAddresses,
  localhostKind,
  portKind,
  specificHostKind,
} from "./host_transformers.ts";
import {
  constKind,
  createConstTransformer,
  createReplaceTransformer,
  replaceKind,
} from "./path_transformers.ts";
import { readPath } from "../_path.ts";
import {
  closeTransformers,
  type NameTreeTransformer,
  TransformerConfigError,
  type TransformerContext,
  transformerPrefix,
} from "./transformer.ts";

/** One raw transformer entry. */
export interface TransformerConfig {
  readonly kind: string;
  readonly [key: string]: unknown;
}

/** The supported transformer kinds. */
export const transformerKinds: readonly string[] = [
  daemonsetKind,
  localnodeKind,
  portKind,
  localhostKind,
  specificHostKind,
  replaceKind,
  constKind,
];

function createOne(config: TransformerConfig, ctx: TransformerContext): NameTreeTransformer {
  const path = ctx.path;
  if (config.kind === daemonsetKind) {
    const c = config as unknown as DaemonsetConfig;
    const port = String(c.port);
    let api: K8sApi;
    try {
      api = createK8sApi({
        host: c.k8sHost,
        port: c.k8sPort,
        useServiceAccount: c.useServiceAccount,
        ...(ctx.env ? { env: ctx.env } : {}),
        ...(ctx.serviceAccountDir ? { serviceAccountDir: ctx.serviceAccountDir } : {}),
      });
    } catch (e: unknown) {
      throw new TransformerConfigError(path, e instanceof Error ? e.message : String(e));
    }
    return createDaemonSetTransformer({
      namespace: c.namespace,
      port,
      service: c.service,
      hostNetwork: c.hostNetwork,
      prefix: transformerPrefix(c.prefix, [daemonsetKind, c.namespace, port, c.service], path),
      api,
      ownsApi: true,
      clock: ctx.clock,
      log: ctx.log,
    });
  }
  if (config.kind === localnodeKind) {
    const c = config as unknown as LocalnodeConfig;
    const prefix = transformerPrefix(c.prefix, [localnodeKind], path);
    try {
      return createLocalNodeTransformer({ hostNetwork: c.hostNetwork, prefix, env: ctx.env });
    } catch (e: unknown) {
      throw new TransformerConfigError(path, e instanceof Error ? e.message : String(e));
    }
  }
  if (config.kind === portKind) {
    const c = config as unknown as PortConfig;
    return createPortTransformer(
      c.port,
      transformerPrefix(c.prefix, [portKind, String(c.port)], path),
    );
  }
  if (config.kind === localhostKind) {
    const c = config as unknown as LocalhostConfig;
    return createLocalhostTransformer(
      localAddresses(),
      transformerPrefix(c.prefix, [localhostKind], path),
    );
  }
  if (config.kind === specificHostKind) {
    const c = config as unknown as SpecificHostConfig;
    return createSpecificHostTransformer(
      c.host,
      transformerPrefix(c.prefix, [specificHostKind], path),
    );
  }
  if (config.kind === replaceKind || config.kind === constKind) {
    const c = config as unknown as PathTransformerConfig;
    const target = readPath(c.path);
    if ("error" in target) throw new TransformerConfigError(`${path}.path`, target.error);
    if (!ctx.bind) {
      throw new TransformerConfigError(
        path,
        `${c.kind} is supported in a router's interpreter.transformers, not in a namer's`,
      );
    }
    const prefix = transformerPrefix(c.prefix, [c.kind], path);
    return c.kind === replaceKind
      ? createReplaceTransformer(ctx.bind, target, prefix)
      : createConstTransformer(ctx.bind, target, prefix);
  }
  throw new TransformerConfigError(
    `${path}.kind`,
    `unknown transformer kind '${config.kind}' (known: ${transformerKinds.join(", ")})`,
  );
}

/**
 * Build transformers from config, in order. All or nothing: when one fails, those already
 * built are closed.
 *
 * @param configs The entries.
 * @param ctx `path` is the list's config path (e.g. `routers[0].interpreter.transformers`);
 *   entries get `[i]` appended. Clock, log and environment are passed on.
 * @returns The transformers.
 * @throws {TransformerConfigError} On a bad entry or a missing `POD_IP` / `NODE_NAME`.
 * @example
 * ```ts
 * import { createTransformers } from "./transformer_registry.ts";
 * const ts = createTransformers([{ kind: "io.l5d.k8s.localnode" }], {
 *   path: "routers[0].interpreter.transformers",
 *   env: (n) => (n === "POD_IP" ? "10.0.0.5" : undefined),
 * });
 * ts[0]?.prefix; // ["%", "io.l5d.k8s.localnode", "10.0.0.5"]
 * ```
 */
export function createTransformers(
  configs: readonly TransformerConfig[],
  ctx: TransformerContext,
): NameTreeTransformer[] {
  const out: NameTreeTransformer[] = [];
  try {
    configs.forEach((c, i) => out.push(createOne(c, { ...ctx, path: `${ctx.path}[${i}]` })));
  } catch (e: unknown) {
    void closeTransformers(out);
    throw e;
  }
  return out;
}
