/**
 * The one timeout mechanism shared by `totalTimeout`, `enforceDeadline` and `requestTimeout`:
 * run `next` under a narrowed upstream signal and, when the timer fires, abort that signal
 * (cancelling the upstream exchange) and reject at once. Never a bare `Promise.race`: the
 * loser is always aborted, and a late response has its body cancelled.
 *
 * @module
 */
import type { Clock } from "../router/core/clock.ts";
import type { Ctx } from "../router/core/ctx.ts";
import type { Service } from "../router/core/service.ts";
import { linkedController, setUpstreamSignal, upstreamSignal } from "./upstream_signal.ts";

/**
 * Call `next` with a timeout of `ms`.
 *
 * @param onTimeout builds the error to reject with (and to abort the upstream signal with)
 * @returns the response, or a rejection with `onTimeout()` `ms` after the call
 */
export function callWithTimeout(
  req: Request,
  ctx: Ctx,
  next: Service,
  ms: number,
  clock: Clock,
  onTimeout: () => Error,
): Promise<Response> {
  const parent = upstreamSignal(ctx);
  if (parent.aborted) return Promise.reject(parent.reason);
  const { controller, unlink } = linkedController(parent);
  setUpstreamSignal(ctx, controller.signal);
  return new Promise<Response>((resolve, reject) => {
    let done = false;
    const cancelTimer = clock.setTimer(ms, () => {
      if (done) return;
      done = true;
      unlink();
      const err = onTimeout();
      controller.abort(err);
      setUpstreamSignal(ctx, parent);
      reject(err);
    });
    const settle = () => {
      done = true;
      cancelTimer();
      unlink();
      setUpstreamSignal(ctx, parent);
    };
    let pending: Promise<Response>;
    try {
      pending = next(req, ctx);
    } catch (e: unknown) {
      pending = Promise.reject(e);
    }
    pending.then(
      (res) => {
        if (done) return discardBody(res);
        settle();
        resolve(res);
      },
      (e: unknown) => {
        if (done) return;
        settle();
        reject(e);
      },
    );
  });
}

/** Cancel a response body nobody will read, releasing its connection. */
export function discardBody(res: Response): void {
  if (res.body && !res.bodyUsed) res.body.cancel().catch(ignore);
}

function ignore(): void {}

/**
 * Wait `ms` on the clock, or reject with the signal's reason as soon as it aborts.
 *
 * @returns a promise that settles after `ms`
 */
export function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      cancel();
      reject(signal.reason);
    };
    const cancel = clock.setTimer(ms, () => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
