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
 * `io.l5d.k8s` and `io.l5d.k8s.ns` (`k8s/endpoints.ts`), `io.l5d.dnssrv` (experimental,
 * `dns_srv.ts`), `io.l5d.consul` (`consul/namer.ts`) and `io.l5d.marathon` (`marathon/namer.ts`).
 * The registry is a plain Map built per call, so more kinds are added with
 * `defineNamerFactory` without any global state.
 *
 * The factories take entries that are already validated (the config loader's
 * `router/config/namer_schema.ts`, or `validateNamerConfigs` of `namer_registry_schema.ts` for a
 * raw list): the zod schemas live in `*_schema.ts` files, so the serving process never loads
 * zod (issue 6). What a schema cannot see (a missing directory, an experimental kind without
 * `experimental: true`, an unknown kind, a bad prefix, the environment k8s needs) is still
 * checked here.
 *
 * @module
 */
import type { Clock } from "../router/core/clock.ts";
import type { Path } from "../router/dtab/types.ts";
import type { Namer, NamerLookup } from "./types.ts";
import type { ConfiguredNamer } from "./interpreter.ts";
import { createFsNamer, kind as fsKind } from "./fs.ts";
import type { FsNamerConfig } from "./fs_schema.ts";
import { createRewriteNamer, kind as rewriteKind } from "./rewrite.ts";
import type { RewriteNamerOptions } from "./rewrite_schema.ts";
import { readPath } from "./_path.ts";
import { createDnsSrvNamer, kind as dnsSrvKind } from "./dns_srv.ts"; // k8s
import type { DnsSrvNamerConfig } from "./dns_srv_schema.ts"; // k8s
import type { K8sNamerConfig } from "./k8s/namer_factories_schema.ts"; // k8s
import { kind as consulKind, makeConsulNamer } from "./consul/mod.ts";
import type { ConsulNamerConfig } from "./consul/mod.ts";
import {
  closeTransformers,
  createTransformers,
  k8sConfigProblem,
  k8sExternalKind,
  k8sKind,
  type K8sLog,
  k8sNsKind,
  makeK8sNamer,
  type NameTreeTransformer,
  type TransformerConfig,
  TransformerConfigError,
  transformNamer,
} from "./k8s/mod.ts"; // k8s
import {
  makeMarathonNamer,
  marathonConfigProblem,
  marathonKind,
  type MarathonNamerConfig,
} from "./marathon/mod.ts";

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
  /**
   * Check a validated `config` for what a schema cannot see (throwing `NamerConfigError`) and
   * return the namer's constructor.
   */
  prepare(config: NamerConfig, ctx: NamerFactoryContext): () => Namer;
}

/** The keys every namer accepts (`namerCommonConfig` of `namer_registry_schema.ts`). */
export interface NamerCommonConfig {
  readonly kind: string;
  readonly prefix?: string | undefined;
  readonly experimental?: boolean | undefined;
  readonly transformers?: readonly unknown[] | undefined;
}

/** A validated config: the common keys plus the kind's own (`C`). */
export type ParsedConfig<C> = NamerCommonConfig & C;

/**
 * Define a factory from a constructor. The config it gets is already validated (the kind's
 * schema, if it has one, goes to `namer_registry_schema.ts`); `check` sees what a schema
 * cannot.
 *
 * @param def Kind, default prefix (`undefined` = required), an optional `check` for what a
 *   schema cannot see (throw `NamerConfigError`), and `make`, which receives the config.
 * @returns The factory.
 * @example
 * ```ts
 * import { defineNamerFactory } from "./namer_registry.ts";
 * import { createNilNamer } from "./nil.ts";
 * const f = defineNamerFactory({
 *   kind: "example.nil", defaultPrefix: ["example.nil"],
 *   make: () => createNilNamer(),
 * });
 * ```
 */
