/**
 * `client.requestAttemptTimeoutMs`: bound one attempt to one endpoint. When it fires, the
 * attempt's upstream signal is aborted (the transport cancels the exchange) and the filter
 * rejects with `RequestTimeout` (503). The classifiers treat that as a timeout: retryable for
 * the retryable kinds when the method is, like Finagle's `IndividualRequestTimeoutException`.
 *
 * Stack position (endpoint stack): **below failure accrual** (so accrual sees the timeout as
 * an endpoint failure), **above the host connection pool limit and the transport** (so waiting
 * for a connection counts against the attempt). It is per attempt, so it sits below retries
 * and the balancer; each retry gets a fresh timer. Linkerd: no default (disabled).
 *
 * @example
 * ```ts
 * import { requestTimeout } from "./request_timeout.ts";
 * import { systemClock } from "../router/core/clock.ts";
 * const filter = requestTimeout({ ms: 250, clock: systemClock });
 * ```
 *
 * @module
 */
import type { Clock } from "../router/core/clock.ts";
import type { Filter } from "../router/core/service.ts";
import { RequestTimeout } from "../router/core/errors.ts";
import { callWithTimeout } from "./_timeout.ts";

/** Options of {@link requestTimeout}. */
export interface RequestTimeoutOptions {
  /** `requestAttemptTimeoutMs` (> 0). */
  readonly ms: number;
  /** Time source and timers. */
  readonly clock: Clock;
}

/**
 * The per-attempt timeout filter.
 *
 * @param opts the attempt timeout and clock
 * @returns a Filter, or null (zero cost) when `ms` is not a positive finite number
 * @throws {RequestTimeout} (as a rejection) when the attempt takes longer than `ms`
 *
 * @example
 * ```ts
 * import { requestTimeout } from "./request_timeout.ts";
 * import { systemClock } from "../router/core/clock.ts";
 * const filter = requestTimeout({ ms: 250, clock: systemClock }); // null when disabled
 * ```
 */
export function requestTimeout(opts: RequestTimeoutOptions): Filter | null {
  const { ms, clock } = opts;
  if (!(ms > 0) || !Number.isFinite(ms)) return null;
  return function requestTimeoutFilter(req, ctx, next) {
    return callWithTimeout(
      req,
      ctx,
      next,
      ms,
      clock,
      () =>
        new RequestTimeout(
          `exceeded ${ms} ms request attempt timeout (requestAttemptTimeoutMs) to ${
            ctx.endpoint || ctx.host
          }`,
        ),
    );
  };
}
