/**
 * `service.retries`: retry retryable failures of a logical service — responses and rejections
 * the classifier labels `retryable` — bounded by the retry budget, the request deadline and the
 * replay buffer (Linkerd's `ClassifiedRetries` + Finagle's `RetryFilter`).
 *
 * Before each retry, in order: the failure must be retryable; the per-request cap
 * (`maxRetries`; Linkerd has none, the budget being the cap, but its `minRetriesPerSec` reserve
 * lets one request that keeps failing retry at that rate for as long as the client waits) not
 * reached (else `onRequestLimit`); the client
 * still waiting (upstream signal not aborted); the body still replayable (see
 * `replay_body.ts`); the time left, `ctx.deadline - now - backoff`, at least the typical
 * latency (`latencyEstimateMs()`, by default a moving average of this filter's own attempts
 * made under a deadline);
 * and finally the budget must grant a withdrawal (else `onBudgetExhausted`). Only then is the
 * failed response's body cancelled (releasing its connection), the backoff waited (aborted with
 * the request), `ctx.attempt` and `ctx.retries` bumped and `onRetry` called. The final outcome's
 * label goes to `ctx.classification`.
 *
 * Every request deposits into the budget, once. Backoff defaults to immediate (Linkerd's
 * `Backoff.const(0)`).
 *
 * Stack position (path stack): **below totalTimeout** (which bounds all attempts and sets the
 * deadline read here) and **below service stats** (which count one logical request), **above
 * binding and the client stack** (a retry re-binds and re-balances, so it can land on another
 * endpoint). Requeues of never-delivered requests are the separate `requeues` filter.
 *
 * @example
 * ```ts
 * import { retries } from "./retries.ts";
 * import { RetryBudget } from "./retry_budget.ts";
 * import { classifierFor } from "./classifiers.ts";
 * import { constantBackoff } from "./backoff.ts";
 * import { systemClock } from "../router/core/clock.ts";
 * const filter = retries({
 *   classifier: classifierFor("io.l5d.http.retryableRead5XX"),
 *   budget: new RetryBudget({}, systemClock),
 *   backoff: constantBackoff(0),
 *   clock: systemClock,
 * });
 * ```
 *
 * @module
 */
import type { Clock } from "../router/core/clock.ts";
import type { Ctx } from "../router/core/ctx.ts";
import type { Filter, Service } from "../router/core/service.ts";
import type { Backoff } from "./backoff.ts";
import { constantBackoff } from "./backoff.ts";
import {
  classificationLabel,
  classifyResponse,
  FAILURE,
  type ResponseClass,
  type ResponseClassifier,
} from "./classifier.ts";
import { LatencyEstimate } from "./latency_estimate.ts";
import { DEFAULT_MAX_REPLAY_BYTES, type Replay, replayable } from "./replay_body.ts";
import type { RetryBudget } from "./retry_budget.ts";
import { discardBody, sleep } from "./_timeout.ts";
import { setUpstreamSignal, upstreamSignal } from "./upstream_signal.ts";

/**
 * The router's per-request retry cap: as many retries as the default budget's reserve
 * (`minRetriesPerSec` 10 × `ttlSecs` 10), so one request against an endpoint that keeps failing
 * (say, past `requestAttemptTimeoutMs`) ends with its last failure instead of retrying at the
 * reserve's rate for as long as the client waits.
 */
export const DEFAULT_MAX_RETRIES_PER_REQUEST = 100;

