/**
 * How cancellation flows down the stack to the transport: the **upstream signal** of a request.
 *
 * `ctx.signal` aborts when the client goes away. Resilience filters narrow it: `totalTimeout`
 * and `enforceDeadline` abort at the deadline, `requestTimeout` aborts one attempt. Each such
 * filter makes an `AbortController`, links it to the signal in force when it was entered, and
 * installs its signal with {@link setUpstreamSignal} for the call below it. The transport passes
 * `upstreamSignal(ctx)` to its client, so a fired timeout really cancels the upstream exchange.
 *
 * Rules that keep this safe without cloning `Request`s (a `new Request(req, {signal})` costs
 * 7–18 µs, `AbortSignal.any` about 8 µs; an `AbortController` plus one listener about 1 µs):
 * - read the signal once on entry and keep it in a local;
 * - a filter that calls `next` more than once (retries, requeues) reinstalls its entry signal
 *   before each call, so an attempt never inherits the previous attempt's (aborted) signal;
 * - a narrowing filter restores its entry signal when its call settles.
 *
 * The value lives in a proposed additive Ctx field, `upstreamSignal: AbortSignal` (local,
 * initialised to `signal` in the constructor). Until `router/core/ctx.ts` declares it, these two
 * accessors are the only code that touches it.
 *
 * @example
 * ```ts
 * import { upstreamSignal } from "./upstream_signal.ts";
 * import { Ctx } from "../router/core/ctx.ts";
 * const ctx = new Ctx({
 *   url: new URL("http://a/"), router: "r", signal: new AbortController().signal,
 *   startMs: 0, host: "a", target: "/",
 * });
 * upstreamSignal(ctx) === ctx.signal; // true until a filter narrows it
 * ```
 *
 * @module
 */
import type { Ctx } from "../router/core/ctx.ts";

type WithUpstreamSignal = Ctx & { upstreamSignal?: AbortSignal };

/**
 * The signal the transport must honour for the current upstream call.
 *
 * @param ctx the request context
 * @returns the narrowest signal in force (`ctx.signal` when no filter narrowed it)
 */
export function upstreamSignal(ctx: Ctx): AbortSignal {
  return (ctx as WithUpstreamSignal).upstreamSignal ?? ctx.signal;
}

/**
 * Install the signal for the calls below the caller.
 *
 * @param ctx the request context
 * @param signal the new upstream signal (must abort whenever the previous one does)
 */
export function setUpstreamSignal(ctx: Ctx, signal: AbortSignal): void {
  (ctx as WithUpstreamSignal).upstreamSignal = signal;
}

/**
 * Make a controller that aborts when `parent` does (with the parent's reason).
 *
 * @param parent the enclosing signal
 * @returns the child controller and an `unlink` that removes the listener from `parent`
 */
export function linkedController(
  parent: AbortSignal,
): { controller: AbortController; unlink: () => void } {
  const controller = new AbortController();
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { controller, unlink: noop };
  }
  const onAbort = () => controller.abort(parent.reason);
  parent.addEventListener("abort", onAbort, { once: true });
  return { controller, unlink: () => parent.removeEventListener("abort", onAbort) };
}

function noop(): void {}
