/**
 * The fully defaulted `service` and `client` params (what `serviceParamsSchema.parse({})` and
 * `clientParamsSchema.parse({})` return), built from the {@linkcode defaults} table without zod,
 * so that `prefix_params.ts` can start an `io.l5d.static` lookup in the serving process, which
 * never loads the config parser (issue 6). `default_params_test.ts` checks them against the
 * schemas.
 *
 * @example
 * ```ts
 * import { defaultClientParams } from "./default_params.ts";
 * defaultClientParams().loadBalancer.kind; // "p2c"
 * ```
 *
 * @module
 */
import { defaults } from "./defaults.ts";
import type { ClientParams } from "./client_schema.ts";
import type { ServiceParams } from "./service_schema.ts";

function budget() {
  const b = defaults.retryBudget;
  return {
    percentCanRetry: b.percentCanRetry,
    minRetriesPerSec: b.minRetriesPerSec,
    ttlSecs: b.ttlSecs,
  };
}

/**
 * Service params with every default (a fresh object per call).
 *
 * @returns `{responseClassifier, retries}`.
 * @example
 * ```ts
 * import { defaultServiceParams } from "./default_params.ts";
 * defaultServiceParams().retries.backoff; // { kind: "constant", ms: 0 }
 * ```
 */
export function defaultServiceParams(): ServiceParams {
  return {
    responseClassifier: { kind: defaults.responseClassifier },
    retries: { budget: budget(), backoff: { kind: "constant", ms: defaults.retryBackoffMs } },
  };
}

/**
 * Client params with every default (a fresh object per call).
 *
 * @returns `{loadBalancer, failureAccrual, hostConnectionPool, requeueBudget, failFast, clientSession}`.
 * @example
 * ```ts
 * import { defaultClientParams } from "./default_params.ts";
 * defaultClientParams().failureAccrual.kind; // "io.l5d.consecutiveFailures"
 * ```
 */
export function defaultClientParams(): ClientParams {
  const fa = defaults.failureAccrual;
  return {
    loadBalancer: {
      kind: "p2c",
      maxEffort: defaults.loadBalancer.maxEffort,
      enableProbation: defaults.loadBalancer.enableProbation,
    },
    failureAccrual: {
      kind: "io.l5d.consecutiveFailures",
      failures: fa.failures,
    },
    hostConnectionPool: { minSize: defaults.hostConnectionPool.minSize },
    requeueBudget: budget(),
    failFast: defaults.client.failFast,
    clientSession: {},
  };
}