/** Options of {@link retries}. */
export interface RetriesOptions {
  /** Labels each attempt's outcome. */
  readonly classifier: ResponseClassifier;
  /** This service's budget (deposit per request, withdraw per retry). */
  readonly budget: RetryBudget;
  /** Waits before retries; default immediate. */
  readonly backoff?: Backoff | undefined;
  /** Time source and timers. */
  readonly clock: Clock;
  /**
   * Per-request cap on retries (default unlimited: the budget decides). The router sets
   * {@link DEFAULT_MAX_RETRIES_PER_REQUEST}.
   */
  readonly maxRetries?: number | undefined;
  /** Replay buffer per request (default 64 KiB); a longer body is not retried. */
  readonly maxReplayBytes?: number | undefined;
  /**
   * HTTP/1.1 routers: a request body without `Content-Length`, or longer than this many bytes,
   * is one Finagle streams (a "chunked" request), and its failures are never retried (Linkerd's
   * `ResponseClassifiers.NonRetryableChunked`: "Requests with chunked bodies are NEVER considered
   * to be retryable"). Absent: no such rule (h2 routers, `streamingEnabled: false`).
   */
  readonly chunkedAfterBytes?: number | undefined;
  /** Typical attempt latency, ms; default: a moving average of this filter's attempts. */
  readonly latencyEstimateMs?: (() => number) | undefined;
  /** Called for each retry about to be sent (`retries/total`). */
  readonly onRetry?: ((ctx: Ctx, cls: ResponseClass) => void) | undefined;
  /** Called when the budget refused a retry (`retries/budget_exhausted`). */
  readonly onBudgetExhausted?: ((ctx: Ctx) => void) | undefined;
  /** Called when `maxRetries` refused a retry (`retries/request_limit`). */
  readonly onRequestLimit?: ((ctx: Ctx) => void) | undefined;
  /**
   * Called when a retryable failure is not retried because its body went past the replay buffer
   * (h2 routers: Linkerd's `retries/request_stream_too_long`).
   */
  readonly onRequestTooLong?: ((ctx: Ctx) => void) | undefined;
  /**
   * Called with the final response and its classification, before it is returned (the path
   * stack sets `l5d-success-class` here: no filter level of its own).
   */
  readonly onResponse?:
    | ((res: Response, cls: ResponseClass, req: Request, ctx: Ctx) => void)
    | undefined;
  /**
   * Called once per request when its final outcome (response or rejection) is decided, with
   * `ctx.retries` final (`retries/per_request`).
   */
  readonly onFinal?: ((ctx: Ctx) => void) | undefined;
}

/**
 * The retries filter.
 *
 * @param opts classifier, budget, backoff, clock and hooks
 * @returns a Filter that retries retryable failures
 * @throws the final attempt's rejection (typed errors pass through unchanged)
 *
 * @example
 * ```ts
 * import { retries } from "./retries.ts";
 * import { RetryBudget } from "./retry_budget.ts";
 * import { classifierFor } from "./classifiers.ts";
 * import { systemClock as clock } from "../router/core/clock.ts";
 * let retriesTotal = 0;
 * const filter = retries({
 *   classifier: classifierFor("io.l5d.http.retryableRead5XX"),
 *   budget: new RetryBudget({}, clock),
 *   clock,
 *   onRetry: () => retriesTotal++,
 * });
 * ```
 */
export function retries(opts: RetriesOptions): Filter {
  const policy = retryPolicy(opts);
  return function retriesFilter(req, ctx, next) {
    return retryWith(policy, req, ctx, next);
  };
}

/**
 * A service's retry settings and state (its budget, its latency estimate), resolved once from
 * {@link RetriesOptions}: what {@link retriesBy} reads of each request's service. Opaque.
 */
export interface RetryPolicy {
  readonly classifier: ResponseClassifier;
  readonly budget: RetryBudget;
  readonly clock: Clock;
  readonly initial: Backoff;
  readonly maxRetries: number;
  readonly maxBytes: number;
  readonly chunkedAfter: number | undefined;
  /** This filter's own moving average, unless the options give an estimate. */
  readonly own: LatencyEstimate | undefined;
  readonly latencyEstimateMs: (() => number) | undefined;
  readonly onRetry: RetriesOptions["onRetry"];
  readonly onBudgetExhausted: RetriesOptions["onBudgetExhausted"];
  readonly onRequestLimit: RetriesOptions["onRequestLimit"];
  readonly onRequestTooLong: RetriesOptions["onRequestTooLong"];
  readonly onResponse: RetriesOptions["onResponse"];
  readonly onFinal: RetriesOptions["onFinal"];
}

