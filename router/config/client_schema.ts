/**
 * The router `client` block: per concrete client (`/#/io.l5d.fs/hello`, `/$/inet/...`) policy —
 * `loadBalancer` (p2c, maxEffort 5), `failureAccrual` (5 consecutive failures, equal-jittered backoff
 * 5 s–300 s), `hostConnectionPool`, `tls`, `requestAttemptTimeoutMs` (unbounded),
 * `requeueBudget` (0.2 / 10 / 10 s), `failFast` (false), `clientSession`, `socketOptions`.
 * `kind: io.l5d.global` (default) or `kind: io.l5d.static` with `configs: [{prefix, ...}]` whose
 * prefixes may use `*` and `{captures}` (L1 `linkerd/docs/routers.md` "Client Configuration",
 * `load_balancer.md`, `failure_accrual.md`; REF `linkerd1.md` §0, §4).
 *
 * @example
 * ```ts
 * import { clientBlockSchema } from "./client_schema.ts";
 * const c = clientBlockSchema.parse({ loadBalancer: { kind: "ewma" } });
 * console.log(c.kind === "io.l5d.global" && c.loadBalancer); // { kind: "ewma", maxEffort: 5, decayTimeMs: 10000, ... }
 * ```
 *
 * @module
 */
import { z } from "zod";
import { defaults } from "./defaults.ts";
import {
  backoffSchema,
  budgetSchema,
  h2ClientKeys,
  millis,
  pathPattern,
  sessionSchema,
  socketOptionsSchema,
  timeoutMs,
} from "./common_schema.ts";
import { clientTlsSchema } from "./tls_schema.ts";
import { defaultKind, noPluginSupported, pluginUnion } from "./plugin.ts";

const lb = defaults.loadBalancer;
const maxEffort = z.number().int().min(1).default(lb.maxEffort);
const enableProbation = z.boolean().default(lb.enableProbation);

/** `loadBalancer`: p2c (least loaded), ewma (peak EWMA), aperture, heap, roundRobin. */
export const loadBalancerSchema = pluginUnion("loadBalancer", [
  z.strictObject({ kind: z.literal("p2c"), maxEffort, enableProbation }),
  z.strictObject({
    kind: z.literal("ewma"),
    maxEffort,
    enableProbation,
    decayTimeMs: z.number().int().min(1).default(lb.decayTimeMs),
  }),
  z.strictObject({
    kind: z.literal("aperture"),
    maxEffort,
    enableProbation,
    smoothWindowMs: z.number().int().min(1).default(lb.smoothWindowMs),
    lowLoad: z.number().min(0).default(lb.lowLoad),
    highLoad: z.number().min(0).default(lb.highLoad),
    minAperture: z.number().int().min(1).default(lb.minAperture),
  }),
  z.strictObject({ kind: z.literal("heap"), enableProbation }),
  z.strictObject({ kind: z.literal("roundRobin"), maxEffort, enableProbation }),
]);

const fa = defaults.failureAccrual;
/**
 * Absent, the policy uses Linkerd's `FailureAccrualConfig.defaultBackoff`, Finagle's
 * `equalJittered(5 s, 300 s)` (exponential), which no `backoff` block can express: a `jittered`
 * block is decorrelated jitter.
 */
const accrualBackoff = backoffSchema.optional();
const successRate = z.number().min(0).max(1);

/** `failureAccrual`: when to mark an endpoint dead, and how long before probing it again. */
export const failureAccrualSchema = pluginUnion("failureAccrual", [
  z.strictObject({
    kind: z.literal("io.l5d.consecutiveFailures"),
    failures: z.number().int().min(1),
    backoff: accrualBackoff,
  }),
  z.strictObject({
    kind: z.literal("io.l5d.successRate"),
    successRate,
    requests: z.number().int().min(1),
    backoff: accrualBackoff,
  }),
  z.strictObject({
    kind: z.literal("io.l5d.successRateWindowed"),
    successRate,
    /** Window length in seconds. */
    window: z.number().int().min(1),
    backoff: accrualBackoff,
  }),
  // Linkerd's NoneConfig extends FailureAccrualConfig: `backoff` parses, and is never used.
  z.strictObject({ kind: z.literal("none"), backoff: accrualBackoff }),
]);

