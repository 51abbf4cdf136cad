/**
 * Requeues (`client.requeueBudget`): re-send, immediately, a request that certainly never
 * reached an endpoint — a rejection whose typed error has `retryable` set (`ConnectFailed`:
 * could not connect / write; `Overloaded`: a host pool shed it) — so the balancer can pick
 * another endpoint. Finagle's `RequeueFilter` semantics: its own budget (same keys and defaults
 * as the retry budget), one deposit per request, at most `ceil(maxRequeuesPerRequest ×
 * balance)` requeues per request (0.2, so one request cannot drain the budget), no backoff,
 * and only while `canRequeue()` (e.g. the balancer has an open node; Finagle's "stack status is
 * Open"). Responses are never requeued: a response means the request was delivered.
 *
 * A connection that could not be made (`ConnectFailed`: refused, connect timeout) is Finagle's
 * service-acquisition failure: it is re-attempted up to {@link ACQUISITION_EFFORT} times per
 * request without touching the budget (Finagle's `Retries` module: `applySelf(conn, Effort)`),
 * each counted as a requeue; when those run out the request fails. The budget is not asked: in
 * Finagle the RequeueFilter wraps only a service that was acquired.
 *
 * Stack position (client stack): **directly above the balancer leaf** and below client stats,
 * so each requeue re-picks a node and stats count the logical client request once. It sits
 * below the path stack's `retries`, which may still retry what requeues gave up on.
 *
 * @example
 * ```ts
 * import { requeues } from "./requeues.ts";
 * import { RetryBudget } from "./retry_budget.ts";
 * import { systemClock } from "../router/core/clock.ts";
 * const filter = requeues({ budget: new RetryBudget({}, systemClock) });
 * ```
 *
 * @module
 */
import type { Ctx } from "../router/core/ctx.ts";
import type { Filter, Service } from "../router/core/service.ts";
import { ConnectFailed, findSwitchyardError } from "../router/core/errors.ts";
import { DEFAULT_MAX_REPLAY_BYTES, replayable } from "./replay_body.ts";
import type { RetryBudget } from "./retry_budget.ts";
import { setUpstreamSignal, upstreamSignal } from "./upstream_signal.ts";

/** Re-attempts of a failed connection per request, free of budget (Finagle's `Effort`). */
export const ACQUISITION_EFFORT = 25;

/** Options of {@link requeues}. */
export interface RequeuesOptions {
  /** The client's requeue budget. */
  readonly budget: RetryBudget;
  /** Fraction of the budget balance one request may use (default 0.2, Finagle's). */
  readonly maxRequeuesPerRequest?: number | undefined;
  /** Replay buffer per request (default 64 KiB). */
  readonly maxReplayBytes?: number | undefined;
  /** Whether requeueing makes sense now, for the request's `ctx` (default always). */
  readonly canRequeue?: ((ctx: Ctx) => boolean) | undefined;
  /** Called for each requeue about to be sent (Finagle's `retries/requeues`). */
  readonly onRequeue?: ((ctx: Ctx) => void) | undefined;
  /** Called when the budget refused a requeue (`retries/budget_exhausted`). */
  readonly onBudgetExhausted?: ((ctx: Ctx) => void) | undefined;
  /** Called when the request used up its share of the budget (`retries/request_limit`). */
  readonly onRequestLimit?: ((ctx: Ctx) => void) | undefined;
}

/**
 * The requeues filter.
 *
 * @param opts budget and hooks
 * @returns a Filter that re-sends never-delivered requests
 * @throws the last rejection when it gives up
 *
 * @example
 * ```ts
 * import { requeues } from "./requeues.ts";
 * import { RetryBudget } from "./retry_budget.ts";
 * import { systemClock } from "../router/core/clock.ts";
 * const filter = requeues({ budget: new RetryBudget({}, systemClock), maxRequeuesPerRequest: 0.2 });
 * ```
 */
export function requeues(opts: RequeuesOptions): Filter {
  const policy = requeuePolicy(opts);
  return function requeuesFilter(req, ctx, next) {
    return requeueWith(policy, req, ctx, next);
  };
}

