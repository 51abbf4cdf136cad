/**
 * Folder-private: a watched value that runs only while it is used. Reading or subscribing
 * starts the watch; once nobody has subscribed and nothing has read it for `idleMs`, it stops,
 * so names looked up once (a typo in a Host header) leave no watch running. The k8s object
 * source and the consul service loop share it.
 *
 * @module
 */
import type { Var } from "../router/core/var.ts";
import type { SetTimer } from "./_timer.ts";

/** Options of {@linkcode idleStopped}. */
export interface IdleStoppedOptions {
  /** How long unused before `stop`. */
  readonly idleMs: number;
  /** Clock for the last use. */
  readonly now: () => number;
  readonly setTimer: SetTimer;
  /** Whether the watch runs. */
  running(): boolean;
  /** Start the watch, which is not running (or decline: closed). */
  start(): void;
  /** Stop the watch: unused for `idleMs`. */
  stop(): void;
}

/** A value watched while used. */
export interface IdleStopped<T> {
  /** `inner`, starting the watch on each read and subscription. */
  readonly value: Var<T>;
  /** Cancel a pending idle stop (the owner closes the watch itself). */
  cancel(): void;
}

/**
 * Wrap `inner` so that using it keeps its watch running.
 *
 * @param inner The value the watch updates.
 * @param opts Idle time, clock, and how to start and stop the watch.
 * @returns The wrapped value.
 * @example
 * ```ts ignore
 * const idle = idleStopped(inner, { idleMs, now, setTimer, running, start, stop });
 * idle.value.get(); // starts the watch
 * ```
 */
export function idleStopped<T>(inner: Var<T>, opts: IdleStoppedOptions): IdleStopped<T> {
  let subs = 0;
  let lastUsed = opts.now();
  let cancelIdle: (() => void) | undefined;

  function use(): void {
    lastUsed = opts.now();
    if (opts.running()) return;
    opts.start();
    scheduleIdle();
  }

  function scheduleIdle(): void {
    if (cancelIdle || subs > 0 || !opts.running()) return;
    cancelIdle = opts.setTimer(Math.max(1, lastUsed + opts.idleMs - opts.now()), () => {
      cancelIdle = undefined;
      if (subs > 0 || !opts.running()) return;
      if (opts.now() - lastUsed < opts.idleMs) return scheduleIdle();
      opts.stop();
    });
  }

  const value: Var<T> = {
    get() {
      use();
      return inner.get();
    },
    subscribe(fn) {
      use();
      subs++;
      cancelIdle?.();
      cancelIdle = undefined;
      const off = inner.subscribe(fn);
      let done = false;
      return () => {
        if (done) return;
        done = true;
        off();
        subs--;
        lastUsed = opts.now();
        scheduleIdle();
      };
    },
  };
  return {
    value,
    cancel() {
      cancelIdle?.();
      cancelIdle = undefined;
    },
  };
}
