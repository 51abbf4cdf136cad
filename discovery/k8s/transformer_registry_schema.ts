/**
 * The zod schemas of the transformer kinds (strict: unknown keys are errors naming their path)
 * and {@linkcode validateTransformerConfig}, which checks a raw entry before
 * `createTransformers` builds it. Kept out of `transformer_registry.ts` so the serving process,
 * which gets configs already validated, never loads zod (issue 6).
 *
 * @module
 */
import { z } from "zod";
import { kind as daemonsetKind } from "./daemonset.ts";
import { kind as localnodeKind } from "./localnode.ts";
import { localhostKind, portKind, specificHostKind } from "./host_transformers.ts";
import { constKind, replaceKind } from "./path_transformers.ts";
import { TransformerConfigError } from "./transformer.ts";
import type { TransformerConfig } from "./transformer_registry.ts";

const prefixKey = z.string().startsWith("/").optional();

/** `io.l5d.k8s.daemonset` keys. */
export const daemonsetConfig = z.strictObject({
  kind: z.literal(daemonsetKind),
  namespace: z.string().min(1),
  service: z.string().min(1),
  port: z.union([z.string().min(1), z.number().int().min(1).max(65535)]),
  k8sHost: z.string().min(1).optional(),
  k8sPort: z.number().int().min(1).max(65535).optional(),
  useServiceAccount: z.boolean().optional(),
  hostNetwork: z.boolean().optional(),
  prefix: prefixKey,
});

/** `io.l5d.k8s.localnode` keys. */
export const localnodeConfig = z.strictObject({
  kind: z.literal(localnodeKind),
  hostNetwork: z.boolean().optional(),
  prefix: prefixKey,
});

/** `io.l5d.port` keys. */
export const portConfig = z.strictObject({
  kind: z.literal(portKind),
  port: z.number().int().min(1).max(65535),
  prefix: prefixKey,
});

/** `io.l5d.localhost` keys. */
export const localhostConfig = z.strictObject({
  kind: z.literal(localhostKind),
  prefix: prefixKey,
});

/** `io.l5d.specificHost` keys. */
export const specificHostConfig = z.strictObject({
  kind: z.literal(specificHostKind),
  host: z.string().min(1),
  prefix: prefixKey,
});

/** `io.l5d.replace` / `io.l5d.const` keys: the path to bind (`/#/…` or `/$/…`). */
const pathKey = z.string().startsWith("/");

/** `io.l5d.replace` keys. */
export const replaceConfig = z.strictObject({
  kind: z.literal(replaceKind),
  path: pathKey,
  prefix: prefixKey,
});

/** `io.l5d.const` keys. */
export const constConfig = z.strictObject({
  kind: z.literal(constKind),
  path: pathKey,
  prefix: prefixKey,
});

/** A validated `io.l5d.replace` or `io.l5d.const` entry. */
export type PathTransformerConfig = z.infer<typeof replaceConfig> | z.infer<typeof constConfig>;
/** A validated `io.l5d.k8s.daemonset` entry. */
export type DaemonsetConfig = z.infer<typeof daemonsetConfig>;
/** A validated `io.l5d.k8s.localnode` entry. */
export type LocalnodeConfig = z.infer<typeof localnodeConfig>;
/** A validated `io.l5d.port` entry. */
export type PortConfig = z.infer<typeof portConfig>;
/** A validated `io.l5d.localhost` entry. */
export type LocalhostConfig = z.infer<typeof localhostConfig>;
/** A validated `io.l5d.specificHost` entry. */
export type SpecificHostConfig = z.infer<typeof specificHostConfig>;

/**
 * The schema of each transformer kind.
 *
 * @returns kind → strict schema (a fresh Map).
 */
export function transformerSchemas(): Map<string, z.ZodType> {
  return new Map<string, z.ZodType>([
    [daemonsetKind, daemonsetConfig],
    [localnodeKind, localnodeConfig],
    [portKind, portConfig],
    [localhostKind, localhostConfig],
    [specificHostKind, specificHostConfig],
    [replaceKind, replaceConfig],
    [constKind, constConfig],
  ]);
}

/**
 * Validate one raw transformer entry with its kind's schema. An unknown kind passes through
 * (`createTransformers` reports it, with the known kinds).
 *
 * @param config The raw entry.
 * @param path Its config path, e.g. `routers[0].interpreter.transformers[1]`.
 * @returns The entry as parsed.
 * @throws {TransformerConfigError} Naming the first bad key's path.
 * @example
 * ```ts
 * import { validateTransformerConfig } from "./transformer_registry_schema.ts";
 * validateTransformerConfig({ kind: "io.l5d.port", port: 8080 }, "t[0]"); // { kind: "io.l5d.port", port: 8080 }
 * ```
 */
export function validateTransformerConfig(
  config: TransformerConfig,
  path: string,
): TransformerConfig {
  const schema = transformerSchemas().get(config.kind);
  if (!schema) return config;
  const r = schema.safeParse(config);
  if (r.success) return r.data as TransformerConfig;
  const issue = r.error.issues[0];
  const sub = issue?.path.map((p) => typeof p === "number" ? `[${p}]` : `.${String(p)}`) ?? [];
  const keys = issue?.code === "unrecognized_keys" ? `.${issue.keys.join(",")}` : "";
  throw new TransformerConfigError(`${path}${sub.join("")}${keys}`, issue?.message ?? "invalid");
}

/**
 * Validate a list of raw transformer entries (see {@linkcode validateTransformerConfig}).
 *
 * @param configs The entries.
 * @param path The list's config path; entries get `[i]` appended.
 * @returns The entries as parsed.
 * @throws {TransformerConfigError} On the first bad entry.
 */
export function validateTransformerConfigs(
  configs: readonly TransformerConfig[],
  path: string,
): TransformerConfig[] {
  return configs.map((c, i) => validateTransformerConfig(c, `${path}[${i}]`));
}
