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
 * The value lives in the local Ctx field `ctx.upstreamSignal` (initialised to `ctx.signal` by the
 * Ctx constructor). Filters here go through these accessors; the transport may read the field.
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
import { offAbort, onAbort } from "../router/core/abort.ts";

/**
 * The signal the transport must honour for the current upstream call.
 *
 * @param ctx the request context
 * @returns the narrowest signal in force (`ctx.signal` when no filter narrowed it)
 *
 * @example
 * ```ts
 * import { upstreamSignal } from "./upstream_signal.ts";
 * import type { Service } from "../router/core/service.ts";
 * const transport: Service = (req, ctx) => fetch(req.url, { signal: upstreamSignal(ctx) });
 * ```
 */
export function upstreamSignal(ctx: Ctx): AbortSignal {
  return ctx.upstreamSignal;
}

/**
 * Install the signal for the calls below the caller.
 *
 * @param ctx the request context
 * @param signal the new upstream signal (must abort whenever the previous one does)
 *
 * @example
 * ```ts
 * import { linkedController, setUpstreamSignal, upstreamSignal } from "./upstream_signal.ts";
 * import type { Filter } from "../router/core/service.ts";
 * const narrowing: Filter = (req, ctx, next) => {
 *   const parent = upstreamSignal(ctx);
 *   const { controller, unlink } = linkedController(parent);
 *   setUpstreamSignal(ctx, controller.signal);
 *   return next(req, ctx).finally(() => (unlink(), setUpstreamSignal(ctx, parent)));
 * };
 * ```
 */
export function setUpstreamSignal(ctx: Ctx, signal: AbortSignal): void {
  ctx.upstreamSignal = signal;
}

/**
 * Make a controller that aborts when `parent` does (with the parent's reason).
 *
 * @param parent the enclosing signal
 * @returns the child controller and an `unlink` that removes the listener from `parent`
 *
 * @example
 * ```ts
 * import { linkedController } from "./upstream_signal.ts";
 * const client = new AbortController();
 * const { controller, unlink } = linkedController(client.signal);
 * unlink();
 * ```
 */
export function linkedController(
  parent: AbortSignal,
): { controller: AbortController; unlink: () => void } {
  const controller = new AbortController();
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { controller, unlink: noop };
  }
  const hook = () => controller.abort(parent.reason);
  onAbort(parent, hook);
  return { controller, unlink: () => offAbort(parent, hook) };
}

function noop(): void {}
