/**
 * Folder-private timer source for background refresh loops (fs polling, DNS re-resolution,
 * the k8s and consul watches), with their retry backoff and an abortable sleep.
 * With an injected `Clock` its `setTimer` is used (fake clocks in tests); otherwise a real
 * timer that is unref'd, so a namer never keeps the process alive on its own.
 *
 * @module
 */
import type { Clock } from "../router/core/clock.ts";

/** Start a timer; returns its cancel function. */
export type SetTimer = (ms: number, fn: () => void) => () => void;

/** The timer function for an optional clock. */
export function timerFor(clock: Clock | undefined): SetTimer {
  if (clock) return (ms, fn) => clock.setTimer(ms, fn);
  return (ms, fn) => {
    const id = setTimeout(fn, ms);
    Deno.unrefTimer(id);
    return () => clearTimeout(id);
  };
}

/** Wall-clock ISO timestamp from an optional clock. */
export function isoNow(clock: Clock | undefined): string {
  return new Date(clock ? clock.now() : Date.now()).toISOString();
}

/** Backoff bounds. */
export interface BackoffOptions {
  /** First delay cap, default 1 ms. */
  readonly minBackoffMs?: number;
  /** Largest delay, default 5000 ms. */
  readonly maxBackoffMs?: number;
}

/**
 * The delay before retry `attempt` (0-based): uniform in [0, min(max, min * 2^attempt)].
 *
 * @param attempt Consecutive failures so far.
 * @param opts Bounds.
 * @param random Uniform [0, 1).
 * @returns Milliseconds.
 * @example
 * ```ts
 * import { backoffDelay } from "./_timer.ts";
 * backoffDelay(20, {}, () => 0.999) <= 5000; // true
 * ```
 */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number): number {
  const min = opts.minBackoffMs ?? 1;
  const max = opts.maxBackoffMs ?? 5000;
  const cap = Math.min(max, min * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * (cap + 1));
}

/**
 * Wait `ms` on `setTimer`; resolves early (never rejects) when `signal` aborts.
 *
 * @param ms Milliseconds.
 * @param setTimer The timer source ({@linkcode timerFor}).
 * @param signal Ends the wait.
 * @returns Resolves when the time is up or the signal aborts.
 * @example
 * ```ts
 * import { sleep, timerFor } from "./_timer.ts";
 * await sleep(1, timerFor(undefined), new AbortController().signal);
 * ```
 */
export function sleep(ms: number, setTimer: SetTimer, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      signal.removeEventListener("abort", done);
      cancel();
      resolve();
    };
    const cancel = setTimer(ms, done);
    signal.addEventListener("abort", done);
  });
}
