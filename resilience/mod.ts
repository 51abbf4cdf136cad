/**
 * Resilience: Linkerd 1.x's "baseline resilience" and "failure- and latency-aware load
 * balancing" as small composable pieces, one concern per module, configured with Linkerd keys
 * and defaults — and better where Linkerd hurt: deadlines are enforced (upstream calls are
 * cancelled), retries are not started without time left, panic mode keeps traffic flowing when
 * every endpoint is marked dead, and concurrency limits shed with 503 instead of hanging.
 *
 * Where each piece sits (top → bottom; each module's doc says why):
 *
 * | level | pieces |
 * |---|---|
 * | server | rescue → ctx decode (`parseL5dDeadline`, `parseGrpcTimeout`) → server stats → `maxConcurrentRequests` → routing |
 * | path (per dst) | service stats → `totalTimeout` → `retries` → bind |
 * | client (per client id) | client stats → `requeues` → leaf `balancerService(createBalancer(kind))` |
 * | endpoint (per addr) | Node `failureAccrual(endpointNode(...))` → `requestTimeout` → `concurrencyLimit(hostConnectionPool)` → ctx encode (`formatL5dDeadline`) → transport (signal: `upstreamSignal(ctx)`) |
 *
 * @example
 * ```ts
 * import { classifierFor, retries, RetryBudget, totalTimeout } from "./mod.ts";
 * import { systemClock as clock } from "../router/core/clock.ts";
 * import { stack as build } from "../router/core/service.ts";
 * const leaf = () => Promise.resolve(new Response("ok"));
 * const path = build([
 *   totalTimeout({ ms: 1000, clock }),
 *   retries({
 *     classifier: classifierFor("io.l5d.http.retryableRead5XX"),
 *     budget: new RetryBudget({ percentCanRetry: 0.2, minRetriesPerSec: 10, ttlSecs: 10 }, clock),
 *     clock,
 *   }),
 * ], leaf);
 * ```
 *
 * @module
 */
export * from "./upstream_signal.ts";
export * from "./classifier.ts";
export * from "./classifiers.ts";
export * from "./backoff.ts";
export * from "./retry_budget.ts";
export * from "./replay_body.ts";
export * from "./ema.ts";
export * from "./latency_estimate.ts";
export * from "./retries.ts";
export * from "./requeues.ts";
export * from "./deadline.ts";
export * from "./total_timeout.ts";
export * from "./request_timeout.ts";
export * from "./accrual_policy.ts";
export * from "./failure_accrual.ts";
export * from "./concurrency_limit.ts";
export * from "./balancer/mod.ts";
