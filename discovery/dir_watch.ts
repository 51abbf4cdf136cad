/**
 * A debounced recursive directory watch (REF `deno.md` §6): watching a *file* dies after the
 * first atomic replace, so watch the directory, ignore `access` events (reads, including our
 * own), and coalesce bursts (editor temp files, `mv`, the ConfigMap `..data` swap) into one
 * callback. The debounce is trailing (`debounceMs` after the last event) but capped at ten times
 * that after the first, so a steady stream of events cannot starve the callback.
 *
 * @module
 */
import type { Clock } from "../router/core/clock.ts";
import { timerFor } from "./_timer.ts";

/** Options of `watchDir`. */
export interface DirWatchOptions {
  /** Quiet period before the callback, default 50 ms. */
  readonly debounceMs?: number;
  /** Timer source; default real, unref'd timers. */
  readonly clock?: Clock;
  /** Sees every non-`access` event as it arrives (for namer state). */
  readonly onEvent?: (ev: Deno.FsEvent) => void;
}

/** A running watch. */
export interface DirWatch {
  /** False once the watch could not start or has ended; make a new one to retry. */
  readonly alive: boolean;
  /** Stop watching; resolves when the event loop has ended. */
  close(): Promise<void>;
}

/**
 * Watch `root` recursively and call `onBurst` after each debounced burst of changes.
 *
 * @param root The directory.
 * @param onBurst Called with no arguments after a burst.
 * @param opts Debounce, clock and an event tap.
 * @returns The watch (`alive` is false when `Deno.watchFs` failed, e.g. a missing directory).
 * @example
 * ```ts
 * import { watchDir } from "./dir_watch.ts";
 * const dir = await Deno.makeTempDir();
 * const w = watchDir(dir, () => {});
 * await w.close();
 * await Deno.remove(dir);
 * ```
 */
export function watchDir(root: string, onBurst: () => void, opts: DirWatchOptions = {}): DirWatch {
  const debounceMs = opts.debounceMs ?? 50;
  const setTimer = timerFor(opts.clock);
  const now = () => opts.clock ? opts.clock.mono() : performance.now();
  let alive = true;
  let closed = false;
  let cancel: (() => void) | undefined;
  let burstStart = 0;

  let watcher: Deno.FsWatcher | undefined;
  try {
    watcher = Deno.watchFs(root, { recursive: true });
  } catch {
    alive = false;
  }

  function onChange(): void {
    const t = now();
    if (!cancel) burstStart = t;
    cancel?.();
    const wait = Math.max(0, Math.min(debounceMs, burstStart + 10 * debounceMs - t));
    cancel = setTimer(wait, () => {
      cancel = undefined;
      if (!closed) onBurst();
    });
  }

  const done = (async () => {
    if (!watcher) return;
    try {
      for await (const ev of watcher) {
        if (ev.kind === "access") continue;
        opts.onEvent?.(ev);
        onChange();
      }
    } catch {
      // the watch died; the owner renews it
    } finally {
      alive = false;
    }
  })();

  return {
    get alive() {
      return alive;
    },
    async close() {
      alive = false;
      closed = true;
      cancel?.();
      cancel = undefined;
      try {
        watcher?.close();
      } catch {
        // already closed
      }
      await done;
    },
  };
}
