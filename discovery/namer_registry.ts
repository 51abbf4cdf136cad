/**
 * Maps Linkerd namer `kind`s to factories and builds the configured namers of a router
 * snapshot (L1 `namer/core/.../NamerInitializer.scala` `NamerConfig`; REF `linkerd1.md` §3).
 *
 * Common keys: `kind` (required), `prefix` (default `/<kind>`; names resolve under
 * `/#/<prefix>`), `experimental` (must be `true` for experimental kinds) and `transformers`
 * (applied to this namer's results, in order: `k8s/transformer.ts`). Unknown keys are errors,
 * reported with their path (`namers[0].rootDir`).
 *
 * Kinds here: `io.l5d.fs` (`rootDir`, which must be a directory, as Linkerd's `Directory` config
 * type requires), `io.l5d.rewrite` (`pattern`, `name`; `prefix` required, as in Linkerd),
 * `io.l5d.k8s` and `io.l5d.k8s.ns` (`k8s/endpoints.ts`) and `io.l5d.dnssrv` (experimental,
 * `dns_srv.ts`). The registry is a plain Map built per call, so more kinds are added with
 * `defineNamerFactory` without any global state.
 *
 * @module
 */
import { z } from "zod";
import type { Clock } from "../router/core/clock.ts";
import type { Path } from "../router/dtab/types.ts";
import type { Namer } from "./types.ts";
import type { ConfiguredNamer } from "./interpreter.ts";
import { createFsNamer, fsNamerConfig, kind as fsKind } from "./fs.ts";
import { createRewriteNamer, kind as rewriteKind, rewriteNamerConfig } from "./rewrite.ts";
import { readPath } from "./_path.ts";
import { createDnsSrvNamer, dnsSrvNamerConfig, kind as dnsSrvKind } from "./dns_srv.ts"; // k8s
import {
  closeTransformers,
  createTransformers,
  k8sConfigProblem,
  k8sKind,
  type K8sLog,
  k8sNamerConfig,
  k8sNsKind,
  k8sNsNamerConfig,
  makeK8sNamer,
  type NameTreeTransformer,
  type TransformerConfig,
  TransformerConfigError,
  transformNamer,
} from "./k8s/mod.ts"; // k8s

/** A bad `namers[...]` entry; the message starts with the key path. */
export class NamerConfigError extends Error {
  /** E.g. `namers[1].prefix`. */
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = "NamerConfigError";
    this.path = path;
  }
}

/** One raw `namers[...]` entry. */
export interface NamerConfig {
  readonly kind: string;
  readonly prefix?: string;
  readonly [key: string]: unknown;
}

/** What a factory may use besides its config. */
export interface NamerFactoryContext {
  /** Timer source for refresh loops (tests pass a fake one). */
  readonly clock?: Clock;
  /** The config key path of this entry, e.g. `namers[0]`, for error messages. */
  readonly path: string;
  /** Warnings from background loops (k8s watches); default silent. */
  readonly log?: K8sLog;
  /** Environment lookup (k8s in-cluster settings, `POD_NAMESPACE`); default `Deno.env.get`. */
  readonly env?: (name: string) => string | undefined;
}

/** Builds namers of one kind. */
export interface NamerFactory {
  /** The Linkerd kind, e.g. `io.l5d.fs`. */
  readonly kind: string;
  /** Prefix after `/#` when the config has none; `undefined` = `prefix` is required. */
  readonly defaultPrefix: Path | undefined;
  /** Experimental kinds need `experimental: true`. */
  readonly experimental: boolean;
  /** The full schema: common keys plus the kind's own, strict. */
  readonly schema: z.ZodType;
  /** Validate `config` (throwing `NamerConfigError`) and return the namer's constructor. */
  prepare(config: unknown, ctx: NamerFactoryContext): () => Namer;
}

/** A parsed config: the common keys plus the kind's own. */
export type ParsedConfig<S extends z.ZodRawShape> =
  & z.infer<typeof namerCommonConfig>
  & z.infer<z.ZodObject<S>>;

/** The keys every namer accepts. */
export const namerCommonConfig = z.object({
  kind: z.string(),
  prefix: z.string().startsWith("/").optional(),
  experimental: z.boolean().optional(),
  transformers: z.array(z.unknown()).optional(),
});