/**
 * A client's requeue settings and budget, resolved once from {@link RequeuesOptions}: what
 * {@link requeuesBy} reads of each request's client. Opaque.
 */
export interface RequeuePolicy {
  readonly budget: RetryBudget;
  readonly perRequest: number;
  readonly maxBytes: number;
  /** Whether requeueing makes sense now, for the request's client. */
  readonly canRequeue: (ctx: Ctx) => boolean;
  readonly onRequeue: RequeuesOptions["onRequeue"];
  readonly onBudgetExhausted: RequeuesOptions["onBudgetExhausted"];
  readonly onRequestLimit: RequeuesOptions["onRequestLimit"];
}

const always = () => true;

/**
 * Resolves requeue options once, for {@link requeuesBy}.
 *
 * @param opts budget and hooks
 * @returns the policy
 *
 * @example
 * ```ts
 * import { requeuePolicy } from "./requeues.ts";
 * import { RetryBudget } from "./retry_budget.ts";
 * import { systemClock } from "../router/core/clock.ts";
 * const policy = requeuePolicy({ budget: new RetryBudget({}, systemClock) });
 * ```
 */
export function requeuePolicy(opts: RequeuesOptions): RequeuePolicy {
  return {
    budget: opts.budget,
    perRequest: opts.maxRequeuesPerRequest ?? 0.2,
    maxBytes: opts.maxReplayBytes ?? DEFAULT_MAX_REPLAY_BYTES,
    canRequeue: opts.canRequeue ?? always,
    onRequeue: opts.onRequeue,
    onBudgetExhausted: opts.onBudgetExhausted,
    onRequestLimit: opts.onRequestLimit,
  };
}

/**
 * The requeues filter of many clients at once: each request's policy is read from its `ctx` as
 * it enters (a stack shared by a router's clients; issue 6).
 *
 * @param policyOf the request's client's policy (made by {@link requeuePolicy})
 * @returns a Filter as {@link requeues}'s
 *
 * @example
 * ```ts
 * import { requeuePolicy, requeuesBy } from "./requeues.ts";
 * import { RetryBudget } from "./retry_budget.ts";
 * import { systemClock } from "../router/core/clock.ts";
 * const policy = requeuePolicy({ budget: new RetryBudget({}, systemClock) });
 * const filter = requeuesBy(() => policy);
 * ```
 */
export function requeuesBy(policyOf: (ctx: Ctx) => RequeuePolicy): Filter {
  return function requeuesFilter(req, ctx, next) {
    return requeueWith(policyOf(ctx), req, ctx, next);
  };
}

async function requeueWith(
  p: RequeuePolicy,
  req: Request,
  ctx: Ctx,
  next: Service,
): Promise<Response> {
  const budget = p.budget;
  budget.deposit(ctx.startMono);
  const signal = upstreamSignal(ctx);
  const replay = req.body === null ? undefined : replayable(req, p.maxBytes);
  // This request's share of the balance, taken at its first failure rather than at its start
  // (Finagle's RequeueFilter): the same number, without a budget read per request (issue 6).
  let left = -1;
  // Connection re-attempts left for this request (Finagle's service acquisition `Effort`).
  let effort = ACQUISITION_EFFORT;
  for (;;) {
    setUpstreamSignal(ctx, signal);
    try {
      return await next(replay ? replay.attempt() : req, ctx);
    } catch (e: unknown) {
      const err = findSwitchyardError(e);
      if (
        !err?.retryable || signal.aborted || !(replay?.canReplay ?? true) || !p.canRequeue(ctx)
      ) throw e;
      if (err instanceof ConnectFailed) {
        if (effort <= 0) throw e;
        effort--;
        ctx.attempt++;
        p.onRequeue?.(ctx);
        continue;
      }
      if (left < 0) left = Math.ceil(p.perRequest * budget.balance());
      if (left <= 0) {
        p.onRequestLimit?.(ctx);
        throw e;
      }
      if (!budget.tryWithdraw()) {
        p.onBudgetExhausted?.(ctx);
        throw e;
      }
      left--;
      ctx.attempt++;
      p.onRequeue?.(ctx);
    }
  }
}
