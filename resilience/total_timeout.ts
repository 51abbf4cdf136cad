/**
 * `service.totalTimeoutMs` and deadline enforcement: bound the whole logical request — every
 * retry and backoff included — by `ctx.deadline`, and **enforce** it (Linkerd 1.x only advised).
 *
 * `totalTimeout({ms, clock})` first shrinks the deadline, `ctx.deadline = min(ctx.deadline,
 * now + ms)` (a deadline only ever shrinks; an inbound `l5d-ctx-deadline` or `grpc-timeout`
 * may already have set it). Then, when the deadline passes, it aborts the upstream signal (see
 * `upstream_signal.ts`) so the in-flight attempt is cancelled at the transport, and rejects at
 * once with `DeadlineExceeded` (503 + `l5d-err` via rescue). With no timeout configured it is
 * `enforceDeadline`: it enforces whatever deadline the request arrived with, and costs one
 * comparison when there is none.
 *
 * Stack position (path stack): **below service stats** (so a timeout counts as a failure in
 * `rt:service`), **above retries** (so it bounds all attempts and backoffs, and retries can see
 * the time left in `ctx.deadline`). Linkerd: `service.totalTimeoutMs`, no default.
 *
 * @example
 * ```ts
 * import { totalTimeout } from "./total_timeout.ts";
 * import { systemClock } from "../router/core/clock.ts";
 * const filter = totalTimeout({ ms: 100, clock: systemClock });
 * ```
 *
 * @module
 */
import type { Clock } from "../router/core/clock.ts";
import type { Ctx } from "../router/core/ctx.ts";
import type { Filter, Service } from "../router/core/service.ts";
import { DeadlineExceeded } from "../router/core/errors.ts";
import { callWithTimeout } from "./_timeout.ts";

/** Options of {@link totalTimeout}. */
export interface TotalTimeoutOptions {
  /** `totalTimeoutMs`; absent = only enforce the deadline the request carries. */
  readonly ms?: number | undefined;
  /** Time source and timers. */
  readonly clock: Clock;
}

/**
 * The total-timeout filter.
 *
 * @param opts the timeout (optional) and clock
 * @returns a Filter that rejects with `DeadlineExceeded` when `ctx.deadline` passes
 * @throws {DeadlineExceeded} (as a rejection) at the deadline, or at once if it already passed
 *
 * @example
 * ```ts
 * import { totalTimeout } from "./total_timeout.ts";
 * import { systemClock } from "../router/core/clock.ts";
 * const filter = totalTimeout({ ms: 1000, clock: systemClock });
 * ```
 */
export function totalTimeout(opts: TotalTimeoutOptions): Filter {
  const { clock } = opts;
  const limit = totalTimeoutLimit(opts.ms);
  return function totalTimeoutFilter(req, ctx, next) {
    return timeoutWith(limit, clock, req, ctx, next);
  };
}

/**
 * `totalTimeoutMs` as the filters apply it: a positive finite number, else undefined (only the
 * request's own deadline is enforced).
 *
 * @param ms the configured value
 * @returns the limit in ms, or undefined
 *
 * @example
 * ```ts
 * import { totalTimeoutLimit } from "./total_timeout.ts";
 * totalTimeoutLimit(0); // undefined
 * ```
 */
export function totalTimeoutLimit(ms: number | undefined): number | undefined {
  return ms !== undefined && ms > 0 && Number.isFinite(ms) ? ms : undefined;
}

/**
 * The total-timeout filter of many services at once: each request's limit is read from its
 * `ctx` as it enters (a stack shared by a router's logical names; issue 6).
 *
 * @param limitOf the request's service's limit, from {@link totalTimeoutLimit}
 * @param clock time source and timers
 * @returns a Filter as {@link totalTimeout}'s
 *
 * @example
 * ```ts
 * import { totalTimeoutBy } from "./total_timeout.ts";
 * import { systemClock } from "../router/core/clock.ts";
 * const filter = totalTimeoutBy(() => 1000, systemClock);
 * ```
 */
export function totalTimeoutBy(
  limitOf: (ctx: Ctx) => number | undefined,
  clock: Clock,
): Filter {
  return function totalTimeoutFilter(req, ctx, next) {
    return timeoutWith(limitOf(ctx), clock, req, ctx, next);
  };
}

function timeoutWith(
  limit: number | undefined,
  clock: Clock,
  req: Request,
  ctx: Ctx,
  next: Service,
): Promise<Response> {
  if (limit === undefined && ctx.deadline === Infinity) return next(req, ctx); // no clock read
  const now = clock.now();
  let local = false;
  if (limit !== undefined && now + limit <= ctx.deadline) {
    ctx.deadline = now + limit;
    local = true;
  }
  const remaining = ctx.deadline - now;
  if (remaining === Infinity) return next(req, ctx);
  const error = () =>
    new DeadlineExceeded(
      local
        ? `exceeded ${limit} ms total timeout (totalTimeoutMs) to ${ctx.dstStr || ctx.host}`
        : `exceeded the request deadline (${ctx.deadlineBy || "l5d-ctx-deadline"}) to ${
          ctx.dstStr || ctx.host
        }`,
    );
  if (remaining <= 0) return Promise.reject(error());
  return callWithTimeout(req, ctx, next, remaining, clock, error);
}

/**
 * Enforce `ctx.deadline` with no local timeout (the `totalTimeout` filter without `ms`).
 *
 * @param opts the clock
 * @returns a Filter that rejects with `DeadlineExceeded` when `ctx.deadline` passes
 * @throws {DeadlineExceeded} (as a rejection) at the deadline
 *
 * @example
 * ```ts
 * import { enforceDeadline } from "./total_timeout.ts";
 * import { systemClock } from "../router/core/clock.ts";
 * const filter = enforceDeadline({ clock: systemClock });
 * ```
 */
export function enforceDeadline(opts: { readonly clock: Clock }): Filter {
  return totalTimeout({ clock: opts.clock });
}