/** `hostConnectionPool` (watermark pool; unbounded where absent, like Linkerd's Int.MaxValue). */
export const hostConnectionPoolSchema = z.strictObject({
  minSize: z.number().int().min(0).default(defaults.hostConnectionPool.minSize),
  maxSize: z.number().int().min(1).optional(),
  idleTimeMs: millis.optional(),
  maxWaiters: z.number().int().min(0).optional(),
}).superRefine((p, ctx) => {
  if (p.maxSize !== undefined && p.minSize > p.maxSize) {
    ctx.addIssue({
      code: "custom",
      input: p,
      path: ["maxSize"],
      message: `maxSize (${p.maxSize}) must be >= minSize (${p.minSize})`,
    });
  }
});

/** Client params with every default filled in (the global form, and the result of resolving). */
export const clientParamsSchema = z.strictObject({
  loadBalancer: loadBalancerSchema.prefault({ kind: "p2c" }),
  failureAccrual: failureAccrualSchema.prefault({
    kind: "io.l5d.consecutiveFailures",
    failures: fa.failures,
  }),
  hostConnectionPool: hostConnectionPoolSchema.prefault({}),
  tls: clientTlsSchema.optional(),
  /** Per attempt; unbounded when absent. */
  requestAttemptTimeoutMs: timeoutMs.optional(),
  requeueBudget: budgetSchema.prefault({}),
  failFast: z.boolean().default(defaults.client.failFast),
  clientSession: sessionSchema.prefault({}),
  socketOptions: socketOptionsSchema.optional(),
  /**
   * routers.md "Client Parameters" `requestAuthorizers` (none by default): Linkerd's only kind,
   * `io.l5d.k8s.istio`, is not supported, so a listed authorizer is refused by its kind.
   */
  requestAuthorizers: z.array(noPluginSupported("requestAuthorizer")).optional(),
  ...h2ClientKeys,
});

/** One `io.l5d.static` client entry: a prefix pattern and only the params it sets. */
export const clientPrefixConfigSchema = z.strictObject({
  prefix: pathPattern,
  loadBalancer: loadBalancerSchema.optional(),
  failureAccrual: failureAccrualSchema.optional(),
  hostConnectionPool: hostConnectionPoolSchema.optional(),
  tls: clientTlsSchema.optional(),
  requestAttemptTimeoutMs: timeoutMs.optional(),
  requeueBudget: budgetSchema.optional(),
  failFast: z.boolean().optional(),
  clientSession: sessionSchema.optional(),
  socketOptions: socketOptionsSchema.optional(),
  /**
   * routers.md "Client Parameters" `requestAuthorizers` (none by default): Linkerd's only kind,
   * `io.l5d.k8s.istio`, is not supported, so a listed authorizer is refused by its kind.
   */
  requestAuthorizers: z.array(noPluginSupported("requestAuthorizer")).optional(),
  ...h2ClientKeys,
});

const globalClient = clientParamsSchema.extend({ kind: z.literal("io.l5d.global") });
const staticClient = z.strictObject({
  kind: z.literal("io.l5d.static"),
  configs: z.array(clientPrefixConfigSchema),
});

/** The `client` block kinds: `io.l5d.global`, `io.l5d.static`. */
export const clientUnion = pluginUnion("client", [globalClient, staticClient]);

/** The router `client` block (absent, or without a kind = `io.l5d.global` with defaults). */
export const clientBlockSchema = z.preprocess(defaultKind("io.l5d.global"), clientUnion)
  .prefault({});

/** Fully defaulted client params. */
export type ClientParams = z.infer<typeof clientParamsSchema>;
/** One static client entry. */
export type ClientPrefixConfig = z.infer<typeof clientPrefixConfigSchema>;
/** The router `client` block. */
export type ClientConfig = z.infer<typeof clientBlockSchema>;
/** A load balancer selection. */
export type LoadBalancerConfig = z.infer<typeof loadBalancerSchema>;
/** A failure accrual policy. */
export type FailureAccrualConfig = z.infer<typeof failureAccrualSchema>;
/** `hostConnectionPool`. */
export type HostConnectionPoolConfig = z.infer<typeof hostConnectionPoolSchema>;