/**
 * Resolves retry options once, for {@link retriesBy}.
 *
 * @param opts classifier, budget, backoff, clock and hooks
 * @returns the policy (it keeps the budget and, unless `latencyEstimateMs` is given, its own
 *   latency estimate)
 *
 * @example
 * ```ts
 * import { retryPolicy } from "./retries.ts";
 * import { RetryBudget } from "./retry_budget.ts";
 * import { classifierFor } from "./classifiers.ts";
 * import { systemClock as clock } from "../router/core/clock.ts";
 * const policy = retryPolicy({ classifier: classifierFor(), budget: new RetryBudget({}, clock), clock });
 * ```
 */
export function retryPolicy(opts: RetriesOptions): RetryPolicy {
  return {
    classifier: opts.classifier,
    budget: opts.budget,
    clock: opts.clock,
    initial: opts.backoff ?? constantBackoff(0),
    maxRetries: opts.maxRetries ?? Infinity,
    maxBytes: opts.maxReplayBytes ?? DEFAULT_MAX_REPLAY_BYTES,
    chunkedAfter: opts.chunkedAfterBytes,
    own: opts.latencyEstimateMs ? undefined : new LatencyEstimate(),
    latencyEstimateMs: opts.latencyEstimateMs,
    onRetry: opts.onRetry,
    onBudgetExhausted: opts.onBudgetExhausted,
    onRequestLimit: opts.onRequestLimit,
    onRequestTooLong: opts.onRequestTooLong,
    onResponse: opts.onResponse,
    onFinal: opts.onFinal,
  };
}

/**
 * The retries filter of many services at once: each request's policy is read from its `ctx` as
 * it enters (a stack shared by a router's logical names, each with its own policy: one filter,
 * where {@link retries} makes one per service; issue 6).
 *
 * @param policyOf the request's service's policy (made by {@link retryPolicy})
 * @returns a Filter that retries retryable failures, as {@link retries} does
 *
 * @example
 * ```ts
 * import { retriesBy, retryPolicy } from "./retries.ts";
 * import { RetryBudget } from "./retry_budget.ts";
 * import { classifierFor } from "./classifiers.ts";
 * import { systemClock as clock } from "../router/core/clock.ts";
 * const policy = retryPolicy({ classifier: classifierFor(), budget: new RetryBudget({}, clock), clock });
 * const filter = retriesBy(() => policy);
 * ```
 */
export function retriesBy(policyOf: (ctx: Ctx) => RetryPolicy): Filter {
  return function retriesFilter(req, ctx, next) {
    return retryWith(policyOf(ctx), req, ctx, next);
  };
}

// Not an async function (issue 6): the first attempt, which is usually the last, costs two
// closures instead of a suspended frame; a retry continues in `retryAfter`.
function retryWith(p: RetryPolicy, req: Request, ctx: Ctx, next: Service): Promise<Response> {
  p.budget.deposit(ctx.startMono);
  const signal = upstreamSignal(ctx);
  // Bodyless requests (most) reuse `req` for every attempt: no replay state at all.
  const replay = req.body === null ? undefined : replayable(req, p.maxBytes);
  return attempt(p, req, ctx, next, signal, replay, p.initial);
}

/** Send one attempt and decide on its outcome. */
function attempt(
  p: RetryPolicy,
  req: Request,
  ctx: Ctx,
  next: Service,
  signal: AbortSignal,
  replay: Replay | undefined,
  backoff: Backoff,
): Promise<Response> {
  setUpstreamSignal(ctx, signal);
  // The estimate gates retries only under a deadline, so only such attempts are timed
  // (two clock reads per request saved in the common case, issue 6).
  const started = p.own !== undefined && ctx.deadline !== Infinity ? p.clock.mono() : NaN;
  let r: Promise<Response>;
  try {
    r = next(replay ? replay.attempt() : req, ctx);
  } catch (e: unknown) {
    r = Promise.reject(e); // as `await next(...)` in an async function would
  }
  return r.then(
    (res) => decide(p, req, ctx, next, signal, replay, backoff, started, res, undefined),
    (e: unknown) => decide(p, req, ctx, next, signal, replay, backoff, started, undefined, e),
  );
}

