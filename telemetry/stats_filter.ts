/**
 * The stats filter: counts one stack level's requests (requests, success, failures by reason,
 * status codes, latency, pending) in a scope's handles, resolved once when the stack is built.
 * Success and failure come from the router's response classifier, injected so telemetry does not
 * depend on resilience. Place it above timeouts and retries at its level, so timeouts count as
 * failures (Linkerd's StatsFilter sits at the top of the service and client stacks).
 *
 * @module
 */
import { type Filter, invoke } from "../router/core/service.ts";
import type { Ctx } from "../router/core/ctx.ts";
import { trailersOf, whenEnded } from "../router/core/trailers.ts";
import type { RequestStats } from "./metrics/mod.ts";
import { type FailureLevel, failurePaths, SYNTHETIC_FAILURE } from "./failure_names.ts";

/** Classifies a finished attempt: true = success. */
export type SuccessOf = (
  req: Request,
  ctx: Ctx,
  rsp: Response | undefined,
  err: unknown,
) => boolean;

/** Options of {@link statsFilter}. */
export interface StatsFilterOptions {
  /**
   * The metrics registry's monotonic clock (`registry.clock.mono`): the one the histograms
   * window by, and the one `ctx.startMono` / `ctx.endedAt` are read from.
   */
  readonly mono: () => number;
  /**
   * A second scope (per request, e.g. client × service) recorded with the same timing, so two
   * nested levels cost one filter.
   */
  readonly also?: ((ctx: Ctx) => RequestStats) | undefined;
  /**
   * Time from the request's arrival (`ctx.startMono`, when the listener shared it) instead of
   * reading the clock: for the top of the path stack, which the listener calls synchronously.
   */
  readonly fromArrival?: boolean | undefined;
  /**
   * Which level's exception names an error counts under in `failures/<exception>` (the service
   * level sees Linkerd's path-stack exceptions, e.g. `RichNoBrokersAvailableException`; default
   * `client`).
   */
  readonly level?: FailureLevel | undefined;
}

/** One response's outcome into a level's stats (and its second scope): no closure per request. */
function record(
  stats: RequestStats,
  second: RequestStats | undefined,
  success: boolean,
  ms: number,
  status: number,
  now: number,
): void {
  if (success) {
    stats.recordSuccess(ms, status, now);
    second?.recordSuccess(ms, status, now);
  } else {
    // Finagle's StatsFilter: a response classified as failure counts as its synthetic exception
    stats.recordFailure(ms, status, SYNTHETIC_FAILURE, now);
    second?.recordFailure(ms, status, SYNTHETIC_FAILURE, now);
  }
}

/** An error into a level's stats: `failures/<exception>` and one more per cause (rolled up). */
function recordError(
  stats: RequestStats,
  second: RequestStats | undefined,
  paths: readonly string[],
  ms: number,
  now: number,
): void {
  stats.recordFailure(ms, 0, paths[0], now);
  second?.recordFailure(ms, 0, paths[0], now);
  for (let i = 1; i < paths.length; i++) {
    stats.failure(paths[i]!).incr();
    second?.failure(paths[i]!).incr();
  }
}

/**
 * Make a stats filter over `stats`: one scope's, or, as a function, the scope of each request's
 * `ctx` read when the request enters the filter (a stack shared by a client's endpoints, each
 * with its own stats: router/stacks.ts). The end of a request is read once per request, not once
 * per level: the innermost level reads the clock and leaves the reading on `ctx` with the
 * response (or error) it timed; each level above, handed the same object a few microtasks later,
 * reuses it (issue 6).
 *
 * @example
 * ```ts
 * import { statsFilter } from "./stats_filter.ts";
 * import { createRegistry, scopeStats, serviceScope } from "./metrics/mod.ts";
 * const registry = createRegistry();
 * const stats = scopeStats(registry, serviceScope("outgoing", "/svc/world"));
 * const filter = statsFilter(stats, (_q, _c, rsp) => rsp !== undefined && rsp.status < 500, {
 *   mono: () => registry.clock.mono(),
 * });
 * ```
 */
export function statsFilter(
  stats: RequestStats | ((ctx: Ctx) => RequestStats),
  successOf: SuccessOf,
  opts: StatsFilterOptions,
): Filter {
  const { mono, also } = opts;
  const fromArrival = opts.fromArrival === true;
  const level = opts.level ?? "client";
  /** When `outcome` ended: the reading a level below took for it, or a new one. */
  const endOf = (ctx: Ctx, outcome: unknown): number => {
    if (ctx.endedWith === outcome && typeof outcome === "object" && outcome !== null) {
      return ctx.endedAt;
    }
    const now = mono();
    ctx.endedWith = outcome;
    ctx.endedAt = now;
    return now;
  };
  // Not an async function: its suspended frame was ~600 B per level per request; two closures
  // over one context are about a third of that (issue 6).
  const fixed = typeof stats === "function" ? undefined : stats;
  const statsOf = typeof stats === "function" ? stats : undefined;
  return function countStats(req, ctx, next) {
    const stats = fixed ?? statsOf!(ctx);
    const second = also?.(ctx);
    stats.enter();
    second?.enter();
    const t0 = fromArrival && ctx.startMono === ctx.startMono ? ctx.startMono : mono();
    return invoke(next, req, ctx).then((rsp) => {
      stats.leave();
      second?.leave();
      const status = rsp.status;
      const now = endOf(ctx, rsp);
      const ms = now - t0;
      const box = trailersOf(rsp);
      if (box === undefined || box.ended) {
        record(stats, second, successOf(req, ctx, rsp, undefined), ms, status, now);
      } else {
        // A stream still flowing (h2, past classificationTimeoutMs): classified when it ends, on
        // its trailers (gRPC's grpc-status), as Linkerd's stream classifier; timed to its head.
        whenEnded(box, () => {
          ctx.classifiedRsp = undefined; // the head-time classification is stale now
          record(stats, second, successOf(req, ctx, rsp, undefined), ms, status, now);
        });
      }
      return rsp;
    }, (e: unknown) => {
      stats.leave();
      second?.leave();
      const now = endOf(ctx, e);
      recordError(stats, second, failurePaths(e, level), now - t0, now);
      throw e;
    });
  };
}
