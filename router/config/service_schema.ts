/**
 * The router `service` block: per logical name (`/svc/...`) policy — `responseClassifier`,
 * `retries` (`budget` 0.2 / 10 / 10 s, `backoff` constant 0 ms = immediate) and `totalTimeoutMs`
 * (no default: unbounded). `kind: io.l5d.global` (the default) applies one set of params to every
 * service; `kind: io.l5d.static` lists `configs: [{prefix, ...params}]`, and every matching prefix
 * applies, later ones winning (L1 `linkerd/docs/routers.md` "Service Configuration", REF
 * `linkerd1.md` §4). Static entries keep only the keys they set; `resolveServiceParams()` in
 * `prefix_params.ts` merges them over the defaults.
 *
 * @example
 * ```ts
 * import { serviceBlockSchema } from "./service_schema.ts";
 * const svc = serviceBlockSchema.parse(undefined);
 * console.log(svc.kind, svc.kind === "io.l5d.global" && svc.responseClassifier.kind);
 * ```
 *
 * @module
 */
import { z } from "zod";
import { defaults } from "./defaults.ts";
import { backoffSchema, budgetSchema, pathPattern, timeoutMs } from "./common_schema.ts";
import { defaultKind, kindOnly, pluginUnion } from "./plugin.ts";

const grpcCode = z.number().int().min(0);

/** A gRPC classifier kind with its optional `successStatusCodes` (default `[0]`). */
function grpcKind<K extends string>(kind: K) {
  return z.strictObject({
    kind: z.literal(kind),
    successStatusCodes: z.array(grpcCode).optional(),
  });
}

/**
 * `responseClassifier`: which responses are failures, and which failures are retryable
 * (L1 `linkerd/docs/response_classifier.md`); `io.l5d.http.nonRetryable5XX` by default.
 */
export const responseClassifierSchema = pluginUnion("responseClassifier", [
  kindOnly("io.l5d.http.nonRetryable5XX"),
  kindOnly("io.l5d.http.retryableRead5XX"),
  kindOnly("io.l5d.http.retryableIdempotent5XX"),
  kindOnly("io.l5d.http.retryableAll5XX"),
  kindOnly("io.l5d.http.allSuccessful"),
  // h2 routers (L1 `protocol-h2.md`): the same rules, and the gRPC ones (`grpc_classifiers.ts`)
  kindOnly("io.l5d.h2.nonRetryable5XX"),
  kindOnly("io.l5d.h2.retryableRead5XX"),
  kindOnly("io.l5d.h2.retryableIdempotent5XX"),
  kindOnly("io.l5d.h2.retryableAll5XX"),
  kindOnly("io.l5d.h2.allSuccessful"),
  grpcKind("io.l5d.h2.grpc.default"),
  grpcKind("io.l5d.h2.grpc.compliant"),
  grpcKind("io.l5d.h2.grpc.alwaysRetryable"),
  grpcKind("io.l5d.h2.grpc.neverRetryable"),
  z.strictObject({
    kind: z.literal("io.l5d.h2.grpc.retryableStatusCodes"),
    retryableStatusCodes: z.array(grpcCode),
    successStatusCodes: z.array(grpcCode).optional(),
  }),
]);

/** h2 `retryBufferSize`: streams larger than these cannot be retried (L1 16383 each). */
export const retryBufferSizeSchema = z.strictObject({
  requestBytes: z.number().int().min(0).default(defaults.h2.retryBufferBytes),
  responseBytes: z.number().int().min(0).default(defaults.h2.retryBufferBytes),
});

/** Whole-object `retries` (global form): both keys defaulted. */
export const retriesSchema = z.strictObject({
  budget: budgetSchema.prefault({}),
  backoff: backoffSchema.prefault({ kind: "constant" }),
});

/** Service params with every default filled in (the global form, and the result of resolving). */
export const serviceParamsSchema = z.strictObject({
  responseClassifier: responseClassifierSchema.prefault({ kind: defaults.responseClassifier }),
  retries: retriesSchema.prefault({}),
  /** Covers every attempt; unbounded when absent. */
  totalTimeoutMs: timeoutMs.optional(),
  /** h2: how long to wait for a response stream to end before classifying it (default 100). */
  classificationTimeoutMs: z.number().int().min(0).optional(),
  /** h2: how much of a request / response stream is kept for a retry. */
  retryBufferSize: retryBufferSizeSchema.optional(),
});

/** One `io.l5d.static` service entry: a prefix and only the params it sets. */
export const servicePrefixConfigSchema = z.strictObject({
  prefix: pathPattern,
  responseClassifier: responseClassifierSchema.optional(),
  retries: z.strictObject({ budget: budgetSchema.optional(), backoff: backoffSchema.optional() })
    .optional(),
  totalTimeoutMs: timeoutMs.optional(),
  classificationTimeoutMs: z.number().int().min(0).optional(),
  retryBufferSize: retryBufferSizeSchema.optional(),
});

const globalService = serviceParamsSchema.extend({
  kind: z.literal("io.l5d.global"),
});

const staticService = z.strictObject({
  kind: z.literal("io.l5d.static"),
  configs: z.array(servicePrefixConfigSchema),
});

/** The `service` block kinds: `io.l5d.global`, `io.l5d.static`. */
export const serviceUnion = pluginUnion("service", [globalService, staticService]);

/** The router `service` block (absent, or without a kind = `io.l5d.global` with defaults). */
export const serviceBlockSchema = z.preprocess(defaultKind("io.l5d.global"), serviceUnion)
  .prefault({});

/** Fully defaulted service params. */
export type ServiceParams = z.infer<typeof serviceParamsSchema>;
/** One static service entry. */
export type ServicePrefixConfig = z.infer<typeof servicePrefixConfigSchema>;
/** The router `service` block. */
export type ServiceConfig = z.infer<typeof serviceBlockSchema>;
/** A response classifier selection. */
export type ResponseClassifierConfig = z.infer<typeof responseClassifierSchema>;
/** `service.retries`. */
export type RetriesConfig = z.infer<typeof retriesSchema>;