/** The outcome of one attempt: return it, throw it, or retry. */
function decide(
  p: RetryPolicy,
  req: Request,
  ctx: Ctx,
  next: Service,
  signal: AbortSignal,
  replay: Replay | undefined,
  backoff: Backoff,
  started: number,
  res: Response | undefined,
  err: unknown,
): Response | Promise<Response> {
  // The request's classifier when it has one (a route's), else this service's.
  const c = (ctx.classifier as ResponseClassifier | undefined) ?? p.classifier;
  let cls = res !== undefined ? classifyResponse(c, req, res, ctx) : c.error(req, err);
  // Only a retryable failure asks whether the request was chunked (no cost otherwise).
  if (cls.retryable && p.chunkedAfter !== undefined && isChunked(req, p.chunkedAfter)) {
    cls = FAILURE;
  }
  if (started === started) p.own!.observe(p.clock.mono() - started);
  const retry = !cls.success && cls.retryable && underLimit(p, ctx) &&
    !signal.aborted && canReplay(p, ctx, replay) &&
    timeLeft(ctx, p, backoff.ms) &&
    withdraw(p, ctx);
  if (!retry) {
    ctx.classification = classificationLabel(cls);
    p.onFinal?.(ctx);
    if (res !== undefined) {
      p.onResponse?.(res, cls, req, ctx);
      return res;
    }
    throw err;
  }
  if (res !== undefined) discardBody(res);
  return retryAfter(p, req, ctx, next, signal, replay, backoff, cls);
}

/** Wait the backoff, count the retry, send the next attempt. */
async function retryAfter(
  p: RetryPolicy,
  req: Request,
  ctx: Ctx,
  next: Service,
  signal: AbortSignal,
  replay: Replay | undefined,
  backoff: Backoff,
  cls: ResponseClass,
): Promise<Response> {
  await sleep(p.clock, backoff.ms, signal);
  ctx.attempt++;
  ctx.retries++;
  (ctx.retryTimes ??= []).push(Date.now());
  p.onRetry?.(ctx, cls);
  return await attempt(p, req, ctx, next, signal, replay, backoff.next());
}

/**
 * The per-request cap. At the cap, a budget that would refuse too is what stopped the request
 * in Linkerd (no cap there): counted as `budget_exhausted`, so the default budget's numbers
 * are Linkerd's (a first failing request takes its reserve's 100 retries, then is refused).
 */
function underLimit(p: RetryPolicy, ctx: Ctx): boolean {
  if (ctx.retries < p.maxRetries) return true;
  if (p.budget.canWithdraw()) p.onRequestLimit?.(ctx);
  else p.onBudgetExhausted?.(ctx);
  return false;
}

/** Whether the body can be sent again; else counted as a request too long to retry. */
function canReplay(p: RetryPolicy, ctx: Ctx, replay: Replay | undefined): boolean {
  if (replay === undefined || replay.canReplay) return true;
  p.onRequestTooLong?.(ctx);
  return false;
}

function withdraw(p: RetryPolicy, ctx: Ctx): boolean {
  if (p.budget.tryWithdraw()) return true;
  p.onBudgetExhausted?.(ctx);
  return false;
}

/** Whether Finagle would stream `req`'s body: no `Content-Length`, or more than `after` bytes. */
function isChunked(req: Request, after: number): boolean {
  if (req.body === null) return false;
  const length = req.headers.get("content-length");
  return length === null || Number(length) > after;
}

/** Whether a retry started after `waitMs` would still have a typical latency's worth of time. */
function timeLeft(ctx: Ctx, p: RetryPolicy, waitMs: number): boolean {
  if (ctx.deadline === Infinity) return true;
  const left = ctx.deadline - p.clock.now() - waitMs;
  return left > 0 && left >= (p.latencyEstimateMs?.() ?? p.own!.estimateMs());
}