/**
 * Define a factory from a kind-specific schema and a constructor.
 *
 * @param def Kind, default prefix (`undefined` = required), schema of the kind's own keys, an
 *   optional `check` for what a schema cannot see (throw `NamerConfigError`), and `make`, which
 *   receives the parsed config.
 * @returns The factory.
 * @example
 * ```ts
 * import { z } from "zod";
 * import { defineNamerFactory } from "./namer_registry.ts";
 * import { createNilNamer } from "./nil.ts";
 * const f = defineNamerFactory({
 *   kind: "example.nil", defaultPrefix: ["example.nil"], schema: z.object({}),
 *   make: () => createNilNamer(),
 * });
 * ```
 */
export function defineNamerFactory<S extends z.ZodRawShape>(def: {
  readonly kind: string;
  readonly defaultPrefix: Path | undefined;
  readonly experimental?: boolean;
  readonly schema: z.ZodObject<S>;
  check?(config: ParsedConfig<S>, ctx: NamerFactoryContext): void;
  make(config: ParsedConfig<S>, ctx: NamerFactoryContext): Namer;
}): NamerFactory {
  const schema = namerCommonConfig.extend(def.schema.shape).strict();
  return {
    kind: def.kind,
    defaultPrefix: def.defaultPrefix,
    experimental: def.experimental ?? false,
    schema,
    prepare(config, ctx) {
      const parsed = schema.safeParse(config);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const sub = issue?.path.map((p) => typeof p === "number" ? `[${p}]` : `.${String(p)}`);
        const keys = issue?.code === "unrecognized_keys" ? `.${issue.keys.join(",")}` : "";
        throw new NamerConfigError(
          `${ctx.path}${sub?.join("") ?? ""}${keys}`,
          issue?.message ?? "invalid",
        );
      }
      const data = parsed.data as ParsedConfig<S>;
      def.check?.(data, ctx);
      return () => def.make(data, ctx);
    },
  };
}

/**
 * The built-in factories (`io.l5d.fs`, `io.l5d.rewrite`, `io.l5d.k8s`, `io.l5d.k8s.ns`,
 * `io.l5d.dnssrv`), as a fresh Map the caller may extend.
 *
 * @returns kind → factory.
 * @example
 * ```ts
 * import { defaultNamerFactories } from "./namer_registry.ts";
 * [...defaultNamerFactories().keys()]; // ["io.l5d.fs", "io.l5d.rewrite", "io.l5d.k8s", ...]
 * ```
 */
export function defaultNamerFactories(): Map<string, NamerFactory> {
  const fs = defineNamerFactory({
    kind: fsKind,
    defaultPrefix: [fsKind],
    schema: fsNamerConfig,
    check(config, ctx) {
      let isDir = false;
      try {
        isDir = Deno.statSync(config.rootDir).isDirectory;
      } catch {
        // reported below
      }
      if (!isDir) {
        throw new NamerConfigError(`${ctx.path}.rootDir`, `${config.rootDir} is not a directory`);
      }
    },
    make: (config, ctx) =>
      createFsNamer({ rootDir: config.rootDir, ...(ctx.clock ? { clock: ctx.clock } : {}) }),
  });
  const rewrite = defineNamerFactory({
    kind: rewriteKind,
    defaultPrefix: undefined,
    schema: rewriteNamerConfig,
    make: (config) => createRewriteNamer({ pattern: config.pattern, name: config.name }),
  });
  // k8s: Kubernetes and DNS-SRV discovery
  const dnssrv = defineNamerFactory({
    kind: dnsSrvKind,
    defaultPrefix: [dnsSrvKind],
    experimental: true,
    schema: dnsSrvNamerConfig,
    make: (config, ctx) =>
      createDnsSrvNamer({
        refreshMs: (config.refreshIntervalSeconds ?? 5) * 1000,
        ...(config.dnsHosts ? { dnsHosts: config.dnsHosts } : {}),
        ...(ctx.clock ? { clock: ctx.clock } : {}),
      }),
  });
  const k8s = [[k8sKind, k8sNamerConfig], [k8sNsKind, k8sNsNamerConfig]] as const;
  const k8sFactories = k8s.map(([kind, schema]) =>
    defineNamerFactory({
      kind,
      defaultPrefix: [kind],
      schema: schema as typeof k8sNsNamerConfig,
      check(config, ctx) {
        const problem = k8sConfigProblem(config, ctx);
        if (problem) throw new NamerConfigError(`${ctx.path}.${problem.key}`, problem.message);
      },
      make: (config, ctx) => makeK8sNamer(config, ctx),
    })
  );
  return new Map([
    [fs.kind, fs],
    [rewrite.kind, rewrite],
    ...k8sFactories.map((f) => [f.kind, f] as const),
    [dnssrv.kind, dnssrv],
  ]);
}