export function defineNamerFactory<C = Record<string, unknown>>(def: {
  readonly kind: string;
  readonly defaultPrefix: Path | undefined;
  readonly experimental?: boolean;
  check?(config: ParsedConfig<C>, ctx: NamerFactoryContext): void;
  make(config: ParsedConfig<C>, ctx: NamerFactoryContext): Namer;
}): NamerFactory {
  return {
    kind: def.kind,
    defaultPrefix: def.defaultPrefix,
    experimental: def.experimental ?? false,
    prepare(config, ctx) {
      const data = config as unknown as ParsedConfig<C>;
      def.check?.(data, ctx);
      return () => def.make(data, ctx);
    },
  };
}

/**
 * The built-in factories (`io.l5d.fs`, `io.l5d.rewrite`, `io.l5d.k8s`, `io.l5d.k8s.ns`,
 * `io.l5d.dnssrv`, `io.l5d.consul`, `io.l5d.marathon`), as a fresh Map the caller may extend.
 *
 * @returns kind → factory.
 * @example
 * ```ts
 * import { defaultNamerFactories } from "./namer_registry.ts";
 * [...defaultNamerFactories().keys()]; // ["io.l5d.fs", "io.l5d.rewrite", "io.l5d.k8s", ...]
 * ```
 */
export function defaultNamerFactories(): Map<string, NamerFactory> {
  const fs = defineNamerFactory<FsNamerConfig>({
    kind: fsKind,
    defaultPrefix: [fsKind],
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
  const rewrite = defineNamerFactory<RewriteNamerOptions>({
    kind: rewriteKind,
    defaultPrefix: undefined,
    make: (config) => createRewriteNamer({ pattern: config.pattern, name: config.name }),
  });
  // k8s: Kubernetes and DNS-SRV discovery
  const dnssrv = defineNamerFactory<DnsSrvNamerConfig>({
    kind: dnsSrvKind,
    defaultPrefix: [dnsSrvKind],
    experimental: true,
    make: (config, ctx) =>
      createDnsSrvNamer({
        refreshMs: (config.refreshIntervalSeconds ?? 5) * 1000,
        ...(config.dnsHosts ? { dnsHosts: config.dnsHosts } : {}),
        ...(config.domain ? { domain: config.domain } : {}),
        ...(ctx.clock ? { clock: ctx.clock } : {}),
      }),
  });
  const k8sFactories = [k8sKind, k8sNsKind, k8sExternalKind].map((kind) =>
    defineNamerFactory<K8sNamerConfig>({
      kind,
      defaultPrefix: [kind],
      // io.l5d.k8s.external is experimental in Linkerd (namer.md: `experimental` required).
      experimental: kind === k8sExternalKind,
      check(config, ctx) {
        const problem = k8sConfigProblem(config, ctx);
        if (problem) throw new NamerConfigError(`${ctx.path}.${problem.key}`, problem.message);
      },
      make: (config, ctx) => makeK8sNamer(config, ctx),
    })
  );
  const consul = defineNamerFactory<ConsulNamerConfig>({
    kind: consulKind,
    defaultPrefix: [consulKind],
    make: (config, ctx) => makeConsulNamer(config, ctx),
  });
  const marathon = defineNamerFactory<MarathonNamerConfig>({
    kind: marathonKind,
    defaultPrefix: [marathonKind],
    check(config, ctx) {
      const problem = marathonConfigProblem(config, ctx);
      if (problem) throw new NamerConfigError(`${ctx.path}.${problem.key}`, problem.message);
    },
    make: (config, ctx) => makeMarathonNamer(config, ctx),
  });
  return new Map([
    [fs.kind, fs],
    [rewrite.kind, rewrite],
    ...k8sFactories.map((f) => [f.kind, f] as const),
    [dnssrv.kind, dnssrv],
    [consul.kind, consul],
    [marathon.kind, marathon],
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
  /**
   * The lookup `io.l5d.replace` / `io.l5d.const` in a namer's `transformers` bind their path
   * with (the namers' own, with no dtab; called lazily, so it may be built after them).
   */
  readonly bind?: NamerLookup;
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
      const ts = createTransformers(list, {
        ...ctxOf(`${path}.transformers`),
        env: opts.env,
        ...(opts.bind ? { bind: opts.bind } : {}),
      });
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
