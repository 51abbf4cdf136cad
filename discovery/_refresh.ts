/**
 * Folder-private: addresses kept fresh by resolving a name now and again every `refreshMs`, the
 * last good answer kept through failures (`/$/inet` host names, `io.l5d.dnssrv` records). A name
 * the resolver reports as not found (`Deno.errors.NotFound`) is Neg; any other error is a failed
 * Addr until a later resolution succeeds.
 *
 * A name is refreshed only while it is used: once nobody has subscribed to its Addr or read it for
 * `idleMs` (10 minutes by default), its refresh stops and it is forgotten; a later use resolves it
 * again. Names looked up once (random `Host`s through `/$/inet`, typos) no longer keep a resolution
 * every `refreshMs` for the life of the process, as Finagle's resolver stops polling a name
 * nobody observes.
 *
 * @module
 */
import type { MutableVar, Var } from "../router/core/var.ts";
import type { Addr } from "./types.ts";
import { addrVar, keepLastGood } from "./addr.ts";
import type { SetTimer } from "./_timer.ts";
import { idleStopped } from "./_idle_var.ts";

interface Entry {
  readonly addr: MutableVar<Addr>;
  /** `addr`, keeping the refresh running while used. */
  used?: Var<Addr>;
  running: boolean;
  cancelTimer?: (() => void) | undefined;
  abort?: AbortController;
  inflight?: Promise<void>;
}

/** Options of {@link refreshedAddrs} beyond the period and timers. */
export interface RefreshOptions {
  /** How long a name nobody uses keeps being refreshed; default 600 000 (10 minutes). */
  readonly idleMs?: number;
  /** Monotonic ms for the idle time; default `performance.now`. */
  readonly now?: () => number;
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
  /** Names being refreshed (for tests). */
  readonly size: number;
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
  opts: RefreshOptions = {},
): RefreshedAddrs {
  const period = typeof refreshMs === "number" ? () => refreshMs : refreshMs;
  const idleMs = opts.idleMs ?? 600_000;
  const now = opts.now ?? (() => performance.now());
  const entries = new Map<string, Entry>();
  let closed = false;

  function start(entry: Entry, what: string, resolve: (s: AbortSignal) => Promise<Addr>): void {
    const run = async (): Promise<void> => {
      if (closed || !entry.running) return;
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
      if (closed || !entry.running) return;
      entry.addr.set(keepLastGood(entry.addr.get(), next));
      entry.cancelTimer = setTimer(period(), () => {
        entry.inflight = run();
      });
    };
    entry.inflight = run();
  }

  function stop(key: string, entry: Entry): void {
    entry.running = false;
    entry.cancelTimer?.();
    entry.cancelTimer = undefined;
    entry.abort?.abort();
    if (entries.get(key) === entry) entries.delete(key);
  }

  return {
    addr(key, what, resolve) {
      let entry = entries.get(key);
      if (!entry) {
        const e: Entry = { addr: addrVar(), running: false };
        entries.set(key, e);
        e.used = idleStopped(e.addr, {
          idleMs,
          now,
          setTimer,
          running: () => e.running,
          start() {
            if (closed) return;
            e.running = true;
            if (!entries.has(key)) entries.set(key, e); // used again after it was forgotten
            start(e, what, resolve);
          },
          stop: () => stop(key, e),
        }).value;
        entry = e;
        e.used.get(); // resolve now; each later read or subscription keeps it refreshed
      }
      return entry.used!;
    },
    get size() {
      return entries.size;
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