/** One validated `namers[...]` entry, ready to start. */
interface Plan {
  readonly prefix: Path;
  readonly make: () => Namer;
  readonly transformers: NameTreeTransformer[];
}

/** Options of `createNamers`. */
export interface CreateNamersOptions {
  /** kind → factory; default `defaultNamerFactories()`. */
  readonly factories?: ReadonlyMap<string, NamerFactory>;
  /** Timer source passed to factories. */
  readonly clock?: Clock;
  /** Key path of the list in error messages, default `namers`. */
  readonly path?: string;
  /** Passed to factories and transformers (k8s watch warnings). */
  readonly log?: K8sLog;
  /** Passed to factories and transformers; default `Deno.env.get`. */
  readonly env?: (name: string) => string | undefined;
}

/**
 * Build the configured namers, in config order, with their prefixes.
 *
 * @param configs The `namers:` list.
 * @param opts Factories, clock, error path.
 * @returns `{ prefix, namer }` entries for `createNamerLookup`.
 * @throws {NamerConfigError} On an unknown kind, a bad or missing key, a bad prefix, or a bad
 *   `transformers` entry; all entries are validated before any namer starts.
 * @example
 * ```ts
 * import { closeAll, createNamers } from "./namer_registry.ts";
 * const namers = createNamers([{ kind: "io.l5d.rewrite", prefix: "/rw", pattern: "/{x}", name: "/svc/{x}" }]);
 * namers[0]?.prefix; // ["rw"]
 * await closeAll(namers);
 * ```
 */
export function createNamers(
  configs: readonly NamerConfig[],
  opts: CreateNamersOptions = {},
): ConfiguredNamer[] {
  const factories = opts.factories ?? defaultNamerFactories();
  const listPath = opts.path ?? "namers";
  const built: NameTreeTransformer[][] = []; // k8s: closed again if a later entry is bad
  const ctxOf = (path: string): NamerFactoryContext => ({
    path,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.env ? { env: opts.env } : {}),
  });
  // Validate everything first, so a bad entry leaves nothing running.
  let plans: Plan[];
  try {
    plans = configs.map((config, i) => plan(config, `${listPath}[${i}]`));
  } catch (e: unknown) {
    for (const ts of built) void closeTransformers(ts);
    throw e;
  }
  return plans.map(({ prefix, make, transformers }) => {
    const namer = make();
    return {
      prefix,
      namer: transformers.length > 0
        ? transformNamer(namer, ["#", ...prefix], transformers)
        : namer,
    };
  });

  function plan(config: NamerConfig, path: string): Plan {
    const factory = factories.get(config.kind);
    if (!factory) {
      const known = [...factories.keys()].join(", ");
      throw new NamerConfigError(
        `${path}.kind`,
        `unknown namer kind '${config.kind}' (known: ${known})`,
      );
    }
    if (factory.experimental && config.experimental !== true) {
      throw new NamerConfigError(
        `${path}.experimental`,
        `${factory.kind} is experimental; set experimental: true to use it`,
      );
    }
    const make = factory.prepare(config, ctxOf(path));
    let prefix: Path;
    if (config.prefix === undefined) {
      if (!factory.defaultPrefix) {
        throw new NamerConfigError(`${path}.prefix`, `required for ${factory.kind}`);
      }
      prefix = factory.defaultPrefix;
    } else {
      const p = readPath(config.prefix);
      if ("error" in p) throw new NamerConfigError(`${path}.prefix`, p.error);
      prefix = p;
    }
    return { prefix, make, transformers: namerTransformers(config, path) };
  }

  function namerTransformers(config: NamerConfig, path: string): NameTreeTransformer[] {
    const list = (config.transformers ?? []) as TransformerConfig[];
    if (list.length === 0) return [];
    try {
      const ts = createTransformers(list, { ...ctxOf(`${path}.transformers`), env: opts.env });
      built.push(ts);
      return ts;
    } catch (e: unknown) {
      if (e instanceof TransformerConfigError) {
        throw new NamerConfigError(e.path, e.message.slice(e.path.length + 2));
      }
      throw e;
    }
  }
}

/**
 * Close every namer that has a `close`, waiting for those that return a promise.
 *
 * @param namers The entries from `createNamers`.
 * @returns Resolves when all are closed.
 * @example
 * ```ts
 * import { closeAll } from "./namer_registry.ts";
 * await closeAll([]);
 * ```
 */
export async function closeAll(namers: readonly ConfiguredNamer[]): Promise<void> {
  await Promise.allSettled(namers.map((n) => n.namer.close?.()));
}
