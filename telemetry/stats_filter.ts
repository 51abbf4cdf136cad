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
 * Make a stats filter over `stats`. Timing uses the registry's clock through `begin()` /
 * `end*()`: two clock reads per request, shared with the latency histogram. `also`, when given,
 * names a second scope (per request, e.g. client × service) recorded with the same timing, so two
 * nested levels cost one filter.
 *
 * @example
 * ```ts
 * import { statsFilter } from "./stats_filter.ts";
 * import { createRegistry, scopeStats, serviceScope } from "./metrics/mod.ts";
 * const stats = scopeStats(createRegistry(), serviceScope("outgoing", "/svc/world"));
 * const filter = statsFilter(stats, (_q, _c, rsp) => rsp !== undefined && rsp.status < 500);
 * ```
 */
export function statsFilter(
  stats: RequestStats,
  successOf: SuccessOf,
  also?: (ctx: Ctx) => RequestStats,
): Filter {
  return async function countStats(req, ctx, next) {
    const second = also?.(ctx);
    second?.pending.incr();
    const t0 = stats.begin();
    try {
      const rsp = await next(req, ctx);
      const status = rsp.status;
      if (successOf(req, ctx, rsp, undefined)) {
        const ms = stats.endSuccess(t0, status);
        second?.recordSuccess(ms, status, t0 + ms);
      } else {
        const ms = stats.endFailure(t0, status);
        second?.recordFailure(ms, status, undefined, t0 + ms);
      }
      return rsp;
    } catch (e: unknown) {
      const reason = reasonOf(e);
      const ms = stats.endFailure(t0, 0, reason);
      second?.recordFailure(ms, 0, reason, t0 + ms);
      throw e;
    } finally {
      second?.pending.decr();
    }
  };
}
