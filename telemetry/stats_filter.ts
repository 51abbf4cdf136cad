/**
 * The stats filter: counts one stack level's requests (requests, success, failures by reason,
 * status codes, latency, pending) in a scope's handles, resolved once when the stack is built.
 * Success and failure come from the router's response classifier, injected so telemetry does not
 * depend on resilience. Place it above timeouts and retries at its level, so timeouts count as
 * failures (Linkerd's StatsFilter sits at the top of the service and client stacks).
 *
 * @module
 */
import type { Filter } from "../router/core/service.ts";
import type { Ctx } from "../router/core/ctx.ts";
import type { RequestStats } from "./metrics/mod.ts";

/** Classifies a finished attempt: true = success. */
export type SuccessOf = (
  req: Request,
  ctx: Ctx,
  rsp: Response | undefined,
  err: unknown,
) => boolean;

function reasonOf(e: unknown): string {
  if (e instanceof Error) return e.name === "Error" ? "Error" : e.name;
  return "unknown";
}

/**
 * Make a stats filter over `stats`.
 *
 * @example
 * ```ts
 * import { statsFilter } from "./stats_filter.ts";
 * import { createRegistry, scopeStats, serviceScope } from "./metrics/mod.ts";
 * const stats = scopeStats(createRegistry(), serviceScope("outgoing", "/svc/world"));
 * const filter = statsFilter(stats, (_q, _c, rsp) => rsp !== undefined && rsp.status < 500);
 * ```
 */
export function statsFilter(stats: RequestStats, successOf: SuccessOf): Filter {
  return async function countStats(req, ctx, next) {
    const t0 = performance.now();
    stats.pending.incr();
    try {
      const rsp = await next(req, ctx);
      const ms = performance.now() - t0;
      if (successOf(req, ctx, rsp, undefined)) stats.recordSuccess(ms, rsp.status);
      else stats.recordFailure(ms, rsp.status);
      return rsp;
    } catch (e: unknown) {
      stats.recordFailure(performance.now() - t0, 0, reasonOf(e));
      throw e;
    } finally {
      stats.pending.decr();
    }
  };
}
