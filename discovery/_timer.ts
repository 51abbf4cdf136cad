/**
 * Folder-private timer source for background refresh loops (fs polling, DNS re-resolution).
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
