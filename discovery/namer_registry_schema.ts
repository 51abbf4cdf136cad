/**
 * Validation of raw `namers[...]` entries for the namer registry (`namer_registry.ts`), whose
 * factories take entries already validated: the common keys (`kind`, `prefix`, `experimental`,
 * `transformers`) plus each built-in kind's own keys, strict, and the transformers of each
 * entry. Kept out of the registry so the serving process, which gets its config from the config
 * loader already validated, never loads zod (issue 6). Use it before `createNamers` on a list
 * that did not come from the config loader.
 *
 * @example
 * ```ts
 * import { createNamers } from "./namer_registry.ts";
 * import { validateNamerConfigs } from "./namer_registry_schema.ts";
 * const namers = createNamers(
 *   validateNamerConfigs([{ kind: "io.l5d.rewrite", prefix: "/rw", pattern: "/{x}", name: "/s/{x}" }]),
 * );
 * ```
 *
 * @module
 */
import { z } from "zod";
import { type NamerConfig, NamerConfigError } from "./namer_registry.ts";
import { kind as fsKind } from "./fs.ts";
import { fsNamerConfig } from "./fs_schema.ts";
import { kind as rewriteKind } from "./rewrite.ts";
import { rewriteNamerConfig } from "./rewrite_schema.ts";
import { kind as dnsSrvKind } from "./dns_srv.ts"; // k8s
import { dnsSrvNamerConfig } from "./dns_srv_schema.ts"; // k8s
import {
  k8sExternalKind,
  k8sKind,
  k8sNsKind,
  type TransformerConfig,
  TransformerConfigError,
} from "./k8s/mod.ts"; // k8s
import { k8sNamerConfig, k8sNsNamerConfig } from "./k8s/namer_factories_schema.ts"; // k8s
import { validateTransformerConfigs } from "./k8s/transformer_registry_schema.ts"; // k8s
import { kind as consulKind } from "./consul/namer.ts";
import { consulNamerConfig } from "./consul/namer_schema.ts";
import { marathonKind } from "./marathon/mod.ts";
import { marathonNamerConfig } from "./marathon/schema.ts";

/** The keys every namer accepts. */
export const namerCommonConfig = z.object({
  kind: z.string(),
  prefix: z.string().startsWith("/").optional(),
  experimental: z.boolean().optional(),
  transformers: z.array(z.unknown()).optional(),
});

/**
 * The full schema of a namer kind: the common keys plus the kind's own, strict.
 *
 * @param own The kind's own keys.
 * @returns The schema.
 * @example
 * ```ts
 * import { z } from "zod";
 * import { namerEntrySchema } from "./namer_registry_schema.ts";
 * namerEntrySchema(z.object({ rootDir: z.string() })).safeParse({ kind: "x", rootdir: "/" }).success; // false
 * ```
 */
export function namerEntrySchema<S extends z.ZodRawShape>(own: z.ZodObject<S>): z.ZodType {
  return namerCommonConfig.extend(own.shape).strict();
}

/**
 * The schemas of the built-in kinds (`io.l5d.fs`, `io.l5d.rewrite`, `io.l5d.k8s`,
 * `io.l5d.k8s.ns`, `io.l5d.dnssrv`, `io.l5d.consul`, `io.l5d.marathon`), as a fresh Map the
 * caller may extend.
 *
 * @returns kind → full strict schema.
 */
export function builtinNamerSchemas(): Map<string, z.ZodType> {
  return new Map([
    [fsKind, namerEntrySchema(fsNamerConfig)],
    [rewriteKind, namerEntrySchema(rewriteNamerConfig)],
    [k8sKind, namerEntrySchema(k8sNamerConfig)],
    [k8sNsKind, namerEntrySchema(k8sNsNamerConfig)],
    [k8sExternalKind, namerEntrySchema(k8sNamerConfig)],
    [dnsSrvKind, namerEntrySchema(dnsSrvNamerConfig)],
    [consulKind, namerEntrySchema(consulNamerConfig)],
    [marathonKind, namerEntrySchema(marathonNamerConfig)],
  ]);
}

/**
 * Validate one raw namer entry with its kind's schema, and its `transformers`. A kind without a
 * schema passes through (`createNamers` reports an unknown kind, with the known ones).
 *
 * @param config The raw entry.
 * @param path Its config path, e.g. `namers[0]`.
 * @param schemas kind → schema; default {@linkcode builtinNamerSchemas}.
 * @returns The entry as parsed.
 * @throws {NamerConfigError} Naming the first bad key's path.
 */
export function validateNamerConfig(
  config: NamerConfig,
  path: string,
  schemas: ReadonlyMap<string, z.ZodType> = builtinNamerSchemas(),
): NamerConfig {
  const schema = schemas.get(config.kind);
  if (!schema) return config;
  const parsed = schema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const sub = issue?.path.map((p) => typeof p === "number" ? `[${p}]` : `.${String(p)}`);
    const keys = issue?.code === "unrecognized_keys" ? `.${issue.keys.join(",")}` : "";
    throw new NamerConfigError(`${path}${sub?.join("") ?? ""}${keys}`, issue?.message ?? "invalid");
  }
  const data = parsed.data as NamerConfig;
  const transformers = (data.transformers ?? []) as TransformerConfig[];
  if (transformers.length === 0) return data;
  try {
    return {
      ...data,
      transformers: validateTransformerConfigs(transformers, `${path}.transformers`),
    };
  } catch (e: unknown) {
    if (e instanceof TransformerConfigError) {
      throw new NamerConfigError(e.path, e.message.slice(e.path.length + 2));
    }
    throw e;
  }
}

/**
 * Validate a raw `namers:` list (see {@linkcode validateNamerConfig}).
 *
 * @param configs The entries.
 * @param path The list's config path, default `namers`.
 * @param schemas kind → schema; default {@linkcode builtinNamerSchemas}.
 * @returns The entries as parsed, for `createNamers`.
 * @throws {NamerConfigError} On the first bad entry.
 */
export function validateNamerConfigs(
  configs: readonly NamerConfig[],
  path = "namers",
  schemas: ReadonlyMap<string, z.ZodType> = builtinNamerSchemas(),
): NamerConfig[] {
  return configs.map((c, i) => validateNamerConfig(c, `${path}[${i}]`, schemas));
}
