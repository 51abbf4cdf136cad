/**
 * Folder-private: addresses kept fresh by resolving a name now and again every `refreshMs`, the
 * last good answer kept through failures (`/$/inet` host names, `io.l5d.dnssrv` records). A name
 * the resolver reports as not found (`Deno.errors.NotFound`) is Neg; any other error is a failed
 * Addr until a later resolution succeeds.
 *
 * @module
 */
import type { MutableVar, Var } from "../router/core/var.ts";
import type { Addr } from "./types.ts";
import { addrVar, keepLastGood } from "./addr.ts";
import type { SetTimer } from "./_timer.ts";

interface Entry {
  readonly addr: MutableVar<Addr>;
  cancelTimer?: () => void;
  abort?: AbortController;
  inflight?: Promise<void>;
}

/** Refreshed addresses, one entry per key. */
export interface RefreshedAddrs {
  /**
   * The Addr of `key`; the first call starts resolving it with `resolve` (errors are reported as
   * `<what>: <message>`).
   */
  addr(key: string, what: string, resolve: (signal: AbortSignal) => Promise<Addr>): Var<Addr>;
  /** Stop every refresh and wait for resolutions in flight. */
  close(): Promise<void>;
}

/**
 * Make a set of refreshed addresses.
 *
 * @param refreshMs period between two resolutions of one key, or a function giving each period
 *   (jittered polls)
 * @param setTimer timer source (`timerFor(clock)`)
 * @example
 * ```ts
 * import { refreshedAddrs } from "./_refresh.ts";
 * import { timerFor } from "./_timer.ts";
 * const addrs = refreshedAddrs(5000, timerFor(undefined));
 * addrs.addr("web", "inet web", () => Promise.resolve({ type: "neg" })).get(); // pending, then neg
 * await addrs.close();
 * ```
 */
export function refreshedAddrs(
  refreshMs: number | (() => number),
  setTimer: SetTimer,
): RefreshedAddrs {
  const period = typeof refreshMs === "number" ? () => refreshMs : refreshMs;
  const entries = new Map<string, Entry>();
  let closed = false;

  function start(entry: Entry, what: string, resolve: (s: AbortSignal) => Promise<Addr>): void {
    const run = async (): Promise<void> => {
      if (closed) return;
      const abort = new AbortController();
      entry.abort = abort;
      let next: Addr;
      try {
        next = await resolve(abort.signal);
      } catch (e: unknown) {
        next = e instanceof Deno.errors.NotFound
          ? { type: "neg" }
          : { type: "failed", error: `${what}: ${e instanceof Error ? e.message : e}` };
      }
      if (closed) return;
      entry.addr.set(keepLastGood(entry.addr.get(), next));
      entry.cancelTimer = setTimer(period(), () => {
        entry.inflight = run();
      });
    };
    entry.inflight = run();
  }

  return {
    addr(key, what, resolve) {
      let entry = entries.get(key);
      if (!entry) {
        entry = { addr: addrVar() };
        entries.set(key, entry);
        if (!closed) start(entry, what, resolve);
      }
      return entry.addr;
    },
    async close() {
      closed = true;
      const waits: Promise<void>[] = [];
      for (const e of entries.values()) {
        e.cancelTimer?.();
        e.abort?.abort();
        if (e.inflight) waits.push(e.inflight);
      }
      await Promise.allSettled(waits);
    },
  };
}
