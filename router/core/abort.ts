/**
 * Cheap abort hooks: run a function when a signal aborts, without an `abort` event listener.
 *
 * `addEventListener("abort", …)` plus its `removeEventListener` allocate about 660 bytes in Deno
 * 2.9 (options normalisation, a listener record, the signal's listener bookkeeping); the h1
 * client pays that on every upstream request (issue 6). Deno's own fetch and streams use the
 * signal's internal abort-algorithm set instead (`[[add]]` / `[[remove]]` on
 * `AbortSignal.prototype`, a `Set` of functions run when the signal aborts, before the `abort`
 * event). {@link onAbort} takes that path when a self-test at load shows it behaves (the
 * function runs once on abort, not after removal, and not when added to an aborted signal), and
 * falls back to a plain listener otherwise (another Deno version).
 *
 * The hook gets no argument: read `signal.reason`.
 *
 * @example
 * ```ts
 * import { offAbort, onAbort } from "./abort.ts";
 * const ac = new AbortController();
 * const hook = () => console.log("aborted:", ac.signal.reason);
 * onAbort(ac.signal, hook);
 * offAbort(ac.signal, hook); // no longer runs
 * ```
 *
 * @module
 */

type Algos = {
  [k: symbol]: ((fn: () => void) => void) | undefined;
};

function internalSymbol(name: string): symbol | undefined {
  return Object.getOwnPropertySymbols(AbortSignal.prototype).find((s) => s.description === name);
}

const ADD = internalSymbol("[[add]]");
const REMOVE = internalSymbol("[[remove]]");

function selfTest(): boolean {
  if (ADD === undefined || REMOVE === undefined) return false;
  try {
    let ran = 0, removedRan = 0, lateRan = 0;
    const a = new AbortController();
    const s = a.signal as unknown as Algos;
    const hook = () => ran++;
    const removed = () => removedRan++;
    s[ADD]!.call(s, hook);
    s[ADD]!.call(s, removed);
    s[REMOVE]!.call(s, removed);
    a.abort(new Error("x"));
    s[ADD]!.call(s, () => lateRan++); // added after abort: never runs
    a.abort(new Error("y"));
    return ran === 1 && removedRan === 0 && lateRan === 0;
  } catch {
    return false;
  }
}

const FAST = selfTest();

/**
 * Run `fn` once when `signal` aborts (not if it already has: check `signal.aborted` first).
 *
 * @param signal the signal to watch
 * @param fn the hook; remove it with {@link offAbort} when no longer needed
 */
export function onAbort(signal: AbortSignal, fn: () => void): void {
  if (FAST) (signal as unknown as Algos)[ADD as symbol]!.call(signal, fn);
  else signal.addEventListener("abort", fn);
}

/**
 * Stop watching: `fn` will not run for `signal`.
 *
 * @param signal the signal passed to {@link onAbort}
 * @param fn the same function
 */
export function offAbort(signal: AbortSignal, fn: () => void): void {
  if (FAST) (signal as unknown as Algos)[REMOVE as symbol]!.call(signal, fn);
  else signal.removeEventListener("abort", fn);
}

/** True when the internal fast path is in use on this Deno version. */
export function fastAbortHooks(): boolean {
  return FAST;
}
